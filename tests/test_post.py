"""When the letters arrive ([post], delivery/post.py): business days, the cut-off, the 2-month promise, and a run."""

from __future__ import annotations

import json
import random
import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from notices import pipeline
from notices.reports import planning
from notices.cli import _summary_line
from notices.config import load_config
from notices.delivery.post import BusinessDays, PostSettings, arrival, is_late, promised_by
from notices.reports.report import render_report

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
CONFIG = ROOT / "config" / "municipality.toml"
D = date.fromisoformat

# day, open with the year-end closure kept, open without it, why
CALENDAR = [
    ("2026-11-26", True, True, "a Thursday"),
    ("2026-11-28", False, False, "Saturday: no delivery of ordinary mail since October 2021"),
    ("2026-11-29", False, False, "Sunday"),
    ("2026-11-23", False, False, "勤労感謝の日"),
    ("2026-09-22", False, False, "国民の休日, between 敬老の日 and 秋分の日"),
    ("2026-05-06", False, False, "振替休日 for 憲法記念日 on a Sunday"),
    ("2026-12-28", True, True, "the last working day of the year"),
    ("2026-12-29", False, True, "year-end closure"),
    ("2026-12-31", False, True, "大晦日, a Thursday: only the year-end closure"),
    ("2027-01-01", False, False, "元日"),
    ("2027-01-02", False, False, "Saturday"),
    ("2027-01-03", False, False, "Sunday"),
    ("2027-01-04", True, True, "the first working day of 2027"),
    ("2027-01-11", False, False, "成人の日"),
    ("2027-01-12", True, True, "a Tuesday"),
    ("2027-03-22", False, False, "振替休日 for 春分の日 on a Sunday"),
    ("2027-04-29", False, False, "昭和の日"),
    ("2027-04-30", True, True, "a Friday in Golden Week"),
    ("2027-05-03", False, False, "憲法記念日"),
    ("2027-05-04", False, False, "みどりの日"),
    ("2027-05-05", False, False, "こどもの日"),
    ("2027-05-06", True, True, "a Thursday after Golden Week"),
]


@pytest.mark.parametrize(("day", "closed_year_end", "open_year_end", "why"), CALENDAR)
def test_business_days(day: str, closed_year_end: bool, open_year_end: bool, why: str) -> None:
    assert BusinessDays(year_end_closed=True).is_open(D(day)) is closed_year_end, why
    assert BusinessDays(year_end_closed=False).is_open(D(day)) is open_year_end, why


def test_the_holidays_are_injected() -> None:
    founding_day_off = BusinessDays(holiday=lambda day: day == D("2026-11-26"))
    assert not founding_day_off.is_open(D("2026-11-26"))
    assert founding_day_off.is_open(D("2026-11-23"))  # 勤労感謝の日 is jpholiday's, not this calendar's
    assert founding_day_off.add(D("2026-11-25"), 1) == D("2026-11-27")


