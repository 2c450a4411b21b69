"""The date rules of domain.md 2, as pure functions. The run date is always an argument."""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from ..models import CardState, Due, Kind, Resident, Status

# Before this date the age threshold for a 5-year card was 20, from it 18 (domain.md 2.1). It is keyed
# on the application date (Matsudo, Tsuruga: 「令和4年4月1日以前に申請した場合は20歳未満」): the register's
# card_applied_on, for which the issue date stands in where the register has none.
ADULT_AGE_SWITCH = date(2022, 4, 1)
# Residence statuses whose holders' cards follow the birthday rule (domain.md 2.1), in Japanese and
# as the immigration services agency names them in English; compared as status_key makes them.
UNCAPPED_STATUSES = frozenset({"永住者", "特別永住者", "高度専門職2号", "高度専門職第2号", "permanentresident",
                               "specialpermanentresident", "highlyskilledprofessionalii",
                               "highlyskilledprofessional2", "highlyskilledprofessionalno2"})  # fmt: skip
_NOT_IN_KEY = re.compile(r"[\W_]+")  # spaces, brackets, dots, hyphens, ・ and the like


def status_key(residence_status: str) -> str:
    """A status of residence as compared: NFKC (full-width digits, Ⅱ as II), case folded, only letters and digits."""
    return _NOT_IN_KEY.sub("", unicodedata.normalize("NFKC", residence_status).casefold())


def uncapped(residence_status: str) -> bool:
    """True for a status with no period of stay to end the card: 永住者, 特別永住者, 高度専門職2号 (domain.md 2.1)."""
    return status_key(residence_status) in UNCAPPED_STATUSES


def birthday_in(birth: date, year: int, leap_day: str = "feb28") -> date:
    """The birthday in a given year; 29 Feb falls on 28 Feb or 1 Mar in common years (policy)."""
    if birth.month == 2 and birth.day == 29 and monthrange(year, 2)[1] == 28:
        return date(year, 3, 1) if leap_day == "mar1" else date(year, 2, 28)
    return date(year, birth.month, birth.day)


def age_on(birth: date, day: date) -> int:
    """Age on a day, one year older from the birthday on (domain.md 2.1).

    One born on 29 February turns older at the end of 28 February in a common year, so from 1 March
    (年齢計算ニ関スル法律, 民法143条): whatever the leap-day policy for expiry dates, which is about the birthday.
    """
    years = day.year - birth.year
    return years if day >= birthday_in(birth, day.year, "mar1") else years - 1


def nth_birthday_after(birth: date, issued: date, n: int, leap_day: str = "feb28") -> date:
    """The n-th birthday strictly after the issue date (「発行の日後の…誕生日」)."""
    first_year = issued.year if birthday_in(birth, issued.year, leap_day) > issued else issued.year + 1
    return birthday_in(birth, first_year + n - 1, leap_day)


def card_term_years(birth: date, issued: date, applied: date | None = None) -> int:
    """10 years, or 5 for a holder who was a minor on the issue date (18; 20 if applied for before 2022-04-01)."""
    adult_age = 20 if (applied or issued) < ADULT_AGE_SWITCH else 18
    return 5 if age_on(birth, issued) < adult_age else 10


def card_expiry_by_birthday(birth: date, issued: date, leap_day: str = "feb28", applied: date | None = None) -> date:
    """The card's expiry by the birthday rule alone (domain.md 2.1)."""
    return nth_birthday_after(birth, issued, card_term_years(birth, issued, applied), leap_day)


def stay_caps_card(nationality: str, residence_status: str, residence_expires_on: date | None) -> bool:
    """True when a foreign resident's period of stay can end the card early (domain.md 2.1)."""
    return bool(nationality) and residence_expires_on is not None and not uncapped(residence_status)


def card_expiry(
    birth: date,
    issued: date,
    nationality: str = "",
    residence_status: str = "",
    stay_at_issue: date | None = None,
    leap_day: str = "feb28",
    applied: date | None = None,
) -> date:
    """The card's expiry: the birthday rule, or the end of the period of stay as it stood when the card was
    issued (or its validity last changed), when that is first (domain.md 2.1; Ogi: 「カード発行時点での在留期間」)."""
    by_birthday = card_expiry_by_birthday(birth, issued, leap_day, applied)
    if stay_caps_card(nationality, residence_status, stay_at_issue) and stay_at_issue < by_birthday:  # type: ignore[operator]
        return stay_at_issue  # type: ignore[return-value]
    return by_birthday


def cert_expiry(birth: date, issued: date, card_expires_on: date | None, leap_day: str = "feb28") -> date:
    """The certificate's expiry: 5th birthday after issue, never past the card (domain.md 2.2)."""
    by_birthday = nth_birthday_after(birth, issued, 5, leap_day)
    return min(by_birthday, card_expires_on) if card_expires_on else by_birthday


def renewal_from(expires_on: date) -> date:
    """First day renewal is possible: the day after expiry minus 3 months (domain.md 2.3)."""
    return expires_on - relativedelta(months=3) + relativedelta(days=1)


def grace_end(expires_on: date) -> date:
    """Last day the card works for insurance eligibility: end of the 3rd month after expiry's month."""
    last_month = expires_on + relativedelta(day=1, months=3)
    return last_month + relativedelta(day=31)


def insurance_grace_end(expires_on: date, cert_expires_on: date | None) -> date:
    """The grace end a notice gives: the card works as an insurance card through its certificate, so the grace
    follows the certificate's expiry where that comes first (issue 12; domain.md 2.3)."""
    return grace_end(min(expires_on, cert_expires_on) if cert_expires_on else expires_on)


