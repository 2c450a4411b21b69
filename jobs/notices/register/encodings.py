"""The register's encoding: told once, from its bytes (UTF-8, with or without BOM, or CP932; never UTF-16).

A UTF-8 file with a few pasted CP932 rows stays UTF-8, and those rows are rejected one by one; a
CP932 file fails UTF-8 on nearly every line with Japanese text. (tests/reference.py keeps the slow,
line-by-line statement of the same rule that `detect` is tested against.)
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from ..errors import RegisterError

BOM = codecs.BOM_UTF8
UTF16_SAMPLE = 4096  # bytes looked at for the NULs of UTF-16 text without a byte order mark


class _Enough(Exception):
    pass


def decode_lines(data: bytes, codec: str, limit: Callable[[], int] | None = None) -> tuple[str | None, list[int]]:
    """The text, and where each line that is not valid in the codec first goes wrong (None: more than limit())."""
    errors: list[int] = []
    most = [-1]

    def skip_line(exc: UnicodeDecodeError, find: Callable[..., int] = bytes.find) -> tuple[str, int]:
        # Note the bad line, and go on from its end (its line break): one call a bad line, however bad.
        start = exc.start
        end = find(data, b"\n", start)
        end = len(data) if end < 0 else end
        cr = find(data, b"\r", start, end)
        errors.append(start)
        if limit is not None:
            most[0] = limit() if most[0] < 0 else most[0]
            if len(errors) > most[0]:
                raise _Enough
        return "\ufffd", end if cr < 0 else cr  # never empty: a last line without a break stays a line

    name = f"notices-skip-line-{threading.get_ident()}"  # a handler of its own for each thread
    codecs.register_error(name, skip_line)
    try:
        return data.decode(codec, name), errors
    except _Enough:
        return None, errors
    finally:
        codecs.register_error(name, _strict)  # the registry would keep the file alive through skip_line


def _strict(exc: UnicodeError) -> tuple[str, int]:
    raise exc


def valid_utf8(data: bytes) -> bool:
    """True when all of data is UTF-8: pyarrow's check, as strict as Python's decoder and quicker (no text made)."""
    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def detect(data: bytes) -> tuple[str, list[int] | None]:
    """The register's encoding: UTF-8 (with a BOM: utf-8-sig) unless most lines with non-ASCII bytes are not UTF-8,
    then CP932; for UTF-8 also where its bad lines go wrong (None: not looked at)."""
    if data.startswith(BOM):
        return "utf-8-sig", None
    if valid_utf8(data):
        return "utf-8", []

    # Once more lines are not UTF-8 than half as many as there are at most, most are not: CP932.
    half = (_line_breaks(data) + 1) // 2
    if _surely_not_utf8(data, half):
        return "cp932", None
    text, bad = decode_lines(data, "utf-8", limit=lambda: half)
    if text is None:
        return "cp932", None
    if len(bad) * 2 <= len(decode_lines(data, "ascii")[1]):
        return "utf-8", bad
    return "cp932", None


def line_feeds(data: bytes, start: int = 0, chunk: int = 1 << 22) -> int:
    """How many LFs data holds from `start` on (numpy counts them quicker than bytes.count, in memory reused)."""
    view, found, equal = np.frombuffer(data, np.uint8)[start:], 0, np.empty(chunk, bool)
    for at in range(0, len(view), chunk):
        part = view[at : at + chunk]
        found += int(np.count_nonzero(np.equal(part, 10, out=equal[: len(part)])))
    return found


def _line_breaks(data: bytes, chunk: int = 1 << 22) -> int:
    """How many line breaks (LF, CRLF or a lone CR) data holds (numpy counts them quicker than bytes.count)."""
    view, found = np.frombuffer(data, np.uint8), 0
    lf, cr = np.empty(chunk + 1, bool), np.empty(chunk + 1, bool)  # reused: fresh memory costs more
    for start in range(0, len(view), chunk):
        part = view[start : start + chunk + 1]  # with the next byte, for a CRLF across the chunks' edge
        n = len(part)
        np.equal(part, 10, out=lf[:n])
        np.equal(part, 13, out=cr[:n])
        found += int(np.count_nonzero(lf[: min(n, chunk)]))
        if cr[:n].any():
            found += int(np.count_nonzero(cr[: min(n, chunk)])) - int(np.count_nonzero(cr[: n - 1] & lf[1:n]))
    return found


def _surely_not_utf8(data: bytes, most: int, chunk: int = 1 << 22) -> bool:
    """True when more than `most` lines are certainly not UTF-8, as numpy finds them (a quicker lower bound).

    A continuation byte (10xxxxxx) right after an ASCII byte is never UTF-8, and CP932 text has one on
    nearly every line. Lines here are what LFs separate: each such line holds at least one line that
    is not UTF-8, so their number is at most that of lines not UTF-8.
    """
    view, found, last, lines_before = np.frombuffer(data, np.uint8), 0, -1, 0
    continuation, ascii_ = np.empty(chunk, bool), np.empty(chunk, bool)  # reused: fresh memory costs more
    for start in range(0, len(view), chunk):
        part = view[start : start + chunk + 1]
        n = len(part) - 1
        breaks = np.flatnonzero(part[:n] == 10)
        np.bitwise_and(part[1:], 0xC0, out=ascii_[:n].view(np.uint8))
        np.equal(ascii_[:n].view(np.uint8), 0x80, out=continuation[:n])
        np.less(part[:n], 0x80, out=ascii_[:n])
        wrong = np.flatnonzero(continuation[:n] & ascii_[:n])  # at i: part[i] ASCII, part[i + 1] continuation
        # How many of them fall on each line (the LFs up to part[i] tell its line): the LFs looked up among
        # them, far fewer lookups than the other way round.
        per_line = np.diff(np.concatenate([[0], np.searchsorted(wrong, breaks), [len(wrong)]]))
        lines = np.flatnonzero(per_line) + lines_before
        if len(lines):
            found += len(lines) - (int(lines[0]) == last)
            last = int(lines[-1])
        lines_before += len(breaks)
        if found > most:
            return True
    return False


def refuse_utf16(data: bytes, source: str, encoding: str | None) -> None:
    """RegisterError for UTF-16 text (by its byte order mark, or its NULs), whatever encoding is asked for."""
    order = {codecs.BOM_UTF16_LE: "little-endian", codecs.BOM_UTF16_BE: "big-endian"}.get(data[:2])
    what = f"{order}, with a byte order mark" if order else None
    if what is None:
        order = _utf16_without_bom(data[:UTF16_SAMPLE])
        what = f"{order}, without a byte order mark" if order else None
    if what is None and _names_utf16(encoding):
        what = f"--encoding {encoding}"
    if what is not None:
        raise RegisterError(f"{source}: the file is UTF-16 ({what}): export the register as UTF-8 or CP932")


def _names_utf16(encoding: str | None) -> bool:
    try:
        return bool(encoding) and codecs.lookup(encoding).name.startswith("utf-16")  # type: ignore[arg-type]
    except LookupError:
        return False  # reported as an unknown encoding


def _utf16_without_bom(sample: bytes) -> str | None:
    """The byte order of UTF-16 text, told by its NULs: every ASCII character's other byte (commas, digits)."""
    pairs = len(sample) // 2
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if pairs >= 4 and odd * 4 >= pairs and even * 4 <= odd:
        return "little-endian"
    if pairs >= 4 and even * 4 >= pairs and odd * 4 <= even:
        return "big-endian"
    return None


