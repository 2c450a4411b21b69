"""The vendor's side (issue 15): lots acknowledged (notices ack), folders not acknowledged in time (status --check, the
report), and folders or pieces recalled before print (notices recall), mailed again by the next run with new pieces
and application IDs, through a ledger restored from a backup too."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from test_cli import CONFIG, MINI, folder_of, notices, rows
from test_journal import first_rows
from typer.testing import CliRunner

from notices.cli import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_lots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample town's configuration with lots of 3 pieces: the five residents mailed on 2026-11-26 in two lots."""
    path = tmp_path_factory.mktemp("config") / "town.toml"
    path.write_text(CONFIG.read_text(encoding="utf-8").replace("lot_size = 100", "lot_size = 3"), encoding="utf-8")
    return path


def run(tmp: Path, config: Path, as_of: str, register: Path = MINI) -> subprocess.CompletedProcess[str]:
    """`notices run` in a fresh process, rendering in it (the machine is shared)."""
    return notices("run", "--register", str(register), "--as-of", as_of, "--allow-date", "--config", str(config),
                   "--out", str(tmp / "out"), "--ledger", str(tmp / "var" / "ledger.sqlite3"), "--executor", "serial",
                   cwd=tmp)  # fmt: skip


def cli(tmp: Path, *args: str) -> tuple[int, str]:
    """Another command, in this process (the output and the error output together)."""
    result = CliRunner().invoke(app, [*args, "--ledger", str(tmp / "var" / "ledger.sqlite3")])
    return result.exit_code, result.output


def sums_of(folder: Path) -> dict[str, str]:
    return {name: digest for digest, name in (line.split("  ", 1) for line in (folder / "SHA256SUMS").read_text().splitlines())}


def ledger_rows(tmp: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp / "var" / "ledger.sqlite3") as db:
        return db.execute(query).fetchall()


def sealed_hours_ago(tmp: Path, hours: int) -> None:
    """As if the runs had been sealed HOURS ago."""
    db = sqlite3.connect(tmp / "var" / "ledger.sqlite3")
    db.execute(f"UPDATE runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-{hours} hours')")
    db.commit()
    db.close()


