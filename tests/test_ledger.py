"""The ledger: one notice per (resident, kind, expiry), IDs never twice, crashed runs settled."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from notices.errors import LedgerError, LockedError
from notices.delivery.handoff import RunFolder, clear_unfinished, settle
from notices.delivery.ledger import MIGRATIONS, Ledger, NoticeRecord, building_path
from notices.models import Decision

D = date(2026, 11, 26)


def test_a_notice_is_recorded_once(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        ledger.record_notices(run_id, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "00001-000001", "")])
        ledger.complete_run(run_id)
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


def _sealed(final: Path) -> str:
    folder = RunFolder(final)
    folder.write("manifest.csv", b"piece_id\r\n")
    sums = folder.write_sums()
    folder.publish()
    return sums


def test_unfinished_runs_are_listed_with_what_the_ledger_recorded_of_their_seal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        building, building_folder = ledger.begin_run(D, out)  # died while writing its folder
        building_path(building_folder).mkdir(parents=True)
        sealed, sealed_folder = ledger.begin_run(D, out)  # died after the seal was recorded
        ledger.sealing(sealed, "abc  manifest.csv\n", {"mailed": 1})
        done, _ = ledger.begin_run(D, out)
        ledger.complete_run(done)
        assert ledger.unfinished() == [(building, building_folder, None), (sealed, sealed_folder, "abc  manifest.csv\n")]
        assert ledger.sealed_run(sealed)["summary"] == {"mailed": 1}


def test_a_run_never_sealed_was_never_handed_off(tmp_path: Path) -> None:
    final = tmp_path / "out" / "2026-11-26_run00001"
    building_path(final).mkdir(parents=True)
    assert settle(final, None) is False and building_path(final).exists()  # removed only once the ledger says so
    clear_unfinished(final)
    assert not building_path(final).exists()
    assert settle(tmp_path / "out" / "cleared", None) is False  # nothing on disk, never sealed: nobody took it


def test_a_sealed_run_counts_as_handed_off_once_renamed_wherever_its_folder_went(tmp_path: Path) -> None:
    final = tmp_path / "out" / "2026-11-26_run00001"
    sums = _sealed(final)
    (final / "READY").unlink()  # died after the rename, before READY
    assert settle(final, sums) is True and (final / "READY").is_file()  # the files match the record: final now
    assert settle(final, sums) is True
    (final / "READY").unlink()
    moved = final.rename(tmp_path / "taken-by-the-vendor")
    assert settle(final, sums) is True  # moved away (or cleared) after the rename: the vendor may have it
    moved.rename(final)
    (final / "manifest.csv").write_bytes(b"damaged")
    assert settle(final, sums) is False  # damaged before READY: never final
    clear_unfinished(final)
    assert not final.exists() and (final.parent / f".damaged-{final.name}").is_dir()  # set aside


def test_a_sealed_run_never_renamed_was_never_handed_off(tmp_path: Path) -> None:
    final = tmp_path / "out" / "2026-11-26_run00001"
    folder = RunFolder(final)
    folder.write("manifest.csv", b"piece_id\r\n")
    sums = folder.write_sums()  # died before the rename
    assert settle(final, sums) is False and not final.exists()


def test_a_folder_sealed_by_an_older_version_is_settled_by_its_own_sums(tmp_path: Path) -> None:
    final = tmp_path / "out" / "2026-11-26_run00001"
    _sealed(final)
    (final / "READY").unlink()
    assert settle(final, None) is True and (final / "READY").is_file()


def test_many_residents_asked_at_once_get_each_their_own_answers(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        ledger.record_notices(run_id, [NoticeRecord(rid, kind, date(2027, 2, 1), piece, "", address_hash=digest)
                                       for rid, kind, piece, digest in (("R1", "card_renewal", "1-1", "A"),
                                                                        ("R1", "cert_renewal", "1-2", "B"),
                                                                        ("R2", "card_renewal", "1-3", "A"),
                                                                        ("R3", "card_renewal", "1-4", "C"),
                                                                        ("R1", "grace_reminder", "1-5", "A"))])  # fmt: skip
        ledger.complete_run(run_id)
        for piece, when in (("1-1", "2026-12-01"), ("1-2", "2026-12-02"), ("1-3", "2026-12-03"), ("1-5", "2026-12-04")):
            ledger.mark_returned(piece, when)  # R1's two pieces to A: the later return is the one that counts
        assert ledger.claim_application_id("1" * 23, "R1", run_id, supplied=True)
        with ledger.transaction():
            ledger.record_decisions([Decision("R1", "glyph", "withhold", "first"), Decision("R1", "glyph", "mail", "later"),
                                     Decision("R1", "address", "mail", ""), Decision("R2", "glyph", "mail", "")], "test")  # fmt: skip
        ids = ["R1", "R2", "R3", "R4", "R1"]  # R4 unknown, R1 twice
        assert ledger.returned_addresses_each(ids) == [{"A": "2026-12-04", "B": "2026-12-02"}, {"A": "2026-12-03"}, {},
                                                       {}, {"A": "2026-12-04", "B": "2026-12-02"}]  # fmt: skip
        assert [[(d.reason, d.note) for d in found] for found in ledger.decisions_each(ids)] == [
            [("address", ""), ("glyph", "later")], [("glyph", "")], [], [], [("address", ""), ("glyph", "later")]]
        assert ledger.application_id_owners(["1" * 23, "2" * 23]) == {"1" * 23: "R1"}
        assert ledger.returned_addresses("R2") == {"A": "2026-12-03"} and ledger.application_id_owner("2" * 23) is None
        assert [d.note for d in ledger.decisions("R1")] == ["", "later"] and len(ledger.decisions()) == 3


def test_a_returned_or_unfinished_notice_does_not_count_as_sent(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        run_id, _ = ledger.begin_run(D, tmp_path / "out")
        ledger.record_notices(run_id, [NoticeRecord("R1", "card_renewal", date(2027, 2, 1), "1-1", "")])
        assert not ledger.notified("R1", "card_renewal", date(2027, 2, 1))  # the run is still building
        ledger.complete_run(run_id)
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


def test_the_lock_is_the_ledgers_however_its_path_is_written(tmp_path: Path) -> None:
    """Through a symlink (or a path with ..) a second run still finds the first one's lock."""
    (tmp_path / "real").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link.sqlite3").symlink_to(tmp_path / "real" / "l.sqlite3")
    with Ledger.open(tmp_path / "real" / "l.sqlite3"):
        for other in (tmp_path / "link.sqlite3", tmp_path / "elsewhere" / ".." / "real" / "l.sqlite3"):
            with pytest.raises(LockedError, match="another run holds"):
                with Ledger.open(other):
                    pass


def test_a_lock_that_cannot_be_taken_is_a_ledger_error(tmp_path: Path) -> None:
    (tmp_path / "l.sqlite3.lock").mkdir()  # a folder where the lock file should be
    with pytest.raises(LedgerError, match="cannot take the ledger's lock"):
        with Ledger.open(tmp_path / "l.sqlite3"):
            pass


def test_a_ledger_on_a_read_only_file_system_is_a_ledger_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    with Ledger.open(tmp_path / "l.sqlite3"):
        pass

    def read_only(path: object, mode: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "chmod", read_only)
    with pytest.raises(LedgerError, match="Read-only file system"):
        with Ledger.open(tmp_path / "l.sqlite3"):
            pass
