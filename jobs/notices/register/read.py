"""Reading the register CSV (domain.md 5.1): encoding, headers, cells, and the reasons a row is unusable."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import unicodedata
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .bulk_memory import bulk_memory
from .csvfile import read_file, read_records
from .encodings import refuse_utf16
from ..errors import RegisterError
from ..gaiji import GaijiMap
from ..models import QualityNote, Reject, Resident
from ..privacy import quote
from .cells import ALIASES, REQUIRED, RESIDENT_ID_PATTERN, Shapes
from .frame import normalise, read_plain, row_records
from .scan import decode, scan
from .residents import ResidentTable
from .rows import parse_rows

log = logging.getLogger("notices")
SHOWN_UNUSED = 5  # unknown columns named in the one log line about them


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", header).lower())


_CANONICAL = {_key(alias): col for col, aliases in ALIASES.items() for alias in (col, *aliases)}


@dataclass(frozen=True)
class RegisterRead:
    """What reading a register gave: usable residents, rejected rows, and the households to protect."""

    path: str
    encoding: str
    sha256: str
    rows_read: int
    table: ResidentTable = field(repr=False, compare=False)  # every usable resident, as columns, in line order
    bulk_rows: int  # how many of them were read in bulk (the others one by one: quotes, era dates, odd bytes)
    rejects: tuple[Reject, ...]
    protected_households: frozenset[str]
    quality: tuple[QualityNote, ...]

    @property
    def residents(self) -> tuple[Resident, ...]:
        """Every usable resident in line order, built all at once: for small registers (and tests)."""
        return tuple(self.table.residents())

    def find(self, resident_id: str) -> Resident | None:
        """The usable resident with this ID, if there is one."""
        return next(iter(self.table.residents(self.table.positions_of({resident_id}))), None)


def column_index(header: list[str], source: str) -> dict[str, int]:
    """Where each known column is in a header row; RegisterError for a header the register cannot have."""
    return _columns(header, source)


def _columns(header: list[str], source: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    unused: list[tuple[int, str]] = []
    for index, name in enumerate(header):
        canonical = _CANONICAL.get(_key(name))
        if canonical is None:
            if any(word in _key(name) for word in ("支援", "dv")):
                # A protection flag we cannot read would protect nobody: stop rather than guess.
                raise RegisterError(f"{source}: line 1, column {index + 1}: {quote(name)} looks like a support-measure "
                                    "flag but is not a known column name: name it support_measure")  # fmt: skip
            unused.append((index, name))
            continue
        if canonical in columns:
            raise RegisterError(
                f"{source}: line 1: column {canonical!r} appears twice (columns {columns[canonical] + 1} and {index + 1})"
            )
        columns[canonical] = index
    if unused:
        _log_unused(unused, source)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RegisterError(f"{source}: line 1: required column {missing[0]!r} is missing")
    if "card_issued_on" not in columns and "card_expires_on" not in columns:
        raise RegisterError(f"{source}: line 1: required column 'card_issued_on' is missing")
    return columns


def _log_unused(unused: list[tuple[int, str]], source: str) -> None:
    """One warning line for all the columns not used: how many, and the first few."""
    shown = ", ".join(f"column {index + 1} {quote(name)}" for index, name in unused[:SHOWN_UNUSED])
    count = "1 column is" if len(unused) == 1 else f"{len(unused)} columns are"
    log.warning("%s: line 1: %s not used: %s%s", source, count, shown, ", …" if len(unused) > SHOWN_UNUSED else "")


def read_register(path: Path, encoding: str | None = None, *, row_by_row: bool = False,
                  resident_id_pattern: str = RESIDENT_ID_PATTERN,
                  gaiji: GaijiMap = GaijiMap()) -> RegisterRead:  # fmt: skip
    """Read a register file; raise RegisterError only when the file cannot be read at all.

    The plain lines are read in bulk; `row_by_row` reads every line with the per-row code (the reference).
    A row whose resident ID does not match `resident_id_pattern` in full, or is a My Number's 12 digits,
    is rejected (ConfigError for a pattern that is no regular expression). The printed text is read with
    the municipality's agreed 外字 (`gaiji`): the one place it is applied (gaiji.py).
    """
    return read_data(read_file(path, str(path)), str(path), encoding, row_by_row=row_by_row,
                     resident_id_pattern=resident_id_pattern, gaiji=gaiji)  # fmt: skip


def read_data(data: bytes, source: str, encoding: str | None = None, *, row_by_row: bool = False,
              resident_id_pattern: str = RESIDENT_ID_PATTERN, gaiji: GaijiMap = GaijiMap()) -> RegisterRead:  # fmt: skip
    """read_register, of a register's bytes (SOURCE names it in messages)."""
    read = _read(data, source, encoding, row_by_row, resident_id_pattern)
    return dataclasses.replace(read, table=gaiji.applied(read.table))


