"""A piece's variable fields (slots): what the templates mark as the resident's, so that the rest of
each page can be laid out once per run and reused as a background.

A template marks every value that belongs to the resident: `{% call S.para() %}…{% endcall %}` around
the content of a paragraph (or table cell, list item, heading) that holds a date, `{{ S.date(day,
"wdate") }}` for the date itself, `{% call S.block("class") %}…{% endcall %}` for a box. The same
template is laid out in one of two layers:
- natural: every slot in place, as an ordinary letter (the straightforward path);
- split: every slot an empty box of fixed size, its content collected for the fast path instead:
  a paragraph is laid out once per distinct content (its dates) and drawn as a form XObject, a box's
  values are drawn straight into the page.
The split layer's HTML is then the same for every resident whose letter has the same shape, which
is what lets render.py lay it out once; a value left outside a slot only makes that cache miss.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

NATURAL, SPLIT = "natural", "split"
_SIZER_END = "<!--sizer-->"  # where a paragraph slot's sizer ends


Rect = tuple[float, float, float, float]  # x, y, width, height in mm from a box's top-left corner


@dataclass(frozen=True)
class Drawing:
    """A code (QR, barcode): its black rectangles, an SVG image in the natural layer and drawn straight into
    the PDF in the split one, which is much faster than laying out and drawing an image."""

    cls: str
    width_mm: float
    height_mm: float
    rects: tuple[Rect, ...]  # the black parts
    joined: bool = True  # filled as one path (a QR code's touching modules), else a path each (a barcode's bars)
    module_mm: float = 0.0  # a QR code's module, of which every rectangle is whole ones (0: not so)

    @property
    def image(self) -> Markup:
        """The rectangles as an <img> of class CLS, WIDTH_MM x HEIGHT_MM: an SVG in mm, drawn as vectors all
        the same, but laid out as one box instead of styling each of its elements (a barcode has 70)."""
        paths = [f"M{x:.4f} {y:.4f}h{w:.4f}v{h:.4f}h{-w:.4f}z" for x, y, w, h in self.rects]
        drawn = "".join(f'<path d="{d}"/>' for d in (["".join(paths)] if self.joined else paths))
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width_mm:.4f}mm" height="{self.height_mm:.4f}mm" '
               f'viewBox="0 0 {self.width_mm:.4f} {self.height_mm:.4f}"><g fill="#000">{drawn}</g></svg>')  # fmt: skip
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return Markup(f'<img class="{escape(self.cls)}" alt="" src="data:image/svg+xml;base64,{data}">')

    def spacer(self) -> Markup:
        """An empty box of the image's class (whose rules make it a box) and size, standing in for it."""
        return Markup(f'<span class="{escape(self.cls)}" style="width: {round(self.width_mm, 3)}mm; '
                      f'height: {round(self.height_mm, 3)}mm"></span>')


@dataclass(frozen=True)
class Field:
    """One slot's content, collected in the split layer."""

    slot: int  # the slot's number within the piece: its box in the background is id="slot-N"
    html: Markup
    para: bool = False  # a paragraph holding a date (laid out whole) rather than a box of values
    drawing: Drawing | None = None  # a code to draw at the box's top-left corner


