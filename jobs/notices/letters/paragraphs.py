"""Paragraph slots on the fast path: a paragraph (table cell, list item, heading) that holds a date, laid out
once per distinct content and drawn as text straight into every page that has it.

Every date of a letter is a function of the expiry date and the run date, so a night has a few dozen
distinct paragraphs of each kind, however many residents. The new ones of a lot are laid out together,
each alone at its slot's width in its slot's text style (layers.Box): a slot's content is styled by its
own classes (letters.css), so it lays out as it does in place, with the same line breaks and no gap after
a date. What is kept is its height (the background keeps a box that high: slots.with_heights) and its texts
where WeasyPrint put them (drawn.fixed), drawn in each lot's own fonts like the other values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jinja2
from weasyprint.document import Document

from .drawn import Drawn, fixed
from .layers import Alone, Box
from .slots import Field


@dataclass(frozen=True)
class Laid:
    """A paragraph laid out: its height, and its texts placed from its top-left corner (None: not drawn here)."""

    height: float  # CSS pixels
    texts: tuple[Drawn, ...] | None


Key = tuple[str, float, str, str, str]


def key(box: Box, field: Field) -> Key:
    """What a paragraph's layout depends on: its slot's style and width, and its content."""
    return (box.css, round(box.width, 4), box.classes, box.lang, str(field.html))


def paragraphs(template: jinja2.Template, document: Callable[[str], Document],
               context: Callable[[], dict[str, object]]) -> Alone[Laid]:  # fmt: skip
    """The paragraphs of a renderer, laid out as they are first needed and kept (layers.Alone)."""
    return Alone(template, document, context, key, lambda field: field.html, False, _laid)


def _laid(laid: object, origin: tuple[float, float], box: Box, field: Field) -> Laid:
    return Laid(laid.border_height(), fixed(laid, origin))  # type: ignore[attr-defined]
