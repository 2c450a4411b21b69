"""The register file as CSV records: the encoding detected, each record with the physical line it starts on.

A bad byte or an unclosed quote spoils one record, never the file: the record is
returned with its problem, and reading goes on from the next physical line.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import RegisterError

csv.field_size_limit(sys.maxsize)
BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Record:
    """One CSV record: the physical line it starts on (the header is line 1), its cells, what is wrong."""

    line: int
    cells: list[str]
    problem: str  # "" for a sound record


def detect_encoding(lines: list[bytes]) -> str:
    """UTF-8 unless most lines with non-ASCII bytes are not UTF-8, then CP932."""
    if lines and lines[0].startswith(BOM):
        return "utf-8-sig"
    non_ascii = bad = 0
    for line in lines:
        if not line.isascii():
            non_ascii += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
    # A CP932 file fails UTF-8 on nearly every line with Japanese text; a UTF-8 file with
    # a few pasted CP932 rows fails on those rows only, and they are rejected one by one.
    return "utf-8" if bad * 2 <= non_ascii else "cp932"


def _decode(lines: list[bytes], encoding: str) -> tuple[list[str], set[int]]:
    text, bad = [], set()
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for index, raw in enumerate(lines):
        if index == 0 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        try:
            text.append(raw.decode(codec))
        except UnicodeDecodeError:
            text.append(raw.decode(codec, errors="replace"))
            bad.add(index)
    return text, bad


class _Lines:
    """An iterator over the decoded lines that can be rewound to any line."""

    def __init__(self, lines: list[str], position: int) -> None:
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
    used = encoding or detect_encoding(lines)
    text, bad = _decode(lines, used)
    if not text:
        raise RegisterError(f"{source}: line 1: the file is empty: no header row")
    if 0 in bad:
        raise RegisterError(f"{source}: line 1: the header is not valid {used} (use --encoding)")
    header = next(csv.reader([text[0]]), [])
    return used, header, _records(text, bad, len(header), used)


def _records(text: list[str], bad: set[int], width: int, encoding: str) -> Iterator[Record]:
    source = _Lines(text, 1)
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
            spoiled = [i for i in range(start, source.position) if i in bad]
            if spoiled:
                problem = f"line {spoiled[0] + 1} is not valid {encoding}"
            elif source.position - start > 1 and len(cells) != width:
                problem = "a quote is not closed"
            else:
                yield Record(start + 1, cells, "")
                continue
        yield Record(start + 1, cells, problem)
        # The record is rejected at its first line; reading goes on from the next physical line.
        source.position = start + 1
        reader = csv.reader(source)
