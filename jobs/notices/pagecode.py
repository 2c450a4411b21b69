"""The small code in the margin of every page, for the vendor's inserter: lot, piece, page n of m.

It holds `{lot}/{piece_id}/{n}/{m}` and nothing about the resident, so that a camera on the inserter
can check that the pages going into one envelope are pages 1..m of one piece, in order, and all of them.
"""

from __future__ import annotations

import base64

import segno
from markupsafe import Markup, escape

MODULE_MM = 0.5  # 5.9 pixels at 300 dpi; an M4 Micro QR symbol with its quiet zone is 10.5 mm square


def payload(lot: int, piece_id: str, number: int, total: int) -> str:
    """The text of the code on page NUMBER of TOTAL of a piece: `1/00001-000003/2/4`."""
    return f"{lot}/{piece_id}/{number}/{total}"


def symbol(text: str) -> segno.QRCode:
    """TEXT as a Micro QR code (error correction M, else L), or a QR code if it is too long for one.

    A Micro QR code cannot be mistaken for the application form's QR code by a reader that looks
    for QR codes (most phone camera apps do not read Micro QR); inserter cameras read both kinds."""
    for error in ("m", "l"):
        try:
            return segno.make_micro(text, error=error, boost_error=False)
        except segno.DataOverflowError:
            continue
    return segno.make_qr(text, error="m", boost_error=False)


def svg_image(svg_text: str, cls: str = "") -> Markup:
    """An SVG drawing as an <img>: drawn as vectors all the same, but WeasyPrint lays it out as one
    box instead of styling each of its elements (a customer barcode has 70), which is much faster."""
    data = base64.b64encode(svg_text.encode("utf-8")).decode("ascii")
    return Markup('<img class="{}" alt="" src="data:image/svg+xml;base64,{}">').format(cls, data)


def svg(text: str) -> Markup:
    """TEXT's code as an SVG image, sized in mm with its quiet zone (2 modules for Micro QR, 4 for QR)."""
    code = symbol(text)
    border = 2 if code.is_micro else 4
    side = code.symbol_size(scale=1, border=border)[0] * MODULE_MM
    inline = code.svg_inline(scale=1, border=border, omitsize=True, svgclass=None, lineclass=None)
    size = f"{side:.2f}".rstrip("0").rstrip(".")
    sized = inline.replace("<svg ", f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}mm" height="{size}mm" ', 1)
    return svg_image(sized, "pagecode-qr")


def markup(lot: int, piece_id: str, number: int, total: int) -> Markup:
    """The page code block's content: the code and the same text in small print beside it."""
    text = payload(lot, piece_id, number, total)
    return Markup('{}<span class="pagecode-text">{}</span>').format(svg(text), escape(text))
