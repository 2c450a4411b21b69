"""What the vendor's side tells the ledger: the lots it acknowledged, the folders and pieces recalled before print.

Mixed into Ledger (ledger.py), whose connection and transactions these use; all SQL stays in the ledger.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from itertools import groupby
from pathlib import Path

# A recalled piece as the ledger and the journal keep it: (piece, scope, when, by whom, why).
RecalledPiece = tuple[str, str, str, str, str]


class Receipts:
    """The vendor's side of the ledger (a mixin of Ledger)."""

    db: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[None]:  # provided by Ledger
        raise NotImplementedError

    def handed_off_runs(self) -> list[tuple[int, str, str, str | None]]:
        """The sealed runs a vendor may have (complete, or sealed and not yet settled), oldest first: (run, folder's
        name, its SHA256SUMS, when it was completed or None)."""
        rows = self.db.execute("SELECT run_id, folder, sums, finished_at FROM runs WHERE sums IS NOT NULL"
                               " AND state IN ('complete', 'sealing') ORDER BY run_id").fetchall()  # fmt: skip
        return [(run_id, Path(folder).name, sums, finished) for run_id, folder, sums, finished in rows]

    def acked_lots(self) -> dict[int, dict[str, str]]:
        """The lots acknowledged, by run: lot file name with when its receipt was recorded."""
        found: dict[int, dict[str, str]] = {}
        for run_id, lot, at in self.db.execute("SELECT run_id, lot, acked_at FROM acks ORDER BY run_id, lot"):
            found.setdefault(run_id, {})[lot] = at
        return found

    def record_acks(self, acks: Iterable[tuple[int, str, str]], at: str, by: str, source: str) -> int:
        """Record lots received, (run, lot file, SHA-256), inside the caller's transaction; one already recorded
        is left as it was. How many were recorded now."""
        before = self.db.total_changes
        self.db.executemany("INSERT INTO acks VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            [(run_id, lot, digest, at, by, source) for run_id, lot, digest in acks])  # fmt: skip
        return self.db.total_changes - before

    def acks_from_run(self) -> int:
        """The first run expected to be acknowledged (the runs sealed before acknowledgements were kept are not)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'acks_from_run'").fetchone()
        return int(row[0]) if row else 1

    def run_pieces(self, run_id: int) -> list[str]:
        """The pieces a run handed off, recalled or not, in piece order."""
        rows = self.db.execute("SELECT piece_id FROM notices WHERE run_id = ? ORDER BY piece_id", (run_id,)).fetchall()
        return [piece_id for (piece_id,) in rows]

    def recalled(self, run_id: int | None = None) -> list[tuple[int, RecalledPiece]]:
        """The recalled pieces (of one run, or of all), by run and piece: (run, (piece, scope, when, by, why))."""
        where = "WHERE n.run_id = ?" if run_id is not None else ""
        rows = self.db.execute(
            "SELECT n.run_id, n.piece_id, r.scope, r.recalled_at, r.recalled_by, r.reason FROM notices n JOIN recalls r"
            f" USING (recall_id) {where} ORDER BY n.run_id, n.piece_id", () if run_id is None else (run_id,)).fetchall()  # fmt: skip
        return [(run, (piece, scope, at, by, reason)) for run, piece, scope, at, by, reason in rows]

    def wholly_recalled(self) -> set[int]:
        """The runs whose whole folder was recalled."""
        return {run_id for (run_id,) in self.db.execute("SELECT DISTINCT run_id FROM recalls WHERE scope = 'folder'")}

    def record_recall(self, run_id: int, pieces: Iterable[RecalledPiece]) -> int:
        """Mark pieces of a run recalled, inside the caller's transaction: their notices no longer count as sent, their
        application IDs stay issued. A piece already recalled keeps its recall. How many were recalled now."""
        live = {piece for (piece,) in self.db.execute(
            "SELECT piece_id FROM notices WHERE run_id = ? AND recall_id IS NULL", (run_id,))}  # fmt: skip
        done = 0
        fresh = sorted((tuple(p) for p in pieces if p[0] in live), key=lambda p: p[1:])
        for (scope, at, by, reason), group in groupby(fresh, key=lambda p: p[1:]):
            recall_id = self.db.execute(
                "INSERT INTO recalls (run_id, scope, recalled_at, recalled_by, reason) VALUES (?, ?, ?, ?, ?)",
                (run_id, scope, at, by, reason)).lastrowid  # fmt: skip
            before = self.db.total_changes
            self.db.executemany("UPDATE notices SET recall_id = ? WHERE run_id = ? AND piece_id = ? AND recall_id IS NULL",
                                [(recall_id, run_id, p[0]) for p in group])  # fmt: skip
            done += self.db.total_changes - before
        return done

    def recalls_of(self, resident_id: str) -> list[tuple[str, str, int, str, str, str, str]]:
        """A resident's recalled pieces, oldest recall first: (when, piece, run, folder, scope, by whom, why)."""
        return self.db.execute(
            "SELECT r.recalled_at, n.piece_id, n.run_id, runs.folder, r.scope, r.recalled_by, r.reason FROM notices n"
            " JOIN recalls r USING (recall_id) JOIN runs ON runs.run_id = n.run_id WHERE n.resident_id = ?"
            " ORDER BY r.recalled_at, n.piece_id", (resident_id,)).fetchall()  # fmt: skip

    def recall_list(self) -> list[tuple[int, str, str, int, str, str, str]]:
        """Every recall, newest first: (run, folder, scope, pieces, when, by whom, why)."""
        return self.db.execute(
            "SELECT r.run_id, runs.folder, r.scope, COUNT(n.piece_id), r.recalled_at, r.recalled_by, r.reason"
            " FROM recalls r JOIN runs ON runs.run_id = r.run_id LEFT JOIN notices n ON n.recall_id = r.recall_id"
            " GROUP BY r.recall_id ORDER BY r.recall_id DESC").fetchall()  # fmt: skip