def _read(data: bytes, source: str, encoding: str | None, row_by_row: bool, resident_id_pattern: str) -> RegisterRead:
    shapes = Shapes.of(resident_id_pattern)
    refuse_utf16(data, source, encoding)
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing lets go of the GIL: it runs beside the reading
        sha256 = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        if not row_by_row:
            with bulk_memory():
                read = _read_bulk(data, source, encoding, sha256, shapes)
            if read is not None:
                return read
        used, header, records = read_records(data, source, encoding)
        columns = _columns(header, source)
        parsed, flags, quality = parse_rows(records, columns, len(header), shapes)
        ids = Counter(item.resident_id for _, item in parsed if item.resident_id)
        return _finish(source, used, sha256.result(), parsed, flags, quality, ids)


def _read_bulk(data: bytes, source: str, encoding: str | None, sha256: Future[str], shapes: Shapes
               ) -> RegisterRead | None:  # fmt: skip
    """The register read with its plain lines in bulk; None when it must be read row by row."""
    decoded = decode(data, source, encoding)
    if decoded is None:
        return None
    found = scan(decoded, plain=True)
    if found is None:
        return None
    columns = _columns(found.header, source)
    frame = read_plain(found, columns)
    if frame is None:
        found = scan(decoded, plain=False)
        frame = read_plain(found, columns) if found is not None else None
        if found is None or frame is None:
            return None
    del decoded
    bulk = normalise(frame, found.lines, shapes)
    others = row_records(found, frame, bulk.others, found.lines, columns)
    del frame
    parsed, flags, quality = parse_rows(sorted([*found.records, *others], key=lambda r: r.line), columns,
                                         len(found.header), shapes)  # fmt: skip
    quality += [QualityNote(line, resident_id, "sex", detail) for line, resident_id, detail in bulk.sex_notes]
    not_plain = {record.line for record in found.records}  # the plain rows' IDs are counted already
    ids = bulk.id_counts([item.resident_id for line, item in parsed if line in not_plain])
    return _finish(source, found.encoding, sha256.result(), parsed, flags, sorted(quality, key=lambda q: q.line),
                   ids, bulk.table, bulk.protected)  # fmt: skip


def _finish(
    source: str, encoding: str, sha256: str, parsed: list[tuple[int, Resident | Reject]],
    flags: list[tuple[str, bool]], quality: list[QualityNote], ids: Counter[str], table: ResidentTable | None = None,
    protected: frozenset[str] = frozenset(),
) -> RegisterRead:  # fmt: skip
    """The register read: every row of a resident ID on more than one row (`ids` counts them) rejected."""
    table = table if table is not None else ResidentTable.empty()
    residents: list[Resident] = []
    rejects: list[Reject] = []
    for line, item in parsed:
        if isinstance(item, Reject):
            rejects.append(item)
        elif ids[item.resident_id] > 1:
            rejects.append(_duplicate(line, item.resident_id, ids[item.resident_id]))
        else:
            residents.append(item)
    twice = table.positions_of({rid for rid, n in ids.items() if n > 1})
    for line, resident_id in zip(table.lines()[twice].tolist(), table.texts("resident_id", twice), strict=True):
        rejects.append(_duplicate(line, resident_id, ids[resident_id]))
    rejects.sort(key=lambda j: j.line)
    protected |= frozenset(household for household, flagged in flags if flagged and household)
    bulk = table.without(twice)
    return RegisterRead(source, encoding, sha256, len(parsed) + len(table), bulk.joined(ResidentTable.of(residents)),
                        len(bulk), tuple(rejects), protected, tuple(quality))  # fmt: skip


def _duplicate(line: int, resident_id: str, count: int) -> Reject:
    # Every row of a duplicated ID is rejected: nobody can tell which is right (domain.md 2.6).
    return Reject(line, resident_id, "duplicate_resident_id", "resident_id", f"resident_id appears on {count} rows")
