"""The distinct values of the register's columns of few values: each value's function run once, not once a row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import cells, wareki
from .residents import Coded


def encode(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """The code of each row's value, and the distinct values: dictionary_encode chunk by chunk (no copy of the
    column made whole), whose chunks share the one dictionary it builds."""
    encoded = pc.dictionary_encode(column)  # as it is when read as codes, each chunk with a dictionary of its own
    if not encoded.num_chunks:
        return np.empty(0, np.int32), pa.array([], pa.string())
    dictionaries = {tuple(b.address if b else 0 for b in chunk.dictionary.buffers()) for chunk in encoded.chunks}
    if len(dictionaries) > 1:  # read as codes (dictionary_encode gives every chunk the one it builds)
        encoded = encoded.unify_dictionaries()
    return np.concatenate([chunk.indices.to_numpy() for chunk in encoded.chunks]), encoded.chunk(0).dictionary


class Values:
    """The distinct values of some of the frame's columns, each found once (cells stripped), by a thread pool."""

    def __init__(self, frame: pa.Table, columns: Sequence[str], pool: ThreadPoolExecutor) -> None:
        self.frame = frame
        self.found = {column: pool.submit(self._encode, column) for column in columns if column in frame.column_names}

    def _encode(self, column: str) -> tuple[np.ndarray, pa.Array]:
        codes, dictionary = encode(self.frame.column(column))
        return codes, pc.utf8_trim(dictionary, characters=cells.WHITESPACE)  # as str.strip() strips

    def of(self, column: str, function: Callable[[str], Any]) -> tuple[np.ndarray, list[Any]]:
        """(code of each row, function(cell) of each distinct cell): the function runs once per distinct value."""
        if column not in self.found:
            return np.zeros(self.frame.num_rows, np.intp), [function("")]
        codes, values = self.found[column].result()
        return codes, [function(value) for value in values.to_pylist()]

    def typed(self, column: str, function: Callable[[str], Any], dtype: Any) -> np.ndarray:
        """function(cell) of every row, as a numpy array."""
        codes, results = self.of(column, function)
        return np.array(results, dtype=dtype).reshape(len(results))[codes]

    def coded(self, column: str, function: Callable[[str], str]) -> Coded:
        """function(cell) of every row, kept as codes and values."""
        codes, results = self.of(column, function)
        return Coded(codes, np.array(results, dtype=object).reshape(len(results)))

    def dates(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(empty, the date or NaT, unreadable) of each cell of a date column."""
        if column not in self.found:
            empty = np.ones(self.frame.num_rows, bool)
            return empty, np.full(self.frame.num_rows, np.datetime64("NaT"), "datetime64[D]"), ~empty
        codes, values = self.found[column].result()
        what, day = read_dates(values)
        return what[codes] == _EMPTY, day[codes], what[codes] == _UNREADABLE


_EMPTY, _READ, _UNREADABLE = 0, 1, 2
# wareki.parse_date's usual forms (wareki.PLAIN), which it reads by their digits' places: 2026-11-26 (or with / or .
# between), 20261126. A register's dates are nearly all of them: read over the column, not a date object a value.
_PLAIN = f"^(?:{wareki.PLAIN.pattern})$"
_EARLIEST, _LATEST = np.datetime64(cells.EARLIEST, "D"), np.datetime64(cells.LATEST, "D")


def read_dates(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(_EMPTY, _READ or _UNREADABLE; the date or NaT) of each stripped cell of a date column, as _read_date reads
    it: the plain forms over the whole column at once, any other (an era, 年月日, a time of day) one by one."""
    what = np.full(len(values), _UNREADABLE, np.int8)
    day = np.full(len(values), np.datetime64("NaT"), "datetime64[D]")
    length = pc.utf8_length(values).to_numpy(zero_copy_only=False)
    what[length == 0] = _EMPTY
    plain = pc.match_substring_regex(values, _PLAIN).to_numpy(zero_copy_only=False)
    at = np.flatnonzero(plain)
    if len(at):
        text = pc.take(values, pa.array(at))
        ten = pc.equal(pc.utf8_length(text), 10)  # 2026-11-26, else 20261126

        def number(start_ten: int, start_eight: int, width: int) -> np.ndarray:
            part = pc.if_else(ten, pc.utf8_slice_codeunits(text, start_ten, start_ten + width),
                              pc.utf8_slice_codeunits(text, start_eight, start_eight + width))  # fmt: skip
            return pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False)

        year, month, days = number(0, 0, 4), number(5, 4, 2), number(8, 6, 2)
        # date(year, month, day) is a day of the calendar: year 1 on, month 1 to 12, day 1 to the month's last.
        first = (np.clip(year, 1, 9999) - 1970) * 12 + np.clip(month, 1, 12) - 1
        month_start = first.astype("datetime64[M]").astype("datetime64[D]")
        month_days = ((first + 1).astype("datetime64[M]").astype("datetime64[D]") - month_start).astype(np.int64)
        valid = (year >= 1) & (month >= 1) & (month <= 12) & (days >= 1) & (days <= month_days)
        found = month_start + np.clip(days - 1, 0, None)
        valid &= (found >= _EARLIEST) & (found <= _LATEST)  # read_date's range
        what[at] = np.where(valid, _READ, _UNREADABLE)
        day[at[valid]] = found[valid]
    for i in np.flatnonzero(~plain & (length > 0)).tolist():  # the others: wareki.parse_date, one by one
        what[i], read = _read_date(values[i].as_py())
        day[i] = np.datetime64(read, "D")
    return what, day


def _read_date(cell: str) -> tuple[int, Any]:
    """(_EMPTY, NaT), (_READ, the date) or (_UNREADABLE, NaT) of a stripped cell of a date column."""
    if not cell:
        return _EMPTY, "NaT"
    try:
        return _READ, cells.read_date(cell)
    except ValueError:
        return _UNREADABLE, "NaT"
