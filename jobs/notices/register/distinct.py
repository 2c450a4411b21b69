"""The distinct values of the register's columns of few values: each value's function run once, not once a row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import cells
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

    def _encode(self, column: str) -> tuple[np.ndarray, list[str]]:
        codes, dictionary = encode(self.frame.column(column))
        return codes, [v.strip() for v in dictionary.to_pylist()]

    def of(self, column: str, function: Callable[[str], Any]) -> tuple[np.ndarray, list[Any]]:
        """(code of each row, function(cell) of each distinct cell): the function runs once per distinct value."""
        if column not in self.found:
            return np.zeros(self.frame.num_rows, np.intp), [function("")]
        codes, values = self.found[column].result()
        return codes, [function(value) for value in values]

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
        codes, found = self.of(column, _read_date)
        what, day = zip(*found, strict=True)
        what = np.array(what, np.int8)[codes]
        return what == _EMPTY, np.array(day, "datetime64[D]")[codes], what == _UNREADABLE


_EMPTY, _READ, _UNREADABLE = 0, 1, 2


def _read_date(cell: str) -> tuple[int, Any]:
    """(_EMPTY, NaT), (_READ, the date) or (_UNREADABLE, NaT) of a stripped cell of a date column."""
    if not cell:
        return _EMPTY, "NaT"
    try:
        return _READ, cells.read_date(cell)
    except ValueError:
        return _UNREADABLE, "NaT"
