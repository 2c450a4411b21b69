"""Long names and addresses printed smaller: the letter of a resident mailed on a `layout` decision (issue 13).

A name, reading, address or 方書 longer than review.MAX_CHARS (60 characters) does not fit its boxes at the
letters' sizes, and the resident is held (`layout`). An operator may decide to mail them all the same: their
letter (Due.fit) prints each such value at the largest size, in steps of STEP_PT down to MIN_PT, at which it
fits its box, measured as the envelope window's text is (envelope.text_height: widths in ems, lines that
break anywhere, one em of each line kept for 禁則). The window is sized by envelope.address_block; the other
boxes are the slots of a fitted letter (letters.css, `.slot.fixed.fit`), as wide as BOXES says and as high
as LINE_MM or LINES3_MM (tests/test_fit.py measures them on the laid-out letters). A value that does not fit
even at MIN_PT cannot be mailed: review.layout keeps the hold `withhold`-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import envelope
from ..config import Config
from ..models import Due
from .slots import ems

MIN_PT = 6.0  # the smallest size printed: still legible on a letter
STEP_PT = 0.5
LINE_HEIGHT = envelope.LINE_HEIGHT  # of a fitted value (letters.css `.fitted`): text_height counts with it
LINE_MM = 10.0  # a fitted one-line slot (`.slot.fixed.line.fit`): three lines at 7 points
LINES3_MM = 21.0  # the form's 〒, address and 方書 (`.slot.fixed.lines3.fit`): seven lines at 6 points
SLACK_EMS = 1.0  # of each line, kept for 禁則 (a character that may not start a line moves the one before)


@dataclass(frozen=True)
class Box:
    """A slot a fitted value is printed in: its width and height (mm) and the size it starts from (pt)."""

    width_mm: float
    height_mm: float
    largest_pt: float


# Where the letters print a resident's name, reading and address outside the window (the widths are the
# laid-out slots', a little rounded down; the largest sizes the letters' own, letters.css).
BOXES = {
    "notice_name": Box(94.0, LINE_MM, 11.5),  # 有効期限通知書 (card_renewal, cert_renewal): 氏名
    "notice_kana": Box(94.0, LINE_MM, 11.5),  # and フリガナ
    "form_kana": Box(127.0, LINE_MM, 11.0),  # 交付申請書 (card_renewal, grace_reminder of a card): フリガナ
    "form_name": Box(127.0, LINE_MM, 14.0),  # 氏名
    "form_address": Box(127.0, LINES3_MM, 11.0),  # 〒, 住所 and 方書, a paragraph each
    "foreign_name": Box(110.0, LINE_MM, 11.0),  # the residence letter's page in the resident's language: 氏名 様
}
CSS = {"line_mm": LINE_MM, "lines3_mm": LINES3_MM, "line_height": LINE_HEIGHT}  # for letters.css


@dataclass(frozen=True)
class Fitted:
    """A fitted letter's sizes: the window's (envelope.address_block) and each box's, in points."""

    window: envelope.AddressBlock
    sizes: dict[str, float]  # by BOXES key
    misfits: tuple[str, ...]  # where even MIN_PT does not fit ("window", BOXES keys): not mailable


def largest(paragraphs: Sequence[str], box: Box) -> float | None:
    """The largest size, from the box's own down to MIN_PT, at which the paragraphs fit BOX; None if none does."""
    widths = [ems(text) for text in paragraphs]
    points = box.largest_pt
    while points >= MIN_PT:
        used = sum(envelope.text_height(w, points, box.width_mm, SLACK_EMS) for w in widths)
        if used <= box.height_mm:
            return points
        points -= STEP_PT
    return None


def plan(due: Due, config: Config) -> Fitted:
    """The sizes at which DUE's letter prints its name, reading and address, and the boxes they do not fit."""
    r, to = due.resident, due.addressee
    paragraphs = {
        "notice_name": [r.name], "notice_kana": [r.name_kana], "form_kana": [r.name_kana], "form_name": [r.name],
        "form_address": [f"〒{r.postal_code[:3]}-{r.postal_code[3:]}", r.address, r.address_extra],
        "foreign_name": [r.name + "　様"],
    }  # fmt: skip
    window = envelope.address_block(to, config, fit=True)
    sizes: dict[str, float] = {}
    misfits = [] if window.fits else ["window"]
    for name, box in BOXES.items():
        found = largest(paragraphs[name], box)
        sizes[name] = MIN_PT if found is None else found
        if found is None:
            misfits.append(name)
    return Fitted(window, sizes, tuple(misfits))


def misfits(due: Due, config: Config) -> list[str]:
    """Where DUE's letter, printed smaller, still cannot hold its values: empty if a `layout` decision can mail it."""
    return list(plan(due, config).misfits)
