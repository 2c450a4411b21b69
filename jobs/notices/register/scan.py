"""The register's bytes sorted for reading in bulk: the encoding, the plain lines, and the records left to csvfile.

A plain line is one CSV record by itself: valid in the file's encoding, quotes well formed, exactly
as many fields as the header, no NUL, at most MAX_LINE_BYTES long. pyarrow's CSV reader reads those, all at once.
Every other line is read by csvfile's record reader from that line on, exactly as for a file read
row by row, until it stands at a plain line again; so a broken quote or a bad byte spoils what it
spoils there too.
"""

from __future__ import annotations

import bisect
import codecs
import functools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .csvfile import MAX_LINE_BYTES, DecodedLines, Record, _decode, header_cells, line_ends, records_from
from .encodings import BOM, decode_lines, detect, line_feeds, valid_utf8
from ..errors import RegisterError

BULK_CODECS = ("utf-8", "cp932")  # ASCII-compatible: a comma, a quote and a line break are those bytes
_FIELD = r'(?:[^",\r\n\x00]*|"(?:[^"\x00]|"")*")'


@dataclass(frozen=True)
class Scan:
    """The register split for reading: header, plain lines for the bulk reader, the other records."""

    encoding: str  # as reported: the one given, or the one detected
    codec: str  # what the body is in: "utf-8", or "cp932" for the bulk reader to decode
    header: list[str]
    body: pa.Buffer  # the plain lines, one record each
    lines: np.ndarray  # the physical line number of each plain line
    records: list[Record]  # the records of all other lines, in file order
    data: bytes = field(repr=False)  # the file as it is


@dataclass(frozen=True)
class Decoded:
    """A register, its encoding and header; as UTF-8 when read as UTF-8, else made so only when asked."""

    data: bytes = field(repr=False)  # the file as it is
    encoding: str  # as reported: the one given, or the one detected
    codec: str  # "utf-8" or "cp932"
    header: list[str]
    errors: list[int] | None  # where in `data` each line that is not in the encoding goes wrong, if known

    @functools.cached_property
    def utf8(self) -> tuple[bytes, list[int]]:
        """The same lines in UTF-8 (a bad one's text replaced, its line break kept), and where bad lines go wrong."""
        if self.codec == "utf-8":
            return self.data, self.errors if self.errors is not None else decode_lines(self.data, "utf-8")[1]
        text, errors = decode_lines(self.data, self.codec)
        return text.encode("utf-8"), errors  # type: ignore[union-attr]


