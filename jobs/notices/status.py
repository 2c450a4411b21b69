"""What operators ask of the ledger: recent runs, who is held, whose mail came back; and recording returns."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import NoticesError
from .ledger import Ledger


@dataclass(frozen=True)
class RunLine:
    """One run as `notices status` lists it."""

    run_id: int
    as_of: str
    state: str
    mailed_by_kind: dict[str, int]
    held: int
    rejected: int
    folder: str


def recent_runs(ledger: Ledger, limit: int = 10) -> list[RunLine]:
    """The latest runs, newest first, with their counts (from each run's summary)."""
    lines = []
    for run_id, as_of, state, folder, summary in ledger.db.execute(
        "SELECT run_id, as_of, state, folder, summary FROM runs ORDER BY run_id DESC LIMIT ?", (limit,)
    ):
        counts = json.loads(summary) if summary else {}
        lines.append(RunLine(run_id, as_of, state, {k: v for k, v in counts.get("mailed_by_kind", {}).items() if v},
                             counts.get("held_for_review", 0), counts.get("rejected", 0), folder))  # fmt: skip
    return lines


def still_held(ledger: Ledger) -> list[tuple[str, str, str, str, str]]:
    """Residents the latest complete run held for review: (resident, reason, detail, kind, expiry)."""
    return ledger.db.execute(
        "SELECT resident_id, reason, detail, kind, expires_on FROM held WHERE run_id ="
        " (SELECT MAX(run_id) FROM runs WHERE state = 'complete') ORDER BY resident_id, reason"
    ).fetchall()


def returned(ledger: Ledger) -> list[tuple[str, str, str, str, str]]:
    """Notices that came back undelivered: (resident, piece, kind, expiry, when recorded)."""
    return ledger.db.execute(
        "SELECT resident_id, piece_id, kind, expires_on, returned_at FROM notices"
        " WHERE returned_at IS NOT NULL ORDER BY returned_at DESC, piece_id"
    ).fetchall()


def read_ids(path: Path) -> list[str]:
    """Piece or resident IDs, one a line (first column of a CSV; a header line is skipped)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise NoticesError(f"{path}: cannot read the list of returned mail: {exc}") from None
    ids = [row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    return ids[1:] if ids and ids[0].lower() in ("piece_id", "resident_id", "id") else ids


def record_returned(ledger: Ledger, ids: list[str]) -> tuple[list[str], list[str]]:
    """Mark each piece (or a resident's latest piece) as returned; the IDs recorded and those not found."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    found, unknown = [], []
    with ledger.transaction():
        for given in ids:
            row = ledger.db.execute(
                "SELECT n.piece_id FROM notices n JOIN runs r USING (run_id) WHERE r.state = 'complete'"
                " AND n.returned_at IS NULL AND (n.piece_id = ? OR n.resident_id = ?) ORDER BY n.run_id DESC LIMIT 1",
                (given, given),
            ).fetchone()
            if row is None:
                unknown.append(given)
                continue
            ledger.db.execute("UPDATE notices SET returned_at = ? WHERE piece_id = ?", (now, row[0]))
            found.append(row[0])
    return found, unknown
