"""The engine's column rules run over a few hundred thousand rows at a time, the results joined.

Every rule of engine.py works row by row, so a table cut into slices gives the same rows back. Each
rule makes dozens of temporary arrays: for a million rows they are megabytes each, fresh memory the
kernel must hand over page by page; for a slice they stay in the processor's caches and are reused.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

ROWS = 1 << 18  # rows a slice: a few megabytes an array
THREADS = min(2, os.cpu_count() or 1)
T = TypeVar("T")


def by_chunks(function: Callable[..., T], size: int, *arguments: Any) -> T:
    """function(*arguments) for arguments of SIZE rows (arrays, or dataclasses of them), computed slice by slice."""
    if size <= ROWS:
        return function(*arguments)
    # numpy lets go of the GIL inside each operation on arrays this long: two slices are worked on at once.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        parts = list(pool.map(lambda start: function(*(_rows(a, slice(start, start + ROWS)) for a in arguments)),
                              range(0, size, ROWS)))  # fmt: skip
    return _joined(parts)  # type: ignore[no-any-return]


def _rows(value: Any, rows: slice) -> Any:
    """Some rows of an array, of each array of a dataclass; anything else (a date, a number, a tuple) as it is."""
    if isinstance(value, np.ndarray):
        return value[rows]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _rows(getattr(value, f.name), rows)
                                             for f in dataclasses.fields(value) if f.init})  # fmt: skip
    return value


def _joined(parts: list[Any]) -> Any:
    """The slices' results as one: arrays joined, dataclasses field by field, anything else the first's."""
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if dataclasses.is_dataclass(first) and not isinstance(first, type):
        return dataclasses.replace(first, **{f.name: _joined([getattr(p, f.name) for p in parts])
                                             for f in dataclasses.fields(first) if f.init})  # fmt: skip
    return first
