"""The output folder's own record of what it was handed, so that a ledger can never fall behind it unseen.

Each sealed run leaves `.journal/run-NNNNN.json` in the output folder, written once the ledger has
recorded the run as sealed and before its folder is renamed into place: the notices, the application
IDs, the checksums, the ledger's identity. The journal stays when a vendor takes the folder or an
operator clears old ones. Before a run does anything, `check` compares the journal and the sealed
folders with the ledger: a ledger restored from a backup lacks the runs since, and would mail their
residents again with new IDs; `recover` records those runs in it again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from ..errors import LedgerError, OutputError
from .handoff import write_private
from .ledger import Ledger

JOURNAL = ".journal"
MARKER = ".ledger-id"
RUN_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}_run(\d{5,})")


def write_entry(out_dir: Path, entry: dict[str, Any]) -> None:
    """Keep a sealed run's record in the output folder (durably, owner-only)."""
    target = out_dir / JOURNAL / f"run-{entry['run_id']:05d}.json"
    try:
        write_private(target, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the run's journal entry: {exc.strerror}") from None


def remove_entry(out_dir: Path, run_id: int) -> None:
    """Forget the record of a run that was never handed off after all."""
    try:
        (out_dir / JOURNAL / f"run-{run_id:05d}.json").unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir / JOURNAL}: cannot remove run {run_id}'s journal entry: {exc.strerror}") from None


def _entries(out_dir: Path) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for path in sorted((out_dir / JOURNAL).glob("run-*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            found[int(entry["run_id"])] = entry
        except (OSError, ValueError, KeyError, TypeError):
            raise LedgerError(f"{path}: the journal entry cannot be read: restore it from the backup of {out_dir}") from None
    return found


def _sealed_folders(out_dir: Path) -> dict[int, Path]:
    """The run folders in place (named as runs name them, with READY or SHA256SUMS), by run number."""
    found = {}
    for folder in out_dir.glob("*_run*"):
        match = RUN_FOLDER.fullmatch(folder.name)
        if match and folder.is_dir() and ((folder / "READY").is_file() or (folder / "SHA256SUMS").is_file()):
            found[int(match.group(1))] = folder
    return found


def _another(ledger: Ledger, out_dir: Path) -> LedgerError:
    if not ledger.has_runs():
        return LedgerError(f"{ledger.path} is a new ledger but {out_dir} already holds runs: check --ledger")
    return LedgerError(f"{out_dir} holds the runs of another ledger than {ledger.path}: check --ledger")


def _missing(ledger: Ledger, out_dir: Path) -> tuple[dict[int, dict[str, Any]], dict[int, Path]]:
    """The runs the output folder holds that the ledger lacks: from the journal, and folders without an entry.

    LedgerError if the folder's marker or journal names another ledger."""
    marker = out_dir / MARKER
    if marker.is_file() and marker.read_text(encoding="ascii").strip() != ledger.ledger_id:
        raise _another(ledger, out_dir)
    entries, folders = _entries(out_dir), _sealed_folders(out_dir)
    if any(entry.get("ledger_id") != ledger.ledger_id for entry in entries.values()):
        raise _another(ledger, out_dir)
    known = ledger.runs()

    def lacks(run_id: int, name: str) -> bool:
        # A run the ledger abandoned was never handed off (its journal entry, if any, is stale); one it
        # has as still building was sealed after the ledger's copy was made.
        return run_id not in known or known[run_id][0] != name or known[run_id][1] == "building"

    behind = {run_id: e for run_id, e in entries.items() if lacks(run_id, str(e.get("folder")))}
    unrecorded = {run_id: f for run_id, f in folders.items() if run_id not in entries and lacks(run_id, f.name)}
    return behind, unrecorded


def check(ledger: Ledger, out_dir: Path) -> None:
    """Refuse a ledger that does not know every run the output folder holds; then pair the two.

    A wrong --ledger, or one restored from a backup, would mail those runs' residents again.
    """
    marker = out_dir / MARKER
    try:
        behind, unrecorded = _missing(ledger, out_dir)
        runs = sorted({*behind, *unrecorded})
        if runs and not ledger.has_runs():
            raise _another(ledger, out_dir)
        if runs:
            shown = ", ".join(map(str, runs[:10])) + (f" and {len(runs) - 10} more" if len(runs) > 10 else "")
            raise LedgerError(
                f"{ledger.path} is behind {out_dir}: it lacks run(s) {shown}, sealed there (was it restored from a "
                f"backup?); nothing was done. Bring it up to date with `notices ledger recover --out {out_dir} "
                f"--ledger {ledger.path}`, then run again")  # fmt: skip
        if not marker.is_file():
            write_private(marker, ledger.ledger_id.encode("ascii") + b"\n")
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot use the output folder: {exc.strerror}") from None


def recover(ledger: Ledger, out_dir: Path) -> list[tuple[int, int, int]]:
    """Record in the ledger every sealed run of the output folder that it lacks: (run, notices, IDs) added."""
    try:
        behind, unrecorded = _missing(ledger, out_dir)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot read the output folder: {exc.strerror}") from None
    known = ledger.runs()
    for run_id, name in [*((r, str(e["folder"])) for r, e in behind.items()), *((r, f.name) for r, f in unrecorded.items())]:
        if run_id in known and known[run_id][0] != name and known[run_id][1] in ("sealing", "complete"):
            raise LedgerError(f"run {run_id} is {known[run_id][0]} in {ledger.path} but {name} in {out_dir}: two runs "
                              "share a number; nothing was recovered")  # fmt: skip
    entries = {**{run_id: _from_folder(folder, run_id) for run_id, folder in unrecorded.items()}, **behind}
    done = []
    for run_id in sorted(entries):
        folder = (out_dir / str(entries[run_id]["folder"])).resolve()
        done.append((run_id, *ledger.restore_run(entries[run_id], folder)))
    return done


def _from_folder(folder: Path, run_id: int) -> dict[str, Any]:
    """A journal entry rebuilt from a sealed folder's manifest (a run sealed before the journal was kept)."""
    try:
        manifest = list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text(encoding="utf-8-sig"))))
        sums = (folder / "SHA256SUMS").read_text(encoding="ascii")
        summary_path = folder / "summary.json"
        summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise LedgerError(f"{folder}: cannot read the sealed folder's manifest: {exc}") from None
    notices = [[m["resident_id"], m["kind"], m["expires_on"], m["piece_id"], m["application_id"], ""] for m in manifest]
    ids = [[m["application_id"], m["resident_id"], 0] for m in manifest if m["application_id"]]
    return {"run_id": run_id, "as_of": folder.name[:10], "folder": folder.name, "sums": sums, "summary": summary,
            "notices": notices, "application_ids": ids}  # fmt: skip
