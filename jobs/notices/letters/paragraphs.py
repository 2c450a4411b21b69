"""Paragraph slots on the fast path: a paragraph (table cell, list item, heading) that holds a date, laid out
once per distinct content and drawn as text straight into every page that has it.

Every date of a letter is a function of the expiry date and the run date, so a night has a few dozen
distinct paragraphs of each kind, however many residents. The new ones of a lot are laid out together,
each alone at its slot's width in its slot's text style (layers.Box): a slot's content is styled by its
own classes (letters.css), so it lays out as it does in place, with the same line breaks and no gap after
a date. What is kept is its height (the background keeps a box that high: slots.with_heights) and its texts
where WeasyPrint put them (drawn.fixed), drawn in each lot's own fonts like the other values. What is laid out
is kept on disk too (layouts.py): the next night's paragraphs are nearly all the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import jinja2
from weasyprint.document import Document

from .drawn import Drawn, fixed
from .glyphs import Face, Shaped
from .layers import Alone, Box, Kept
from .layouts import Layouts
from .slots import Field


@dataclass(frozen=True)
class Laid:
    """A paragraph laid out: its height, and its texts placed from its top-left corner (None: not drawn here)."""

    height: float  # CSS pixels
    texts: tuple[Drawn, ...] | None


Key = tuple[str, float, str, str, str]


def key(box: Box, field: Field) -> Key:
    """What a paragraph's layout depends on: its slot's style and width (to the 6 decimals slots.html lays it out
    at), and its content."""
    return (box.css, round(box.width, 6), box.classes, box.lang, str(field.html))


def paragraphs(template: jinja2.Template, document: Callable[[str], Document],
               context: Callable[[], dict[str, object]], layouts: Layouts) -> Alone[Laid]:  # fmt: skip
    """The paragraphs of a renderer, laid out as they are first needed and kept (layers.Alone), in LAYOUTS too:
    under the digest of the document they are laid out in, whose style sheet the configuration fills in (the
    dates' font is the configured gothic one), since a paragraph's key holds only its slot's own style."""
    head = hashlib.sha256(template.render(items=[], fixed=False, **context()).encode("utf-8")).hexdigest()
    return Alone(template, document, context, key, lambda field: field.html, False, _laid,
                 Kept(layouts, f"paragraph {head}", encode, decode))  # fmt: skip


def encode(laid: Laid) -> bytes:
    """A paragraph laid out, as kept on disk (layouts.py): JSON, each text's font by its file and index."""
    texts = None if laid.texts is None else [
        [str(d.shaped.face.path), d.shaped.face.index, d.shaped.size, d.shaped.text, d.shaped.glyphs, d.shaped.clusters,
         d.shaped.texts, d.shaped.x_advances, d.shaped.x_offsets, d.shaped.y_offsets, d.shaped.width, d.x, d.baseline,
         d.rgb] for d in laid.texts]  # fmt: skip
    return json.dumps({"height": laid.height, "texts": texts}, ensure_ascii=False).encode("utf-8")


def decode(data: bytes) -> Laid:
    """A paragraph as encode() kept it (floats come back exactly: JSON writes their shortest repr)."""
    fields = json.loads(data)
    if fields["texts"] is None:
        return Laid(fields["height"], None)
    texts = tuple(Drawn(Shaped(Face.load(path, index), size, text, tuple(glyphs), tuple(clusters), tuple(parts),
                               tuple(advances), tuple(x_offsets), tuple(y_offsets), width), x, baseline, tuple(rgb))
                  for path, index, size, text, glyphs, clusters, parts, advances, x_offsets, y_offsets, width, x,
                  baseline, rgb in fields["texts"])  # fmt: skip
    return Laid(fields["height"], texts)


def _laid(laid: object, origin: tuple[float, float], box: Box, field: Field) -> Laid:
    return Laid(laid.border_height(), fixed(laid, origin))  # type: ignore[attr-defined]