DEFAULT = PostSettings()  # cut-off 15:00, 2 print days, 3 delivery days, year-end closed
# run date, sealed at, settings, handed off, posted, arrives
ARRIVALS = [
    ("2026-11-26", "02:40", DEFAULT, "2026-11-26", "2026-11-30", "2026-12-03"),  # Thu: print Fri, Mon
    ("2026-11-26", "15:00", DEFAULT, "2026-11-26", "2026-11-30", "2026-12-03"),  # at the cut-off: still today
    ("2026-11-26", "15:01", DEFAULT, "2026-11-27", "2026-12-01", "2026-12-04"),  # after it: the next business day
    ("2026-11-27", "16:00", DEFAULT, "2026-11-30", "2026-12-02", "2026-12-07"),  # Friday evening: Monday
    ("2026-11-28", "02:30", DEFAULT, "2026-11-30", "2026-12-02", "2026-12-07"),  # a Saturday run
    ("2026-11-26", "02:40", PostSettings(print_days=0), "2026-11-26", "2026-11-26", "2026-12-01"),
    ("2026-11-26", "02:40", PostSettings(cutoff=time(2, 0)), "2026-11-27", "2026-12-01", "2026-12-04"),
    ("2026-12-25", "02:30", DEFAULT, "2026-12-25", "2027-01-04", "2027-01-07"),  # 12/29-1/3 closed
    ("2026-12-25", "02:30", PostSettings(year_end_closed=False), "2026-12-25", "2026-12-29", "2027-01-04"),
    ("2026-12-31", "02:30", DEFAULT, "2027-01-04", "2027-01-06", "2027-01-12"),  # closed till 1/4
    ("2027-01-07", "02:30", DEFAULT, "2027-01-07", "2027-01-12", "2027-01-15"),  # 成人の日 on 1/11
    ("2027-01-11", "16:00", DEFAULT, "2027-01-12", "2027-01-14", "2027-01-19"),  # a holiday, after the cut-off
    ("2027-04-28", "10:00", DEFAULT, "2027-04-28", "2027-05-06", "2027-05-11"),  # Golden Week
    ("2027-04-28", "10:00", PostSettings(delivery_days=1), "2027-04-28", "2027-05-06", "2027-05-07"),
]  # fmt: skip


@pytest.mark.parametrize(("run_date", "sealed", "rules", "handed", "posted", "arrives"), ARRIVALS)
def test_arrival(run_date: str, sealed: str, rules: PostSettings, handed: str, posted: str, arrives: str) -> None:
    got = arrival(D(run_date), time.fromisoformat(sealed), rules)
    assert (got.handed_off_on, got.posted_on, got.arrives_on) == (D(handed), D(posted), D(arrives))


@settings(max_examples=200, deadline=None)
@given(st.dates(D("2026-01-01"), D("2030-12-31")), st.times(), st.integers(0, 10), st.integers(1, 10), st.booleans())
def test_arrival_counts_business_days_only(run_date: date, sealed: time, print_days: int, delivery_days: int,
                                          year_end: bool) -> None:  # fmt: skip
    rules = PostSettings(print_days=print_days, delivery_days=delivery_days, year_end_closed=year_end)
    calendar = BusinessDays(year_end)
    got = arrival(run_date, sealed, rules)

    def business_days(after: date, until: date) -> int:
        return sum(calendar.is_open(after + timedelta(days=n)) for n in range(1, (until - after).days + 1))

    assert run_date <= got.handed_off_on <= got.posted_on < got.arrives_on
    assert all(calendar.is_open(d) for d in (got.handed_off_on, got.posted_on, got.arrives_on))
    assert business_days(got.handed_off_on, got.posted_on) == print_days
    assert business_days(got.posted_on, got.arrives_on) == delivery_days
    skipped = business_days(run_date - timedelta(days=1), got.handed_off_on - timedelta(days=1))
    assert skipped == (1 if sealed > rules.cutoff and calendar.is_open(run_date) else 0)


# arrives on, expires on, late: exactly 2 months before the expiry is on time, a day later is late
PROMISES = [
    ("2026-12-01", "2027-02-01", False),
    ("2026-12-02", "2027-02-01", True),
    ("2026-11-20", "2027-02-01", False),
    ("2027-01-31", "2027-03-31", False),
    ("2027-02-01", "2027-03-31", True),
    ("2027-02-28", "2027-04-30", False),  # 30 April - 2 months: 28 February, clamped at month end
    ("2027-03-01", "2027-04-30", True),
    ("2027-02-28", "2027-04-29", False),  # no 29 February in 2027: clamped too
    ("2028-02-29", "2028-04-30", False),  # a leap year
    ("2028-03-01", "2028-04-29", True),
    ("2026-12-28", "2027-02-28", False),
    ("2026-12-29", "2027-02-28", True),
]


@pytest.mark.parametrize(("arrives", "expires", "late"), PROMISES)
def test_two_months_before_expiry(arrives: str, expires: str, late: bool) -> None:
    assert is_late(D(arrives), D(expires)) is late


