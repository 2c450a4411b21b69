"""Taking a sealed folder, or some of its pieces, back before the vendor prints it (notices recall).

The folder first, then the ledger: RECALLED is written (what the vendor must not print, and why), READY
removed when the whole folder is recalled, and only then does the ledger stop counting those notices as
sent (journal.finish_recall). A crash in between leaves a folder no vendor takes and a ledger that still
counts its notices (nobody is mailed twice); the same command again, or `notices ledger recover`, finishes it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError, LedgerError, NotFoundError, OutputError, RefusedError
from . import journal
from .handoff import Recalled, read_recalled, write_recalled
from .ledger import Ledger


def _run_of(ledger: Ledger, folder: Path) -> int:
    """The number of the sealed, complete run whose folder FOLDER is; an error saying why otherwise."""
    match = journal.RUN_FOLDER.fullmatch(folder.name)
    if not folder.is_dir():
        raise NotFoundError(f"{folder}: no such folder")
    known = ledger.runs().get(int(match[1])) if match else None
    if match is None or known is None or known[0] != folder.name:
        raise NotFoundError(f"{folder}: not a run folder of the ledger {ledger.path}")
    marker = folder.parent / journal.MARKER
    if marker.is_file() and marker.read_text(encoding="ascii").strip() != ledger.ledger_id:
        raise LedgerError(f"{folder.parent} holds the runs of another ledger than {ledger.path}: check --ledger")
    if known[1] != "complete":
        raise InputError(f"{folder}: run {match[1]} is {known[1]}, not handed off: "
                         + ("run `notices run` first, which settles it" if known[1] == "sealing" else "nothing to recall"))
    return int(match[1])


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    try:
        rows = csv.DictReader(io.StringIO((folder / "manifest.csv").read_text(encoding="utf-8-sig"), newline=""))
        return {row["piece_id"]: row for row in rows}
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{folder}: its manifest.csv cannot be read: {exc}") from None


def recall(ledger: Ledger, folder: Path, reason: str, operator: str, pieces: list[str] | None = None) -> tuple[int, str]:
    """Recall a READY folder, or only PIECES of it: (pieces recalled now, "folder" or "pieces").

    Refused (RefusedError) once the vendor has acknowledged any lot of it. Naming every piece recalls the
    folder. A second time changes nothing, and finishes a recall that stopped half-way.
    """
    run_id = _run_of(ledger, folder)
    sums = next(s for r, _, s, _ in ledger.handed_off_runs() if r == run_id)
    try:
        if (folder / "SHA256SUMS").read_text(encoding="ascii") != sums:
            raise InputError(f"{folder}: its SHA256SUMS is not the one run {run_id} sealed: not recalled")
        earlier = read_recalled(folder)
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: its SHA256SUMS or RECALLED file cannot be read: {exc}; not recalled") from None
    if not (folder / "READY").is_file() and not earlier:
        raise InputError(f"{folder}: has no READY: not a folder as handed to the vendor, and not recalled: not recalled")
    acked = ledger.acked_lots().get(run_id)
    if acked:
        lots = ", ".join(f"{lot} ({at[:16]})" for lot, at in acked.items())
        raise RefusedError(f"{folder.name}: the vendor has acknowledged {lots}: it may be printing it, so it cannot "
                           "be recalled here; call the vendor")  # fmt: skip
    every = ledger.run_pieces(run_id)
    if not every:
        raise InputError(f"{folder}: run {run_id} mailed nothing: nothing to recall")
    wanted = every if pieces is None else list(dict.fromkeys(pieces))
    if unknown := [p for p in wanted if p not in set(every)]:
        raise InputError(f"{folder}: not pieces of run {run_id}: {', '.join(unknown[:10])}; nothing recalled")
    already = {r.piece_id for r in earlier} | {p for _, (p, *_) in ledger.recalled(run_id)}
    scope = "folder" if already | set(wanted) >= set(every) else "pieces"
    # To the second, as the vendor has always read RECALLED. (explain's history sorts it before anything else of
    # its second, the ledger's other times being to the microsecond; a recall waits for the ledger to itself.)
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    placed = _manifest(folder)
    fresh = [Recalled(p, placed.get(p, {}).get("pdf", ""), placed.get(p, {}).get("first_page", ""),
                      placed.get(p, {}).get("page_count", ""), scope, at, operator, reason)
             for p in (every if scope == "folder" else wanted) if p not in already]  # fmt: skip
    listed = [*earlier, *fresh]
    try:
        if fresh:
            write_recalled(folder, listed)  # first: the vendor's instruction, and the evidence a restored ledger lacks
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write RECALLED: {exc.strerror}; nothing recalled") from None
    done = journal.finish_recall(ledger, folder, run_id, [(r.piece_id, r.scope, r.recalled_at, r.recalled_by, r.reason)
                                                          for r in listed])  # fmt: skip
    return done, "folder" if any(r.scope == "folder" for r in listed) else "pieces"