def decode(data: bytes, source: str, encoding: str | None) -> Decoded | None:
    """The register's encoding and header; None (read it row by row) for an empty file or another encoding
    than UTF-8 and CP932."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise RegisterError(f"{source}: unknown encoding {encoding!r}") from None
    if not data:
        return None
    used, errors = (encoding, None) if encoding else detect(data)
    codec = "utf-8" if used == "utf-8-sig" else codecs.lookup(used).name
    if codec not in BULK_CODECS:
        return None
    if codec == "utf-8" and errors is None and valid_utf8(data):
        errors = []
    return Decoded(data, used, codec, _header(data, used, source), errors)


def scan(decoded: Decoded, plain: bool) -> Scan | None:
    """Sort a register's lines; `plain`: take every line after the header as plain (the caller checks it).

    None when the lines cannot be sorted in bulk: the file is read row by row.
    """
    data, header = decoded.data, decoded.header
    end = data.find(b"\n") + 1 or len(data)
    # Plain throughout, as far as a glance shows: no bad byte (known of in UTF-8; pyarrow decodes CP932 and
    # fails on one), quote or NUL, no BOM pyarrow might drop, as many fields on the first line as in the header
    # (pyarrow counts the columns there). Another number of fields, a blank line or a lone CR (a line break to
    # pyarrow and to csvfile, not one that a count of LFs sees) make pyarrow complain or read another number of
    # rows than counted here: read_plain checks. (These bytes are the same in CP932: no second byte is ASCII.)
    first = data[end : (data.find(b"\n", end) + 1 or len(data))]
    known_good = decoded.errors == [] if decoded.codec == "utf-8" else decoded.errors is None
    if (plain and known_good and b'"' not in data and b"\0" not in data and not first.startswith(BOM)
            and first.count(b",") == len(header) - 1 and data.find(b"\r", 0, end) in (-1, end - 2)
            and _within_bound(data)):  # fmt: skip
        rows = line_feeds(data, end) + (not data.endswith(b"\n") and end < len(data))
        body = pa.py_buffer(data).slice(end) if rows != 1 else pa.py_buffer(_ended(data[end:]))
        return Scan(decoded.encoding, decoded.codec, header, body, np.arange(2, rows + 2), [], data)
    utf8, errors = decoded.utf8
    return _sorted(data, utf8, decoded.encoding, header, errors)


def _within_bound(data: bytes) -> bool:
    """True when no line is longer than MAX_LINE_BYTES, seen at a glance: each aligned half of that holds a LF.

    Two line feeds with none between are then less than 2 * half apart, whatever falls where.
    """
    half = MAX_LINE_BYTES // 2
    return all(data.find(b"\n", at, at + half) >= 0 for at in range(0, len(data) - half + 1, half))


def _header(data: bytes, used: str, source: str) -> list[str]:
    first = data[: int(line_ends(data[: (data.find(b"\n") + 1 or len(data))])[0])]
    bad: set[int] = set()
    text = _decode(first, 0, "utf-8" if used == "utf-8-sig" else used, bad)
    if bad:
        raise RegisterError(f"{source}: line 1: the header is not valid {used} (use --encoding)")
    return header_cells(text, len(first), source)


def _sorted(data: bytes, utf8: bytes, used: str, header: list[str], errors: list[int]) -> Scan | None:
    """The general case: each line sorted by a regular expression over all lines at once."""
    ends = line_ends(utf8)
    raw_ends = ends if utf8 is data else line_ends(data)
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    lines = pa.Array.from_buffers(pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(utf8)])
    pattern = f"^{_FIELD}(?:,{_FIELD}){{{len(header) - 1}}}(?:\r\n|\n|\r)?$"
    try:
        plain = pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # RE2 repeats at most 1000 times: a header of more columns is read row by row
        return None
    plain[0] = False  # the header
    plain &= np.diff(raw_ends, prepend=0) <= MAX_LINE_BYTES  # a longer line is a malformed row: csvfile says so
    plain[np.searchsorted(raw_ends, np.array(errors, np.int64), side="right")] = False
    at = utf8.find(BOM)
    while at >= 0:  # pyarrow would drop a BOM at the start of what it reads: such a line is left to csvfile
        line = int(np.searchsorted(offsets, at, side="right")) - 1
        plain[line] &= offsets[line] != at
        at = utf8.find(BOM, at + 1)
    records, taken = _records(DecodedLines(data, raw_ends, used, set()), plain, len(header), used)
    plain &= ~taken
    runs = np.flatnonzero(np.diff(np.concatenate([[False], plain, [False]]).astype(np.int8)))
    view = memoryview(utf8)
    body = b"".join(view[offsets[a] : offsets[b]] for a, b in zip(runs[::2], runs[1::2], strict=True))
    return Scan(used, "utf-8", header, pa.py_buffer(_ended(body)), np.flatnonzero(plain) + 1, records, data)


def _ended(body: bytes) -> bytes:
    """The lines with a line break after the last (pyarrow reads no lone line without one)."""
    return body if not body or body.endswith(b"\n") else body + b"\n"


def _records(lines: DecodedLines, plain: np.ndarray, width: int, used: str) -> tuple[list[Record], np.ndarray]:
    """Read every stretch that starts at a line that is not plain, up to the next plain line a record starts on."""
    others = np.flatnonzero(~plain[1:]) + 1
    records, taken = [], np.zeros(len(plain), bool)
    position = int(others[0]) if len(others) else len(plain)
    while position < len(plain):
        start = position
        for record, position in records_from(lines, lines.bad, lines.ends, width, used, start):
            records.append(record)
            if position >= len(plain) or plain[position]:
                break
        position = max(position, start + 1)
        taken[start:position] = True
        following = bisect.bisect_left(others, position)
        position = int(others[following]) if following < len(others) else len(plain)
    return records, taken


def plain_records(scan: Scan, numbers: list[int]) -> list[Record]:
    """The records on some plain lines (by line number), read from the file as csvfile reads them."""
    lines = DecodedLines(scan.data, line_ends(scan.data), scan.encoding, set())
    return [next(records_from(lines, lines.bad, lines.ends, len(scan.header), scan.encoding, n - 1))[0]
            for n in numbers]  # fmt: skip
