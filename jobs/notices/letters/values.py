"""A resident's values drawn straight into the page: where each text of a box goes, learnt once per shape.

A box slot's content (slots.Field) is markup: texts between tags. Its *shape* is the tags and which texts are
blank, with the slot's box (layers.Box). WeasyPrint lays out one piece's content of each new shape, once a
renderer, each text in a span of its own; what it gives is kept as runs: the text's baseline, where it
starts, its font file, size, letter-spacing and colour. Another resident's content of the same shape is then
placed without a layout: each text shaped with HarfBuzz (glyphs.py) on its run's baseline, moved along its
line by what the texts before it grew or shrank. A learnt run is checked against the layout (the font that
covers the text, the width WeasyPrint gave it), and a placed line must fit its box's width; anything else,
and the piece is laid out whole (render.py).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass

import jinja2
from markupsafe import Markup
from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import BlockContainerBox, LineBox, TextBox

from . import drawn
from .drawn import Drawn, Style, as_laid, position, style_of, width
from .glyphs import Face, Shaped
from .layers import Alone, Box
from .slots import Field

_TAG = re.compile(r"(<[^>]*>)")
_BLANK = re.compile(r"[ \t\n\r\f]+")  # what CSS collapses (white-space: normal)
_FIT_TOLERANCE = 0.01  # CSS pixels a line may pass its box's width by (rounding)

Signature = tuple[tuple[str, ...], tuple[bool, ...]]


@dataclass(frozen=True)
class Run:
    """Where one text of a shape is drawn, relative to its box's top-left corner (CSS pixels)."""

    token: int  # which text of the content
    line: int  # which line of the box
    x: float  # where it starts, less the widths of the texts before it on its line
    baseline: float
    width: float  # as learnt
    style: Style
    faces: frozenset[Face]  # the fonts it was drawn in as learnt: others could change the line's height
    strip: str  # the blanks WeasyPrint dropped from the text's ends: "", "l", "r" or "lr"


@dataclass(frozen=True)
class Line:
    """A line of a box: how much room it has (CSS pixels from the box's left) and how it is aligned."""

    left: float
    right: float
    align: str


@dataclass(frozen=True)
class Shape:
    """The runs and lines of one shape of box content."""

    runs: tuple[Run, ...]
    lines: tuple[Line, ...]


def tokens(markup: str) -> tuple[Signature, list[str]]:
    """The shape of MARKUP (its tags, which texts are blank) and its texts as CSS shows them (blanks collapsed)."""
    parts = _TAG.split(markup)
    texts = [htmllib.unescape(_BLANK.sub(" ", text)) for text in parts[0::2]]
    return (tuple(parts[1::2]), tuple(bool(t.strip(" ")) for t in texts)), texts


def learning_markup(markup: str) -> Markup:
    """MARKUP with each text that is not blank in a span data-t="N" (N: its number), for learning its shape."""
    parts = _TAG.split(markup)
    for n in range(0, len(parts), 2):
        if _BLANK.sub("", htmllib.unescape(parts[n])):
            parts[n] = f'<span data-t="{n // 2}">{parts[n]}</span>'
    return Markup("".join(parts))


def shape_key(box: Box, field: Field) -> tuple[object, ...]:
    """What a shape depends on: the slot's box (place aside; to the 6 decimals slots.html lays it out at) and the
    content's signature."""
    return (box.css, round(box.width, 6), round(box.height, 6), box.classes, box.lang, tokens(field.html)[0])


