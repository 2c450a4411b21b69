"""After expiry: one grace reminder while the card still works for insurance, then the lapsed list (issue 7)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import make_resident

from notices import pipeline

from notices.rules import dates
from notices.config import load_config
from notices.models import Kind

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config" / "municipality.toml")
RUN = date(2026, 11, 26)
HEADER = ["resident_id", "household_id", "name", "birth_date", "postal_code", "address", "status",
          "card_issued_on", "card_expires_on", "cert_expires_on", "support_measure"]  # fmt: skip


def resident(**changes: object):  # type: ignore[no-untyped-def]
    return make_resident(**{"cert_issued_on": None, "cert_expires_on": None, **changes})


@pytest.mark.parametrize(("expired", "reminded"), [
    (RUN - timedelta(days=1), True), (RUN - timedelta(days=30), True), (RUN - timedelta(days=31), False),
    (RUN, False), (RUN + timedelta(days=1), False),
])  # fmt: skip
def test_reminder_window(expired: date, reminded: bool) -> None:
    due = dates.due_reminder(resident(card_expires_on=expired), RUN, days=30)
    assert (due is not None) is reminded
    if due:
        assert (due.kind, due.lapsing, due.expires_on, due.grace_end) == (
            Kind.GRACE_REMINDER, "card", expired, dates.grace_end(expired))
        assert due.has_form


def test_a_lapsed_certificate_on_a_valid_card_gets_a_reminder_without_a_form() -> None:
    due = dates.due_reminder(resident(card_expires_on=date(2031, 1, 1), cert_expires_on=RUN - timedelta(days=3)), RUN)
    assert due is not None and due.lapsing == "cert" and not due.has_form


def test_renewed_gets_no_reminder_and_is_not_lapsed() -> None:
    renewed = resident(card_expires_on=date(2036, 11, 20))  # the register shows the new card's expiry
    assert dates.due_reminder(renewed, RUN) is None
    assert dates.lapsed(renewed, date(2027, 3, 1)) == []


def test_lapsed_the_day_after_the_grace_end() -> None:
    r = resident(card_expires_on=date(2026, 8, 10))  # grace end 2026-11-30
    assert dates.lapsed(r, date(2026, 11, 30)) == []
    assert dates.lapsed(r, date(2026, 12, 1)) == [("card", date(2026, 8, 10), date(2026, 11, 30))]
    assert dates.lapsed(r, date(2026, 12, 30)) == [("card", date(2026, 8, 10), date(2026, 11, 30))]
    assert dates.lapsed(r, date(2026, 12, 31)) == []  # 31 days after: no longer in the last 30


def register(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"household_id": "H" + row["resident_id"], "name": "若葉 太郎", "birth_date": "1970-05-05",
                         "postal_code": "9990001", "address": "架空県若葉町中央1-1", "status": "resident",
                         "card_issued_on": "2016-08-01", **row})  # fmt: skip
    path = tmp_path / "register.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def night(tmp_path: Path, path: Path, day: date, config=CONFIG) -> tuple[list[dict[str, str]], ...]:  # type: ignore[no-untyped-def]
    result = pipeline.run(path, day, config, tmp_path / "out", tmp_path / "ledger.sqlite3", ROOT / "templates")
    read = lambda name: list(csv.DictReader((result.folder / name).read_text(encoding="utf-8-sig").splitlines()))  # noqa: E731
    return read("manifest.csv"), read("review.csv"), read("lapsed.csv")


def test_notice_then_one_reminder_then_the_lapsed_list(tmp_path: Path) -> None:
    path = register(tmp_path, [
        {"resident_id": "1", "card_expires_on": "2027-02-10"},  # grace end 2027-05-31
        {"resident_id": "2", "card_expires_on": "2031-01-01", "cert_expires_on": "2027-02-20"},
        {"resident_id": "3", "card_expires_on": "2027-02-15", "support_measure": "1"},
        {"resident_id": "4", "household_id": "H3", "card_expires_on": "2031-01-01", "cert_expires_on": "2027-02-24"},
    ])  # fmt: skip
    manifest, review, _ = night(tmp_path, path, date(2026, 11, 26))
    assert {(m["resident_id"], m["kind"]) for m in manifest} == {("1", "card_renewal"), ("2", "cert_renewal")}
    manifest, review, _ = night(tmp_path, path, date(2027, 2, 25))  # both expired days ago
    assert {(m["resident_id"], m["kind"], m["inserts"]) for m in manifest} == {
        ("1", "grace_reminder", "return_envelope"), ("2", "grace_reminder", "")}
    assert next(m for m in manifest if m["resident_id"] == "1")["application_id"]  # a form with a fresh ID
    assert [(v["resident_id"], v["reason"], v["kind"]) for v in review] == [
        ("3", "support_measure", "grace_reminder"), ("4", "support_measure", "grace_reminder")]  # the whole household
    manifest, _, _ = night(tmp_path, path, date(2027, 2, 26))
    assert manifest == []  # once per expiry
    _, _, lapsed = night(tmp_path, path, date(2027, 6, 1))  # the day after resident 1's grace end
    assert [(x["resident_id"], x["lapsed"], x["expires_on"], x["grace_end"], x["notified_on"], x["reminded_on"])
            for x in lapsed if x["resident_id"] == "1"] == [
        ("1", "card", "2027-02-10", "2027-05-31", "2026-11-26", "2027-02-25")]  # fmt: skip
    assert {x["resident_id"] for x in lapsed} == {"1", "2", "3", "4"}


def test_reminders_can_be_switched_off(tmp_path: Path) -> None:
    path = register(tmp_path, [{"resident_id": "1", "card_expires_on": "2026-11-20"}])
    manifest, _, _ = night(tmp_path, path, RUN, replace(CONFIG, reminder_enabled=False))
    assert manifest == []
    manifest, _, _ = night(tmp_path, path, RUN)
    assert [(m["resident_id"], m["kind"]) for m in manifest] == [("1", "grace_reminder")]


@pytest.mark.parametrize(("card", "cert", "said"), [
    (date(2027, 2, 10), date(2027, 2, 10), "after"),  # the certificate ends with the card: its grace follows both
    (date(2027, 2, 10), None, "after"),
    (date(2027, 2, 10), date(2026, 12, 20), "cert"),  # ends first, grace 2027-03-31 still to come
    (date(2027, 2, 10), date(2026, 8, 1), "cert"),  # ended, but its grace runs to 2026-11-30, after the run date
    (date(2027, 2, 10), date(2026, 7, 31), "ended"),  # grace ended 2026-10-31
    (date(2027, 2, 10), date(2023, 2, 21), "ended"),  # grace ended 2023-05-31
])  # fmt: skip
def test_what_a_notice_says_of_the_card_as_an_insurance_card(card: date, cert: date | None, said: str) -> None:
    due = dates.due_notice(resident(card_issued_on=date(2017, 2, 10), card_expires_on=card, cert_expires_on=cert), RUN)
    assert due is not None and due.kind is Kind.CARD_RENEWAL
    assert due.grace_end == dates.grace_end(min(card, cert or card))
    assert due.insurance(RUN) == said
    # A foreign resident's card that ends with the period of stay: the same.
    stay = dates.due_notice(resident(card_issued_on=date(2022, 2, 10), card_expires_on=card, cert_expires_on=cert,
                                     nationality="US", residence_status="留学", residence_expires_on=card), RUN)  # fmt: skip
    assert stay is not None and stay.kind is Kind.RESIDENCE_EXTENSION and stay.insurance(RUN) == said


def test_a_grace_that_ends_on_the_letter_date_is_still_given() -> None:
    """The card works as an insurance card through the grace end's day itself: a letter of that day says so."""
    due = dates.due_notice(resident(card_issued_on=date(2017, 2, 10), card_expires_on=date(2027, 2, 10),
                                    cert_expires_on=date(2026, 7, 31)), RUN)  # fmt: skip
    assert due is not None and due.grace_end == date(2026, 10, 31)
    assert due.insurance(date(2026, 10, 31)) == "cert" and due.insurance(date(2026, 11, 1)) == "ended"


