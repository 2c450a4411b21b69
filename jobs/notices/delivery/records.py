"""What operators ask of the ledger and tell it: holds, decisions, returned mail, a resident's history, who looked.

Mixed into Ledger (ledger.py), whose connection and transactions these use; all SQL stays in the ledger.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date

from ..models import Decision

_DECISION_COLUMNS = ("resident_id", "reason", "decision", "note", "mail_to_postal_code", "mail_to_address",
                     "mail_to_name", "until", "detail", "address_hash", "decided_at", "decided_by")  # fmt: skip


def _decision_row(d: Decision) -> tuple[object, ...]:
    return tuple(d.until.isoformat() if c == "until" and d.until else getattr(d, c) for c in _DECISION_COLUMNS)


def _decision(row: tuple[object, ...]) -> Decision:
    fields = dict(zip(_DECISION_COLUMNS, row, strict=True))
    return Decision(**fields | {"until": date.fromisoformat(str(fields["until"])) if fields["until"] else None})  # type: ignore[arg-type]


class Records:
    """The operators' side of the ledger (a mixin of Ledger)."""

    db: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[None]:  # provided by Ledger
        raise NotImplementedError

    def record_held(self, run_id: int, held: Iterable[tuple[str, str, str, str, date, str, bool]]) -> None:
        """Record who the run held for review or withheld on a decision (resident, reason, detail, kind, expiry,
        registered address's fingerprint, withheld), for `status` and for the decisions that answer them."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO held (run_id, resident_id, reason, detail, kind, expires_on, address_hash, withheld)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, rid, reason, detail, kind, day.isoformat(), digest, int(withheld))
                 for rid, reason, detail, kind, day, digest, withheld in held])  # fmt: skip

    def latest_holds(self) -> dict[str, list[tuple[str, str, str | None]]]:
        """The holds of the latest complete run, by resident: (reason, detail, registered address's fingerprint)."""
        found: dict[str, list[tuple[str, str, str | None]]] = {}
        for rid, reason, detail, digest in self.db.execute(
                "SELECT resident_id, reason, detail, address_hash FROM held WHERE run_id ="
                " (SELECT MAX(run_id) FROM runs WHERE state = 'complete') ORDER BY resident_id, reason"):  # fmt: skip
            found.setdefault(rid, []).append((reason, detail, digest))
        return found

    def returned_each(self, resident_ids: Sequence[str]) -> list[bool]:
        """For each resident, whether any of their notices came back undelivered (returned_addresses says where),
        asked in one query: each resident looked up by the index, whatever the ledger holds."""
        found = {n for (n,) in self.db.execute(
            "SELECT a.key FROM json_each(?) a WHERE EXISTS (SELECT 1 FROM notices WHERE resident_id = a.value"
            " AND returned_at IS NOT NULL)", (json.dumps(resident_ids, ensure_ascii=False),))}  # fmt: skip
        return [n in found for n in range(len(resident_ids))]

    def returned_addresses(self, resident_id: str) -> dict[str, str]:
        """Address fingerprints of a resident's returned notices, with when each was recorded."""
        return self.returned_addresses_each([resident_id])[0]

    def returned_addresses_each(self, resident_ids: Sequence[str]) -> list[dict[str, str]]:
        """returned_addresses() of each resident, asked in one query."""
        found: list[dict[str, str]] = [{} for _ in resident_ids]
        for n, digest, at in self.db.execute(
                "SELECT a.key, n.address_hash, MAX(n.returned_at) FROM json_each(?) a JOIN notices n"
                " ON n.resident_id = a.value WHERE n.returned_at IS NOT NULL GROUP BY a.key, n.address_hash",
                (json.dumps(resident_ids, ensure_ascii=False),)):  # fmt: skip
            found[n][digest] = at
        return found

    def knows_resident(self, resident_id: str) -> bool:
        """True when any run mailed or held the resident."""
        return self.db.execute(
            "SELECT 1 FROM notices WHERE resident_id = ?1 UNION ALL SELECT 1 FROM held WHERE resident_id = ?1 LIMIT 1",
            (resident_id,)).fetchone() is not None  # fmt: skip

    def record_decisions(self, decisions: Iterable[Decision], source: str) -> None:
        """Record decisions (inside the caller's transaction); the latest for a hold is the one in force."""
        self.db.executemany(
            f"INSERT INTO decisions ({', '.join(_DECISION_COLUMNS)}, source) VALUES ({', '.join('?' * len(_DECISION_COLUMNS))}, ?)",
            [(*_decision_row(d), source) for d in decisions])  # fmt: skip

    def decisions(self, resident_id: str | None = None) -> list[Decision]:
        """The latest decision on each hold (of one resident, or of all), by resident and reason."""
        if resident_id is not None:
            return self.decisions_each([resident_id])[0]
        return [_decision(row) for row in self.db.execute(
            f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decisions WHERE decision_id IN (SELECT MAX(decision_id)"
            " FROM decisions GROUP BY resident_id, reason) ORDER BY resident_id, reason")]  # fmt: skip

    def decisions_each(self, resident_ids: Sequence[str]) -> list[list[Decision]]:
        """decisions() of each resident, asked in one query."""
        found: dict[str, list[Decision]] = {resident_id: [] for resident_id in resident_ids}
        for row in self.db.execute(
                f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decisions WHERE decision_id IN (SELECT MAX(decision_id)"
                " FROM decisions WHERE resident_id IN (SELECT value FROM json_each(?)) GROUP BY resident_id, reason)"
                " ORDER BY resident_id, reason", (json.dumps(list(found), ensure_ascii=False),)):  # fmt: skip
            decision = _decision(row)
            found[decision.resident_id].append(decision)
        return [list(found[resident_id]) for resident_id in resident_ids]

    def latest_runs(self, limit: int) -> list[tuple[int, str, str, str, str | None]]:
        """The latest `limit` runs, newest first: (run, run date, state, folder, summary JSON or None)."""
        return self.db.execute(
            "SELECT run_id, as_of, state, folder, summary FROM runs ORDER BY run_id DESC LIMIT ?", (limit,)
        ).fetchall()

    def held_in_latest_complete_run(self, withheld: bool = False) -> list[tuple[str, str, str, str, str]]:
        """Who the latest complete run held for review (or withheld on a decision): (resident, reason, detail, kind,
        expiry), by resident."""
        return self.db.execute(
            "SELECT resident_id, reason, detail, kind, expires_on FROM held WHERE run_id ="
            " (SELECT MAX(run_id) FROM runs WHERE state = 'complete') AND withheld = ? ORDER BY resident_id, reason",
            (int(withheld),)).fetchall()  # fmt: skip

    def returned_notices(self) -> list[tuple[str, str, str, str, str]]:
        """Notices recorded as returned, latest first: (resident, piece, kind, expiry, when recorded)."""
        return self.db.execute(
            "SELECT resident_id, piece_id, kind, expires_on, returned_at FROM notices"
            " WHERE returned_at IS NOT NULL ORDER BY returned_at DESC, piece_id"
        ).fetchall()

    def handed_off_piece(self, piece_id: str) -> tuple[str, str | None] | None:
        """A piece of a complete run, not recalled: (piece, when recorded as returned or None); None if there is none."""
        return self.db.execute(
            "SELECT n.piece_id, n.returned_at FROM notices n JOIN runs r USING (run_id)"
            " WHERE r.state = 'complete' AND n.recall_id IS NULL AND n.piece_id = ?", (piece_id,)).fetchone()  # fmt: skip

    def unreturned_pieces(self, resident_id: str) -> list[str]:
        """The pieces of complete runs mailed to a resident, not recalled and not recorded as returned."""
        rows = self.db.execute(
            "SELECT n.piece_id FROM notices n JOIN runs r USING (run_id) WHERE r.state = 'complete'"
            " AND n.resident_id = ? AND n.returned_at IS NULL AND n.recall_id IS NULL", (resident_id,)).fetchall()  # fmt: skip
        return [piece_id for (piece_id,) in rows]

    def latest_returned_piece(self, resident_id: str) -> tuple[str, str] | None:
        """A resident's piece most recently recorded as returned: (piece, when recorded); None if none was."""
        return self.db.execute(
            "SELECT piece_id, returned_at FROM notices WHERE resident_id = ? AND returned_at IS NOT NULL"
            " ORDER BY returned_at DESC LIMIT 1", (resident_id,)).fetchone()  # fmt: skip

    def mark_returned(self, piece_id: str, when: str) -> None:
        """Record a piece as returned at `when` (inside the caller's transaction): its notice no longer counts."""
        self.db.execute("UPDATE notices SET returned_at = ? WHERE piece_id = ?", (when, piece_id))

    def pieces_of(self, resident_id: str) -> list[tuple[int, str, str, str | None, int | None, str, str, str, str | None,
                                                        str | None, str]]:  # fmt: skip
        """A resident's handed-off pieces, oldest first: (run, run date, folder, lot file, first page, piece, kind,
        expiry, application ID, when recorded as returned, when the run started)."""
        return self.db.execute(
            "SELECT n.run_id, r.as_of, r.folder, n.pdf, n.first_page, n.piece_id, n.kind, n.expires_on,"
            " n.application_id, n.returned_at, r.started_at FROM notices n JOIN runs r USING (run_id)"
            " WHERE n.resident_id = ? AND r.state IN ('complete', 'sealing') ORDER BY n.run_id, n.piece_id",
            (resident_id,)).fetchall()  # fmt: skip

    def holds_of(self, resident_id: str) -> list[tuple[int, str, str, str, str, str, int, str]]:
        """The runs that held (or withheld) a resident, oldest first: (run, run date, reason, detail, kind, expiry,
        withheld, when the run started)."""
        return self.db.execute(
            "SELECT h.run_id, r.as_of, h.reason, h.detail, h.kind, h.expires_on, h.withheld, r.started_at FROM held h"
            " JOIN runs r USING (run_id) WHERE h.resident_id = ? AND r.state = 'complete' ORDER BY h.run_id, h.reason",
            (resident_id,)).fetchall()  # fmt: skip

    def decisions_made(self, resident_id: str) -> list[Decision]:
        """Every decision recorded on a resident, oldest first (the latest on a hold is the one in force)."""
        rows = self.db.execute(f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decisions WHERE resident_id = ?"
                               " ORDER BY decision_id", (resident_id,)).fetchall()  # fmt: skip
        return [_decision(row) for row in rows]

    def piece_owner(self, piece_id: str) -> str | None:
        """The resident a piece was mailed to (in a handed-off run), or None."""
        row = self.db.execute("SELECT n.resident_id FROM notices n JOIN runs r USING (run_id) WHERE n.piece_id = ?"
                              " AND r.state IN ('complete', 'sealing')", (piece_id,)).fetchone()  # fmt: skip
        return row[0] if row else None

    def record_access(self, at: str, operator: str, command: str, resident_id: str) -> None:
        """Record that an operator looked at a resident's data (explain, preview)."""
        with self.transaction():
            self.db.execute("INSERT INTO access_log VALUES (?, ?, ?, ?)", (at, operator, command, resident_id))

    def accesses(self, since: str = "") -> list[tuple[str, str, str, str]]:
        """Who looked at whose data, newest first: (when, operator, command, resident)."""
        return self.db.execute("SELECT at, operator, command, resident_id FROM access_log WHERE at >= ?"
                               " ORDER BY at DESC, rowid DESC", (since,)).fetchall()  # fmt: skip
