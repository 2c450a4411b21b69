"""The register file as CSV records: the encoding detected, each record with the physical line it starts on.

A bad byte, an unclosed quote or a row longer than MAX_LINE_BYTES spoils one record, never the
file: the record is returned with its problem, and reading goes on from the next physical line.
"""

from __future__ import annotations

import codecs
import csv
import os
import stat
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encodings import BOM, detect
from ..errors import RegisterError

MAX_LINE_BYTES = 1 << 20  # a row (its physical lines, line breaks included) longer than this is malformed
# A field is at most as many characters as its row has bytes: a longer one is a row past the bound anyway.
csv.field_size_limit(MAX_LINE_BYTES)
_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip


@dataclass(frozen=True)
class Record:
    """One CSV record: the physical line it starts on (the header is line 1), its cells, what is wrong."""

    line: int
    cells: list[str]
    problem: str  # "" for a sound record


def read_file(path: Path, source: str) -> bytes:
    """The bytes of a regular file; RegisterError for anything else (a FIFO would block, /dev/zero never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once, writer or not
    except OSError as exc:
        raise RegisterError(f"{source}: cannot read the register: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = next((name for test, name in _NOT_REGULAR if test(mode)), "not a file")
            raise RegisterError(f"{source}: is not a regular file ({what}): give the register's export file")
        with open(fd, "rb", closefd=False) as file:
            return file.read()
    except OSError as exc:
        raise RegisterError(f"{source}: cannot read the register: {exc.strerror}") from None
    finally:
        os.close(fd)


def too_long(lines: int) -> str:
    """The problem of a record longer than MAX_LINE_BYTES, over so many physical lines."""
    if lines == 1:
        return f"the line is longer than {MAX_LINE_BYTES} bytes, the limit"
    return f"the row runs on over several lines for more than {MAX_LINE_BYTES} bytes, the limit: is a quote not closed?"


def header_cells(line: str, size: int, source: str) -> list[str]:
    """The header's cells; RegisterError for a header of more than MAX_LINE_BYTES bytes."""
    if size > MAX_LINE_BYTES:
        raise RegisterError(f"{source}: line 1: the header is longer than {MAX_LINE_BYTES} bytes, the limit")
    return next(csv.reader([line]), [])


def _decode_all(lines: list[bytes], encoding: str) -> tuple[list[str], set[int]]:
    bad: set[int] = set()
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    return [_decode(raw, index, codec, bad) for index, raw in enumerate(lines)], bad


def _decode(raw: bytes, index: int, codec: str, bad: set[int]) -> str:
    if index == 0 and raw.startswith(BOM):
        raw = raw[len(BOM):]
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        bad.add(index)
        return raw.decode(codec, errors="replace")


class DecodedLines(Sequence[str]):
    """The physical lines of a file, decoded one by one when first read; lines not in the encoding go to `bad`."""

    def __init__(self, data: bytes, ends: np.ndarray, encoding: str, bad: set[int]) -> None:
        self.data, self.ends, self.bad = data, ends, bad
        self.codec = "utf-8" if encoding == "utf-8-sig" else encoding
        self.cache: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        if index not in self.cache:
            raw = self.data[int(self.ends[index - 1]) if index else 0 : int(self.ends[index])]
            self.cache[index] = _decode(raw, index, self.codec, self.bad)
        return self.cache[index]


def line_ends(data: bytes) -> np.ndarray:
    """Where each physical line ends (after its terminator), split as bytes.splitlines does: LF, CR LF, lone CR."""
    ends = _positions(data, b"\n") + 1
    if data.count(b"\r") != data.count(b"\r\n"):
        crs = _positions(data, b"\r")
        lone = crs[np.frombuffer(data + b"\0", np.uint8)[crs + 1] != 10]
        ends = np.union1d(ends, lone + 1)
    if len(data) and (not len(ends) or ends[-1] != len(data)):
        ends = np.append(ends, len(data))
    return ends


def _positions(data: bytes, byte: bytes, chunk: int = 1 << 22) -> np.ndarray:
    # In chunks, reusing one mask: a mask of the whole file costs more in page faults than in comparing.
    view, mask, found = np.frombuffer(data, np.uint8), np.empty(min(chunk, len(data)), bool), [np.empty(0, np.int64)]
    for start in range(0, len(data), chunk):
        part = view[start : start + chunk]
        np.equal(part, ord(byte), out=mask[: len(part)])
        found.append(np.flatnonzero(mask[: len(part)]) + start)
    return np.concatenate(found)


class _Lines:
    """An iterator over the decoded lines that can be rewound to any line."""

    def __init__(self, lines: Sequence[str], position: int) -> None:
        self.lines, self.position = lines, position

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1]


def read_records(data: bytes, source: str, encoding: str | None = None) -> tuple[str, list[str], Iterator[Record]]:
    """The encoding used, the header cells, and the records after it."""
    lines = data.splitlines(keepends=True)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise RegisterError(f"{source}: unknown encoding {encoding!r}") from None
    used = encoding or detect(data)[0]
    text, bad = _decode_all(lines, used)
    if not text:
        raise RegisterError(f"{source}: line 1: the file is empty: no header row")
    if 0 in bad:
        raise RegisterError(f"{source}: line 1: the header is not valid {used} (use --encoding)")
    header = header_cells(text[0], len(lines[0]), source)
    ends = np.cumsum([len(line) for line in lines], dtype=np.int64)
    return used, header, _records(text, bad, ends, len(header), used)


def _records(text: list[str], bad: set[int], ends: np.ndarray, width: int, encoding: str) -> Iterator[Record]:
    for record, _ in records_from(text, bad, ends, width, encoding, 1):
        yield record


def records_from(text: Sequence[str], bad: Container[int], ends: np.ndarray, width: int, encoding: str,
                 start: int) -> Iterator[tuple[Record, int]]:  # fmt: skip
    """The records from line index `start` on, each with the index of the line the next one starts on.

    `ends` holds where each physical line ends in the file's bytes, for the bound on a record's length.
    """
    source = _Lines(text, start)
    reader = csv.reader(source)
    while True:
        start, cells = source.position, []
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = f"unreadable CSV: {exc}"
        else:
            problem = ""
        # A field past the csv module's limit is a record past the bound too: it is the problem then.
        last = max(source.position, start + 1) - 1
        if int(ends[last]) - (int(ends[start - 1]) if start else 0) > MAX_LINE_BYTES:
            problem = too_long(last + 1 - start)
        elif not problem:
            spoiled = [i for i in range(start, source.position) if i in bad]
            if spoiled:
                problem = f"line {spoiled[0] + 1} is not valid {encoding}"
            elif source.position - start > 1 and len(cells) != width:
                problem = "a quote is not closed"
            else:
                yield Record(start + 1, cells, ""), source.position
                continue
        yield Record(start + 1, cells, problem), start + 1
        # The record is rejected at its first line; reading goes on from the next physical line.
        source.position = start + 1
        reader = csv.reader(source)
