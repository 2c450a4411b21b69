"""Usable residents held as columns (Arrow text, numpy values), built into Resident objects only on demand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..models import CardState, Resident, Status
from .cells import DATE_COLUMNS
from ..rules.dates import uncapped
from ..rules.engine import Holders

STATUS_CODES = tuple(Status)
CARD_STATE_CODES = tuple(CardState)  # -1: no card
FIELDS = tuple(Resident.__dataclass_fields__)
TEXTS = ("resident_id", "household_id", "name", "name_kana", "address", "address_extra")
CODED = ("sex", "postal_code", "nationality", "residence_status", "application_id", "language")
T = TypeVar("T")


def built(cls: type[T], fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> list[T]:
    """Instances of a frozen dataclass (no __post_init__), one per row of field values.

    They are the very objects cls(*row) makes, built at a third of the cost: a frozen dataclass's
    __init__ sets each field through object.__setattr__, which counts for tens of thousands of them.
    """
    new = object.__new__
    found = []
    for row in rows:
        instance = new(cls)
        instance.__dict__.update(zip(fields, row))
        found.append(instance)
    return found


def _taken(column: pa.ChunkedArray, rows: np.ndarray) -> Iterator[pa.Array]:
    """Some rows of a column of many chunks, in order, taken from each chunk in turn (pyarrow's take of a chunked
    array joins the chunks first: the whole column copied for a few rows of it)."""
    if not len(rows):
        return
    bounds = np.cumsum([0] + [len(chunk) for chunk in column.chunks])
    which = np.searchsorted(bounds, rows, side="right") - 1
    runs = np.flatnonzero(np.diff(which, prepend=-1))
    for start, end in zip(runs, [*runs[1:], len(rows)], strict=True):
        chunk = int(which[start])
        yield column.chunk(chunk).take(pa.array(rows[start:end] - bounds[chunk]))


def take_list(column: pa.ChunkedArray, rows: np.ndarray) -> list[Any]:
    """Some rows of a column of many chunks as Python values."""
    found: list[Any] = []
    for part in _taken(column, rows):
        found += part.to_pylist()
    return found


def take_array(column: pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """Some rows of a column of many chunks as one array."""
    return pa.concat_arrays(list(_taken(column, rows))) if len(rows) else pa.array([], column.type)


def joined_text(values: pa.Array) -> memoryview:
    """The UTF-8 text of a string array's values, one after the other, read off its data buffer (not copied)."""
    data = values.buffers()[2] if len(values) else None
    if data is None:  # no values, or only empty ones
        return memoryview(b"")
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], width)[values.offset : values.offset + len(values) + 1]
    return memoryview(data)[offsets[0] : offsets[-1]]


@dataclass(frozen=True)
class Coded:
    """A column of few distinct values: each row's code, and the value of each code."""

    codes: np.ndarray
    values: np.ndarray  # object array; a value may stand under more than one code

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        return self.values[self.codes[rows]]  # type: ignore[no-any-return]

    def test(self, predicate: Callable[[Any], bool], rows: np.ndarray | None = None) -> np.ndarray:
        """predicate(value) for some rows (or all), asked once per code."""
        answers = np.array([predicate(v) for v in self.values], bool).reshape(len(self.values))
        return answers[self.codes if rows is None else self.codes[rows]]  # type: ignore[no-any-return]


Column = pa.ChunkedArray | Coded | np.ndarray


def _objects(values: list[Any]) -> np.ndarray:
    found = np.empty(len(values), object)  # never a 2-D array, whatever the values
    found[:] = values
    return found


def _joined(first: Column, second: Column) -> Column:
    """One column of the rows of two: the second's rows after the first's."""
    if isinstance(first, pa.ChunkedArray):
        return pa.chunked_array([*first.chunks, *second.chunks], first.type)  # type: ignore[union-attr]
    if isinstance(first, Coded):
        assert isinstance(second, Coded)
        return Coded(np.concatenate([first.codes, second.codes + len(first.values)]),
                     np.concatenate([first.values, second.values]))  # fmt: skip
    return np.concatenate([first, second])  # type: ignore[list-item]


