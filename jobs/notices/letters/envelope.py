"""The cover letter's address block, laid out to show through the window of a 長形3号 envelope.

The window's position and size come from the configuration ([envelope], in mm from the sheet's
top-left corner). Inside it: the recipient's postal code, address, 方書 and name, 「転送不要」, and the
Japan Post customer barcode at its nominal size (scale 1) with its 2 mm quiet zone. Font sizes are
chosen here so that the longest text the review lets through (60 characters a field) still fits;
the address is a box of fixed height above the barcode (letters.css), and render.py refuses a letter
whose address overflows it anyway. A letter mailed on a `layout` decision (fit.py) goes on down to
6 points, keeping one em of each line for 禁則, and says whether even that fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import barcode
from ..config import Config
from ..models import Resident
from .slots import Drawing, ems

PT_MM = 25.4 / 72
PAGE_MARGIN_MM = 20.0  # the @page margin of letters.css: absolute boxes are placed from it
INSET_X_MM = 4.0  # the text keeps this far from the window's left and right edges
INSET_TOP_MM = 3.0  # and this far from its top edge
BARCODE_BOTTOM_MM = 1.0  # from the window's bottom edge to the barcode's quiet zone
BARCODE_W_MM = 2 * barcode.QUIET_ZONE_MM + 66 * barcode.PITCH_MM + barcode.BAR_WIDTH_MM  # 83.8 mm
BARCODE_H_MM = 2 * barcode.QUIET_ZONE_MM + barcode.LONG_MM  # 7.6 mm
POSTAL_LINE_MM = 10.5 * PT_MM * 1.3 + 0.8  # 〒 line (10.5 pt) and the space under it
LINE_HEIGHT = 1.3
GAP_MM = 1.5  # above the name
BARCODE_GAP_MM = 1.0  # between the text and the barcode's quiet zone
SENDER_GAP_MM = 6.0  # between the window and the sender block on its right
HEAD_GAP_MM = 4.0  # between the window's bottom edge and the letter's title
# (address and 方書, name) in points, largest first: the first pair whose lines fit is used. 60
# characters in each field fit a 90 x 45 mm window at 7 and 9 points; nothing goes below 7 and 8.
STEPS = ((11.0, 15.0), (10.5, 14.0), (10.0, 13.0), (9.5, 12.0), (9.0, 11.0), (8.5, 10.5), (8.0, 10.0),
         (7.5, 9.5), (7.0, 9.0), (7.0, 8.5), (7.0, 8.0))  # fmt: skip
# A letter mailed on a `layout` decision (Due.fit) goes on, down to 6 points (fit.MIN_PT).
FIT_STEPS = (*STEPS, (6.5, 7.5), (6.5, 7.0), (6.0, 6.5), (6.0, 6.0))


@dataclass(frozen=True)
class Geometry:
    """Where the boxes of the cover letter's head go, in mm from the page's content area."""

    window_x: float
    window_y: float
    window_width: float
    window_height: float
    barcode_x: float  # of the barcode's quiet zone, from the window's left edge
    sender_x: float
    sender_width: float
    head_height: float  # the space the head takes before the letter's title
    text_height: float  # the address text's box under the top inset: to the bottom inset
    text_height_barcode: float  # the same with a barcode: to the barcode's top
    inset_x: float = INSET_X_MM
    inset_top: float = INSET_TOP_MM
    barcode_bottom: float = BARCODE_BOTTOM_MM
    line_height: float = LINE_HEIGHT
    barcode_width: float = BARCODE_W_MM
    barcode_height: float = BARCODE_H_MM


@dataclass(frozen=True)
class AddressBlock:
    """One resident's window: font sizes that fit, and the barcode (empty when none is printed)."""

    address_pt: float
    name_pt: float
    barcode: Drawing | None
    fits: bool = True  # False: too long even at the smallest sizes


def geometry(config: Config) -> Geometry:
    """The head's boxes for the configured window (config.py has checked that they fit the sheet)."""
    x, y = config.window_left_mm - PAGE_MARGIN_MM, config.window_top_mm - PAGE_MARGIN_MM
    width, height = config.window_width_mm, config.window_height_mm
    sender_x = x + width + SENDER_GAP_MM
    content_width = 210.0 - 2 * PAGE_MARGIN_MM
    return Geometry(
        window_x=x, window_y=y, window_width=width, window_height=height,
        barcode_x=min(INSET_X_MM - barcode.QUIET_ZONE_MM, (width - BARCODE_W_MM) / 2),
        sender_x=sender_x, sender_width=content_width - sender_x,
        head_height=max(0.0, y + height + HEAD_GAP_MM),
        text_height=height - 2 * INSET_TOP_MM,
        text_height_barcode=height - INSET_TOP_MM - BARCODE_BOTTOM_MM - BARCODE_H_MM,
    )  # fmt: skip


def text_height(text_ems: float, points: float, width_mm: float, slack_ems: float = 0.0) -> float:
    """Height in mm of a paragraph TEXT_EMS ems wide at POINTS that breaks anywhere to WIDTH_MM, SLACK_EMS
    of each line left empty (room for a character 禁則 moves to the next line)."""
    if text_ems <= 0:
        return 0.0
    size = points * PT_MM
    per_line = max(1, math.floor(width_mm / size - slack_ems))
    return math.ceil(text_ems / per_line) * size * LINE_HEIGHT


def barcode_address(resident: Resident) -> str:
    """The address the barcode encodes: with the 方書, whose room number is part of the address number."""
    return " ".join(part for part in (resident.address, resident.address_extra) if part)


def customer_code(resident: Resident) -> barcode.CustomerBarcode | None:
    """The customer barcode the window prints for the resident's address; None if none is printed."""
    try:
        return barcode.encode(resident.postal_code, barcode_address(resident))
    except ValueError:  # not 7 digits: such residents are held for review and never reach a letter
        return None


def customer_barcode(resident: Resident) -> Drawing | None:
    """The customer barcode of the resident's address at scale 1; None if none is printed."""
    code = customer_code(resident)
    if not code:
        return None
    width, height, bars = barcode.bars_mm(code)
    return Drawing("barcode-img", width, height, tuple(bars), joined=False)


def address_block(resident: Resident, config: Config, fit: bool = False) -> AddressBlock:
    """The largest sizes at which the resident's address and name fit the window, and the barcode; FIT (a
    letter mailed on a `layout` decision) goes down to 6 points, one em of each line kept for 禁則."""
    code = customer_barcode(resident)
    width = config.window_width_mm - 2 * INSET_X_MM
    room = config.window_height_mm - INSET_TOP_MM - POSTAL_LINE_MM - GAP_MM
    room -= BARCODE_H_MM + BARCODE_BOTTOM_MM + BARCODE_GAP_MM if code else INSET_TOP_MM
    address = ems(resident.address)
    extra = ems(resident.address_extra)
    name = ems(resident.name) + 1.6  # 「　様」
    steps, slack = (FIT_STEPS, 1.0) if fit else (STEPS, 0.0)
    for address_pt, name_pt in steps:
        used = (text_height(address, address_pt, width, slack) + text_height(extra, address_pt, width, slack)
                + text_height(name, name_pt, width, slack))  # fmt: skip
        if used <= room:
            return AddressBlock(address_pt, name_pt, code)
    return AddressBlock(*steps[-1], code, fits=False)  # too long even so: the page check refuses the letter
