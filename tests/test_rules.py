"""The date rules of domain.md 2, table-driven from the worked cases."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import make_resident
from hypothesis import given
from hypothesis import strategies as st

from notices.rules import dates
from notices.models import CardState, Kind, Status

def resident(**changes: object):  # type: ignore[no-untyped-def]
    """A resident with no recorded expiry dates and no certificate unless given."""
    return make_resident(**{"card_expires_on": None, "cert_issued_on": None, "cert_expires_on": None, **changes})


CASES = list(csv.DictReader((Path(__file__).parent / "rule_cases.csv").read_text(encoding="utf-8").splitlines()))


def _d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_rule_case_through_a_resident(case: dict[str, str]) -> None:
    """The worked cases, as the rules see them: a register row's effective expiry (one date: decided)."""
    birth, issued = _d(case["birth_date"]), _d(case["issued_on"])
    nationality = "" if case["nationality"] in ("", "JP") else case["nationality"]
    if case["kind"] == "card":
        stay = _d(case["residence_expires_on"])  # the period of stay the card was issued under, if it has one
        at_issue = None if dates.uncapped(case["residence_status"]) else stay
        r = resident(birth_date=birth, card_issued_on=issued, nationality=nationality,
                     residence_status=case["residence_status"], residence_expires_on=stay, card_residence_expires_on=at_issue)  # fmt: skip
        assert dates.expiries(r).card == _d(case["expected_expiry"])
    else:
        r = resident(birth_date=birth, card_issued_on=date(2023, 1, 1), cert_issued_on=issued)
        assert dates.expiries(r).cert == _d(case["expected_expiry"])


def test_leap_day_policy_moves_the_birthday_to_1_march() -> None:
    r = resident(birth_date=date(1996, 2, 29), card_issued_on=date(2019, 3, 1))
    assert dates.expiries(r, "mar1").card == date(2029, 3, 1) and dates.expiries(r).card == date(2029, 2, 28)


def test_certificate_never_outlives_the_card() -> None:
    r = resident(birth_date=date(1985, 10, 10), card_issued_on=date(2024, 1, 5), card_expires_on=date(2026, 3, 31),
                 cert_issued_on=date(2024, 1, 5))  # fmt: skip
    assert dates.expiries(r).cert == date(2026, 3, 31)


@pytest.mark.parametrize(("expiry", "renewal", "grace"), [
    (date(2025, 10, 10), date(2025, 7, 11), date(2026, 1, 31)),
    (date(2025, 5, 31), date(2025, 3, 1), date(2025, 8, 31)),
    (date(2025, 2, 10), date(2024, 11, 11), date(2025, 5, 31)),
    (date(2025, 11, 30), date(2025, 8, 31), date(2026, 2, 28)),
    (date(2027, 11, 15), date(2027, 8, 16), date(2028, 2, 29)),
])  # fmt: skip
def test_dates_on_the_letter(expiry: date, renewal: date, grace: date) -> None:
    assert dates.renewal_from(expiry) == renewal
    assert dates.grace_end(expiry) == grace


@pytest.mark.parametrize(("run_date", "low", "high"), [
    (date(2026, 11, 26), date(2027, 1, 26), date(2027, 2, 26)),
    (date(2026, 11, 30), date(2027, 1, 30), date(2027, 2, 28)),
    (date(2026, 12, 31), date(2027, 2, 28), date(2027, 3, 31)),
    (date(2027, 11, 30), date(2028, 1, 30), date(2028, 2, 29)),
])  # fmt: skip
def test_window_clamps_at_month_end(run_date: date, low: date, high: date) -> None:
    assert dates.window(run_date) == (low, high)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_consecutive_windows_leave_no_gap(run_date: date) -> None:
    """Every expiry date is in the window on some night: tomorrow's window starts no later than today's ends + 1."""
    from datetime import timedelta

    _, high = dates.window(run_date)
    low_next, high_next = dates.window(run_date + timedelta(days=1))
    assert low_next <= high + timedelta(days=1)
    assert high_next >= high


RUN = date(2026, 11, 26)  # window 2027-01-26 .. 2027-02-26


def test_card_in_window_is_a_card_renewal() -> None:
    due = dates.due_notice(resident(card_expires_on=date(2027, 2, 10)), RUN)
    assert due is not None and due.kind is Kind.CARD_RENEWAL and due.expires_on == date(2027, 2, 10)
    assert due.renewal_from == date(2026, 11, 11) and due.grace_end == date(2027, 5, 31)


def test_computed_card_expiry_in_window() -> None:
    # born 1980-02-01, issued 2017-02-10 as an adult: 10th birthday after issue is 2027-02-01
    due = dates.due_notice(resident(birth_date=date(1980, 2, 1), card_issued_on=date(2017, 2, 10)), RUN)
    assert due is not None and due.expires_on == date(2027, 2, 1)


