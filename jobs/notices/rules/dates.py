"""The date rules of domain.md 2, as pure functions. The run date is always an argument."""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from ..models import CardState, Due, Kind, Resident, Status
from .possible import Possible

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


# A card applied for before the switch was made and issued about a month later (J-LIS: 申請から交付まで
# おおむね1か月); one issued in the first three months after the switch may have been applied for before it.
SWITCH_ISSUES_UNTIL = date(2022, 6, 30)


def card_by_birthday(birth: date, issued: date, applied: date | None, leap_day: str = "feb28") -> Possible:
    """The card's expiries by the birthday rule; two when the application date decides and the register lacks it."""
    if applied is None and ADULT_AGE_SWITCH <= issued <= SWITCH_ISSUES_UNTIL and age_on(birth, issued) in (18, 19):
        return Possible(nth_birthday_after(birth, issued, 5, leap_day), nth_birthday_after(birth, issued, 10, leap_day),
                        missing="card_applied_on")  # fmt: skip
    return Possible.one(card_expiry_by_birthday(birth, issued, leap_day, applied))


def card_possible(r: Resident, leap_day: str = "feb28") -> Possible | None:
    """The card's computed expiries (domain.md 2.1): the birthday rule, capped by the stay it was issued under.

    That stay is card_residence_expires_on where the register has it (it caps the card even if the holder
    has since become a permanent resident); without it, any stay that ended after the issue date, up to
    today's if that ended after the issue date (a later extension does not extend the card: Ogi,
    「カード発行時点での在留期間」), else up to the birthday rule's date.
    """
    if not (r.birth_date and r.card_issued_on):
        return None
    issued = r.card_issued_on
    by_birthday = card_by_birthday(r.birth_date, issued, r.card_applied_on, leap_day)
    if not r.is_foreign:
        return by_birthday
    at_issue = _stay_at_issue(r)
    if at_issue:
        return Possible.of(min(at_issue, by_birthday.low), min(at_issue, by_birthday.high), missing=by_birthday.missing)
    if uncapped(r.residence_status):
        return by_birthday
    today = r.residence_expires_on
    high = min(today, by_birthday.high) if today and today > issued else by_birthday.high
    return Possible.of(min(issued + timedelta(days=1), high), high, True, "card_residence_expires_on")


def _stay_at_issue(r: Resident) -> date | None:
    """The recorded end of the stay the card was issued under; one not after the issue date cannot be it."""
    stay = r.card_residence_expires_on
    return stay if stay and (r.card_issued_on is None or stay > r.card_issued_on) else None


def on_a_birthday(birth: date, day: date) -> bool:
    """True when a day is a birthday under either leap-day policy: an expiry the birthday rule may give."""
    return day in (birthday_in(birth, day.year, "feb28"), birthday_in(birth, day.year, "mar1"))


def cert_possible(r: Resident, card: Possible | None, leap_day: str = "feb28") -> Possible | None:
    """The certificate's computed expiries (domain.md 2.2): the 5th birthday after issue, or the 6th for one that
    may have been renewed in its last 3 months (JPKI; Higashimurayama), never past the card's."""
    if not (r.birth_date and r.cert_issued_on):
        return None
    birth, issued = r.birth_date, r.cert_issued_on
    fifth, next_birthday = nth_birthday_after(birth, issued, 5, leap_day), nth_birthday_after(birth, issued, 1, leap_day)
    # A renewal replaced a certificate on the same card that expired on the next birthday: issued with the card,
    # a certificate is new; one whose card is younger than that expiry needs cannot have been expiring then.
    renewal = (issued >= renewal_from(next_birthday) and issued != r.card_issued_on
               and (r.card_issued_on is None or next_birthday >= nth_birthday_after(birth, r.card_issued_on, 5, leap_day)))  # fmt: skip
    own = Possible(fifth, nth_birthday_after(birth, issued, 6, leap_day), missing="cert_expires_on") if renewal else Possible.one(fifth)
    return own.capped(card)


@dataclass(frozen=True)
class Expiries:
    """A resident's expiries (None where there is none, or where the register leaves more than one possible)
    and the computed ones they were taken against."""

    card: date | None
    cert: date | None
    card_computed: Possible | None
    cert_computed: Possible | None
    stay_capped: bool  # the card ends with the period of stay

    @property
    def card_unknown(self) -> Possible | None:
        """The card's possible expiries when the register cannot decide between them."""
        return self.card_computed if self.card is None and self.card_computed and not self.card_computed.known else None

    @property
    def cert_unknown(self) -> Possible | None:
        """The certificate's possible expiries when the register cannot decide between them."""
        return self.cert_computed if self.cert is None and self.cert_computed and not self.cert_computed.known else None


