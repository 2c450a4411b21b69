"""The rules of dates.py over whole columns: the expiries of every resident, and the notice each is due.

dates.py stays the reference; tests/test_rules_vec.py holds these to it, resident by resident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import dates
from .arrays import NAT, Births, Days, days_before, grace_end, in_window, renewal_from, stay_caps_card
from .possible import UNDECIDED, Possibles
from .. import kinds
from ..kinds import Kind

LAPSING = ("", "card", "cert")  # what a grace reminder is about, as its index here
_SWITCH, _SWITCH_UNTIL = (np.datetime64(d, "D") for d in (dates.ADULT_AGE_SWITCH, dates.SWITCH_ISSUES_UNTIL))
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Expiries:
    """Effective and computed expiries of many residents (dates.Expiries, column by column)."""

    card: Days  # NaT where there is none, or where the register leaves more than one possible
    cert: Days
    card_computed: Possibles
    cert_computed: Possibles
    stay_capped: np.ndarray

    @property
    def card_unknown(self) -> np.ndarray:
        """True where the register cannot decide the card's expiry (dates.Expiries.card_unknown)."""
        return np.isnat(self.card) & self.card_computed.undecided  # type: ignore[no-any-return]

    @property
    def cert_unknown(self) -> np.ndarray:
        """True where the register cannot decide the certificate's expiry."""
        return np.isnat(self.cert) & self.cert_computed.undecided  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Holders:
    """The columns of the register the expiry rules read."""

    birth_date: Days
    card_issued_on: Days
    card_expires_on: Days
    cert_issued_on: Days
    cert_expires_on: Days
    residence_expires_on: Days
    foreign: np.ndarray  # nationality is not Japanese
    uncapped: np.ndarray  # residence status with no period of stay to end the card (dates.uncapped)
    card_applied_on: Days
    card_residence_expires_on: Days  # the stay's end as it stood when the card was issued or changed


def _card_by_birthday(births: Births, issued: Days, applied: Days) -> Possibles:
    """dates.card_by_birthday: 5 or 10 years, both where the register lacks the application date that decides."""
    around, age = births.around(issued), births.age_on(issued)
    decided = births.card_expiry(issued, applied)
    undecided = np.isnat(applied) & (issued >= _SWITCH) & (issued <= _SWITCH_UNTIL) & ((age == 18) | (age == 19))
    low = np.where(undecided, births.nth_after(issued, 5, around), decided)
    missing = np.where(undecided, UNDECIDED.index("card_applied_on"), 0)
    return Possibles.of(low, decided, np.zeros(len(issued), bool), missing)


def _stay_at_issue(h: Holders) -> np.ndarray:
    """True where the end of the stay the card was issued under is recorded (dates._stay_at_issue)."""
    stay, issued = h.card_residence_expires_on, h.card_issued_on
    return ~np.isnat(stay) & (np.isnat(issued) | (stay > issued))  # type: ignore[no-any-return]


def _card(h: Holders, by_birthday: Possibles) -> Possibles:
    """dates.card_possible: the birthday rule, capped by the stay the card was issued under, or by any stay to today's."""
    at_issue = h.foreign & _stay_at_issue(h)
    open_stay = h.foreign & ~at_issue & ~h.uncapped
    today = np.where(h.residence_expires_on > h.card_issued_on, h.residence_expires_on, NAT)
    high = np.where(at_issue, np.minimum(h.card_residence_expires_on, by_birthday.high),
                    np.where(open_stay & ~np.isnat(today), np.minimum(today, by_birthday.high), by_birthday.high))  # fmt: skip
    low = np.where(at_issue, np.minimum(h.card_residence_expires_on, by_birthday.low),
                   np.where(open_stay, np.minimum(h.card_issued_on + _DAY, high), by_birthday.low))  # fmt: skip
    missing = np.where(open_stay, UNDECIDED.index("card_residence_expires_on"), by_birthday.missing)
    return Possibles.of(low, high, open_stay & ~np.isnat(by_birthday.low), missing)