@dataclass(frozen=True)
class ResidentTable:
    """Residents as columns: `columns` hold every row read in bulk, `rows` the positions of the usable ones."""

    columns: dict[str, Column]
    rows: np.ndarray
    cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)  # what the rules made of it

    @classmethod
    def empty(cls) -> ResidentTable:
        """A table with no one in it."""
        no_text, no_code = pa.chunked_array([], pa.string()), Coded(np.empty(0, np.intp), np.empty(0, object))
        columns: dict[str, Column] = {name: no_text for name in TEXTS}
        columns |= {name: no_code for name in CODED}
        columns |= {name: np.empty(0, "datetime64[D]") for name in DATE_COLUMNS}
        columns |= {"line": np.empty(0, np.int64), "status": np.empty(0, np.int8), "card_state": np.empty(0, np.int8),
                    "support_measure": np.empty(0, bool), "support_measure_unclear": np.empty(0, bool)}  # fmt: skip
        return cls(columns, np.empty(0, np.int64))

    @classmethod
    def of(cls, residents: Sequence[Resident]) -> ResidentTable:
        """A table of Resident objects (the rows read one by one), in their order."""
        if not residents:
            return cls.empty()
        values = {name: [getattr(r, name) for r in residents] for name in FIELDS}
        columns: dict[str, Column] = {name: pa.chunked_array([pa.array(values[name], pa.string())]) for name in TEXTS}
        columns |= {name: Coded(np.arange(len(residents)), _objects(values[name])) for name in CODED}
        columns |= {name: np.array([np.datetime64("NaT") if d is None else d for d in values[name]], "datetime64[D]")
                    for name in DATE_COLUMNS}  # fmt: skip
        columns |= {"line": np.array(values["line"], np.int64),
                    "status": np.array([STATUS_CODES.index(s) for s in values["status"]], np.int8),
                    "card_state": np.array([-1 if c is None else CARD_STATE_CODES.index(c) for c in values["card_state"]],
                                           np.int8),
                    "support_measure": np.array(values["support_measure"], bool),
                    "support_measure_unclear": np.array(values["support_measure_unclear"], bool)}  # fmt: skip
        return cls(columns, np.arange(len(residents), dtype=np.int64))

    def joined(self, other: ResidentTable) -> ResidentTable:
        """The residents of both tables as one table, in line order."""
        if not len(other):
            return self
        if not len(self):
            return other
        width = len(self.columns["line"])  # rows of this table's columns, usable or not
        columns = {name: _joined(column, other.columns[name]) for name, column in self.columns.items()}
        rows = np.concatenate([self.rows, other.rows + width])
        lines = columns["line"][rows]  # type: ignore[index]
        return ResidentTable(columns, rows[np.argsort(lines, kind="stable")])

    def __len__(self) -> int:
        return len(self.rows)

    def values(self, column: str, positions: np.ndarray | None = None) -> np.ndarray:
        """A numeric, flag or date (datetime64[D]) column, or a coded one, for the usable rows (or some of them)."""
        rows = self.rows if positions is None else self.rows[positions]
        return self.columns[column][rows]  # type: ignore[index,no-any-return]

    def lines(self) -> np.ndarray:
        """The line number of each usable resident."""
        return self.values("line")

    def texts(self, column: str, positions: Sequence[int] | np.ndarray) -> list[str]:
        """A text column for some usable residents (positions among them)."""
        return self._pick(column, self.rows[np.asarray(positions, np.int64)])  # type: ignore[return-value]

    def text_array(self, column: str, positions: np.ndarray) -> pa.Array:
        """A text column for some usable residents (positions among them), as one Arrow array."""
        values = self.columns[column]
        assert isinstance(values, pa.ChunkedArray)
        return take_array(values, self.rows[positions])

    def holders(self) -> Holders:
        """The columns the expiry rules read, for every row read in bulk (usable or not: index them by `rows`)."""
        nationality, residence_status = self.columns["nationality"], self.columns["residence_status"]
        assert isinstance(nationality, Coded) and isinstance(residence_status, Coded)
        return Holders(*(self.columns[column] for column in ("birth_date", "card_issued_on", "card_expires_on",
                                                             "cert_issued_on", "cert_expires_on",
                                                             "residence_expires_on")),  # type: ignore[arg-type]
                       nationality.test(bool), residence_status.test(uncapped),
                       self.columns["card_applied_on"], self.columns["card_residence_expires_on"])  # type: ignore[arg-type]

    def residents(self, positions: Sequence[int] | np.ndarray | None = None) -> list[Resident]:
        """Resident objects for some usable residents (positions among them), or for all."""
        picked = self.rows if positions is None else self.rows[np.asarray(positions, np.int64)]
        if not len(picked):
            return []
        columns = {name: self._pick(name, picked) for name in FIELDS}
        columns["status"] = [STATUS_CODES[c] for c in columns["status"]]
        columns["card_state"] = [CARD_STATE_CODES[c] if c >= 0 else None for c in columns["card_state"]]
        return built(Resident, FIELDS, zip(*(columns[name] for name in FIELDS), strict=True))

    def _pick(self, name: str, rows: np.ndarray) -> list[Any]:
        """Some rows of a column, as Python values (datetime.date for dates, None for none)."""
        if not len(rows):
            return []
        column = self.columns[name]
        if isinstance(column, pa.ChunkedArray):
            return take_list(column, rows)
        found = column[rows]
        return (found.astype(object) if name in DATE_COLUMNS else found).tolist()  # type: ignore[no-any-return]

    def positions_of(self, resident_ids: set[str]) -> np.ndarray:
        """The positions of the usable residents with one of these IDs."""
        if not resident_ids or not len(self.rows):
            return np.empty(0, np.int64)
        found = pc.is_in(self.columns["resident_id"], value_set=pa.array(sorted(resident_ids), pa.string()))
        return np.flatnonzero(found.to_numpy()[self.rows])

    def without(self, positions: np.ndarray) -> ResidentTable:
        """The table without some usable residents."""
        return ResidentTable(self.columns, np.delete(self.rows, positions)) if len(positions) else self

    def repeated(self, column: str) -> Counter[str]:
        """How often each non-empty value of a coded column occurs among the usable rows, for those that repeat."""
        counts: Counter[str] = Counter()
        values = self.columns.get(column)
        if isinstance(values, Coded):  # a value may stand under more than one code (tables joined)
            found = np.bincount(values.codes[self.rows], minlength=len(values.values))
            for code in np.flatnonzero(found):
                counts[values.values[code]] += int(found[code])
        return Counter({value: n for value, n in counts.items() if n > 1 and value})