def test_window_ends_are_included() -> None:
    assert dates.due_notice(resident(card_expires_on=date(2027, 1, 26)), RUN) is not None
    assert dates.due_notice(resident(card_expires_on=date(2027, 2, 26)), RUN) is not None
    assert dates.due_notice(resident(card_expires_on=date(2027, 1, 25)), RUN) is None
    assert dates.due_notice(resident(card_expires_on=date(2027, 2, 27)), RUN) is None


def test_period_of_stay_makes_a_residence_extension() -> None:
    r = resident(nationality="US", residence_status="留学", residence_expires_on=date(2027, 2, 1),
                 birth_date=date(1990, 12, 1), card_issued_on=date(2024, 4, 1))  # fmt: skip
    due = dates.due_notice(r, RUN)
    assert due is not None and due.kind is Kind.RESIDENCE_EXTENSION and due.expires_on == date(2027, 2, 1)


def test_recorded_stay_cap_is_a_residence_extension() -> None:
    r = resident(nationality="VN", residence_status="技能実習", residence_expires_on=date(2027, 2, 1),
                 card_expires_on=date(2027, 2, 1), birth_date=date(1990, 12, 1), card_issued_on=date(2024, 4, 1))  # fmt: skip
    due = dates.due_notice(r, RUN)
    assert due is not None and due.kind is Kind.RESIDENCE_EXTENSION


def test_recorded_expiry_before_the_birthday_rule_is_an_earlier_stays_end() -> None:
    """The stay was extended to 2030 after issue; the card still ends with the stay it was issued under (issue 12)."""
    r = resident(nationality="US", residence_status="留学", residence_expires_on=date(2030, 1, 1),
                 card_expires_on=date(2027, 2, 1), birth_date=date(1990, 12, 1), card_issued_on=date(2024, 4, 1))  # fmt: skip
    due = dates.due_notice(r, RUN)
    assert due is not None and due.kind is Kind.RESIDENCE_EXTENSION and due.expires_on == date(2027, 2, 1)
    japanese = dates.due_notice(replace(r, nationality="", residence_status="", residence_expires_on=None), RUN)
    assert japanese is not None and japanese.kind is Kind.CARD_RENEWAL


def test_stay_ending_on_the_birthday_expiry_is_a_card_renewal() -> None:
    r = resident(nationality="US", residence_status="留学", residence_expires_on=date(2027, 2, 1),
                 card_residence_expires_on=date(2027, 2, 1), birth_date=date(1990, 2, 1), card_issued_on=date(2017, 2, 10))  # fmt: skip
    due = dates.due_notice(r, RUN)
    assert due is not None and due.kind is Kind.CARD_RENEWAL and due.expires_on == date(2027, 2, 1)


def test_permanent_resident_follows_the_birthday_rule() -> None:
    r = resident(nationality="CN", residence_status="永住者", residence_expires_on=date(2027, 2, 1),
                 birth_date=date(1990, 12, 1), card_issued_on=date(2024, 4, 1))  # fmt: skip
    assert dates.due_notice(r, RUN) is None


def test_certificate_in_window_is_a_cert_renewal() -> None:
    r = resident(card_expires_on=date(2031, 5, 5), cert_expires_on=date(2027, 2, 5))
    due = dates.due_notice(r, RUN)
    assert due is not None and due.kind is Kind.CERT_RENEWAL and due.expires_on == date(2027, 2, 5)
    assert due.grace_end == date(2027, 5, 31)


def test_card_wins_when_card_and_certificate_are_both_due() -> None:
    r = resident(card_expires_on=date(2027, 2, 5), cert_expires_on=date(2027, 2, 5))
    due = dates.due_notice(r, RUN)
    assert due is not None and due.kind is Kind.CARD_RENEWAL


def test_recorded_date_wins_over_computed() -> None:
    r = resident(birth_date=date(1980, 2, 1), card_issued_on=date(2017, 2, 10), card_expires_on=date(2030, 2, 1))
    assert dates.due_notice(r, RUN) is None
    e = dates.expiries(r)
    assert e.card == date(2030, 2, 1) and e.card_computed == dates.Possible.one(date(2027, 2, 1))


@pytest.mark.parametrize(("changes", "reason"), [
    ({"status": Status.MOVED_OUT}, "moved_out"),
    ({"status": Status.DECEASED}, "deceased"),
    ({"status": Status.REMOVED}, "removed"),
    ({"status": Status.ABROAD}, "abroad"),
    ({"card_state": None, "card_issued_on": None}, "no_card"),
    ({"card_state": CardState.SUSPENDED}, "card_inactive"),
    ({"card_state": CardState.REVOKED}, "card_inactive"),
    ({"card_state": CardState.RETURNED}, "card_inactive"),
    ({}, None),
])  # fmt: skip
def test_not_mailed_reasons(changes: dict[str, object], reason: str | None) -> None:
    assert dates.not_mailed_reason(resident(card_expires_on=date(2027, 2, 10), **changes)) == reason