def learn(laid: object, origin: tuple[float, float], markup: str) -> Shape | None:
    """The shape of MARKUP from its layout LAID (a box whose top-left corner is ORIGIN), or None when it
    cannot be drawn without WeasyPrint (a text broken over lines, several fonts in one text, …)."""
    texts = tokens(markup)[1]
    found: dict[int, tuple[TextBox, LineBox, BlockContainerBox]] = {}
    lines: dict[int, int] = {}
    line_list: list[Line] = []
    for text, line, block in drawn.texts(laid):
        ident = text.element.get("data-t", "") if text.element is not None else ""
        if not ident.isdigit():
            if text.text.strip(" "):
                return None  # a text outside any span: generated content, say
            continue
        token = int(ident)
        if token in found or line is None or block is None:
            return None  # broken over two lines
        found[token] = (text, line, block)
        if id(line) not in lines:
            lines[id(line)] = len(line_list)
            align = block.style["text_align_all"]
            if align not in ("start", "left", "center", "right", "end"):
                return None
            left = block.content_box_x() - origin[0]
            line_list.append(Line(left, left + block.width, align))
    wanted = [n for n, t in enumerate(texts) if t.strip(" ")]
    if sorted(found) != wanted:
        return None
    runs: list[Run] = []
    before = [0.0] * len(line_list)
    for token in wanted:
        box, line, _ = found[token]
        run = _run(token, lines[id(line)], box, texts[token], before[lines[id(line)]], origin)
        if run is None:
            return None
        before[run.line] += box.width
        runs.append(run)
    return Shape(tuple(runs), tuple(line_list))


def _strip(text: str, how: str) -> str:
    return text.lstrip(" ") if how == "l" else text.rstrip(" ") if how == "r" else text.strip(" ") if how else text


def _run(token: int, line: int, box: TextBox, text: str, before: float, origin: tuple[float, float]) -> Run | None:
    """The run of one text, checked: the font that draws it all, at the width WeasyPrint gave it. BEFORE is
    how wide the texts before it on its line are."""
    strip = next((how for how in ("", "l", "r", "lr") if _strip(text, how) == box.text), None)
    style = style_of(box) if strip is not None else None
    shaped = as_laid(box, style) if style is not None else None
    if style is None or shaped is None:
        return None
    return Run(token, line, position(box.position_x - origin[0] - before),
               position(box.position_y + box.baseline - origin[1]), box.width, style,
               frozenset(run.face for run in shaped), strip)  # fmt: skip


def place(shape: Shape, markup: str) -> list[Drawn] | None:
    """MARKUP's texts placed by SHAPE (same signature), or None when one is not in its run's font or a
    line no longer fits its box."""
    texts = tokens(markup)[1]
    shaped: list[list[Shaped]] = []
    for run in shape.runs:
        out = run.style.shape(_strip(texts[run.token], run.strip))
        if out is None or any(part.face not in run.faces for part in out):
            return None
        shaped.append(out)
    before = [0.0] * len(shape.lines)  # how wide the texts before each run on its line are
    starts = []
    for run, out in zip(shape.runs, shaped):
        starts.append(run.x + before[run.line])
        before[run.line] += width(out)
    grown = [sum(width(out) - run.width for run, out in zip(shape.runs, shaped) if run.line == n)
             for n in range(len(shape.lines))]  # fmt: skip
    result: list[Drawn] = []
    right = [0.0] * len(shape.lines)
    for run, out, x in zip(shape.runs, shaped, starts):
        line = shape.lines[run.line]
        x -= grown[run.line] * (0.5 if line.align == "center" else 1.0 if line.align in ("right", "end") else 0.0)
        if x < line.left - _FIT_TOLERANCE:
            return None
        right[run.line] = max(right[run.line], x + width(out))
        result += drawn.placed(out, x, run.baseline, run.style.rgb)
    if any(r > line.right + _FIT_TOLERANCE for r, line in zip(right, shape.lines)):
        return None
    return result


def shapes(template: jinja2.Template, document: Callable[[str], Document],
           context: Callable[[], dict[str, object]]) -> Alone[Shape | None]:  # fmt: skip
    """The shapes of a renderer's boxes, learnt as they are first met (None: one that cannot be learnt)."""
    return Alone(template, document, context, shape_key, lambda field: learning_markup(field.html), True,
                 lambda laid, origin, box, field: learn(laid, origin, field.html))  # fmt: skip
