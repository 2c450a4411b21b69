"""A piece's variable fields (slots): what the templates mark as the resident's, so that the rest of
each page can be laid out once per run and reused as a background.

A template marks every value that belongs to the resident: `{{ S.date(day, "wdate") }}` inside a
sentence, `{% call S.block("class") %}…{% endcall %}` for a box. The same template is laid out
in one of two layers:
- natural: every slot in place, as an ordinary letter (the straightforward path);
- split: every slot an empty box of fixed size, its content collected for the overlay instead.
The split layer's HTML is then the same for every resident whose letter has the same shape, which
is what lets render.py lay it out once; a value left outside a slot only makes that cache miss.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

NATURAL, SPLIT = "natural", "split"


Rect = tuple[float, float, float, float]  # x, y, width, height in mm from a box's top-left corner


@dataclass(frozen=True)
class Drawing:
    """A code (QR, barcode): an SVG image in the natural layer, black rectangles drawn straight into
    the PDF in the split one, which is much faster than laying out and drawing an image."""

    image: Markup  # <img class="CLS"> of its SVG, WIDTH_MM x HEIGHT_MM
    cls: str
    width_mm: float
    height_mm: float
    rects: tuple[Rect, ...]  # the black parts

    def spacer(self) -> Markup:
        """An empty box of the image's class (whose rules make it a box) and size, standing in for it."""
        return Markup('<span class="{}" style="width: {}mm; height: {}mm"></span>').format(
            self.cls, round(self.width_mm, 3), round(self.height_mm, 3)
        )


@dataclass(frozen=True)
class Field:
    """One slot's content, collected in the split layer."""

    slot: int  # the slot's number within the piece: its box in the background is id="slot-N"
    html: Markup
    inline: bool  # a value inside a line of text (a date) rather than a box of its own
    rects: tuple[Rect, ...] = ()  # a code to draw at the box's top-left corner


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

    def _next(self) -> int:
        self._count += 1
        return self._count

    def date(self, day: date, fmt: str, cls: str = "", lang: str | None = None) -> Markup:
        """DAY formatted by the filter FMT (for language LANG), as a value inside a sentence."""
        fmt_args = (lang,) if lang else ()
        text = escape(self._formats[fmt](day, *fmt_args))
        number = self._next()
        if self.layer == NATURAL:
            return Markup('<span class="slot {}">{}</span>').format(cls, text)
        self.fields.append(Field(number, text, inline=True))
        # The box is as wide as the widest date of its format: laid out hidden, never drawn.
        return Markup('<span class="slot fixed {}" id="slot-{}"><span class="sizer">{}</span></span>').format(
            cls, number, self._widest(fmt, lang)
        )

    def block(self, cls: str = "", caller: Callable[[], str] | None = None) -> Markup:
        """A box of its own (the address window, a table cell, a code) with the caller's content."""
        content = Markup(caller()) if caller else Markup("")
        number = self._next()
        self.blocks[number] = cls
        if self.layer == NATURAL:
            return Markup('<div class="slot {}" id="box-{}-{}">{}<div class="slot-end" id="end-{}-{}"></div></div>').format(
                cls, self.seq, number, content, self.seq, number
            )
        self.fields.append(Field(number, content, inline=False))
        return Markup('<div class="slot fixed {}" id="slot-{}"></div>').format(cls, number)

    def code(self, cls: str, drawing: Drawing, after: Markup | str = "") -> Markup:
        """A box holding a code (drawn at its top-left corner) and, after it, the markup AFTER."""
        if self.layer == NATURAL:
            return self.block(cls, caller=lambda: drawing.image + after)
        markup = self.block(cls, caller=lambda: drawing.spacer() + after)
        last = self.fields[-1]
        self.fields[-1] = Field(last.slot, last.html, last.inline, drawing.rects)
        return markup


def widest(fmt: Callable[..., str], years: range, lang: str | None = None,
           width: Callable[[str], float] = ems) -> str:  # fmt: skip
    """The widest text, by WIDTH, that the date filter FMT gives for a day in YEARS."""
    fmt_args = (lang,) if lang else ()
    texts = (fmt(date(y, m, 28), *fmt_args) for y in years for m in range(1, 13))
    return max(texts, key=lambda t: (width(t), t))
