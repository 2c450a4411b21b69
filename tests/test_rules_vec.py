"""The vectorised date rules (engine.py) against the scalar reference (spec.py), date by date."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from notices.rules import dates as spec
from notices.rules import arrays, engine
from notices.rules.possible import UNDECIDED, Possibles
from notices.models import CardState, Resident, Status

# Birthdays, issue dates and expiries close to 29 Feb, month ends and the 2022-04-01 switch, and anywhere else.
SPECIAL = [date(y, m, d) for y in (1868, 1900, 1999, 2000, 2002, 2004, 2020, 2021, 2022, 2024, 2100, 2199)
           for m, d in ((2, 28), (2, 29), (3, 1), (3, 31), (4, 1), (5, 31), (8, 31), (11, 30), (12, 31)) if (m, d) != (2, 29) or y % 4 == 0 and y != 1900 and y != 2100]  # fmt: skip
dates = st.one_of(st.sampled_from(SPECIAL), st.dates(min_value=date(1868, 1, 25), max_value=date(2199, 12, 31)),
                  st.dates(min_value=date(2014, 1, 1), max_value=date(2036, 12, 31)))  # near the run dates: due, lapsed
maybe = st.one_of(st.none(), dates)
RUN_DATES = st.one_of(st.sampled_from([date(2026, 11, 30), date(2027, 2, 28), date(2028, 2, 29), date(2026, 12, 31)]),
                      st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
                      st.dates(min_value=date(2026, 6, 1), max_value=date(2027, 4, 30)))  # 5-year cards of 2022  # fmt: skip
LEAP_DAYS = st.sampled_from(["feb28", "mar1"])

BASE = Resident(line=2, resident_id="1", household_id="", name="名", name_kana="", birth_date=None, sex="",
                postal_code="9990001", address="所", address_extra="", status=Status.RESIDENT, nationality="",
                residence_status="", residence_expires_on=None, card_issued_on=None, card_expires_on=None,
                card_state=CardState.ACTIVE, cert_issued_on=None, cert_expires_on=None, support_measure=False,
                support_measure_unclear=False, application_id="", language="")  # fmt: skip



@st.composite
def residents(draw: st.DrawFn, run_date: date) -> Resident:
    """A resident with dates anywhere, or close to what makes them due or lapsed on the run date."""
    def near(years: int = 0) -> st.SearchStrategy[date]:
        return st.one_of(st.integers(55, 97), st.integers(-150, 120)).map(lambda d: run_date.replace(year=run_date.year - years, day=min(run_date.day, 28))
                                          + timedelta(days=d))  # fmt: skip
    some = st.one_of(dates, near(), near(), near(5), near(10))
    maybe_some = st.one_of(st.none(), some)
    stay = draw(maybe_some)
    # Born so as to be 18 or 19 when a card is issued just after the 2022-04-01 switch (two expiries possible).
    birth = draw(st.one_of(maybe, st.dates(min_value=date(2002, 3, 1), max_value=date(2004, 7, 31)),
                           near(23).map(lambda d: d.replace(day=min(d.day, 28)))))  # fmt: skip
    card_issued = draw(st.one_of(maybe_some, st.dates(min_value=date(2022, 3, 25), max_value=date(2022, 7, 10))))
    cert_issued = draw(maybe_some)
    if birth and draw(st.booleans()):  # shortly before a birthday: maybe a renewal in the last 3 months
        year = draw(st.integers(run_date.year - 7, run_date.year))
        cert_issued = spec.birthday_in(birth, max(year, birth.year + 1)) - timedelta(days=draw(st.integers(0, 100)))
    return replace(BASE, birth_date=birth, card_issued_on=card_issued,
                   card_expires_on=draw(st.one_of(st.none(), st.none(), some, st.just(stay))), cert_issued_on=cert_issued,
                   cert_expires_on=draw(st.one_of(st.none(), st.none(), some)), residence_expires_on=stay,
                   nationality=draw(st.sampled_from(["", "VN"])),
                   residence_status=draw(st.sampled_from(["", "留学", "永住者", "高度専門職2号", "Permanent Resident"])),
                   card_applied_on=draw(st.one_of(st.none(), st.none(), some, st.sampled_from(SPECIAL))),
                   card_residence_expires_on=draw(st.one_of(st.none(), st.none(), some, st.just(stay))))  # fmt: skip


@st.composite
def undecided(draw: st.DrawFn, run_date: date) -> Resident:
    """A resident whose register leaves an expiry open (issue 12), with one possible expiry near the run date."""
    target = run_date + timedelta(days=draw(st.integers(-40, 100)))  # lapsed lately, in the window, or soon
    target = target.replace(day=min(target.day, 28))
    shape = draw(st.sampled_from(["applied", "stay", "renewal", "recorded"]))
    if shape == "applied":  # aged 18 or 19 on an issue date just after the switch, no application date
        issued = draw(st.dates(min_value=date(2022, 4, 1), max_value=date(2022, 7, 5)))
        birth = target.replace(year=issued.year - draw(st.integers(18, 20)))
        return replace(BASE, birth_date=birth, card_issued_on=issued, cert_issued_on=draw(st.sampled_from([None, issued])))
    birth = draw(st.one_of(st.builds(date, st.integers(1950, 2000), st.integers(1, 12), st.integers(1, 28)),
                           st.sampled_from([date(1988, 2, 29), date(1996, 2, 29)])))  # fmt: skip
    if shape == "recorded":  # a foreign resident's recorded card expiry: a birthday, or a stay's end
        issued = run_date - timedelta(days=draw(st.integers(30, 4000)))
        recorded = draw(st.sampled_from([spec.nth_birthday_after(birth, issued, n, leap) for n in (5, 10)
                                         for leap in ("feb28", "mar1")] + [target]))  # fmt: skip
        return replace(BASE, birth_date=birth, card_issued_on=issued, card_expires_on=recorded, nationality="VN",
                       residence_status=draw(st.sampled_from(["留学", "永住者", ""])),
                       residence_expires_on=draw(st.sampled_from([None, target, issued, target + timedelta(days=400)])),
                       card_residence_expires_on=draw(st.sampled_from([None, target, issued])))  # fmt: skip
    if shape == "stay":  # a period of stay, but not the one the card was issued under
        issued = run_date - timedelta(days=draw(st.integers(30, 2000)))
        stay = draw(st.sampled_from([None, issued - timedelta(days=10)])) if draw(st.integers(0, 4)) == 0 else (
            target + timedelta(days=draw(st.sampled_from([0, 0, 1, 365, 1000]))))  # none, or one before issue
        return replace(BASE, birth_date=birth, card_issued_on=issued, nationality="VN",
                       residence_status=draw(st.sampled_from(["技能実習", "", "永住者"])), residence_expires_on=stay,
                       card_residence_expires_on=draw(st.sampled_from([None, None, target, issued])),
                       cert_issued_on=draw(st.sampled_from([None, issued])))  # fmt: skip
    birth = birth.replace(month=target.month, day=target.day)  # the 6th birthday after a renewal is the target
    cert_issued = spec.birthday_in(birth, target.year - 5) - timedelta(days=draw(st.integers(0, 100)))
    card_issued = cert_issued - timedelta(days=draw(st.integers(1700, 3500)))
    return replace(BASE, birth_date=birth, card_issued_on=card_issued, cert_issued_on=cert_issued,
                   card_expires_on=draw(st.sampled_from([None, target + timedelta(days=4000)])))


def days(values: list[date | None]) -> np.ndarray:
    return np.array([v if v is not None else "NaT" for v in values], dtype="datetime64[D]")


def back(values: np.ndarray) -> list[date | None]:
    return list(values.astype(object))


def possible(p: Possibles, i: int) -> spec.Possible | None:
    """The i-th resident's computed expiries as the scalar rules give them."""
    low, high = back(p.low[i : i + 1])[0], back(p.high[i : i + 1])[0]
    return None if low is None else spec.Possible(low, high, bool(p.span[i]), UNDECIDED[p.missing[i]])


