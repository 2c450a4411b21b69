"""The output folder's own record of what it was handed, so that a ledger can never fall behind it unseen.

Each sealed run leaves `.journal/run-NNNNN.json` in the output folder, written once the ledger has
recorded the run as sealed and before its folder is renamed into place: the notices, the application
IDs, the checksums, the ledger's identity; rewritten with the pieces recalled when the run is recalled.
The journal stays when a vendor takes the folder or an operator clears old ones. Before a run does
anything, `check` compares the journal and the sealed folders with the ledger: a ledger restored from a
backup lacks the runs since, and would mail their residents again with new IDs, and the recalls since
(the journal's, and the RECALLED files of the folders), and would never mail those residents again;
`recover` records those runs and recalls in it again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import LedgerError, OutputError
from .handoff import read_recalled, withdraw, write_atomic, write_private
from .ledger import Ledger
from .receipts import RecalledPiece

JOURNAL = ".journal"
MARKER = ".ledger-id"
RUN_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}_run(\d{5,})")
BULKY = ("notices", "application_ids")  # a run's rows in its entry: read only to recover the run


def _json(entry: dict[str, Any]) -> Iterator[bytes]:
    """json.dumps(entry, ensure_ascii=False) and a newline, in parts: a value that is an iterator (the rows of a run
    with very many pieces) is written a row at a time, never held whole."""
    for n, (key, value) in enumerate(entry.items()):
        yield (("{" if n == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": ").encode("utf-8")
        if not isinstance(value, Iterator):
            yield json.dumps(value, ensure_ascii=False).encode("utf-8")
            continue
        yield b"["
        for i, item in enumerate(value):
            yield (", " if i else "").encode("ascii") + json.dumps(item, ensure_ascii=False).encode("utf-8")
        yield b"]"
    yield b"}\n" if entry else b"{}\n"


def write_entry(out_dir: Path, entry: dict[str, Any]) -> None:
    """Keep a sealed run's record in the output folder (durably, owner-only, replaced whole)."""
    target = out_dir / JOURNAL / f"run-{entry['run_id']:05d}.json"
    try:
        write_atomic(target, _json(entry))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the run's journal entry: {exc.strerror}") from None


def remove_entry(out_dir: Path, run_id: int) -> None:
    """Forget the record of a run that was never handed off after all."""
    try:
        (out_dir / JOURNAL / f"run-{run_id:05d}.json").unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir / JOURNAL}: cannot remove run {run_id}'s journal entry: {exc.strerror}") from None


