"""The small code in the margin of every page, for the vendor's inserter: lot, piece, page n of m.

It holds `{lot}/{piece_id}/{n}/{m}` and nothing about the resident, so that a camera on the inserter
can check that the pages going into one envelope are pages 1..m of one piece, in order, and all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp
from markupsafe import Markup, escape

from .slots import Drawing

MODULE_MM = 0.5  # 5.9 pixels at 300 dpi; an M4 Micro QR symbol with its quiet zone is 10.5 mm square
# Where the code lies on the sheet, with room around it (mm from the top-left corner: left, top, right, bottom):
# letters.css places it at 20 mm from the left edge and 278.5 mm from the top, in the bottom margin, 10.5 mm
# square; the preflight reads it there, 5 mm around it (not the small print after it: a quarter of the pixels).
REGION_MM = (15.0, 276.0, 35.5, 293.0)


def payload(lot: int, piece_id: str, number: int, total: int) -> str:
    """The text of the code on page NUMBER of TOTAL of a piece: `1/00001-000003/2/4`."""
    return f"{lot}/{piece_id}/{number}/{total}"


@dataclass(frozen=True)
class Symbol:
    """A QR or Micro QR symbol: its modules (True for dark), row by row, without a quiet zone."""

    modules: np.ndarray
    micro: bool


def encode(text: str, micro: bool, error: str = "M") -> Symbol:
    """TEXT as a QR code (MICRO: a Micro QR code) at error correction level ERROR, in the smallest version
    that holds it, its mask chosen by the standard's penalty rules (zxing-cpp's encoder, in C++: a hundred
    times quicker than a Python one, and a lot has a code a page)."""
    kind = zxingcpp.BarcodeFormat.MicroQRCode if micro else zxingcpp.BarcodeFormat.QRCode
    image = zxingcpp.create_barcode(text, kind, ec_level=error).to_image(scale=1, add_quiet_zones=False)
    return Symbol(np.asarray(image) < 128, micro)


def symbol(text: str) -> Symbol:
    """TEXT as a Micro QR code (error correction M, else L), or a QR code if it is too long for one.

    A Micro QR code cannot be mistaken for the application form's QR code by a reader that looks
    for QR codes (most phone camera apps do not read Micro QR); inserter cameras read both kinds."""
    for error in ("M", "L"):
        try:
            return encode(text, micro=True, error=error)
        except ValueError:  # too long for any Micro QR version at this level
            continue
    return encode(text, micro=False)


def qr_drawing(code: Symbol, module_mm: float, border: int, cls: str) -> Drawing:
    """CODE with a quiet zone of BORDER modules of MODULE_MM, drawn as the rectangles of its dark modules
    (a rectangle for each run of them in a row), of class CLS."""
    side = (len(code.modules) + 2 * border) * module_mm
    # The runs of dark modules, row by row: where each starts and ends (exclusive), found at once for all rows.
    edges = np.diff(np.pad(code.modules.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]
    rects = [((start + border) * module_mm, (y + border) * module_mm, (end - start) * module_mm, module_mm)
             for y, start, end in zip(rows.tolist(), starts.tolist(), ends.tolist())]  # fmt: skip
    return Drawing(cls, side, side, tuple(rects), module_mm=module_mm)


def markup(lot: int, piece_id: str, number: int, total: int) -> tuple[Drawing, Markup]:
    """The page code block's content: the code (2 modules of quiet zone for Micro QR, 4 for QR),
    and the same text in small print to put after it."""
    text = payload(lot, piece_id, number, total)
    code = symbol(text)
    drawing = qr_drawing(code, MODULE_MM, 2 if code.micro else 4, "pagecode-qr")
    return drawing, Markup(f'<span class="pagecode-text">{escape(text)}</span>')
