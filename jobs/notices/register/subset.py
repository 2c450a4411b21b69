"""One resident's rows of a register, and only what decides about them: read without reading the rest.

`notices explain` answers for one resident on a register of a million rows in about a second: the file's
bytes are searched for the resident ID, the lines that hold it in their ID column are kept, with
the lines of the resident's household (a support measure on any member protects every one) and of
anyone given the same supplied application ID; that small register is then read by the one reader
(read.py), and its line numbers put back to the file's. Should one of those lines be part of a record
broken inside quotes (rare in exports), the whole file is read instead.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from .csvfile import read_file
from .encodings import detect, refuse_utf16
from .read import RegisterRead, column_index, read_data
from .residents import ResidentTable
from ..gaiji import GaijiMap


def _lines_holding(data: bytes, value: bytes) -> dict[int, int]:
    """Start offsets of the lines in which value occurs, with their line numbers (1 for the header)."""
    found: dict[int, int] = {}
    at, counted, line = data.find(value), 0, 1
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        if start not in found:
            line += data.count(b"\n", counted, start)
            counted = start
            found[start] = line
        at = data.find(value, at + len(value))
    return found


def _cells(line: bytes, codec: str) -> list[str]:
    return next(csv.reader([line.decode(codec, errors="replace").rstrip("\r")]), [])


def _matching(data: bytes, codec: str, column: int | None, value: str) -> dict[int, tuple[int, bytes]]:
    """The lines whose cell in COLUMN is VALUE: {start offset: (line number, bytes)}."""
    if column is None or not value or not value.isascii():
        return {}
    found = {}
    for start, number in _lines_holding(data, value.encode("ascii")).items():
        if number == 1:
            continue
        end = data.find(b"\n", start)
        line = data[start : len(data) if end < 0 else end]
        cells = _cells(line, codec)
        if len(cells) > column and cells[column].strip() == value:
            found[start] = (number, line)
    return found


def read_about(path: Path, resident_id: str, encoding: str | None = None, resident_id_pattern: str | None = None,
               gaiji: GaijiMap = GaijiMap()) -> RegisterRead:  # fmt: skip
    """The register read as far as it decides about one resident: their rows, their household's, the rows
    sharing their supplied application ID; line numbers are the file's."""
    source = str(path)
    data = read_file(path, source)
    refuse_utf16(data, source, encoding)
    codec = encoding or detect(data)[0]
    end = data.find(b"\n")
    header_bytes = data if end < 0 else data[: end + 1]
    header = [cell.strip().lstrip("\ufeff") for cell in _cells(header_bytes.rstrip(b"\n"), codec)]
    columns = column_index(header, source)
    options: dict[str, object] = {"gaiji": gaiji}
    if resident_id_pattern is not None:
        options["resident_id_pattern"] = resident_id_pattern
    rows = _matching(data, codec, columns["resident_id"], resident_id)
    for column in ("household_id", "application_id"):
        for _, line in list(rows.values()):
            cells = _cells(line, codec)
            if column in columns and len(cells) > columns[column]:
                rows |= _matching(data, codec, columns[column], cells[columns[column]].strip())
    ordered = sorted(rows.values())
    if not _whole([line for _, line in ordered]):
        return read_data(data, source, codec, **options)  # type: ignore[arg-type]
    small = header_bytes + b"".join(line.rstrip(b"\r") + b"\r\n" for _, line in ordered)
    read = read_data(small, source, codec, **options)  # type: ignore[arg-type]
    return _renumbered(read, {n: number for n, (number, _) in enumerate(ordered, start=2)})


def _whole(lines: list[bytes]) -> bool:
    """True when every line is a whole record: an even number of quotes ("" inside quotes comes in pairs); an
    odd number means a quoted cell breaks across lines, and then a line of the file is not a record."""
    return all(line.count(b'"') % 2 == 0 for line in lines)


def _renumbered(read: RegisterRead, lines: dict[int, int]) -> RegisterRead:
    """The small register's read with the file's line numbers (the row count is that of the small one)."""
    def moved(item: object) -> object:
        return dataclasses.replace(item, line=lines.get(item.line, item.line))  # type: ignore[attr-defined]

    residents = [moved(r) for r in read.residents]
    return dataclasses.replace(read, table=ResidentTable.of(residents),  # type: ignore[arg-type]
                               rejects=tuple(moved(j) for j in read.rejects),  # type: ignore[misc]
                               quality=tuple(moved(q) for q in read.quality))  # type: ignore[misc]  # fmt: skip

