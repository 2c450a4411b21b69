"""The ledger: one notice per (resident, kind, expiry), IDs never twice, crashed runs settled."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from notices.errors import LedgerError, LockedError
from notices.handoff import RunFolder, settle
from notices.ledger import MIGRATIONS, Ledger, NoticeRecord, building_path

D = date(2026, 11, 26)


def test_a_notice_is_recorded_once(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        ledger.record_notices(run_id, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "00001-000001", "")])
        ledger.complete_run(run_id, {})
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


def test_unfinished_runs_are_listed_and_settled_by_their_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        building, building_folder = ledger.begin_run(D, out)  # died while writing its folder
        building_path(building_folder).mkdir(parents=True)
        renamed, renamed_folder = ledger.begin_run(D, out)  # died after the rename, before READY
        sealed = RunFolder(renamed_folder)
        sealed.write("manifest.csv", b"piece_id\r\n")
        sealed.seal()
        (renamed_folder / "READY").unlink()
        ready, ready_folder = ledger.begin_run(D, out)  # died after READY
        ready_folder.mkdir(parents=True)
        (ready_folder / "READY").touch()
        done, _ = ledger.begin_run(D, out)
        ledger.complete_run(done, {})
        assert ledger.unfinished() == [(building, building_folder), (renamed, renamed_folder), (ready, ready_folder)]
    assert settle(building_folder) is False and not building_path(building_folder).exists()
    assert settle(renamed_folder) is True and (renamed_folder / "READY").is_file()  # sums match: final now
    assert settle(ready_folder) is True
    (renamed_folder / "READY").unlink()
    (renamed_folder / "manifest.csv").write_bytes(b"damaged")
    assert settle(renamed_folder) is False and not renamed_folder.exists()  # set aside, never final
    assert settle(tmp_path / "out" / "cleared") is False  # gone without READY: nobody took it


def test_a_returned_or_unfinished_notice_does_not_count_as_sent(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        ledger.record_notices(run_id, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "1-1", "")])
        assert not ledger.notified("R1", "card_renewal", date(2027, 2, 1))  # the run is still building
        ledger.complete_run(run_id, {})
        assert ledger.notified("R1", "card_renewal", date(2027, 2, 1))
        ledger.db.execute("UPDATE notices SET returned_at = '2026-12-01' WHERE piece_id = '1-1'")
        assert not ledger.notified("R1", "card_renewal", date(2027, 2, 1))


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
