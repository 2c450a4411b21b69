"""The hand-off folder (domain.md 5.3): built under a temporary name, sealed with SHA256SUMS and READY; RECALLED
when it is taken back before print."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, NamedTuple

from .crashpoints import crash_point
from ..errors import OutputError
from .ledger import building_path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LOT_NAME = re.compile(r"lot-[0-9]{4,}\.pdf")  # the lot files of a folder, as SHA256SUMS names them
RECALLED = "RECALLED"
RECALL_COLUMNS = ("piece_id", "pdf", "first_page", "page_count", "scope", "recalled_at", "recalled_by", "reason")


class Recalled(NamedTuple):
    """One piece taken back before print, as the folder's RECALLED file lists it for the vendor."""

    piece_id: str
    pdf: str
    first_page: str
    page_count: str
    scope: str  # "folder": the whole folder was recalled; "pieces": these pieces only, the folder stays READY
    recalled_at: str
    recalled_by: str
    reason: str


def neutralise(cell: object) -> str:
    """A cell as text that no spreadsheet will run as a formula (prefixed with ')."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file as bytes: UTF-8 with BOM (so that Excel opens it), CRLF, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _open_private(target: Path) -> IO[bytes]:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def write_private(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Write a file readable by its owner only, durably (its folder is created owner-only); DATA may come in parts."""
    with _open_private(target) as out:
        if isinstance(data, bytes):
            out.write(data)
        else:
            out.writelines(data)
        out.flush()
        os.fsync(out.fileno())


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks (a manifest of many pieces is never read whole)."""
    with path.open("rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace a file whole (owner-only, durably): a crash leaves the old one or the new one, never a part."""
    temporary = target.with_name(f".{target.name}.tmp")
    write_private(temporary, data)
    os.replace(temporary, target)
    _fsync_dir(target.parent)


class CsvStream:
    """A CSV file of a run folder written as its rows come (see RunFolder.open_csv)."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        try:
            self.out = _open_private(path)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
        self.text = io.TextIOWrapper(self.out, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text, lineterminator="\r\n")
        self.write_rows([header])

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        """Append rows, formulas neutralised."""
        try:
            self.writer.writerows([neutralise(cell) for cell in row] for row in rows)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write: {exc.strerror}") from None

    def close(self) -> None:
        """Write the file out durably and close it (once; closing again does nothing)."""
        if self.text.closed:
            return
        try:
            self.text.flush()
            os.fsync(self.out.fileno())
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write: {exc.strerror}") from None
        finally:
            with suppress(OSError):  # a failed flush fails closing too: the error above is the one to tell
                self.text.close()


    def abort(self) -> None:
        """Close the file without making it durable: the run stopped, and its folder is discarded."""
        with suppress(OSError):
            self.text.close()


class RunFolder:
    """A run's folder while it is being written; `seal()` makes it final."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.path = building_path(final)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                raise OutputError(f"{final}: the run folder already exists")
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(mode=0o700)
            os.chmod(self.path, 0o700)  # whatever the umask: readable by its owner only
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the run folder: {exc.strerror}") from None
        self.files: list[str] = []
        self.renamed = False  # True once the folder is in place: from then on it counts as handed off

    def write(self, name: str, data: bytes | Iterable[bytes]) -> Path:
        """Write one file (owner-only), durably; DATA may come in parts."""
        target = self.path / name
        try:
            write_private(target, data)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
        self.files.append(name)
        return target

    def write_csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
        """Write a CSV file for spreadsheets (see csv_bytes)."""
        return self.write(name, csv_bytes(header, rows))

    def open_csv(self, name: str, header: Sequence[str]) -> CsvStream:
        """A CSV file written row by row as the run goes (the same bytes as write_csv); close() makes it durable."""
        stream = CsvStream(self.path / name, header)
        self.files.append(name)
        return stream

    def write_json(self, name: str, value: object) -> Path:
        """Write a JSON file, UTF-8, keys in a stable order."""
        return self.write(name, (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))

    def write_sums(self) -> str:
        """Write SHA256SUMS of every file written, and return its text (the ledger records it before publish())."""
        sums = "".join(f"{sha256_of(self.path / name)}  {name}\n" for name in sorted(self.files))
        self.write("SHA256SUMS", sums.encode("ascii"))
        crash_point("sums")
        return sums

    def publish(self) -> Path:
        """Rename the folder into place, then write READY: only then may a vendor take it."""
        try:
            _fsync_dir(self.path)
            os.rename(self.path, self.final)
            self.renamed = True
            _fsync_dir(self.final.parent)
            crash_point("renamed")
            write_private(self.final / "READY", b"")
            _fsync_dir(self.final)
        except OSError as exc:
            raise OutputError(f"{self.final}: cannot move the finished folder into place: {exc.strerror}") from None
        crash_point("ready")
        return self.final

    def discard(self) -> None:
        """Remove an unfinished folder."""
        shutil.rmtree(self.path, ignore_errors=True)


