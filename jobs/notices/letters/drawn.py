"""Text drawn straight into a page as WeasyPrint would draw it: the font Pango takes, the style of a laid-out
text box, and the operators that draw a shaped text (glyphs.py, pdftext.py) in a slot's box.

Pango draws each character with the first font of the list that has it (a space with the font around it);
a text is drawn here only when that is one font for all of it, and when HarfBuzz gives it the width
WeasyPrint gave its box: anything else is left to WeasyPrint (the piece is laid out whole, render.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from weasyprint.formatting_structure.boxes import BlockContainerBox, InlineReplacedBox, LineBox, TextBox

from . import fonts
from ..errors import FontError
from .glyphs import PT_PER_PX, Face, Shaped
from .layers import Box

_SEQUENCE = re.compile("(?s).[\ufe00-\ufe0f\U000e0100-\U000e01ef]?")  # a variation sequence goes with its base
WIDTH_TOLERANCE = 0.02  # CSS pixels between HarfBuzz's width and WeasyPrint's
_PLACES = 6  # decimals of a CSS pixel a position keeps: the same bytes whichever layout it was read from


@dataclass(frozen=True)
class Style:
    """How a text is drawn: the font list it takes its fonts from, size, letter-spacing, colour."""

    families: tuple[str, ...]
    bold: bool
    lang: str | None  # for the shaping (glyph forms differ by language in some fonts)
    size: float  # points
    spacing: float  # letter-spacing, points
    rgb: tuple[float, float, float]

    def shape(self, text: str) -> list[Shaped] | None:
        """TEXT shaped a font's run after another, as Pango cuts it (segments), or None if it cannot be drawn
        here: a character in no font, or letter-spacing over several runs (Pango takes it off a line's ends)."""
        runs = segments(self.families, self.bold, text)
        if runs is None or (self.spacing and len(runs) > 1):
            return None
        return [face.shape(part, self.size, self.spacing, self.lang) for face, part in runs]


@dataclass(frozen=True)
class Drawn:
    """A text placed: shaped, with its baseline's start in CSS pixels from the box's top-left corner."""

    shaped: Shaped
    x: float
    baseline: float
    rgb: tuple[float, float, float]


def style_of(box: TextBox) -> Style | None:
    """The style of a laid-out text box, or None when it is not drawn here (italic, translucent, justified)."""
    style = box.style
    if style["font_style"] != "normal" or style["color"].alpha != 1 or box.justification_spacing:
        return None
    red, green, blue = style["color"].to("srgb").coordinates
    spacing = 0.0 if style["letter_spacing"] == "normal" else float(style["letter_spacing"])
    return Style(tuple(style["font_family"]), style["font_weight"] >= 600, style["lang"] or None,
                 style["font_size"] * PT_PER_PX, spacing * PT_PER_PX, (red, green, blue))  # fmt: skip


def width(shaped: Sequence[Shaped]) -> float:
    """How wide the runs of a text are together, in CSS pixels."""
    return sum(run.width for run in shaped) / PT_PER_PX


def as_laid(box: TextBox, style: Style) -> list[Shaped] | None:
    """The box's text shaped in STYLE, if as wide as WeasyPrint laid it out."""
    shaped = style.shape(box.text)
    return shaped if shaped is not None and abs(width(shaped) - box.width) <= WIDTH_TOLERANCE else None


def placed(shaped: Sequence[Shaped], x: float, baseline: float, rgb: tuple[float, float, float]) -> list[Drawn]:
    """The runs of a text placed one after another from X on BASELINE."""
    out, at = [], x
    for run in shaped:
        out.append(Drawn(run, position(at), baseline, rgb))
        at += run.width / PT_PER_PX
    return out


def position(value: float) -> float:
    """A position in CSS pixels, rounded so that float noise never changes the bytes."""
    return round(value, _PLACES)


def texts(box: object, line: LineBox | None = None,
          block: BlockContainerBox | None = None) -> Iterator[tuple[TextBox, LineBox | None, BlockContainerBox | None]]:  # fmt: skip
    """Each text box inside BOX with its line and the block that holds the line."""
    box = getattr(box, "_box", box)  # an absolutely placed box is behind a placeholder
    if isinstance(box, LineBox):
        line = box
    elif isinstance(box, BlockContainerBox):
        block = box
    if isinstance(box, TextBox):
        yield box, line, block
    for child in getattr(box, "children", ()):
        yield from texts(child, line, block)


def painted(box: object) -> bool:
    """Whether anything inside BOX paints besides its texts: a background, a border, an image, a decoration."""
    box = getattr(box, "_box", box)
    style = getattr(box, "style", None)
    if isinstance(box, InlineReplacedBox):
        return True
    if style is not None and not isinstance(box, TextBox):
        if style["background_color"].alpha or any(image != ("none", None) for image in style["background_image"]):
            return True
        if any(getattr(box, f"border_{side}_width", 0) for side in ("top", "right", "bottom", "left")):
            return True
    if style is not None and style["text_decoration_line"] != "none":
        return True
    return any(painted(child) for child in getattr(box, "children", ()))


def fixed(laid: object, origin: tuple[float, float]) -> tuple[Drawn, ...] | None:
    """Every text of a laid-out box (its top-left corner at ORIGIN) as drawn here, or None if one cannot be.
    A text in several fonts (a Japanese word in an English sentence) is drawn a font's run after another."""
    if painted(laid):
        return None
    out: list[Drawn] = []
    for box, _, _ in texts(laid):
        if not box.text.strip(" "):
            continue
        style = style_of(box)
        shaped = as_laid(box, style) if style is not None else None
        if style is None or shaped is None:
            return None
        out += placed(shaped, box.position_x - origin[0], position(box.position_y + box.baseline - origin[1]), style.rgb)
    return tuple(out)


def segments(families: tuple[str, ...], bold: bool, text: str) -> list[tuple[Face, str]] | None:
    """TEXT cut where Pango changes font (the first of FAMILIES that has each character; a space stays with
    the run it is in), or None when a character is in none of them."""
    faces = installed(families, bold)
    runs: list[tuple[Face, str]] = []
    pending = ""  # spaces before the first character
    for char in _SEQUENCE.findall(text):
        if char == " " and (runs or pending):
            if runs and runs[-1][0].covers(" "):
                runs[-1] = (runs[-1][0], runs[-1][1] + char)
                continue
        if char == " " and not runs:
            pending += char
            continue
        face = next((face for face in faces if face.covers(char)), None)
        if face is None:
            return None
        if runs and runs[-1][0] is face:
            runs[-1] = (face, runs[-1][1] + char)
        else:
            runs.append((face, pending + char))
            pending = ""
    if pending and not runs:
        return None
    return runs


@cache
def installed(families: tuple[str, ...], bold: bool) -> tuple[Face, ...]:
    """The installed fonts of FAMILIES, in order (bold: only real bold faces: Pango would embolden another)."""
    faces = (_match(family, bold) for family in families)
    return tuple(face for face in faces if face is not None)


def _match(family: str, bold: bool) -> Face | None:
    try:
        path, index = fonts.face_file(family, bold)
    except FontError:  # not installed (fontconfig offers another), or no real bold face
        return None
    return Face.load(path, index)


def ops(drawn: Sequence[Drawn], box: Box, page_height: float, show: Callable[..., bytes]) -> bytes:
    """The content-stream operators that draw DRAWN in BOX (a page PAGE_HEIGHT points high) with SHOW."""
    out = []
    for item in drawn:
        x = (box.left + item.x) * PT_PER_PX
        y = page_height - (box.top + item.baseline) * PT_PER_PX
        out.append(show(item.shaped, x, y, item.rgb))
    return b"".join(out)