@pytest.mark.parametrize(("lapsing", "card", "cert", "said"), [
    ("cert", date(2028, 5, 1), RUN - timedelta(days=10), "after"),  # the certificate's own grace reminder
    ("card", RUN - timedelta(days=10), RUN - timedelta(days=10), "after"),  # both ended together
    ("card", RUN - timedelta(days=10), date(2026, 9, 1), "cert"),  # the certificate's grace runs to 2026-12-31
    ("card", RUN - timedelta(days=10), date(2023, 2, 21), "ended"),
])  # fmt: skip
def test_what_a_grace_reminder_says_of_the_card_as_an_insurance_card(lapsing: str, card: date, cert: date,
                                                                      said: str) -> None:  # fmt: skip
    due = dates.due_reminder(resident(card_issued_on=date(2017, 2, 10), card_expires_on=card, cert_expires_on=cert),
                             RUN)  # fmt: skip
    assert due is not None and due.kind is Kind.GRACE_REMINDER and due.lapsing == lapsing
    assert due.insurance(RUN) == said


def test_a_certificate_renewal_follows_its_own_expiry() -> None:
    due = dates.due_notice(resident(card_issued_on=date(2017, 2, 10), card_expires_on=date(2030, 2, 10),
                                    cert_expires_on=date(2027, 2, 10)), RUN)  # fmt: skip
    assert due is not None and due.kind is Kind.CERT_RENEWAL and due.insurance(RUN) == "after"