def settle(final: Path, sums: str | None) -> bool:
    """After a crash, whether a run's folder was handed off (then READY is written if it is missing).

    SUMS is what the ledger recorded when it sealed the run, before the rename (None: never sealed).
    A sealed run counts as handed off once renamed: READY is written if it is missing and the files
    still match, and a folder since moved or cleared counts too (a vendor may have it). A run never
    renamed, or renamed but damaged before READY, was never with a vendor: False, and once the
    ledger has abandoned the run, `clear_unfinished` removes what it left.
    """
    if (final / "READY").is_file() or (final / RECALLED).is_file():  # RECALLED: it was handed off, then recalled
        return True
    if final.is_dir():
        if sums is None and (final / "SHA256SUMS").is_file():  # sealed by a version that did not record it
            sums = (final / "SHA256SUMS").read_text(encoding="ascii")
        if sums is not None and not verify(final, sums):
            write_private(final / "READY", b"")
            return True
        return False
    return sums is not None and not building_path(final).exists()  # renamed, then moved away or cleared


def clear_unfinished(final: Path) -> None:
    """Remove the half-built folder of a run never handed off, and set a damaged one in place aside."""
    shutil.rmtree(building_path(final), ignore_errors=True)
    if final.is_dir() and not (final / "READY").is_file():
        final.rename(final.with_name(f".damaged-{final.name}"))


def verify(folder: Path, sums: str | None = None) -> list[str]:
    """The files of a sealed folder whose SHA-256 does not match SUMS (default: its SHA256SUMS); empty when sound."""
    bad = []
    if sums is None:
        sums = (folder / "SHA256SUMS").read_text(encoding="ascii")
    for line in sums.splitlines():
        digest, name = line.split("  ", 1)
        path = folder / name
        if not path.is_file() or sha256_of(path) != digest:
            bad.append(name)
    return bad


def read_recalled(folder: Path) -> list[Recalled]:
    """The pieces the folder's RECALLED file lists (none without one); ValueError if it cannot be read."""
    path = folder / RECALLED
    if not path.is_file():
        return []
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    if tuple(rows.fieldnames or ()) != RECALL_COLUMNS:
        raise ValueError(f"{path}: not a RECALLED file of this program (its columns are {rows.fieldnames})")
    return [Recalled(*(row[c] or "" for c in RECALL_COLUMNS)) for row in rows]


def write_recalled(folder: Path, recalled: Sequence[Recalled]) -> None:
    """Write (or replace) the folder's RECALLED file: what the vendor must not print, and why."""
    write_atomic(folder / RECALLED, csv_bytes(RECALL_COLUMNS, recalled))


def withdraw(folder: Path) -> None:
    """Remove the folder's READY, durably: from then on no vendor takes it."""
    (folder / "READY").unlink(missing_ok=True)
    _fsync_dir(folder)