def holders(rs: list[Resident]) -> engine.Holders:
    return engine.Holders(
        days([r.birth_date for r in rs]), days([r.card_issued_on for r in rs]), days([r.card_expires_on for r in rs]),
        days([r.cert_issued_on for r in rs]), days([r.cert_expires_on for r in rs]),
        days([r.residence_expires_on for r in rs]), np.array([r.nationality != "" for r in rs], bool),
        np.array([spec.uncapped(r.residence_status) for r in rs], bool), days([r.card_applied_on for r in rs]),
        days([r.card_residence_expires_on for r in rs]))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(dates, dates), min_size=1, max_size=40), LEAP_DAYS, st.integers(1, 11))
def test_birthday_rules(pairs: list[tuple[date, date]], leap_day: str, n: int) -> None:
    birth, issued = days([b for b, _ in pairs]), days([i for _, i in pairs])
    year = np.array([i.year for _, i in pairs])
    assert back(arrays.birthday_in(birth, year, leap_day)) == [spec.birthday_in(b, i.year, leap_day) for b, i in pairs]
    assert list(arrays.age_on(birth, issued)) == [spec.age_on(b, i) for b, i in pairs]
    assert back(arrays.nth_birthday_after(birth, issued, n, leap_day)) == [
        spec.nth_birthday_after(b, i, n, leap_day) for b, i in pairs]
    assert back(arrays.card_expiry_by_birthday(birth, issued, leap_day)) == [
        spec.card_expiry_by_birthday(b, i, leap_day) for b, i in pairs]


