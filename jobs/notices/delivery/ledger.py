"""The ledger: which notices were handed off, which application IDs were issued. SQLite, outside the output."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import LedgerError, LockedError, NotFoundError
from .receipts import Receipts
from .records import Records
from .schema import MIGRATIONS


@dataclass(frozen=True)
class NoticeRecord:
    """One notice as the ledger keeps it."""

    resident_id: str
    kind: str
    expires_on: date
    piece_id: str
    application_id: str
    address_hash: str = ""
    pdf: str = ""  # the lot file the piece is in, and its first page there
    first_page: int = 0


def address_hash(postal_code: str, address: str, address_extra: str) -> str:
    """A fingerprint of a mailing address, to tell whether it changed since mail came back."""
    # NFKC and folded spaces: a full-width/half-width change in the export is not a move.
    text = " ".join(unicodedata.normalize("NFKC", "\x1f".join((postal_code, address, address_extra))).split(" "))
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def now() -> str:
    """The wall clock as the ledger records it (UTC, ISO 8601) to the microsecond: an operator's step and a run
    started within the same second still sort in the order they happened (`notices explain`'s history). Older
    rows to the second sort as if at .000000, before any later time of the same second."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Ledger(Records, Receipts):
    """An open ledger. Use `Ledger.open(path)`, which also holds the run lock."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path, wait_seconds: float = 0) -> Iterator[Ledger]:
        """Open (creating or migrating) the ledger, holding its lock until the block ends."""
        real = Path(os.path.realpath(path))  # one lock per ledger, however it is reached (a symlink, "..")
        lock = FileLock(str(real) + ".lock", mode=0o600)
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=wait_seconds)
        except Timeout:
            raise LockedError(f"{path}: another run holds the ledger's lock ({real}.lock)") from None
        except OSError as exc:
            raise LedgerError(f"{path}: cannot take the ledger's lock ({real}.lock): {exc.strerror}") from None
        try:
            db = sqlite3.connect(real, isolation_level=None)
            try:
                os.chmod(real, 0o600)  # resident IDs and application IDs: the owner's only
            except OSError as exc:
                db.close()
                raise LedgerError(f"{path}: the ledger cannot be written: {exc.strerror}") from None
            try:
                db.execute("PRAGMA foreign_keys = ON")
                db.execute("PRAGMA synchronous = FULL")
                ledger = cls(db, path)
                ledger._migrate()
                yield ledger
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"{path}: the ledger cannot be used: {exc}") from None
        finally:
            lock.release()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise LedgerError(f"{self.path}: ledger schema {version} is newer than this program's")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    @classmethod
    @contextmanager
    def read(cls, path: Path, empty_if_missing: bool = False) -> Iterator[Ledger]:
        """Open the ledger read-only, without the run lock (for status and plan); never creates it."""
        if not path.exists():
            if not empty_if_missing:
                raise NotFoundError(f"{path}: no ledger here: no run has been made with it (check --ledger)")
            db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        try:
            ledger = cls(db, path)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != len(MIGRATIONS) and path.exists():
                raise LedgerError(f"{path}: ledger schema {version}; run `notices run` once to bring it up to date")
            if not path.exists():
                ledger._migrate()
            yield ledger
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"{path}: the ledger cannot be read: {exc}") from None
        finally:
            db.close()

    @property
    def ledger_id(self) -> str:
        """This ledger's own random identity, written into every output folder it serves."""
        return self.db.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()[0]

    def has_runs(self) -> bool:
        """True once any run has been started with this ledger."""
        return self.db.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is not None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic change: all of it is committed, or none."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def unfinished(self) -> list[tuple[int, Path, str | None]]:
        """Runs a crash left unfinished: number, final path of the folder, its SHA256SUMS if it was sealed."""
        rows = self.db.execute(
            "SELECT run_id, folder, sums FROM runs WHERE state IN ('building', 'sealing') ORDER BY run_id")
        return [(run_id, Path(folder), sums) for run_id, folder, sums in rows.fetchall()]

    def runs(self) -> dict[int, tuple[str, str]]:
        """Every run the ledger knows: its number, with its folder's name and its state."""
        rows = self.db.execute("SELECT run_id, folder, state FROM runs").fetchall()
        return {run_id: (Path(folder).name, state) for run_id, folder, state in rows}

    def sealed_run(self, run_id: int) -> dict[str, object]:
        """What a sealed run handed off, as the output folder's journal keeps it (see journal.py); its notices and
        application IDs as rows read as they are iterated, once (a run may have very many)."""
        as_of, folder, sums, summary = self.db.execute(
            "SELECT as_of, folder, sums, summary FROM runs WHERE run_id = ?", (run_id,)).fetchone()  # fmt: skip
        notices = self.db.execute(
            "SELECT resident_id, kind, expires_on, piece_id, application_id, address_hash FROM notices"
            " WHERE run_id = ? ORDER BY piece_id", (run_id,))  # fmt: skip
        ids = self.db.execute("SELECT application_id, resident_id, supplied FROM application_ids WHERE run_id = ?"
                              " ORDER BY application_id", (run_id,))  # fmt: skip
        return {"ledger_id": self.ledger_id, "run_id": run_id, "as_of": as_of, "folder": Path(folder).name,
                "sums": sums, "summary": json.loads(summary or "{}"), "notices": map(list, notices),
                "application_ids": map(list, ids), "recalled": [list(p) for _, p in self.recalled(run_id)]}

    def restore_run(self, entry: dict[str, object], folder: Path) -> tuple[int, int]:
        """Record a sealed run the ledger lacks (from the journal or the folder): (notices, IDs) added.

        A run the ledger has unfinished or abandoned (a backup made while it ran) becomes complete; the pieces
        the entry lists as recalled are recorded recalled.
        """
        run_id = int(entry["run_id"])  # type: ignore[call-overload]
        with self.transaction():
            self.db.execute(
                "INSERT INTO runs (run_id, as_of, started_at, finished_at, state, folder, sums, summary)"
                " VALUES (?, ?, ?, ?, 'complete', ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET state = 'complete',"
                " finished_at = excluded.finished_at, sums = excluded.sums, summary = excluded.summary",
                (run_id, entry["as_of"], now(), now(), str(folder), entry.get("sums"),
                 json.dumps(entry.get("summary", {}), ensure_ascii=False)),
            )  # fmt: skip
            before = self.db.total_changes
            self.db.executemany(
                "INSERT INTO notices (resident_id, kind, expires_on, run_id, piece_id, application_id, address_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(rid, kind, day, run_id, piece, app or None, digest or None)
                 for rid, kind, day, piece, app, digest in entry["notices"]])  # type: ignore[attr-defined]  # fmt: skip
            added = self.db.total_changes - before
            self.db.executemany(
                "INSERT INTO application_ids VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(app, rid, run_id, int(supplied)) for app, rid, supplied in entry["application_ids"]])  # type: ignore[attr-defined]  # fmt: skip
            ids = self.db.total_changes - before - added
            self.record_recall(run_id, entry.get("recalled", []))  # type: ignore[arg-type]
        return added, ids

    def begin_run(self, as_of: date, out_dir: Path) -> tuple[int, Path]:
        """Start a run; return its number and the final path of its folder."""
        with self.transaction():
            run_id = (self.db.execute("SELECT COALESCE(MAX(run_id), 0) + 1 FROM runs").fetchone()[0])
            folder = (out_dir / f"{as_of.isoformat()}_run{run_id:05d}").resolve()
            self.db.execute(
                "INSERT INTO runs (run_id, as_of, started_at, state, folder) VALUES (?, ?, ?, 'building', ?)",
                (run_id, as_of.isoformat(), now(), str(folder)),
            )
        return run_id, folder

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool:
        """True when this (resident, kind, expiry) notice was already handed off."""
        return self.notified_each([(resident_id, kind, expires_on.isoformat())])[0]

    def notified_each(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        """notified() of each (resident ID, kind, expiry as ISO text), asked in one query (a night's due residents)."""
        found = {n for (n,) in self.db.execute(
            "SELECT a.key FROM json_each(?) a WHERE EXISTS (SELECT 1 FROM notices JOIN runs USING (run_id)"
            " WHERE resident_id = json_extract(a.value, '$[0]') AND kind = json_extract(a.value, '$[1]')"
            " AND expires_on = json_extract(a.value, '$[2]') AND returned_at IS NULL AND recall_id IS NULL"
            " AND state IN ('complete', 'sealing'))", (json.dumps(keys, ensure_ascii=False),))}  # fmt: skip
        return [n in found for n in range(len(keys))]

    def history(self, resident_id: str, expires_on: date) -> dict[str, str]:
        """The kinds of notice handed off to a resident for an expiry, with the run date of each."""
        rows = self.db.execute(
            "SELECT n.kind, r.as_of FROM notices n JOIN runs r USING (run_id)"
            " WHERE n.resident_id = ? AND n.expires_on = ? AND n.returned_at IS NULL AND n.recall_id IS NULL"
            " AND r.state = 'complete'",
            (resident_id, expires_on.isoformat()),
        ).fetchall()
        return dict(rows)

    def application_id_owner(self, application_id: str) -> str | None:
        """The resident an application ID was issued to, or None."""
        return self.application_id_owners([application_id]).get(application_id)

    def application_id_owners(self, application_ids: Sequence[str]) -> dict[str, str]:
        """The resident each of some application IDs was issued to (those issued), asked in one query."""
        return dict(self.db.execute(
            "SELECT application_id, resident_id FROM application_ids WHERE application_id IN"
            " (SELECT value FROM json_each(?))", (json.dumps(application_ids, ensure_ascii=False),)).fetchall())  # fmt: skip

    def claim_application_id(self, application_id: str, resident_id: str, run_id: int, supplied: bool) -> bool:
        """Record an ID as issued; False if it already was (to anyone). IDs are never released. Inside a
        transaction (a lot's IDs, lots.py) it is part of it, else a transaction of its own."""
        if not self.db.in_transaction:
            with self.transaction():
                return self.claim_application_id(application_id, resident_id, run_id, supplied)
        try:  # a failed INSERT undoes itself only: the transaction around it goes on
            self.db.execute("INSERT INTO application_ids VALUES (?, ?, ?, ?)",
                            (application_id, resident_id, run_id, int(supplied)))  # fmt: skip
        except sqlite3.IntegrityError:
            return False
        return True

    def record_notices(self, run_id: int, notices: Iterable[NoticeRecord]) -> None:
        """Record the run's notices; they count as sent once the run is complete."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO notices (resident_id, kind, expires_on, run_id, piece_id, application_id, address_hash, pdf,"
                " first_page) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(n.resident_id, n.kind, n.expires_on.isoformat(), run_id, n.piece_id, n.application_id or None,
                  n.address_hash or None, n.pdf or None, n.first_page or None) for n in notices],
            )  # fmt: skip

    def sealing(self, run_id: int, sums: str, summary: dict[str, object]) -> None:
        """Record the run's folder as sealed (its SHA256SUMS), before it is renamed into place: from here on its
        notices count as handed off, even if the folder is then moved or cleared (see handoff.settle)."""
        with self.transaction():
            self.db.execute("UPDATE runs SET state = 'sealing', sums = ?, summary = ? WHERE run_id = ?",
                            (sums, json.dumps(summary, ensure_ascii=False), run_id))  # fmt: skip

    def complete_run(self, run_id: int) -> None:
        """Mark a run complete: its folder is final and its notices are sent."""
        with self.transaction():
            self.db.execute("UPDATE runs SET state = 'complete', finished_at = ? WHERE run_id = ?", (now(), run_id))

    def abandon_run(self, run_id: int) -> None:
        """Undo a failed run's notices so that the next run mails them (IDs stay issued)."""
        with self.transaction():
            self.db.execute("DELETE FROM notices WHERE run_id = ?", (run_id,))
            self.db.execute("UPDATE runs SET state = 'abandoned', finished_at = ? WHERE run_id = ?", (now(), run_id))


def building_path(final: Path) -> Path:
    """Where a run's folder is built before it is renamed into place."""
    return final.with_name(f".building-{final.name}")