def _stay_capped(h: Holders, births: Births, card: Days, by_birthday: Possibles) -> np.ndarray:
    """Where the card ends with a period of stay (dates._stay_capped)."""
    before = np.isnat(by_birthday.high) | (card < by_birthday.high)
    today = stay_caps_card(h.foreign, h.uncapped, h.residence_expires_on) & (card == h.residence_expires_on)
    at_issue = _stay_at_issue(h) & (card == h.card_residence_expires_on)
    earlier = (card < by_birthday.low) & ~births.is_birthday(card)
    return h.foreign & ((before & (at_issue | today)) | earlier)  # type: ignore[no-any-return]


def _cert(h: Holders, births: Births, card: Possibles) -> Possibles:
    """dates.cert_possible: the 5th birthday after issue, or the 6th after a renewal in the last 3 months."""
    issued = h.cert_issued_on
    around = births.around(issued)
    fifth, next_birthday = births.nth_after(issued, 5, around), births.nth_after(issued, 1, around)
    renewal = ((issued >= renewal_from(next_birthday)) & (issued != h.card_issued_on)
               & (np.isnat(h.card_issued_on) | (next_birthday >= births.nth_after(h.card_issued_on, 5))))  # fmt: skip
    own = Possibles.of(fifth, np.where(renewal, births.nth_after(issued, 6, around), fifth),
                       np.zeros(len(issued), bool), np.where(renewal, UNDECIDED.index("cert_expires_on"), 0))  # fmt: skip
    return own.capped(card)


def expiries(h: Holders, leap_day: str = "feb28") -> Expiries:
    """Effective expiries: a recorded date wins over a computed one (dates.expiries); NaT where undecided."""
    births = Births(h.birth_date, leap_day)
    by_birthday = _card_by_birthday(births, h.card_issued_on, h.card_applied_on)
    card_computed = _card(h, by_birthday)
    card = np.where(np.isnat(h.card_expires_on), card_computed.known, h.card_expires_on)
    stay_capped = _stay_capped(h, births, card, by_birthday)
    recorded = ~np.isnat(h.card_expires_on)
    cap = Possibles(*(np.where(recorded, one, computed) for one, computed in zip(
        (h.card_expires_on, h.card_expires_on, np.zeros(len(card), bool), np.zeros(len(card), np.int8)),
        (card_computed.low, card_computed.high, card_computed.span, card_computed.missing), strict=True)))  # fmt: skip
    cert_computed = _cert(h, births, cap)
    cert = np.where(np.isnat(h.cert_expires_on), cert_computed.known, h.cert_expires_on)
    return Expiries(card, cert, card_computed, cert_computed, stay_capped)


def differs(recorded: Days, computed: Possibles) -> np.ndarray:
    """True where a recorded expiry is none of the computed ones possible (the scalar reference, tests/reference.py)."""
    return ~np.isnat(recorded) & ~np.isnat(computed.low) & ~computed.holds(recorded)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Notices:
    """The notice each resident is due on a run date, if any (dates.due_notice, then dates.due_reminder)."""

    kind: np.ndarray  # index into `kinds`, -1 when none is due
    expires_on: Days
    lapsing: np.ndarray  # index into LAPSING
    undecided: np.ndarray  # bool: due on one of the expiries possible, to be held (expiry_unknown)
    kinds: tuple[Kind, ...]  # the kinds registered when the notices were found


@dataclass(frozen=True)
class Facts:
    """What the rules decide on: the register's columns, the expiries, the run date, and the reminder period."""

    holders: Holders
    expiries: Expiries
    run_date: date
    reminder_days: int | None  # None: reminders are off


@dataclass(frozen=True)
class Found:
    """Where a rule finds its kind of notice due, on which expiry, and (for a reminder) what lapsed."""

    due: np.ndarray  # bool, one per resident
    expires_on: Days
    lapsing: np.ndarray | None = None  # index into LAPSING; None: nothing lapsed
    undecided: bool = False  # due on one of the expiries possible: held for review, never mailed


@dataclass(frozen=True)
class Rule:
    """When a kind of notice is due."""

    kind: Kind
    finds: Callable[[Facts], Found]


def _window(f: Facts) -> tuple[np.datetime64, np.datetime64]:
    low, high = dates.window(f.run_date)
    return np.datetime64(low, "D"), np.datetime64(high, "D")


def _residence_extension(f: Facts) -> Found:
    return Found(in_window(f.expiries.card, f.run_date) & f.expiries.stay_capped, f.expiries.card)


