"""The generator's own reading of the date and mailing rules (domain.md 2): the test oracle.

This module is deliberately independent of notices.rules and must stay so: the
expectation files are computed here, and the end-to-end test compares the program's
outcomes against them. Two independent readings of the rules agreeing is the point;
importing the rules module here would make the test compare the rules with themselves.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from dateutil.relativedelta import relativedelta

from .model import STATUS_JA, Person

PERMANENT = ("永住者", "特別永住者", "高度専門職2号")
INACTIVE = ("suspended", "revoked", "returned")


def birthday(born: date, year: int) -> date:
    """The birthday in a year; 29 Feb becomes 28 Feb in a common year."""
    if (born.month, born.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return born.replace(year=year)


def nth_birthday_after(born: date, day: date, n: int) -> date:
    """The n-th birthday strictly after a day."""
    first = day.year if birthday(born, day.year) > day else day.year + 1
    return birthday(born, first + n - 1)


def age_on(born: date, day: date) -> int:
    """Age in whole years on a day; born on 29 Feb, one is older from 1 Mar in a common year (民法143条)."""
    turns = date(day.year, 3, 1) if (born.month, born.day) == (2, 29) and not calendar.isleap(day.year) else birthday(
        born, day.year)
    return day.year - born.year - (day < turns)


def card_expiry(born: date, issued: date, nationality: str = "", residence_status: str = "",
                stay_ends: date | None = None) -> tuple[date, bool]:
    """Computed card expiry, and whether it is the end of the period of stay."""
    adult = 18 if issued >= date(2022, 4, 1) else 20
    by_birthday = nth_birthday_after(born, issued, 10 if age_on(born, issued) >= adult else 5)
    foreign = nationality not in ("", "JP") and residence_status not in PERMANENT
    if foreign and stay_ends is not None and stay_ends < by_birthday:
        return stay_ends, True
    return by_birthday, False


def window(as_of: date) -> tuple[date, date]:
    """The first and last expiry dates that are due on a run date (2 to 3 months ahead)."""
    return as_of + relativedelta(months=2), as_of + relativedelta(months=3)


def due_kind(p: Person, as_of: date) -> tuple[str, date] | None:
    """The notice kind and expiry date a resident with an active card is due, if any.

    Before expiry, a renewal notice; else, within 30 days after an expiry (the card's first,
    then the certificate's), a grace reminder (issue 7; on by default in the sample town).
    """
    lo, hi = window(as_of)
    computed, capped = (card_expiry(p.born, p.card_issued, p.nationality, p.res_status, p.res_exp)
                        if p.card_issued else (None, False))
    card = p.card_exp or computed
    if lo <= card <= hi:
        return ("residence_extension" if capped and card == p.res_exp else "card_renewal"), card
    cert = p.cert_exp
    if cert is None and p.cert_issued is not None:
        cert = min(nth_birthday_after(p.born, p.cert_issued, 5), card)
    if cert is not None and lo <= cert <= hi:
        return "cert_renewal", cert
    for lapsed in (card, cert):
        if lapsed is not None and as_of - relativedelta(days=30) <= lapsed < as_of:
            return "grace_reminder", lapsed
    return None


def card_of(p: Person) -> date:
    """The card's expiry: recorded, else computed."""
    return p.card_exp or card_expiry(p.born, p.card_issued, p.nationality, p.res_status, p.res_exp)[0]


def _has_gaiji(*texts: str) -> bool:
    return any("\ue000" <= ch <= "\uf8ff" for text in texts for ch in text)


def outcome(p: Person, as_of: date, flagged: frozenset[str] = frozenset(),
            duplicated: frozenset[str] = frozenset()) -> str:
    """The expectation code for a person, given the flagged households and duplicated IDs."""
    if p.reject == "malformed_row":
        return "reject:malformed_row"
    if not p.rid:
        return "reject:missing_resident_id"
    if p.rid in duplicated:
        return "reject:duplicate_resident_id"
    if p.status not in STATUS_JA:
        return "reject:unknown_status"
    if p.reject:
        return f"reject:{p.reject}"
    if p.status != "resident":
        return f"not_mailed:{p.status}"
    if p.card_issued is None and p.card_exp is None:
        return "not_mailed:no_card"
    if p.card_state in INACTIVE:
        return "not_mailed:card_inactive"
    due = due_kind(p, as_of)
    if due is None:
        return "not_mailed:not_due"
    kind = due[0]
    if p.support or p.hh in flagged:
        return "review:support_measure"
    if not re.fullmatch(r"\d{7}", p.postal.replace("-", "")) or not p.address:
        return "review:address"
    if _has_gaiji(p.name, p.kana, p.address):
        return "review:glyph"
    with_form = kind == "card_renewal" or (kind == "grace_reminder" and due[1] == card_of(p))
    if with_form and p.app_id and not re.fullmatch(r"\d{23}", p.app_id):
        return "review:application_id"
    return f"mail:{kind}"