@settings(max_examples=300, deadline=None)
@given(st.lists(maybe, min_size=1, max_size=40))
def test_month_arithmetic(values: list[date | None]) -> None:
    expected_from = [spec.renewal_from(v) if v else None for v in values]
    expected_end = [spec.grace_end(v) if v else None for v in values]
    assert back(arrays.renewal_from(days(values))) == expected_from
    assert back(arrays.grace_end(days(values))) == expected_end


@settings(max_examples=400, deadline=None)
@given(st.data(), LEAP_DAYS, RUN_DATES, st.sampled_from([None, 1, 30, 90]), st.integers(1, 60))
def test_expiries_notices_and_lapses(data: st.DataObject, leap_day: str, run_date: date, reminder_days: int | None,
                                     lapsed_days: int) -> None:  # fmt: skip
    rs = data.draw(st.lists(st.one_of(residents(run_date), undecided(run_date)), min_size=1, max_size=30))
    h = holders(rs)
    e = engine.expiries(h, leap_day)
    notices = engine.due(engine.Facts(h, e, run_date, reminder_days))
    card_lapsed, cert_lapsed = engine.lapsed(e, run_date, lapsed_days)
    for i, r in enumerate(rs):
        known = spec.expiries(r, leap_day)
        event(f"kind {notices.kind[i]}, lapsed {card_lapsed[i] or cert_lapsed[i]}")
        got = spec.Expiries(*(back(a[i : i + 1])[0] for a in (e.card, e.cert)),
                            *(possible(p, i) for p in (e.card_computed, e.cert_computed)), bool(e.stay_capped[i]))
        assert got == known, r
        event(f"card {'undecided' if known.card_unknown else 'decided'}, cert {'undecided' if known.cert_unknown else 'decided'}")
        for recorded, computed, column in ((r.card_expires_on, known.card_computed, e.card_computed),
                                           (r.cert_expires_on, known.cert_computed, e.cert_computed)):
            differs = engine.differs(days([recorded]), Possibles(*(a[i : i + 1] for a in (
                column.low, column.high, column.span, column.missing))))  # fmt: skip
            assert bool(differs[0]) == bool(recorded and computed and recorded not in computed)
        due = spec.due_notice(r, run_date, leap_day, known)
        if due is None and reminder_days is not None:
            due = spec.due_reminder(r, run_date, reminder_days, leap_day, known)
        kind = notices.kind[i]
        assert (notices.kinds[kind] if kind >= 0 else None) == (due.kind if due else None), r
        if due:
            event(f"due {due.kind.value}" + (", held: expiry_unknown" if due.unknown else ""))
            assert bool(notices.undecided[i]) == bool(due.unknown), r
            assert back(notices.expires_on[i : i + 1])[0] == due.expires_on
            assert engine.LAPSING[notices.lapsing[i]] == due.lapsing
            assert back(arrays.renewal_from(notices.expires_on[i : i + 1]))[0] == due.renewal_from
            assert back(arrays.insurance_grace_end(notices.expires_on[i : i + 1], e.cert[i : i + 1]))[0] == due.grace_end
        ended = [subject for subject, _, _ in spec.lapsed(r, run_date, lapsed_days, leap_day)]
        assert [s for s, hit in (("card", card_lapsed[i]), ("cert", cert_lapsed[i])) if hit] == ended, r