def _card_renewal(f: Facts) -> Found:
    return Found(in_window(f.expiries.card, f.run_date), f.expiries.card)


def _card_undecided(by_stay: bool) -> Callable[[Facts], Found]:
    """One of the card's possible expiries in the window: by the stay it was issued under, or by the application date."""
    def finds(f: Facts) -> Found:
        e = f.expiries
        day = e.card_computed.pick(*_window(f))
        stay = e.card_computed.missing == UNDECIDED.index("card_residence_expires_on")
        return Found(e.card_unknown & ~np.isnat(day) & (stay if by_stay else ~stay), day, undecided=True)
    return finds


def _cert_renewal(f: Facts) -> Found:
    return Found(in_window(f.expiries.cert, f.run_date), f.expiries.cert)


def _cert_undecided(f: Facts) -> Found:
    day = f.expiries.cert_computed.pick(*_window(f))
    return Found(f.expiries.cert_unknown & ~np.isnat(day), day, undecided=True)


def _grace_reminder(f: Facts) -> Found:
    e = f.expiries
    if f.reminder_days is None:
        return Found(np.zeros(len(e.card), bool), e.card)
    card = days_before(e.card, f.run_date, f.reminder_days)
    cert = ~card & days_before(e.cert, f.run_date, f.reminder_days)
    return Found(card | cert, np.where(card, e.card, e.cert), np.where(card, 1, np.where(cert, 2, 0)))


def _lapse_undecided(f: Facts) -> Found:
    """One of the card's (else the certificate's) possible expiries 1 to reminder_days days ago."""
    e = f.expiries
    if f.reminder_days is None:
        return Found(np.zeros(len(e.card), bool), e.card)
    run = np.datetime64(f.run_date, "D")
    card_day, cert_day = (p.pick(run - np.timedelta64(f.reminder_days, "D"), run - _DAY)
                          for p in (e.card_computed, e.cert_computed))  # fmt: skip
    card = e.card_unknown & ~np.isnat(card_day)
    cert = ~card & e.cert_unknown & ~np.isnat(cert_day)
    return Found(card | cert, np.where(card, card_day, cert_day), np.where(card, 1, np.where(cert, 2, 0)), True)


# The rules in order: a resident gets the first kind whose rule finds it due. A renewal in its window
# first (the card's before the certificate's, domain.md 2.5), then a reminder of a lapse (issue 7). Where
# the register leaves an expiry undecided, one of those possible that is due is held (issue 12) in the
# place its rule has.
RULES: tuple[Rule, ...] = (
    Rule(Kind.RESIDENCE_EXTENSION, _residence_extension),
    Rule(Kind.CARD_RENEWAL, _card_renewal),
    Rule(Kind.RESIDENCE_EXTENSION, _card_undecided(by_stay=True)),
    Rule(Kind.CARD_RENEWAL, _card_undecided(by_stay=False)),
    Rule(Kind.CERT_RENEWAL, _cert_renewal),
    Rule(Kind.CERT_RENEWAL, _cert_undecided),
    Rule(Kind.GRACE_REMINDER, _grace_reminder),
    Rule(Kind.GRACE_REMINDER, _lapse_undecided),
)


def due(facts: Facts) -> Notices:
    """The notice each resident is due: that of the first of RULES to find one."""
    every, size = kinds.every(), len(facts.expiries.card)
    kind, expires_on, lapsing = np.full(size, -1, np.int8), np.full(size, NAT), np.zeros(size, np.int8)
    undecided = np.zeros(size, bool)
    for rule in RULES:
        found = rule.finds(facts)
        taken = found.due & (kind == -1)
        kind[taken] = every.index(rule.kind)
        expires_on[taken] = found.expires_on[taken]
        undecided[taken] = found.undecided
        if found.lapsing is not None:
            lapsing[taken] = found.lapsing[taken]
    return Notices(kind, expires_on, lapsing, undecided, every)


def lapsed(e: Expiries, run_date: date, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the card's, and the certificate's, grace period ended 1 to `days` days ago (dates.lapsed)."""
    card = days_before(grace_end(e.card), run_date, days)
    cert = days_before(grace_end(e.cert), run_date, days) & (e.cert != e.card)
    return card, cert
