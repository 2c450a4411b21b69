"""What operators ask of the ledger: recent runs, folders not acknowledged, recalls, who is held, whose mail came back;
and recording returns."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from .inputs import read_text
from ..errors import InputError
from ..delivery.ledger import Ledger, now as ledger_now
from ..privacy import quote
from .acks import Pending, overdue_lines

MAX_ID_LENGTH = 64  # piece IDs have 12 characters, resident IDs 20 at most by default


@dataclass(frozen=True)
class RunLine:
    """One run as `notices status` lists it."""

    run_id: int
    as_of: str
    state: str
    mailed_by_kind: dict[str, int]
    held: int
    rejected: int
    lapsed: int
    folder: str


def recent_runs(ledger: Ledger, limit: int = 10) -> list[RunLine]:
    """The latest runs, newest first, with their counts (from each run's summary)."""
    lines = []
    for run_id, as_of, state, folder, summary in ledger.latest_runs(limit):
        counts = json.loads(summary) if summary else {}
        lines.append(RunLine(run_id, as_of, state, {k: v for k, v in counts.get("mailed_by_kind", {}).items() if v},
                             counts.get("held_for_review", 0), counts.get("rejected", 0), counts.get("lapsed", 0), folder))  # fmt: skip
    return lines


def still_held(ledger: Ledger, withheld: bool = False) -> list[tuple[str, str, str, str, str]]:
    """Residents the latest complete run held for review (or withheld on a decision): (resident, reason, detail,
    kind, expiry)."""
    return ledger.held_in_latest_complete_run(withheld)


def returned(ledger: Ledger) -> list[tuple[str, str, str, str, str]]:
    """Notices that came back undelivered: (resident, piece, kind, expiry, when recorded)."""
    return ledger.returned_notices()


def _looks_like_id(value: str) -> bool:
    # U+FFFD: bytes that are neither UTF-8 nor CP932 (a binary file, most likely) were in the ID column.
    return (len(value) <= MAX_ID_LENGTH and value.isprintable() and "\ufffd" not in value
            and not any(c.isspace() for c in value))  # fmt: skip


def read_ids(path: Path) -> list[str]:
    """Piece or resident IDs, one a line (first column of a CSV; a header line is skipped); InputError if not."""
    # IDs are ASCII; a spreadsheet may save in CP932
    text = read_text(path, "the list of returned mail", ("utf-8-sig",), fallback="cp932")
    ids = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            given = row[0].strip() if row else ""
            if given and not _looks_like_id(given):
                raise InputError(f"{path}: line {reader.line_num}: not a list of piece or resident IDs "
                                 f"(one a line): {quote(given)}")  # fmt: skip
            if given:
                ids.append(given)
    except csv.Error as exc:  # a NUL, an endless quoted field: not a CSV file at all
        raise InputError(f"{path}: line {reader.line_num}: not a list of piece or resident IDs ({exc})") from None
    return ids[1:] if ids and ids[0].lower() in ("piece_id", "resident_id", "id") else ids


def record_returned(ledger: Ledger, ids: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Mark returned pieces: (pieces recorded now, IDs already recorded, IDs not found or ambiguous).

    A resident ID stands for a piece only when the resident has exactly one mailed piece not yet
    marked returned; otherwise the piece ID is needed. Recording the same list twice changes nothing.
    """
    now = ledger_now()
    recorded, already, unknown = [], [], []
    with ledger.transaction():
        for given in dict.fromkeys(ids):
            piece: tuple[str, str | None] | None = ledger.handed_off_piece(given)
            if piece is None:
                live = ledger.unreturned_pieces(given)
                if len(live) == 1:
                    piece = (live[0], None)
                elif not live:  # nothing live: maybe this resident's return was recorded already
                    piece = ledger.latest_returned_piece(given)
            if piece is None:
                unknown.append(given)
            elif piece[1] is not None or piece[0] in recorded:
                already.append(given)
            else:
                ledger.mark_returned(piece[0], now)
                recorded.append(piece[0])
    return recorded, already, unknown


def report(ledger: Ledger, runs: int = 10, late: list[Pending] | None = None, ack_hours: int = 24) -> list[str]:
    """`notices status`: recent runs, the folders not acknowledged after ACK_HOURS (LATE), the recalls, who is held or
    withheld, the decisions in force, returned mail."""
    lines = [f"recent runs: {len(recent := recent_runs(ledger, runs))}"]
    for line in recent:
        mailed = ", ".join(f"{k} {v}" for k, v in line.mailed_by_kind.items()) or "none"
        lines.append(f"  run {line.run_id}  {line.as_of}  {line.state}  mailed: {mailed}  held: {line.held}"
                     f"  rejected: {line.rejected}  lapsed: {line.lapsed}  {line.folder}")  # fmt: skip
    lines += overdue_lines(late or [], ack_hours)
    lines.append(f"recalls: {len(recalls := ledger.recall_list())}")
    lines += [f"  run {run_id}  {Path(folder).name}  {'whole folder' if scope == 'folder' else 'pieces'}: {pieces} piece(s)"
              f"  {at[:10]} by {by}: {reason}" for run_id, folder, scope, pieces, at, by, reason in recalls]  # fmt: skip
    for title, rows in (("held for review in the latest run", still_held(ledger)),
                        ("withheld on a decision in the latest run", still_held(ledger, withheld=True))):  # fmt: skip
        lines.append(f"{title}: {len(rows)}")
        lines += [f"  {rid}  {reason}  {kind} {expires_on}  {detail}" for rid, reason, detail, kind, expires_on in rows]
    decided = ledger.decisions()
    lines.append(f"decisions in force: {len(decided)}")
    for d in decided:
        where = f" to 〒{d.mail_to_postal_code} {d.mail_to_address} {d.mail_to_name}".rstrip() if d.decision == "mail_to" else ""
        until = f" until {d.until}" if d.until else ""
        lines.append(f"  {d.resident_id}  {d.reason}  {d.decision}{where}{until}  by {d.decided_by} "
                     f"{d.decided_at[:10]}  {d.note}")  # fmt: skip
    lines.append(f"returned mail: {len(back := returned(ledger))}")
    lines += [f"  {rid}  piece {piece}  {kind} {expires_on}  returned {when[:10]}" for rid, piece, kind, expires_on, when in back]
    return lines
