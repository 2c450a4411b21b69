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

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jinja2
from weasyprint.document import Document

from .drawn import Drawn, fixed
from .layers import Box, alone
from .slots import Field

_CACHE = 4096  # paragraphs kept by a renderer: a night has about 31 distinct dates a kind


@dataclass(frozen=True)
class Laid:
    """A paragraph laid out: its height, and its texts placed from its top-left corner (None: not drawn here)."""

    height: float  # CSS pixels
    texts: tuple[Drawn, ...] | None


Key = tuple[str, float, str, str, str]


def key(box: Box, field: Field) -> Key:
    """What a paragraph's layout depends on: its slot's style and width, and its content."""
    return (box.css, round(box.width, 4), box.classes, box.lang, str(field.html))


class Paragraphs:
    """The paragraphs of a renderer, laid out as they are first needed and kept."""

    def __init__(self, template: jinja2.Template, document: Callable[[str], Document],
                 context: Callable[[], dict[str, object]]) -> None:  # fmt: skip
        """TEMPLATE lays out slots alone (layers.alone); DOCUMENT lays out HTML; CONTEXT gives the rest of what
        the template needs (configuration, fonts)."""
        self._template, self._document, self._context = template, document, context
        self._laid: dict[Key, Laid] = {}
        self.laid_out = 0  # paragraphs laid out so far

    def lay_out(self, wanted: Sequence[tuple[Box, Field]]) -> list[Laid]:
        """Each wanted paragraph laid out (those new to this renderer in one document), in order."""
        keys = [key(box, field) for box, field in wanted]
        new: dict[Key, tuple[Box, Field]] = {}
        for k, item in zip(keys, wanted):
            if k not in self._laid:
                new.setdefault(k, item)
        if new:
            if len(self._laid) + len(new) > _CACHE:
                self._laid.clear()
            _, found = alone(self._template, self._document, self._context(),
                             [(box, field.html) for box, field in new.values()], fixed=False)  # fmt: skip
            for k, (_, laid) in zip(new, found):
                origin = (laid.border_box_x(), laid.border_box_y())  # type: ignore[attr-defined]
                self._laid[k] = Laid(laid.border_height(), fixed(laid, origin))  # type: ignore[attr-defined]
            self.laid_out += len(new)
        return [self._laid[k] for k in keys]