def window(run_date: date) -> tuple[date, date]:
    """The notice window: run date + 2 months to + 3 months, both included, clamped at month end."""
    return run_date + relativedelta(months=2), run_date + relativedelta(months=3)


def in_window(day: date | None, run_date: date) -> bool:
    """True when a date falls in the run date's notice window."""
    low, high = window(run_date)
    return day is not None and low <= day <= high


@dataclass(frozen=True)
class Expiries:
    """A resident's effective expiry dates, and the computed ones they were taken against."""

    card: date | None
    cert: date | None
    card_computed: date | None
    cert_computed: date | None
    stay_capped: bool  # the card ends with the period of stay


def expiries(r: Resident, leap_day: str = "feb28") -> Expiries:
    """Effective expiries: a recorded date wins over a computed one (domain.md 2.4)."""
    card_computed = by_birthday = None
    # The stay's end on the card: recorded when the card was issued or changed, else today's stands in.
    stay = r.card_residence_expires_on or r.residence_expires_on
    if r.birth_date and r.card_issued_on:
        by_birthday = card_expiry_by_birthday(r.birth_date, r.card_issued_on, leap_day, r.card_applied_on)
        card_computed = card_expiry(r.birth_date, r.card_issued_on, r.nationality, r.residence_status, stay, leap_day,
                                    r.card_applied_on)  # fmt: skip
    card = r.card_expires_on or card_computed
    # The card ends with the period of stay when its expiry is that date and comes before the
    # birthday rule's (on a tie the card must be renewed anyway).
    stay_capped = (
        card is not None
        and card == stay
        and stay_caps_card(r.nationality, r.residence_status, stay)
        and (by_birthday is None or card < by_birthday)
    )
    cert_computed = None
    if r.birth_date and r.cert_issued_on:
        cert_computed = cert_expiry(r.birth_date, r.cert_issued_on, card, leap_day)
    return Expiries(card, r.cert_expires_on or cert_computed, card_computed, cert_computed, stay_capped)


NOT_MAILED_BY_STATUS = {
    Status.MOVED_OUT: "moved_out",
    Status.DECEASED: "deceased",
    Status.REMOVED: "removed",
    Status.ABROAD: "abroad",
}


def not_mailed_reason(r: Resident) -> str | None:
    """Why a resident gets no notice whatever the dates (domain.md 2.6), or None."""
    if r.status is not Status.RESIDENT:
        return NOT_MAILED_BY_STATUS[r.status]
    if r.card_state is None:
        return "no_card"
    if r.card_state is not CardState.ACTIVE:
        return "card_inactive"
    return None


def notice_of_kind(r: Resident, kind: Kind, leap_day: str = "feb28") -> Due | None:
    """The notice of a given kind for the resident's current expiry, due or not (for previews)."""
    e = expiries(r, leap_day)
    expires_on = e.cert if kind is Kind.CERT_RENEWAL else e.card
    if expires_on is None or (kind is Kind.RESIDENCE_EXTENSION and not e.stay_capped):
        return None
    lapsing = ("cert" if kind is Kind.CERT_RENEWAL else "card") if kind is Kind.GRACE_REMINDER else ""
    return Due(r, kind, expires_on, renewal_from(expires_on), insurance_grace_end(expires_on, e.cert), e.card, e.cert,
               lapsing, e.stay_capped)


def due_reminder(r: Resident, run_date: date, days: int = 30, leap_day: str = "feb28",
                 known: Expiries | None = None) -> Due | None:  # fmt: skip
    """A grace reminder: the card (else the certificate) expired 1 to `days` days before the run date.

    The register's expiry is the current one: a resident who renewed shows a later date and
    gets nothing. After expiry the card still works for insurance eligibility until the grace
    end (domain.md 2.3); J-LIS sends nothing then, the municipality does (issue 7).
    """
    e = known or expiries(r, leap_day)  # `known`: the caller computed them already
    for lapsing, expired in (("card", e.card), ("cert", e.cert)):
        if expired is not None and run_date - timedelta(days=days) <= expired < run_date:
            return Due(r, Kind.GRACE_REMINDER, expired, renewal_from(expired), insurance_grace_end(expired, e.cert),
                       e.card, e.cert, lapsing, e.stay_capped)  # fmt: skip
    return None


def lapsed(r: Resident, run_date: date, days: int = 30, leap_day: str = "feb28") -> list[tuple[str, date, date]]:
    """(card or cert, expiry, grace end) whose grace period ended 1 to `days` days before the run date."""
    e = expiries(r, leap_day)
    found = []
    for subject, expired in (("card", e.card), ("cert", e.cert)):
        if expired is None or (subject == "cert" and expired == e.card):
            continue  # a certificate that ended with its card lapsed with it: one row
        if run_date - timedelta(days=days) <= grace_end(expired) < run_date:
            found.append((subject, expired, grace_end(expired)))
    return found


def due_notice(r: Resident, run_date: date, leap_day: str = "feb28", known: Expiries | None = None) -> Due | None:
    """The notice a mailable resident is due on the run date, or None (domain.md 2.5)."""
    e = known or expiries(r, leap_day)  # `known`: the caller computed them already
    if in_window(e.card, run_date):
        kind = Kind.RESIDENCE_EXTENSION if e.stay_capped else Kind.CARD_RENEWAL
        expires_on = e.card
    elif in_window(e.cert, run_date):
        kind, expires_on = Kind.CERT_RENEWAL, e.cert
    else:
        return None
    assert expires_on is not None
    return Due(r, kind, expires_on, renewal_from(expires_on), insurance_grace_end(expires_on, e.cert), e.card, e.cert,
               "", e.stay_capped)