def _entry(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        raise LedgerError(f"{path}: the journal entry cannot be read: restore it from the backup of "
                          f"{path.parent.parent}") from None  # fmt: skip


def _entries(out_dir: Path) -> dict[int, dict[str, Any]]:
    """Every entry of the journal, by run, without its notices and IDs (read again by `recover` where needed): a
    run compares the journal with the ledger first thing, and the journal keeps every run ever sealed."""
    found: dict[int, dict[str, Any]] = {}
    for path in sorted((out_dir / JOURNAL).glob("run-*.json")):
        entry = _entry(path)
        try:
            found[int(entry["run_id"])] = {k: v for k, v in entry.items() if k not in BULKY} | {"path": path}
        except (KeyError, TypeError, ValueError):
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


Recalls = dict[int, dict[str, RecalledPiece]]  # by run, by piece


def _missing(ledger: Ledger, out_dir: Path) -> tuple[dict[int, dict[str, Any]], dict[int, Path], Recalls]:
    """What the output folder holds that the ledger lacks: the runs, from the journal and from folders without an
    entry, and the recalled pieces (of those runs all, of the others those the ledger still counts as sent).

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
    recalls = _recalls(entries, folders)
    for run_id in set(recalls) - set(behind) - set(unrecorded):
        live = set(ledger.run_pieces(run_id)) - {piece for _, (piece, *_) in ledger.recalled(run_id)}
        recalls[run_id] = {piece: p for piece, p in recalls[run_id].items() if piece in live}
    return behind, unrecorded, {run_id: pieces for run_id, pieces in recalls.items() if pieces}


def _recalls(entries: dict[int, dict[str, Any]], folders: dict[int, Path]) -> Recalls:
    """The recalled pieces the output folder records, by run: the journal's, and the folders' RECALLED files."""
    found: Recalls = {}
    for run_id, entry in entries.items():
        for piece in entry.get("recalled", []):
            found.setdefault(run_id, {})[piece[0]] = tuple(piece)  # type: ignore[assignment]
    for run_id, folder in folders.items():
        try:
            listed = read_recalled(folder)
        except (OSError, ValueError) as exc:
            raise LedgerError(f"{folder}: its RECALLED file cannot be read ({exc}): restore it from the backup") from None
        for r in listed:
            found.setdefault(run_id, {}).setdefault(r.piece_id, (r.piece_id, r.scope, r.recalled_at, r.recalled_by, r.reason))
    return found


def _shown(runs: list[int]) -> str:
    return ", ".join(map(str, runs[:10])) + (f" and {len(runs) - 10} more" if len(runs) > 10 else "")


def check(ledger: Ledger, out_dir: Path) -> None:
    """Refuse a ledger that does not know every run and recall the output folder holds; then pair the two.

    A wrong --ledger, or one restored from a backup, would mail those runs' residents again (or never
    again, those of a recall it lacks).
    """
    marker = out_dir / MARKER
    try:
        behind, unrecorded, recalls = _missing(ledger, out_dir)
        runs = sorted({*behind, *unrecorded})
        if runs and not ledger.has_runs():
            raise _another(ledger, out_dir)
        recover = f"`notices ledger recover --out {out_dir} --ledger {ledger.path}`"
        if runs:
            raise LedgerError(
                f"{ledger.path} is behind {out_dir}: it lacks run(s) {_shown(runs)}, sealed there (was it restored from a "
                f"backup?); nothing was done. Bring it up to date with {recover}, then run again")  # fmt: skip
        if recalls:
            raise LedgerError(
                f"{ledger.path} is behind {out_dir}: it lacks the recall of run(s) {_shown(sorted(recalls))} recorded "
                f"there (a recall that stopped half-way, or a ledger restored from a backup); nothing was done. "
                f"Record it with {recover}, then run again")  # fmt: skip
        if not marker.is_file():
            write_private(marker, ledger.ledger_id.encode("ascii") + b"\n")
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot use the output folder: {exc.strerror}") from None


def finish_recall(ledger: Ledger, folder: Path, run_id: int, pieces: list[RecalledPiece]) -> int:
    """Record a recall its folder already shows (RECALLED written): READY removed first when the whole folder is
    recalled, then the ledger, then the journal entry; a second time changes nothing. Pieces recalled now."""
    try:
        if any(scope == "folder" for _, scope, *_ in pieces) and (folder / "READY").is_file():
            withdraw(folder)  # first: a ledger that no longer counts the folder while a vendor may take it re-mails
        with ledger.transaction():
            done = ledger.record_recall(run_id, pieces)
        write_entry(folder.parent, ledger.sealed_run(run_id))
    except OSError as exc:
        raise OutputError(f"{folder}: cannot recall run {run_id}'s folder: {exc.strerror}") from None
    return done


def recover(ledger: Ledger, out_dir: Path) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    """Record in the ledger every sealed run of the output folder that it lacks, (run, notices, IDs) added, and
    every recall, (run, pieces recalled)."""
    try:
        behind, unrecorded, recalls = _missing(ledger, out_dir)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot read the output folder: {exc.strerror}") from None
    known = ledger.runs()
    for run_id, name in [*((r, str(e["folder"])) for r, e in behind.items()), *((r, f.name) for r, f in unrecorded.items())]:
        if run_id in known and known[run_id][0] != name and known[run_id][1] in ("sealing", "complete"):
            raise LedgerError(f"run {run_id} is {known[run_id][0]} in {ledger.path} but {name} in {out_dir}: two runs "
                              "share a number; nothing was recovered")  # fmt: skip
    entries = {**{run_id: _from_folder(folder, run_id) for run_id, folder in unrecorded.items()},
               **{run_id: _entry(e["path"]) for run_id, e in behind.items()}}  # fmt: skip
    done, recalled = [], []
    for run_id in sorted({*entries, *recalls}):  # in run order: a recall before the run that mailed its residents again
        pieces = list(recalls.get(run_id, {}).values())
        if run_id not in entries:
            recalled.append((run_id, finish_recall(ledger, out_dir / known[run_id][0], run_id, pieces)))
            continue
        folder = (out_dir / str(entries[run_id]["folder"])).resolve()
        done.append((run_id, *ledger.restore_run(entries[run_id], folder)))
        if pieces:
            recalled.append((run_id, finish_recall(ledger, folder, run_id, pieces)))
    return done, recalled


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
