"""Exactly once, whatever happens: kill -9 at every step, two runs at once, a full disk."""

from __future__ import annotations

import csv
import errno
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notices.delivery import handoff
from notices.cli import app
from notices.delivery.crashpoints import ENV
from notices.delivery.handoff import verify
from notices.delivery.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
AS_OF = "2026-11-26"
CRASH_POINTS = ["recovered", "read", "selected", "ids", "lot:1", "lot:2", "reports", "recorded", "sealing", "sums",
                "ready", "renamed"]  # fmt: skip


@pytest.fixture(scope="module")
def small_lots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample town's configuration with lots of 2 pieces, so that a run writes 3 lots."""
    path = tmp_path_factory.mktemp("config") / "town.toml"
    text = (ROOT / "config" / "municipality.toml").read_text(encoding="utf-8")
    path.write_text(text.replace("lot_size = 100", "lot_size = 2"), encoding="utf-8")
    return path


def start(tmp: Path, config: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `notices run` in a process group of its own (so that a crash kills it and its workers only)."""
    return subprocess.Popen(
        [sys.executable, "-m", "notices", "run", "--register", str(MINI), "--as-of", AS_OF, "--allow-date", "--config", str(config),
         "--out", str(tmp / "out"), "--ledger", str(tmp / "var" / "ledger.sqlite3")],
        cwd=tmp, env={**os.environ, "PYTHONPATH": str(ROOT / "jobs"), **(env or {})}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen[str]) -> int:
    process.communicate(timeout=300)
    return process.returncode


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def handed_off(out: Path) -> list[dict[str, str]]:
    """Every manifest row of every folder a vendor would take, after checking each folder is sound."""
    mailed = []
    for folder in sorted(d for d in out.iterdir() if d.is_dir() and d.name != ".journal"):
        assert not folder.name.startswith("."), f"unfinished folder left behind: {folder.name}"
        assert (folder / "READY").is_file(), f"{folder.name} has no READY"
        assert verify(folder) == [], folder.name
        mailed += rows(folder / "manifest.csv")
    return mailed


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory, small_lots: Path) -> set[tuple[str, str, str]]:
    tmp = tmp_path_factory.mktemp("reference")
    assert finish(start(tmp, small_lots)) == 0
    notices = {(m["resident_id"], m["kind"], m["expires_on"]) for m in handed_off(tmp / "out")}
    assert len(notices) == 5
    return notices


def assert_exactly_once(tmp: Path, expected: set[tuple[str, str, str]]) -> None:
    mailed = handed_off(tmp / "out")
    counts = Counter((m["resident_id"], m["kind"], m["expires_on"]) for m in mailed)
    assert set(counts) == expected and set(counts.values()) == {1}
    ids = [m["application_id"] for m in mailed if m["application_id"]]
    assert len(ids) == len(set(ids)) == 3
    ledger = sqlite3.connect(tmp / "var" / "ledger.sqlite3")
    recorded = set(ledger.execute("SELECT resident_id, kind, expires_on FROM notices"))
    issued = [row[0] for row in ledger.execute("SELECT application_id FROM application_ids")]
    ledger.close()
    assert recorded == expected
    assert len(issued) == len(set(issued))  # an ID issued before a crash is never issued again


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_at_any_step_then_rerun(tmp_path: Path, small_lots: Path, expected: set, point: str) -> None:
    assert finish(start(tmp_path, small_lots, {ENV: point})) == -signal.SIGKILL
    out = tmp_path / "out"
    finals = [d for d in out.glob("*") if (d / "READY").is_file()]
    assert finals == [] or point == "ready"  # nothing is final before READY, written after the rename
    assert not [d for d in out.glob(".*") if (d / "READY").exists()]  # never in a folder being built
    assert finish(start(tmp_path, small_lots)) == 0
    assert_exactly_once(tmp_path, expected)


def test_killed_before_the_rename_then_cleared_by_hand_then_rerun(tmp_path: Path, small_lots: Path,
                                                                  expected: set) -> None:  # fmt: skip
    """An operator deletes the half-built folder a dead run left (never in place): its residents are mailed again."""
    assert finish(start(tmp_path, small_lots, {ENV: "sums"})) == -signal.SIGKILL
    (leftover,) = (tmp_path / "out").glob(".building-*")
    shutil.rmtree(leftover)
    assert finish(start(tmp_path, small_lots)) == 0
    assert_exactly_once(tmp_path, expected)


@pytest.mark.parametrize("point", ["renamed", "ready"])
def test_a_folder_taken_after_a_crash_is_never_mailed_again(tmp_path: Path, small_lots: Path, expected: set,
                                                            point: str) -> None:  # fmt: skip
    """Killed once the folder was in place; the vendor (or an operator) moves it away; the next run mails no one."""
    assert finish(start(tmp_path, small_lots, {ENV: point})) == -signal.SIGKILL
    (folder,) = (tmp_path / "out").glob("2026-*")
    taken = tmp_path / "vendor" / folder.name
    taken.parent.mkdir()
    folder.rename(taken)
    again = start(tmp_path, small_lots)
    _, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "counts as handed off" in stderr and "mailed by this run" not in stderr
    assert handed_off(tmp_path / "out") == []  # the second run's folder mails nobody
    if point == "ready":
        mailed = handed_off(tmp_path / "vendor")
    else:  # no READY: what the vendor took is still the whole sealed folder
        assert verify(taken) == []
        mailed = rows(taken / "manifest.csv")
    assert {(m["resident_id"], m["kind"], m["expires_on"]) for m in mailed} == expected
    ledger = sqlite3.connect(tmp_path / "var" / "ledger.sqlite3")
    assert set(ledger.execute("SELECT resident_id, kind, expires_on FROM notices")) == expected
    assert ledger.execute("SELECT COUNT(*) FROM application_ids").fetchone() == (3,)  # no new IDs issued
    ledger.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_at_a_random_moment_then_rerun(tmp_path: Path, small_lots: Path, expected: set, seed: int) -> None:
    process = start(tmp_path, small_lots)
    time.sleep(random.Random(seed).uniform(0.5, 4.0))
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had finished
    finish(process)
    assert finish(start(tmp_path, small_lots)) == 0
    assert_exactly_once(tmp_path, expected)


def test_a_second_run_exits_at_once_while_one_holds_the_lock(tmp_path: Path, small_lots: Path) -> None:
    with Ledger.open(tmp_path / "var" / "ledger.sqlite3"):
        second = start(tmp_path, small_lots)
        _, stderr = second.communicate(timeout=300)
    assert second.returncode == 5 and "another run holds the ledger's lock" in stderr
    assert not (tmp_path / "out").exists()


def test_two_runs_started_together_mail_each_resident_once(tmp_path: Path, small_lots: Path, expected: set) -> None:
    first, second = start(tmp_path, small_lots), start(tmp_path, small_lots)
    assert sorted([finish(first), finish(second)]) in ([0, 0], [0, 5])
    assert_exactly_once(tmp_path, expected)


def test_a_full_disk_fails_clearly_and_the_next_run_mails_everyone(tmp_path: Path, small_lots: Path,
                                                                   expected: set, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    real, calls = handoff.write_private, []

    def full_disk(target: Path, data: bytes) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, data)

    monkeypatch.setattr(handoff, "write_private", full_disk)
    args = ["run", "--register", str(MINI), "--as-of", AS_OF, "--allow-date", "--config", str(small_lots),
            "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "var" / "ledger.sqlite3")]  # fmt: skip
    failed = CliRunner().invoke(app, args)
    assert failed.exit_code == 6 and "No space left on device" in failed.output
    assert [d for d in (tmp_path / "out").iterdir() if d.is_dir()] == []  # no READY, no half-written folder
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as ledger:
        assert ledger.execute("SELECT COUNT(*) FROM notices").fetchone() == (0,)
    monkeypatch.setattr(handoff, "write_private", real)
    assert CliRunner().invoke(app, args).exit_code == 0
    assert_exactly_once(tmp_path, expected)


def test_a_stale_journal_entry_of_an_abandoned_run_is_never_taken_as_sealed(tmp_path: Path, small_lots: Path,
                                                                             expected: set) -> None:  # fmt: skip
    """Killed once sealed but before the rename: the next run abandons it, even if its journal entry is left."""
    assert finish(start(tmp_path, small_lots, {ENV: "sealing"})) == -signal.SIGKILL
    (entry,) = (tmp_path / "out" / ".journal").glob("run-*.json")
    kept = entry.read_bytes()
    assert finish(start(tmp_path, small_lots)) == 0
    assert not entry.exists()  # removed with the run it recorded
    entry.write_bytes(kept)  # as if its removal had failed
    assert finish(start(tmp_path, small_lots)) == 0
    assert_exactly_once(tmp_path, expected)