def status(tmp: Path, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return notices("status", "--config", str(config), "--ledger", str(tmp / "var" / "ledger.sqlite3"), *extra, cwd=tmp)


def test_one_lot_of_two_acknowledged_the_other_shown_after_ack_hours(tmp_path: Path, two_lots: Path) -> None:
    night1 = run(tmp_path, two_lots, "2026-11-26")
    assert night1.returncode == 0, night1.stderr
    folder = folder_of(night1)
    sums = sums_of(folder)
    assert [name for name in sums if name.startswith("lot-")] == ["lot-0001.pdf", "lot-0002.pdf"]
    ledger = str(tmp_path / "var" / "ledger.sqlite3")

    received = tmp_path / "received.txt"  # what the vendor sends back: SHA256SUMS lines, the folder's name before the lot's
    received.write_text(f"{sums['lot-0001.pdf']}  {folder.name}/lot-0001.pdf\n", encoding="utf-8")
    said = notices("ack", str(received), "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert "recorded 1 lot(s) as received; 0 recorded before" in said.stdout
    assert "run 1: 1 of 2 lot(s) acknowledged; missing lot-0002.pdf" in said.stdout
    again = notices("ack", str(received), "--ledger", ledger, cwd=tmp_path)
    assert again.returncode == 0 and "recorded 0 lot(s) as received; 1 recorded before" in again.stdout
    assert ledger_rows(tmp_path, "SELECT run_id, lot, sha256 FROM acks") == [(1, "lot-0001.pdf", sums["lot-0001.pdf"])]

    wrong = tmp_path / "wrong.csv"  # a checksum that differs, and a good line: nothing of the file is recorded
    wrong.write_text(f"lot-0002.pdf,{sums['lot-0001.pdf']}\n{sums['lot-0001.pdf']},lot-0001.pdf\n", encoding="utf-8")
    refused = notices("ack", str(wrong), "--ledger", ledger, cwd=tmp_path)
    assert refused.returncode == 4
    assert "nothing recorded" in refused.stderr and "line 1: 'lot-0002.pdf': checksum" in refused.stderr
    assert "line 2" not in refused.stderr
    assert len(ledger_rows(tmp_path, "SELECT * FROM acks")) == 1

    checked = status(tmp_path, two_lots, "--check")  # within ack_hours: nothing to report, silently
    assert (checked.returncode, checked.stdout) == (0, "")
    sealed_hours_ago(tmp_path, 25)
    checked = status(tmp_path, two_lots, "--check")
    assert checked.returncode == 13
    assert checked.stdout.splitlines() == [
        "handed off, not acknowledged after 24 h: 1",
        f"  run 1  {folder.name}  sealed {checked.stdout.split('sealed ')[1][:16]} UTC  acknowledged 1 of 2 lot(s);"
        " missing lot-0002.pdf"]  # fmt: skip
    listed = status(tmp_path, two_lots)
    assert listed.returncode == 0 and "handed off, not acknowledged after 24 h: 1" in listed.stdout
    patient = tmp_path / "patient.toml"
    patient.write_text(two_lots.read_text(encoding="utf-8").replace("ack_hours = 24", "ack_hours = 48"), encoding="utf-8")
    assert status(tmp_path, patient, "--check").returncode == 0

    night2 = run(tmp_path, two_lots, "2026-11-27")  # its report shows the earlier folder not acknowledged
    report = (folder_of(night2) / "report.html").read_text(encoding="utf-8")
    assert "業者の受領確認がないフォルダ（1 件）" in report and 'data-count="unacknowledged">1<' in report
    assert folder.name in report and "lot-0002.pdf" in report

    rest = tmp_path / "rest.csv"  # the other lot, as a CSV line with the folder's name; night 2 mailed nothing
    rest.write_text(f"sha256,lot,folder\n{sums['lot-0002.pdf']},lot-0002.pdf,{folder.name}\n", encoding="utf-8")
    said = notices("ack", str(rest), "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 0 and "run 1: every lot acknowledged" in said.stdout
    sealed_hours_ago(tmp_path, 25)
    assert status(tmp_path, two_lots, "--check").returncode == 0


def test_acknowledgements_of_files_no_run_handed_off_are_refused(tmp_path: Path, two_lots: Path) -> None:
    assert run(tmp_path, two_lots, "2026-11-26").returncode == 0
    folder = next((tmp_path / "out").glob("*_run*"))
    sums = sums_of(folder)
    unknown = tmp_path / "unknown.txt"
    unknown.write_text(f"# from the vendor\n{sums['lot-0001.pdf']}  lot-0009.pdf\n{sums['lot-0001.pdf']}  "
                       f"2026-11-27_run00007/lot-0001.pdf\n\nnot a line\n", encoding="utf-8")  # fmt: skip
    code, output = cli(tmp_path, "ack", str(unknown))
    assert code == 4 and "line 5: neither" in output and "nothing recorded" in output
    unknown.write_text(unknown.read_text(encoding="utf-8").replace("not a line\n", ""), encoding="utf-8")
    code, output = cli(tmp_path, "ack", str(unknown))
    assert code == 4 and "line 2: 'lot-0009.pdf' is in no run folder" in output
    assert "line 3: 'lot-0001.pdf' of 2026-11-27_run00007 is in no run folder" in output
    whole = tmp_path / "SHA256SUMS"  # the vendor sends the whole SHA256SUMS back: its lots are acknowledged
    shutil.copy(folder / "SHA256SUMS", whole)
    code, output = cli(tmp_path, "ack", str(whole))
    assert code == 0 and "recorded 2 lot(s) as received" in output and "run 1: every lot acknowledged" in output
    assert ledger_rows(tmp_path, "SELECT lot FROM acks ORDER BY lot") == [("lot-0001.pdf",), ("lot-0002.pdf",)]
    assert cli(tmp_path, "ack", str(tmp_path / "missing.txt"))[0] == 11


def test_a_recalled_folder_is_mailed_again_with_new_pieces_and_ids(tmp_path: Path, two_lots: Path) -> None:
    night1 = run(tmp_path, two_lots, "2026-11-26")
    first = folder_of(night1)
    ledger = str(tmp_path / "var" / "ledger.sqlite3")
    refused = notices("recall", str(first), "--ledger", ledger, cwd=tmp_path)
    assert refused.returncode == 2 and "--reason" in refused.stderr
    said = notices("recall", str(first), "--reason", "wrong letter date", "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert "recalled the folder (READY removed): 5 piece(s) now" in said.stdout
    assert not (first / "READY").exists()
    recalled = rows(first / "RECALLED")
    mailed1 = rows(first / "manifest.csv")
    assert [(r["piece_id"], r["pdf"], r["first_page"], r["scope"], r["reason"]) for r in recalled] == [
        (m["piece_id"], m["pdf"], m["first_page"], "folder", "wrong letter date") for m in mailed1]
    again = notices("recall", str(first), "--reason", "wrong letter date", "--ledger", ledger, cwd=tmp_path)
    assert again.returncode == 0 and "already recalled, the folder (READY removed): nothing changed" in again.stdout and rows(first / "RECALLED") == recalled

    night2 = run(tmp_path, two_lots, "2026-11-27")
    assert night2.returncode == 0, night2.stderr
    mailed2 = rows(folder_of(night2) / "manifest.csv")
    notice = lambda m: (m["resident_id"], m["kind"], m["expires_on"])  # noqa: E731
    assert sorted(map(notice, mailed2)) == sorted(map(notice, mailed1)) and len(mailed2) == 5
    assert not {m["piece_id"] for m in mailed1} & {m["piece_id"] for m in mailed2}
    issued = [app for (app,) in ledger_rows(tmp_path, "SELECT application_id FROM application_ids WHERE supplied = 0")]
    printed = [m["application_id"] for m in mailed1 + mailed2 if m["application_id"] in issued]
    assert len(printed) == len(set(printed)) == 4  # two card renewals a night: no ID issued twice
    supplied = [m["application_id"] for m in mailed1 + mailed2 if m["resident_id"] == "10000000010"]
    assert supplied == ["99999700000000000000017"] * 2  # the register's own (J-LIS) ID, printed again for its owner
    assert Counter(rid for rid, in ledger_rows(tmp_path, "SELECT resident_id FROM notices WHERE recall_id IS NULL"))\
        == Counter(m["resident_id"] for m in mailed2)  # fmt: skip

    night3 = run(tmp_path, two_lots, "2026-11-28")  # nobody a third time
    assert rows(folder_of(night3) / "manifest.csv") == []
    code, output = cli(tmp_path, "explain", "10000000001")
    assert code == 0 and f"recalled before print: piece 00001-000001 of run 1 ({first.name}, the whole folder)" in output
    assert "wrong letter date" in output and "piece 00002-000001" in output
    code, output = cli(tmp_path, "status", "--config", str(two_lots))
    assert f"recalls: 1\n  run 1  {first.name}  whole folder: 5 piece(s)" in output
    received = tmp_path / "late.txt"  # the vendor acknowledges the recalled folder after all: refused, and said
    received.write_text(f"{sums_of(first)['lot-0001.pdf']}  lot-0001.pdf\n", encoding="utf-8")
    code, output = cli(tmp_path, "ack", str(received))
    assert code == 4 and "recalled: the vendor has a folder it must not print" in output


def test_recall_is_refused_once_the_vendor_acknowledged_a_lot(tmp_path: Path, two_lots: Path) -> None:
    assert run(tmp_path, two_lots, "2026-11-26").returncode == 0
    folder = next((tmp_path / "out").glob("*_run*"))
    received = tmp_path / "received.txt"
    received.write_text(f"{sums_of(folder)['lot-0002.pdf']}  lot-0002.pdf\n", encoding="utf-8")
    assert cli(tmp_path, "ack", str(received))[0] == 0
    code, output = cli(tmp_path, "recall", str(folder), "--reason", "too late")
    assert code == 14 and "the vendor has acknowledged lot-0002.pdf" in output
    assert (folder / "READY").is_file() and not (folder / "RECALLED").exists()
    assert ledger_rows(tmp_path, "SELECT COUNT(*) FROM recalls") == [(0,)]
    code, output = cli(tmp_path, "recall", str(tmp_path / "out" / "2026-11-26_run00009"), "--reason", "no such")
    assert code == 11


def test_some_pieces_recalled_the_folder_stays_ready(tmp_path: Path, two_lots: Path) -> None:
    night1 = run(tmp_path, two_lots, "2026-11-26")
    folder = folder_of(night1)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("piece_id\n00001-000002\n00002-000001\n", encoding="utf-8")
    code, output = cli(tmp_path, "recall", str(folder), "--pieces", str(wrong), "--reason", "address")
    assert code == 4 and "not pieces of run 1: 00002-000001" in output and not (folder / "RECALLED").exists()
    pieces = tmp_path / "pieces.csv"
    pieces.write_text("piece_id\n00001-000002\n", encoding="utf-8")
    code, output = cli(tmp_path, "recall", str(folder), "--pieces", str(pieces), "--reason", "moved yesterday")
    assert code == 0 and "recalled pieces of the folder (it stays READY): 1 piece(s) now" in output
    assert (folder / "READY").is_file()
    assert [(r["piece_id"], r["pdf"], r["first_page"], r["page_count"], r["scope"]) for r in rows(folder / "RECALLED")] \
        == [("00001-000002", "lot-0001.pdf", "5", "2", "pieces")]  # fmt: skip
    returned = tmp_path / "returned.csv"  # a recalled piece was never mailed: it cannot come back
    returned.write_text("00001-000002\n", encoding="utf-8")
    assert cli(tmp_path, "returned", str(returned))[0] == 1
    night2 = run(tmp_path, two_lots, "2026-11-27")
    assert [(m["resident_id"], m["kind"]) for m in rows(folder_of(night2) / "manifest.csv")] == [
        ("10000000002", "cert_renewal")]
    others = tmp_path / "others.csv"  # the rest of the folder: the whole folder is recalled, READY removed
    others.write_text("00001-000001\n00001-000003\n00001-000004\n00001-000005\n", encoding="utf-8")
    code, output = cli(tmp_path, "recall", str(folder), "--pieces", str(others), "--reason", "all of it")
    assert code == 0 and "recalled the folder (READY removed): 4 piece(s) now" in output
    assert not (folder / "READY").exists()
    assert [r["scope"] for r in rows(folder / "RECALLED")] == ["pieces"] + ["folder"] * 4


def test_a_restored_ledger_learns_the_recall_and_mails_no_one_twice(tmp_path: Path, two_lots: Path) -> None:
    """Night 1 mails three; backup; night 2 mails two more and is recalled; night 3 mails those two again; the
    backup is restored: refused until recovered, then the recall and night 3 are in the ledger again."""
    ledger, backup = tmp_path / "var" / "ledger.sqlite3", tmp_path / "backup.sqlite3"
    assert run(tmp_path, two_lots, "2026-11-26", first_rows(tmp_path, 3)).returncode == 0
    shutil.copy(ledger, backup)
    night2 = folder_of(run(tmp_path, two_lots, "2026-11-27"))
    assert cli(tmp_path, "recall", str(night2), "--reason", "wrong insert")[0] == 0
    night3 = folder_of(run(tmp_path, two_lots, "2026-11-28"))
    assert len(rows(night3 / "manifest.csv")) == 2
    shutil.copy(backup, ledger)
    night4 = run(tmp_path, two_lots, "2026-11-29")
    assert night4.returncode == 8 and "lacks run(s) 2, 3" in night4.stderr
    code, output = cli(tmp_path, "ledger", "recover", "--out", str(tmp_path / "out"))
    assert code == 0 and "run 2: recorded 2 notice(s)" in output and "run 3: recorded 2 notice(s)" in output
    assert ledger_rows(tmp_path, "SELECT run_id, COUNT(*) FROM notices WHERE recall_id IS NOT NULL GROUP BY run_id") \
        == [(2, 2)]  # fmt: skip
    assert run(tmp_path, two_lots, "2026-11-29").returncode == 0
    assert len(rows(tmp_path / "out" / "2026-11-29_run00004" / "manifest.csv")) == 0
    assert not (night2 / "READY").exists()


@pytest.mark.parametrize("finish", ["recall", "recover"])
def test_a_recall_that_stopped_half_way_is_finished(tmp_path: Path, two_lots: Path, finish: str) -> None:
    """RECALLED written, then the recall died before READY was removed and before the ledger knew (here: the ledger
    and the journal entry from before, READY put back): the next run refuses, the same recall or a recover finishes
    it, and the next run mails them again."""
    ledger = tmp_path / "var" / "ledger.sqlite3"
    folder = folder_of(run(tmp_path, two_lots, "2026-11-26"))
    entry = tmp_path / "out" / ".journal" / "run-00001.json"
    saved = {path: path.read_bytes() for path in (ledger, entry)}
    assert cli(tmp_path, "recall", str(folder), "--reason", "wrong date")[0] == 0
    for path, data in saved.items():
        path.write_bytes(data)
    (folder / "READY").write_bytes(b"")
    night2 = run(tmp_path, two_lots, "2026-11-27")
    assert night2.returncode == 8 and "lacks the recall of run(s) 1" in night2.stderr
    if finish == "recall":
        assert cli(tmp_path, "recall", str(folder), "--reason", "wrong date")[0] == 0
    else:
        code, output = cli(tmp_path, "ledger", "recover", "--out", str(tmp_path / "out"))
        assert code == 0 and "run 1: recorded the recall of 5 piece(s)" in output
    assert not (folder / "READY").exists()
    assert "recalled" in entry.read_text(encoding="utf-8") and "wrong date" in entry.read_text(encoding="utf-8")
    assert len(rows(folder_of(run(tmp_path, two_lots, "2026-11-27")) / "manifest.csv")) == 5
