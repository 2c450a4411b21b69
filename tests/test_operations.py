"""What operators and cron use: plan, status, returned mail, plain and JSON log lines."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
AS_OF = "2026-11-26"


def notices(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "jobs")}
    return subprocess.run([sys.executable, "-m", "notices", *args], cwd=tmp, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def run(tmp: Path, register: Path = MINI, *extra: str) -> subprocess.CompletedProcess[str]:
    return notices(tmp, "run", "--register", str(register), "--as-of", AS_OF, "--allow-date", "--out", str(tmp / "out"),
                   "--ledger", str(tmp / "ledger.sqlite3"), *extra)  # fmt: skip


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def folder(result: subprocess.CompletedProcess[str]) -> Path:
    return Path(result.stdout.split("folder: ", 1)[1].strip())


def test_plan_shows_every_resident_and_records_nothing(tmp_path: Path) -> None:
    result = notices(tmp_path, "plan", "--register", str(MINI), "--as-of", AS_OF, "--ledger", str(tmp_path / "l.sqlite3"),
                     "--out", str(tmp_path / "plans"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "mailed=5" in result.stdout and "held=4" in result.stdout and "rejected=3" in result.stdout
    plan = rows(tmp_path / "plans" / f"plan-{AS_OF}.csv")
    outcomes = {r["resident_id"] or r["line"]: (r["outcome"], r["kind"] or r["reason"]) for r in plan}
    assert len(plan) == 14
    assert outcomes["10000000001"] == ("mail", "card_renewal")
    assert outcomes["10000000004"] == ("review", "card_renewal")
    assert outcomes["10000000006"] == ("not_mailed", "moved_out")
    assert outcomes["12"] == ("rejected", "missing_resident_id")
    summary = json.loads((tmp_path / "plans" / f"plan-{AS_OF}.json").read_text(encoding="utf-8"))
    assert summary["mailed"] == 5 and summary["reconciled"] is True
    assert not (tmp_path / "l.sqlite3").exists()  # read, never created or written
    assert not (tmp_path / "out").exists()


def test_returned_mail_is_held_until_the_address_changes(tmp_path: Path) -> None:
    first = run(tmp_path)
    assert first.returncode == 0, first.stderr
    pieces = {m["resident_id"]: m["piece_id"] for m in rows(folder(first) / "manifest.csv")}
    back = tmp_path / "returned.csv"
    back.write_text(f"piece_id\n{pieces['10000000001']}\n10000000002\nNO-SUCH-PIECE\n", encoding="utf-8")
    recorded = notices(tmp_path, "returned", str(back), "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert recorded.returncode == 1 and "recorded 2 returned piece(s)" in recorded.stdout
    assert "NO-SUCH-PIECE" in recorded.stderr
    twice = notices(tmp_path, "returned", str(back), "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert "recorded 0 returned piece(s)" in twice.stdout and twice.stdout.count("already recorded") == 2
    wrong = notices(tmp_path, "returned", str(back), "--ledger", str(tmp_path / "typo.sqlite3"))
    assert wrong.returncode == 11 and not (tmp_path / "typo.sqlite3").exists()

    again = run(tmp_path)  # same addresses: held, reason returned, not mailed a second time
    held = {(r["resident_id"], r["reason"]) for r in rows(folder(again) / "review.csv")}
    assert {("10000000001", "returned"), ("10000000002", "returned")} <= held
    assert rows(folder(again) / "manifest.csv") == []

    moved = tmp_path / "moved.csv"
    moved.write_text(MINI.read_text(encoding="utf-8").replace("架空県若葉町中央一丁目2番3号", "架空県若葉町北三丁目4番5号"),
                     encoding="utf-8")  # fmt: skip
    third = run(tmp_path, moved)  # resident 1 moved within the town: mailed again at the new address
    assert [m["resident_id"] for m in rows(folder(third) / "manifest.csv")] == ["10000000001"]
    assert ("10000000002", "returned") in {(r["resident_id"], r["reason"]) for r in rows(folder(third) / "review.csv")}

    status = notices(tmp_path, "status", "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert status.returncode == 0, status.stderr
    assert "returned mail: 2" in status.stdout and "10000000002" in status.stdout
    assert "held for review in the latest run: " in status.stdout and "support_measure" in status.stdout


def test_status_lists_the_runs(tmp_path: Path) -> None:
    assert run(tmp_path).returncode == 0
    status = notices(tmp_path, "status", "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert status.returncode == 0, status.stderr
    text = " ".join(status.stdout.split())
    assert "2026-11-26" in text and "complete" in text and "card_renewal 3" in text
    assert "held for review in the latest run: 4" in text
    missing = notices(tmp_path, "status", "--ledger", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 11 and "no ledger here" in missing.stderr


def test_a_new_ledger_never_serves_an_output_folder_with_runs(tmp_path: Path) -> None:
    assert run(tmp_path).returncode == 0
    wrong = notices(tmp_path, "run", "--register", str(MINI), "--as-of", "2026-11-27", "--allow-date", "--out", str(tmp_path / "out"),
                    "--ledger", str(tmp_path / "elsewhere.sqlite3"))  # fmt: skip
    assert wrong.returncode == 8 and "check --ledger" in wrong.stderr
    assert len(list((tmp_path / "out").glob("2026-*"))) == 1  # nothing mailed a second time


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_under_cron_the_output_is_log_lines_and_one_summary_line(tmp_path: Path, fmt: str) -> None:
    result = run(tmp_path, MINI, "--log-format", fmt)
    assert result.returncode == 0, result.stderr
    summary, folder_line = result.stdout.splitlines()
    assert summary.startswith("summary: run=1 as_of=2026-11-26 rows=14 mailed=5 ") and "reconciled=true" in summary
    assert folder_line.startswith("folder: ")
    lines = result.stderr.splitlines()
    assert lines, "without a terminal the run logs each step"
    if fmt == "json":
        records = [json.loads(line) for line in lines]
        assert {"time", "level", "logger", "message"} <= set(records[0])
        assert any("sealed" in r["message"] for r in records)
    else:
        assert all(" INFO notices: " in line or " WARNING " in line for line in lines)


@pytest.mark.parametrize(("content", "line"), [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00\r\x10\x11\n", 1),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\r\n1 0 obj\r<< /Type /Catalog >>\rendobj\n", 3),  # "1 0 obj": no ID
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", 1),
    (b"piece_id\n00001-000001\nab\x00cd\n", 3),  # a NUL in the third line
    (b"00001-000001\n\"" + b"x" * 200_000 + b"\"\n", 2),  # a field larger than the csv module reads
    (b"00001-000001\n\x89\xff\xfe\x80\n", 2),  # neither UTF-8 nor CP932
    (b"00001-000001\n" + b"9" * 100 + b"\n", 2),  # far longer than any ID
])  # fmt: skip
def test_returned_on_a_file_that_is_not_a_list_of_ids_names_file_and_line(tmp_path: Path, content: bytes,
                                                                          line: int) -> None:  # fmt: skip
    path = tmp_path / "returned.bin"
    path.write_bytes(content)
    result = notices(tmp_path, "returned", str(path), "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert result.returncode == 4, result.stderr
    assert f"error: {path}: line {line}: " in result.stderr and "not a list of piece or resident IDs" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "ledger.sqlite3").exists()


def test_returned_reads_ids_from_utf8_and_cp932_files_with_other_columns(tmp_path: Path) -> None:
    from notices.reports.status import read_ids

    utf8 = tmp_path / "utf8.csv"
    utf8.write_text("\ufeffpiece_id,memo\n00001-000001,宛所不明\r\n\n10000000002 ,\n", encoding="utf-8")
    assert read_ids(utf8) == ["00001-000001", "10000000002"]
    cp932 = tmp_path / "cp932.csv"
    cp932.write_bytes("resident_id,理由\r\n10000000001,宛所不明\r\n".encode("cp932"))
    assert read_ids(cp932) == ["10000000001"]
