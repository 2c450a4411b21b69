"""Cases from real registers (issue 12), each with its source: a register row, a run date, the outcome; and the
worked expiry cases of the specification (tests/rule_cases.csv) as register rows.

Each case goes through the whole production path (the register read, the column engine, the settling)
and through the scalar reference (tests/reference.py), which must agree.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

import reference
from notices.config import load_config
from notices.models import Decision, Due
from notices.register.read import read_register
from notices.rules.dates import uncapped
from notices.rules.selection import select

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config" / "municipality.toml")
CASES = list(csv.DictReader((Path(__file__).parent / "register_cases.csv").read_text(encoding="utf-8").splitlines()))
COLUMNS = ("birth_date", "card_issued_on", "card_expires_on", "cert_issued_on", "cert_expires_on", "nationality",
           "residence_status", "residence_expires_on", "card_applied_on", "card_residence_expires_on")  # fmt: skip
HEADER = ("resident_id", "household_id", "name", "postal_code", "address", "status", "card_state", *COLUMNS)


class NoHistory(reference.OneByOne):
    """A ledger that has sent nobody anything."""

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool:
        return False

    def application_id_owner(self, application_id: str) -> str | None:
        return None

    def returned_addresses(self, resident_id: str) -> dict[str, str]:
        return {}

    def history(self, resident_id: str, expires_on: date) -> dict[str, str]:
        return {}

    def decisions(self, resident_id: str) -> list[Decision]:
        return []


def _register(case: dict[str, str], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerow(["10000000001", "H1", "若葉 一郎", "9990001", "架空県若葉町中央1-1", "resident", "active",
                         *(case[c] for c in COLUMNS)])  # fmt: skip
    return path


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_register_case(case: dict[str, str], tmp_path: Path) -> None:
    as_of = date.fromisoformat(case["run_date"])
    read = read_register(_register(case, tmp_path / "register.csv"))
    assert not read.rejects and len(read.residents) == 1
    for how, selected in (("engine", select(read, as_of, CONFIG, NoHistory())),  # type: ignore[arg-type]
                          ("reference", reference.select(read, as_of, CONFIG, NoHistory()))):  # type: ignore[arg-type]
        [(_, _, outcome, kind, expires_on, reason)] = selected.outcomes
        assert (outcome, reason, kind, expires_on) == (case["outcome"], case["reason"], case["kind"], case["expires_on"]), how
        # A note for each recorded expiry that is none of those computed; one among those possible is none.
        assert " ".join(q.column for q in selected.quality) == case["quality"], how
        dues: list[Due] = [*selected.mailed(), *selected.held]
        if case["grace_end"]:
            assert [d.grace_end.isoformat() for d in dues] == [case["grace_end"]], how


RULE_CASES = list(csv.DictReader((Path(__file__).parent / "rule_cases.csv").read_text(encoding="utf-8").splitlines()))
ENDS_WITH_THE_STAY = {"P13"}  # the one rule case whose card ends with the period of stay: the extension letter


@pytest.mark.parametrize("case", RULE_CASES, ids=[c["case"] for c in RULE_CASES])
def test_rule_case_as_a_register_row(case: dict[str, str], tmp_path: Path) -> None:
    """The worked expiry cases (tests/rule_cases.csv) as register rows, on the night their expiry enters the window."""
    expiry = date.fromisoformat(case["expected_expiry"])
    as_of = expiry - relativedelta(months=2)
    stay = case["residence_expires_on"] if not uncapped(case["residence_status"]) else ""
    cert = case["kind"] == "cert"
    row = {"birth_date": case["birth_date"], "card_issued_on": "2023-01-01" if cert else case["issued_on"],
           "cert_issued_on": case["issued_on"] if cert else "", "nationality": case["nationality"],
           "residence_status": case["residence_status"], "residence_expires_on": case["residence_expires_on"],
           "card_residence_expires_on": stay}  # the stay in the case is the one the card was issued under
    read = read_register(_register({c: row.get(c, "") for c in COLUMNS}, tmp_path / "register.csv"))
    kind = "cert_renewal" if cert else "residence_extension" if case["case"] in ENDS_WITH_THE_STAY else "card_renewal"
    for how, selected in (("engine", select(read, as_of, CONFIG, NoHistory())),  # type: ignore[arg-type]
                          ("reference", reference.select(read, as_of, CONFIG, NoHistory()))):  # type: ignore[arg-type]
        [(_, _, outcome, got_kind, expires_on, _)] = selected.outcomes
        assert (outcome, got_kind, expires_on) == ("mail", kind, case["expected_expiry"]), (how, case["why"])
