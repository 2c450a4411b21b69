"""The ledger: one notice per (resident, kind, expiry), IDs never twice, crashed runs settled."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from notices.errors import LedgerError, LockedError
from notices.ledger import MIGRATIONS, Ledger, NoticeRecord, building_path

D = date(2026, 11, 26)


def test_a_notice_is_recorded_once(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        ledger.record_notices(run_id, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "00001-000001", "")])
        assert ledger.notified("R1", "card_renewal", date(2027, 2, 1))
        assert not ledger.notified("R1", "cert_renewal", date(2027, 2, 1))
        assert not ledger.notified("R1", "card_renewal", date(2032, 2, 1))  # a renewal is a new expiry
        with pytest.raises(sqlite3.IntegrityError):
            ledger.record_notices(run_id, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "00001-000002", "")])


def test_application_ids_are_never_claimed_twice(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        assert ledger.claim_application_id("9" * 23, "R1", run_id, supplied=False)
        assert not ledger.claim_application_id("9" * 23, "R2", run_id, supplied=False)
        ledger.abandon_run(run_id)
        assert ledger.application_id_owner("9" * 23) == "R1"  # an abandoned run does not free its IDs


def test_recover_abandons_unfinished_runs_and_keeps_sealed_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        crashed, crashed_folder = ledger.begin_run(D, out)
        ledger.record_notices(crashed, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "00001-000001", "")])
        building_path(crashed_folder).mkdir(parents=True)
        sealed, sealed_folder = ledger.begin_run(D, out)
        ledger.record_notices(sealed, [NoticeRecord("R2", "card_renewal", date(2027, 2, 1), "00002-000001", "")])
        sealed_folder.mkdir(parents=True)
        (sealed_folder / "READY").touch()
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        assert ledger.recover() == [crashed, sealed]
        assert not ledger.notified("R1", "card_renewal", date(2027, 2, 1))  # will be mailed again
        assert ledger.notified("R2", "card_renewal", date(2027, 2, 1))  # its folder went to the vendor
        assert not building_path(crashed_folder).exists()
        states = dict(ledger.db.execute("SELECT run_id, state FROM runs"))
        assert states == {crashed: "abandoned", sealed: "complete"}


def test_a_second_run_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3"):
        with pytest.raises(LockedError, match="another run holds"):
            with Ledger.open(tmp_path / "l.sqlite3"):
                pass


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "l.sqlite3")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(LedgerError, match="newer"):
        with Ledger.open(tmp_path / "l.sqlite3"):
            pass