def test_promised_by_clamps_at_month_end() -> None:
    assert [promised_by(D(day)) for day in ("2027-04-28", "2027-04-29", "2027-04-30", "2027-05-31")] == [
        D("2027-02-28"), D("2027-02-28"), D("2027-02-28"), D("2027-03-31")]  # fmt: skip


# --- one run, end to end --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_post(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample town, with a mail class that takes 6 business days."""
    path = tmp_path_factory.mktemp("config") / "town.toml"
    text = CONFIG.read_text(encoding="utf-8")
    assert "delivery_days = 3" in text
    path.write_text(text.replace("delivery_days = 3", "delivery_days = 6"), encoding="utf-8")
    return path


def test_a_run_states_its_arrival_and_flags_the_late_pieces(slow_post: Path, tmp_path: Path) -> None:
    config = load_config(slow_post)
    result = pipeline.run(MINI, D("2026-11-26"), config, tmp_path / "out", tmp_path / "l.sqlite3", ROOT / "templates",
                          randbelow=random.Random(3).randrange, sealed_at=time(16, 5))  # fmt: skip
    summary = json.loads((result.folder / "summary.json").read_text(encoding="utf-8"))
    # Sealed after the 15:00 cut-off on Thursday: taken Friday, posted Tuesday, delivered 6 business days later.
    assert summary["post"] == {
        "sealed_at": "16:05", "cutoff": "15:00", "print_days": 2, "delivery_days": 6, "year_end_closed": True,
        "handed_off_on": "2026-11-27", "posted_on": "2026-12-01", "arrives_on": "2026-12-09",
        "late": 3, "late_by_kind": {"card_renewal": 1, "residence_extension": 1, "cert_renewal": 1},
    }  # fmt: skip
    # mini.csv's expiries: 2027-02-01 (two pieces) and 2027-02-05 are due by 12-01 and 12-05; 02-10 and 02-20 not.
    assert summary["rows_read"] == 14 and summary["mailed"] == 5  # the counts are those of every run
    line = _summary_line(result.summary)
    assert " arrives=2026-12-09 late=3 reconciled=true" in line

    html = (result.folder / "report.html").read_text(encoding="utf-8")
    assert re.findall(r'data-post="arrives_on">([^<]+)<', html) == ["2026年12月9日（水）"]
    assert set(re.findall(r'data-post="late">([^<]+)<', html)) == {"3"}
    assert 'data-warning="late"' in html and "その日より後に届く見込みです" in html
    assert re.findall(r'<tr data-late="([0-9-]+)">', html) == ["2027-02-01", "2027-02-05"]
    assert "2026年12月1日（火）</td><td class=\"n\">8 日</td><td class=\"n\">2 通" in html
    for resident in ("10000000001", "10000000002", "10000000003"):
        assert f'<td class="id">{resident}</td>' in html
    assert "業者の締め時刻 15:00を過ぎたため翌営業日" in html

    # What the report makes of a run whose letters all arrive in time (read from summary.json alone).
    summary["post"].update(arrives_on="2026-11-30", late=0, late_by_kind=dict.fromkeys(summary["post"]["late_by_kind"], 0))
    (result.folder / "summary.json").chmod(0o600)
    (result.folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    on_time = render_report(result.folder, ROOT / "templates")
    assert "すべての通知が、有効期限の2か月前（リーフレットの案内）までに届く見込みです" in on_time
    assert 'data-warning="late"' not in on_time and "data-late=" not in on_time


def test_a_plan_states_the_arrival_of_a_run_sealed_before_the_cut_off(slow_post: Path, tmp_path: Path) -> None:
    _, summary = planning.plan(MINI, D("2026-11-26"), load_config(slow_post), tmp_path / "l.sqlite3", tmp_path)
    assert summary.post is not None
    assert (summary.post.arrival.handed_off_on, summary.post.arrival.arrives_on) == (D("2026-11-26"), D("2026-12-08"))
    assert summary.post.late == 3 and "arrives=2026-12-08 late=3" in _summary_line(summary)
