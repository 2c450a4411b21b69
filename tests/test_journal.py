"""The output folder's journal: a ledger restored from a backup, or the wrong one, never mails a resident twice."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from notices.cli import app

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
AS_OF = "2026-11-26"


def run(tmp: Path, register: Path, ledger: Path, as_of: str = AS_OF) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", "--register", str(register), "--as-of", as_of, "--allow-date",
                                      "--executor", "serial", "--out", str(tmp / "out"), "--ledger", str(ledger)])  # fmt: skip
    return result.exit_code, result.output


def recover(tmp: Path, ledger: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ledger", "recover", "--out", str(tmp / "out"), "--ledger", str(ledger)])
    return result.exit_code, result.output


def first_rows(tmp: Path, count: int) -> Path:
    """The mini register cut to its first COUNT residents (three due on AS_OF)."""
    path = tmp / "part.csv"
    path.write_text("\n".join(MINI.read_text(encoding="utf-8").splitlines()[: count + 1]) + "\n", encoding="utf-8")
    return path


def manifests(*folders: Path) -> list[dict[str, str]]:
    found = []
    for parent in folders:
        for manifest in sorted(parent.glob("*_run*/manifest.csv")):
            found += csv.DictReader(io.StringIO(manifest.read_text(encoding="utf-8-sig")))
    return found


def ledger_rows(ledger: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(ledger) as db:
        return db.execute(query).fetchall()


def restored_after_two_runs(tmp: Path, vendor_takes_folders: bool) -> tuple[Path, Path]:
    """Night 1 mails three, the ledger is backed up, night 2 mails two more, then the backup is restored."""
    ledger, backup = tmp / "var" / "ledger.sqlite3", tmp / "backup.sqlite3"
    assert run(tmp, first_rows(tmp, 3), ledger)[0] == 0
    shutil.copy(ledger, backup)
    assert run(tmp, MINI, ledger, "2026-11-27")[0] == 0
    if vendor_takes_folders:  # the vendor moves every READY folder away: only the journal is left
        (tmp / "vendor").mkdir()
        for folder in (tmp / "out").glob("*_run*"):
            folder.rename(tmp / "vendor" / folder.name)
    shutil.copy(backup, ledger)
    return ledger, backup


def assert_each_notice_once_with_ids_never_reused(tmp: Path, ledger: Path) -> None:
    mailed = manifests(tmp / "out", tmp / "vendor")
    notices = Counter((m["resident_id"], m["kind"], m["expires_on"]) for m in mailed)
    assert len(notices) == 5 and set(notices.values()) == {1}
    ids = [m["application_id"] for m in mailed if m["application_id"]]
    assert len(ids) == len(set(ids)) == 3
    runs = [f.name.split("_run")[1] for f in [*(tmp / "out").glob("*_run*"), *(tmp / "vendor").glob("*_run*")]]
    assert len(runs) == len(set(runs))  # no run number used twice
    assert len(ledger_rows(ledger, "SELECT * FROM notices")) == 5
    owners = dict(ledger_rows(ledger, "SELECT application_id, resident_id FROM application_ids"))
    assert {m["application_id"]: m["resident_id"] for m in mailed if m["application_id"]}.items() <= owners.items()


def test_a_ledger_restored_from_a_backup_is_refused_then_recovered(tmp_path: Path) -> None:
    ledger, _ = restored_after_two_runs(tmp_path, vendor_takes_folders=False)
    code, output = run(tmp_path, MINI, ledger, "2026-11-28")
    assert code == 8 and "is behind" in output and "lacks run(s) 2" in output and "ledger recover" in output
    assert len(list((tmp_path / "out").glob("*_run*"))) == 2  # nothing was done
    code, output = recover(tmp_path, ledger)
    assert code == 0 and "run 2: recorded 2 notice(s) and 2 application ID(s)" in output
    assert recover(tmp_path, ledger) == (0, f"recovered 0 run(s): {ledger} knows every run sealed in {tmp_path / 'out'}\n")
    code, output = run(tmp_path, MINI, ledger, "2026-11-28")
    assert code == 0, output
    assert_each_notice_once_with_ids_never_reused(tmp_path, ledger)


def test_folders_the_vendor_took_are_recovered_from_the_journal(tmp_path: Path) -> None:
    ledger, _ = restored_after_two_runs(tmp_path, vendor_takes_folders=True)
    code, output = run(tmp_path, MINI, ledger, "2026-11-28")
    assert code == 8 and "lacks run(s) 2" in output
    assert recover(tmp_path, ledger)[0] == 0
    assert run(tmp_path, MINI, ledger, "2026-11-28")[0] == 0
    assert_each_notice_once_with_ids_never_reused(tmp_path, ledger)
    assert ledger_rows(ledger, "SELECT run_id, state FROM runs ORDER BY run_id") == [(1, "complete"), (2, "complete"),
                                                                                    (3, "complete")]  # fmt: skip


def test_a_folder_sealed_without_a_journal_entry_is_recovered_from_its_manifest(tmp_path: Path) -> None:
    """Runs sealed before the journal was kept: the folder's manifest is what the ledger is rebuilt from."""
    ledger, _ = restored_after_two_runs(tmp_path, vendor_takes_folders=False)
    shutil.rmtree(tmp_path / "out" / ".journal")
    assert run(tmp_path, MINI, ledger, "2026-11-28")[0] == 8
    assert recover(tmp_path, ledger)[0] == 0
    assert run(tmp_path, MINI, ledger, "2026-11-28")[0] == 0
    assert_each_notice_once_with_ids_never_reused(tmp_path, ledger)


def test_without_its_marker_the_folder_is_paired_by_the_runs_it_holds(tmp_path: Path) -> None:
    """.ledger-id deleted, and another ledger with runs of its own given: refused, and the marker not rewritten."""
    right, wrong = tmp_path / "var" / "ledger.sqlite3", tmp_path / "other" / "ledger.sqlite3"
    assert run(tmp_path, first_rows(tmp_path, 3), right)[0] == 0
    assert run(tmp_path / "other", MINI, wrong)[0] == 0  # the wrong ledger has served another folder
    (tmp_path / "out" / ".ledger-id").unlink()
    code, output = run(tmp_path, MINI, wrong, "2026-11-27")
    assert code == 8 and "another ledger" in output, output
    assert not (tmp_path / "out" / ".ledger-id").exists()
    code, output = run(tmp_path, MINI, right, "2026-11-27")
    assert code == 0, output
    assert (tmp_path / "out" / ".ledger-id").is_file()
    assert len(manifests(tmp_path / "out")) == 5


def test_a_new_ledger_is_refused_for_a_folder_of_runs(tmp_path: Path) -> None:
    assert run(tmp_path, MINI, tmp_path / "var" / "ledger.sqlite3")[0] == 0
    for clue in (".ledger-id", ".journal"):  # each tells on its own, and so do the sealed folders
        code, output = run(tmp_path, MINI, tmp_path / "new.sqlite3", "2026-11-27")
        assert code == 8 and "is a new ledger" in output, output
        shutil.rmtree(tmp_path / "out" / clue) if clue == ".journal" else (tmp_path / "out" / clue).unlink()
    code, output = run(tmp_path, MINI, tmp_path / "new.sqlite3", "2026-11-27")
    assert code == 8 and "is a new ledger" in output, output


def test_recover_without_a_ledger_is_not_found(tmp_path: Path) -> None:
    code, output = recover(tmp_path, tmp_path / "missing.sqlite3")
    assert code == 11 and "no ledger here" in output
    assert not (tmp_path / "missing.sqlite3").exists()