def ems(text: str) -> float:
    """Estimated width of TEXT in ems: 1 for wide (CJK) characters, a generous 0.6 for the others."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.6 for ch in text)


class Slots:
    """The slots of one piece in one layer; templates reach it as `S`."""

    def __init__(self, layer: str, seq: int, formats: dict[str, Callable[..., str]],
                 widest: Callable[[str, str | None], str]) -> None:  # fmt: skip
        """LAYER is NATURAL or SPLIT; SEQ the piece's number in its lot; FORMATS the date filters by
        name; WIDEST(fmt, lang) the widest text a date in a sentence can have (its box fits it)."""
        if layer not in (NATURAL, SPLIT):
            raise ValueError(f"unknown layer {layer!r}")
        self.layer, self.seq = layer, seq
        self.fields: list[Field] = []
        self.blocks: dict[int, str] = {}  # the classes of every box slot, by number
        self._formats, self._widest = formats, widest
        self._count = 0
        self._in_para = self._sizing = False

    def _next(self) -> int:
        self._count += 1
        return self._count

    def date(self, day: date, fmt: str, cls: str = "", lang: str | None = None) -> Markup:
        """DAY formatted by the filter FMT (for language LANG), inside the paragraph slot around it.

        While the split layer sizes a paragraph, the widest date of the format stands in for it."""
        fmt_args = (lang,) if lang else ()
        text = self._widest(fmt, lang) if self._sizing else self._formats[fmt](day, *fmt_args)
        return Markup(f'<span class="{escape(cls)}">{escape(text)}</span>') if cls else escape(text)

    def para(self, cls: str = "", caller: Callable[[], str] | None = None) -> Markup:
        """The caller's content (a paragraph's, a cell's) as a slot of its own: in the split layer an
        empty box as high as the content with the widest dates, the content laid out per distinct date."""
        if caller is None or self._in_para:
            raise ValueError("S.para needs content, and no paragraph slot may hold another")
        number = self._next()
        self._in_para = True
        try:
            content = Markup(caller())
            # Spans (made blocks by letters.css): a <div> would end the <p> it is in.
            if self.layer == NATURAL:
                return Markup(f'<span class="slot para {escape(cls)}">{content}</span>')
            self._sizing = True
            sizer = Markup(caller())
        finally:
            self._in_para = self._sizing = False
        self.fields.append(Field(number, content, para=True))
        return Markup(f'<span class="slot fixed para {escape(cls)}" id="slot-{number}" {height_mark(number)}>'
                      f'<span class="sizer">{sizer}{_SIZER_END}</span></span>')

    def block(self, cls: str = "", caller: Callable[[], str] | None = None) -> Markup:
        """A box of its own (the address window, a table cell, a code) with the caller's content."""
        if self._in_para:
            raise ValueError("a box slot cannot be inside a paragraph slot")
        content = Markup(caller()) if caller else Markup("")
        number = self._next()
        self.blocks[number] = cls
        if self.layer == NATURAL:
            return Markup(f'<div class="slot {escape(cls)}" id="box-{self.seq}-{number}">{content}'
                          f'<div class="slot-end" id="end-{self.seq}-{number}"></div></div>')
        self.fields.append(Field(number, content))
        return Markup(f'<div class="slot fixed {escape(cls)}" id="slot-{number}"></div>')

    def code(self, cls: str, drawing: Drawing, after: Markup | str = "") -> Markup:
        """A box holding a code (drawn at its top-left corner) and, after it, the markup AFTER."""
        if self.layer == NATURAL:
            return self.block(cls, caller=lambda: drawing.image + after)
        markup = self.block(cls, caller=lambda: drawing.spacer() + after)
        last = self.fields[-1]
        self.fields[-1] = Field(last.slot, last.html, drawing=drawing)
        return markup


def height_mark(number: int) -> str:
    """The attribute of paragraph slot NUMBER that with_heights replaces by its height."""
    return f'data-height-of="{number}"'


def with_heights(html: str, heights: dict[int, float]) -> str:
    """HTML with each paragraph slot in HEIGHTS (number: CSS pixels) that height, its sizer left empty."""
    for number, height in heights.items():
        start = html.index(height_mark(number))
        sizer = html.index('<span class="sizer">', start) + len('<span class="sizer">')
        end = html.index(_SIZER_END, sizer)
        html = html[:start] + f'style="height: {height:.6f}px"' + html[start + len(height_mark(number)):sizer] + html[end:]
    return html


def widest(fmt: Callable[..., str], years: range, lang: str | None = None,
           width: Callable[[str], float] = ems) -> str:  # fmt: skip
    """The widest text, by WIDTH, that the date filter FMT gives for a day in YEARS."""
    fmt_args = (lang,) if lang else ()
    texts = (fmt(date(y, m, 28), *fmt_args) for y in years for m in range(1, 13))
    return max(texts, key=lambda t: (width(t), t))
