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


def test_recover_abandons_unfinished_runs_and_keeps_renamed_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    notice = lambda rid, piece: NoticeRecord(rid, "card_renewal", date(2027, 2, 1), piece, "")  # noqa: E731
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        building, building_folder = ledger.begin_run(D, out)  # died while writing its folder
        ledger.record_notices(building, [notice("R1", "1-1")])
        building_path(building_folder).mkdir(parents=True)
        unrenamed, unrenamed_folder = ledger.begin_run(D, out)  # died just before the rename
        ledger.record_notices(unrenamed, [notice("R2", "2-1")])
        ledger.sealing(unrenamed)
        building_path(unrenamed_folder).mkdir(parents=True)
        renamed, _ = ledger.begin_run(D, out)  # died after the rename; the vendor has already moved the folder
        ledger.record_notices(renamed, [notice("R3", "3-1")])
        ledger.sealing(renamed)
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        assert ledger.recover() == [building, unrenamed, renamed]
        assert not ledger.notified("R1", "card_renewal", date(2027, 2, 1))  # will be mailed again
        assert not ledger.notified("R2", "card_renewal", date(2027, 2, 1))
        assert ledger.notified("R3", "card_renewal", date(2027, 2, 1))  # never twice, even with the folder gone
        assert not building_path(building_folder).exists() and not building_path(unrenamed_folder).exists()
        states = dict(ledger.db.execute("SELECT run_id, state FROM runs"))
        assert states == {building: "abandoned", unrenamed: "abandoned", renamed: "complete"}


def test_the_ledger_is_the_owners_only(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3"):
        pass
    assert (tmp_path / "l.sqlite3").stat().st_mode & 0o077 == 0


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
