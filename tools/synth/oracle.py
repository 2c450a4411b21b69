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
                stay_ends: date | None = None, applied: date | None = None) -> tuple[date, bool]:
    """Computed card expiry, and whether it is the end of the period of stay (stay_ends: the one at issue)."""
    adult = 18 if (applied or issued) >= date(2022, 4, 1) else 20
    by_birthday = nth_birthday_after(born, issued, 10 if age_on(born, issued) >= adult else 5)
    foreign = nationality not in ("", "JP") and residence_status not in PERMANENT
    if foreign and stay_ends is not None and stay_ends < by_birthday:
        return stay_ends, True
    return by_birthday, False


def window(as_of: date) -> tuple[date, date]:
    """The first and last expiry dates that are due on a run date (2 to 3 months ahead)."""
    return as_of + relativedelta(months=2), as_of + relativedelta(months=3)


# Where the register lacks what decides an expiry, the candidates are a few dates, or every day of a range
# (first, last): ("dates", (d1, d2, ...)) or ("days", (first, last)). One date is the expiry itself.
Open = tuple[str, tuple[date, ...]]


def _terms(p: Person) -> tuple[int, ...]:
    """The card's possible terms in years: the application date keys the age limit (20 before 2022-04-01, then
    18); without it, a holder of 18 or 19 issued by 2022-06-30 may have applied before the switch."""
    age = age_on(p.born, p.card_issued)
    if p.card_applied is None and date(2022, 4, 1) <= p.card_issued <= date(2022, 6, 30) and age in (18, 19):
        return 5, 10
    return (10 if age >= (18 if (p.card_applied or p.card_issued) >= date(2022, 4, 1) else 20) else 5),


def card_open(p: Person) -> Open | None:
    """The card's expiry as the register leaves it: recorded, or computed; a foreign resident's card ends with the
    stay it was issued under (recorded, else any day up to today's stay's end, or the birthday rule's)."""
    if p.card_exp:
        return "dates", (p.card_exp,)
    if p.card_issued is None:
        return None
    births = tuple(nth_birthday_after(p.born, p.card_issued, t) for t in _terms(p))
    if p.nationality in ("", "JP"):
        return "dates", births
    if p.card_stay and p.card_stay > p.card_issued:
        return "dates", tuple(sorted({min(b, p.card_stay) for b in births}))
    if p.res_status in PERMANENT:
        return "dates", births
    last = min(p.res_exp, max(births)) if p.res_exp and p.res_exp > p.card_issued else max(births)
    first = p.card_issued + relativedelta(days=1)
    return ("days", (first, last)) if first < last else ("dates", (last,))


def cert_open(p: Person, card: Open | None) -> Open | None:
    """The certificate's: the 5th birthday after issue, the 6th if it may be a renewal in the old one's last
    3 months (on the same card, whose old certificate could end then), never past the card."""
    if p.cert_exp:
        return "dates", (p.cert_exp,)
    if p.cert_issued is None:
        return None
    ends = [nth_birthday_after(p.born, p.cert_issued, 5)]
    next_birthday = nth_birthday_after(p.born, p.cert_issued, 1)
    if (p.cert_issued != p.card_issued and p.cert_issued > next_birthday - relativedelta(months=3)
            and (p.card_issued is None or next_birthday >= nth_birthday_after(p.born, p.card_issued, 5))):
        ends.append(nth_birthday_after(p.born, p.cert_issued, 6))
    if card is None or min(card[1]) >= max(ends):
        return "dates", tuple(ends)
    lows, highs = min(min(ends), min(card[1])), min(max(ends), max(card[1]))
    if card[0] == "days" or (len(card[1]) > 1 and len(ends) > 1):
        return ("days", (lows, highs)) if lows < highs else ("dates", (highs,))  # two open: every day between
    return "dates", tuple(sorted({min(e, c) for e in ends for c in card[1]}))


def _one(open_: Open | None) -> date | None:
    return open_[1][0] if open_ and open_[0] == "dates" and len(open_[1]) == 1 else None


def _hits(open_: Open | None, lo: date, hi: date) -> bool:
    """True when an open expiry (more than one possible) has one from lo to hi."""
    if open_ is None or _one(open_) is not None:
        return False
    if open_[0] == "days":
        return open_[1][0] <= hi and open_[1][1] >= lo
    return any(lo <= d <= hi for d in open_[1])


def _a_birthday(born: date, day: date) -> bool:
    """True for a birthday, 29 Feb falling on 28 Feb or 1 Mar in a common year."""
    if (born.month, born.day) == (2, 29) and not calendar.isleap(day.year):
        return (day.month, day.day) in ((2, 28), (3, 1))
    return (day.month, day.day) == (born.month, born.day)


def _stay_capped(p: Person, card: date) -> bool:
    """The card ends with a period of stay: the one at issue or today's, before the birthday rule; or, recorded,
    a date before any the birthday rule gives and on no birthday (an earlier stay's end)."""
    if p.nationality in ("", "JP"):
        return False
    births = [nth_birthday_after(p.born, p.card_issued, t) for t in _terms(p)] if p.card_issued else []
    at_issue = p.card_stay if p.card_stay and (p.card_issued is None or p.card_stay > p.card_issued) else None
    today = p.res_exp if p.res_status not in PERMANENT else None
    if (not births or card < max(births)) and card in (at_issue, today):
        return True
    return bool(births) and card < min(births) and not _a_birthday(p.born, card)


def due_kind(p: Person, as_of: date) -> tuple[str, date | None, bool] | None:
    """The notice kind a resident with an active card is due, its expiry, and whether the expiry is only one of
    those possible (held for review: expiry_unknown; no date then).

    Before expiry, a renewal notice; else, within 30 days after an expiry (the card's first,
    then the certificate's), a grace reminder (issue 7; on by default in the sample town).
    """
    lo, hi = window(as_of)
    card_o = card_open(p)
    cert_o = cert_open(p, card_o)
    card, cert = _one(card_o), _one(cert_o)
    if card is not None and lo <= card <= hi:
        return ("residence_extension" if _stay_capped(p, card) else "card_renewal"), card, False
    if _hits(card_o, lo, hi):
        return ("residence_extension" if card_o[0] == "days" else "card_renewal"), None, True  # type: ignore[index]
    if cert is not None and lo <= cert <= hi:
        return "cert_renewal", cert, False
    if _hits(cert_o, lo, hi):
        return "cert_renewal", None, True
    since, before = as_of - relativedelta(days=30), as_of - relativedelta(days=1)
    for lapsed in (card, cert):
        if lapsed is not None and since <= lapsed <= before:
            return "grace_reminder", lapsed, False
    if _hits(card_o, since, before) or _hits(cert_o, since, before):
        return "grace_reminder", None, True
    return None


def card_of(p: Person) -> date | None:
    """The card's expiry: recorded, else computed; None when the register leaves more than one possible."""
    return _one(card_open(p))


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
    if due[2]:
        return "review:expiry_unknown"
    if not re.fullmatch(r"\d{7}", p.postal.replace("-", "")) or not p.address:
        return "review:address"
    if _has_gaiji(p.name, p.kana, p.address):
        return "review:glyph"
    with_form = kind == "card_renewal" or (kind == "grace_reminder" and due[1] == card_of(p))
    if with_form and p.app_id and not re.fullmatch(r"\d{23}", p.app_id):
        return "review:application_id"
    return f"mail:{kind}"