@pytest.mark.parametrize(("birth", "issued", "leap_day", "expected"), [
    (date(1980, 10, 10), date(2020, 5, 15), "feb28", date(2029, 10, 10)),  # domain.md 2.1
    (date(1980, 10, 10), date(2020, 10, 10), "feb28", date(2030, 10, 10)),  # a birthday on the issue date does not count
    (date(2004, 2, 29), date(2021, 3, 1), "feb28", date(2026, 2, 28)),  # 17 (under 20 before 2022-04-01): 5 years
    (date(2004, 2, 29), date(2021, 3, 1), "mar1", date(2026, 3, 1)),
    (date(2004, 2, 29), date(2022, 4, 1), "feb28", date(2032, 2, 29)),  # 18 on the switch: 10 years, a leap year
    (date(2004, 4, 2), date(2022, 4, 1), "feb28", date(2026, 4, 2)),  # 17, the day before the birthday: a minor
    (date(2003, 4, 1), date(2021, 4, 1), "feb28", date(2026, 4, 1)),  # 18 on issue before the switch: 20 applies
])  # fmt: skip
def test_card_expiry_table(birth: date, issued: date, leap_day: str, expected: date) -> None:
    got = back(arrays.card_expiry_by_birthday(days([birth]), days([issued]), leap_day))[0]
    assert got == spec.card_expiry_by_birthday(birth, issued, leap_day) == expected


def test_month_ends_and_nat() -> None:
    values = [date(2025, 5, 31), date(2025, 11, 30), date(2024, 2, 29), None, date(2199, 12, 31)]
    assert back(arrays.renewal_from(days(values))) == [date(2025, 3, 1), date(2025, 8, 31), date(2023, 11, 30), None,
                                                          date(2199, 10, 1)]  # fmt: skip
    assert back(arrays.grace_end(days(values))) == [date(2025, 8, 31), date(2026, 2, 28), date(2024, 5, 31), None,
                                                       date(2200, 3, 31)]  # fmt: skip
    assert arrays.in_window(days([date(2027, 1, 26), date(2027, 2, 26), None]), date(2026, 11, 26)).tolist() == [
        True, True, False]
    assert back(arrays.add_months(days([date(2026, 11, 30)]), 3)) == [date(2027, 2, 28)]


@pytest.mark.parametrize("leap_day", ["feb28", "mar1"])
def test_dates_beyond_the_look_up_tables(leap_day: str) -> None:
    """Computed rather than looked up before 1800 and after 2399: the same answers."""
    births = [date(1704, 2, 29), date(1799, 12, 31), date(2396, 2, 29), date(2450, 6, 15)]
    issues = [date(1790, 3, 1), date(1800, 1, 1), date(2398, 2, 28), date(2460, 6, 15)]
    assert back(arrays.card_expiry_by_birthday(days(births), days(issues), leap_day)) == [
        spec.card_expiry_by_birthday(b, i, leap_day) for b, i in zip(births, issues, strict=True)]
    assert back(arrays.renewal_from(days(births))) == [spec.renewal_from(b) for b in births]
    assert back(arrays.grace_end(days(births))) == [spec.grace_end(b) for b in births]


def test_the_rules_over_slices_of_a_table_give_what_they_give_over_the_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sorting runs the engine over slices of chunked.ROWS rows: the same expiries and notices, row for row."""
    from tools.bench import write_big_register
    from notices.config import load_config
    from notices.register.read import read_register
    from notices.rules import chunked, sorting

    register = tmp_path / "register.csv"
    write_big_register(register, 3000, "utf-8")
    config = load_config(Path(__file__).resolve().parents[1] / "config" / "municipality.toml")
    whole = sorting.plan(read_register(register).table, date(2026, 11, 26), config)
    monkeypatch.setattr(chunked, "ROWS", 250)
    sliced = sorting.plan(read_register(register).table, date(2026, 11, 26), config)
    for name in ("kind", "expires_on", "lapsing", "undecided"):
        assert _same(getattr(whole.notices, name), getattr(sliced.notices, name))
    for name in ("card", "cert", "stay_capped"):
        assert _same(getattr(whole.expiries, name), getattr(sliced.expiries, name))
    for name in ("low", "high", "span", "missing"):
        assert _same(getattr(whole.expiries.card_computed, name), getattr(sliced.expiries.card_computed, name))
        assert _same(getattr(whole.expiries.cert_computed, name), getattr(sliced.expiries.cert_computed, name))
    assert whole.notices.kind.max() >= 0 and np.array_equal(whole.settle, sliced.settle)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "mMf"))  # NaT where neither has a date