def _stay_capped(r: Resident, card: date, by_birthday: Possible | None) -> bool:
    """The card ends with a period of stay: its expiry is that date and comes before the birthday rule's (on a
    tie the card must be renewed anyway), or, recorded, is before every date the birthday rule allows and on
    no birthday (an earlier stay's end)."""
    if not r.is_foreign:
        return False
    before = by_birthday is None or card < by_birthday.high
    today = stay_caps_card(r.nationality, r.residence_status, r.residence_expires_on) and card == r.residence_expires_on
    if before and (card == _stay_at_issue(r) or today):
        return True
    return by_birthday is not None and card < by_birthday.low and not on_a_birthday(r.birth_date, card)  # type: ignore[arg-type]


def expiries(r: Resident, leap_day: str = "feb28") -> Expiries:
    """Effective expiries: a recorded date wins over a computed one (domain.md 2.4); an undecided one is None."""
    card_computed = card_possible(r, leap_day)
    card = r.card_expires_on or (card_computed.known if card_computed else None)
    by_birthday = (card_by_birthday(r.birth_date, r.card_issued_on, r.card_applied_on, leap_day)
                   if r.birth_date and r.card_issued_on else None)  # fmt: skip
    stay_capped = card is not None and _stay_capped(r, card, by_birthday)
    cert_computed = cert_possible(r, Possible.one(r.card_expires_on) if r.card_expires_on else card_computed, leap_day)
    cert = r.cert_expires_on or (cert_computed.known if cert_computed else None)
    return Expiries(card, cert, card_computed, cert_computed, stay_capped)


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
    end (domain.md 2.3); J-LIS sends nothing then, the municipality does (issue 7). One whose
    expiry the register cannot decide, and may have passed so, is held (_undecided).
    """
    e = known or expiries(r, leap_day)  # `known`: the caller computed them already
    for lapsing, expired in (("card", e.card), ("cert", e.cert)):
        if expired is not None and run_date - timedelta(days=days) <= expired < run_date:
            return Due(r, Kind.GRACE_REMINDER, expired, renewal_from(expired), insurance_grace_end(expired, e.cert),
                       e.card, e.cert, lapsing, e.stay_capped)  # fmt: skip
    for lapsing, possible in (("card", e.card_unknown), ("cert", e.cert_unknown)):
        if possible and (day := possible.pick(run_date - timedelta(days=days), run_date - timedelta(days=1))):
            return _undecided(r, Kind.GRACE_REMINDER, possible, day, e, lapsing)
    return None


def _undecided(r: Resident, kind: Kind, possible: Possible, day: date, e: Expiries, lapsing: str = "") -> Due:
    """A notice that may be due on one of the expiries possible: held for review (expiry_unknown), never mailed."""
    subject = "certificate" if kind is Kind.CERT_RENEWAL or lapsing == "cert" else "card"
    return Due(r, kind, day, renewal_from(day), insurance_grace_end(day, e.cert), e.card, e.cert, lapsing, False,
               possible.detail(subject))


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
    """The notice a mailable resident is due on the run date, or None (domain.md 2.5).

    Where the register leaves the card's (or certificate's) expiry undecided and one possible expiry is in
    the window, the notice is held for review (issue 12: held, never guessed).
    """
    e = known or expiries(r, leap_day)  # `known`: the caller computed them already
    low, high = window(run_date)
    if in_window(e.card, run_date):
        kind = Kind.RESIDENCE_EXTENSION if e.stay_capped else Kind.CARD_RENEWAL
        expires_on = e.card
    elif e.card_unknown and (day := e.card_unknown.pick(low, high)):
        by_stay = e.card_unknown.missing == "card_residence_expires_on"
        return _undecided(r, Kind.RESIDENCE_EXTENSION if by_stay else Kind.CARD_RENEWAL, e.card_unknown, day, e)
    elif in_window(e.cert, run_date):
        kind, expires_on = Kind.CERT_RENEWAL, e.cert
    elif e.cert_unknown and (day := e.cert_unknown.pick(low, high)):
        return _undecided(r, Kind.CERT_RENEWAL, e.cert_unknown, day, e)
    else:
        return None
    assert expires_on is not None
    return Due(r, kind, expires_on, renewal_from(expires_on), insurance_grace_end(expires_on, e.cert), e.card, e.cert,
               "", e.stay_capped)
