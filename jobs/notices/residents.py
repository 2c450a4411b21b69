"""Usable residents held as columns (a pandas frame backed by Arrow), built into Resident objects only on demand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .models import CardState, Resident, Status
from .rules import UNCAPPED_STATUSES
from .rules_vec import Holders

STATUS_CODES = tuple(Status)
CARD_STATE_CODES = tuple(CardState)  # -1: no card
DATE_COLUMNS = ("birth_date", "residence_expires_on", "card_issued_on", "card_expires_on", "cert_issued_on",
                "cert_expires_on")  # fmt: skip
FIELDS = tuple(Resident.__dataclass_fields__)


def _column(values: object) -> object:
    """A frame column: Arrow text as it is, a column of few distinct texts as a categorical, others as they are."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return pd.arrays.ArrowExtensionArray(values)
    if isinstance(values, np.ndarray) and values.dtype == object:
        categories, codes = np.unique(values, return_inverse=True)
        return pd.Categorical.from_codes(codes.reshape(-1), categories=categories)
    return values


@dataclass(frozen=True)
class ResidentTable:
    """Residents as columns: `frame` holds every row read in bulk, `rows` the positions of the usable ones."""

    frame: pd.DataFrame
    rows: np.ndarray
    cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)  # what the rules made of it

    @classmethod
    def of(cls, columns: dict[str, object], rows: np.ndarray) -> ResidentTable:
        """A table from whole columns (Arrow text, numpy values, datetime64[D] dates) and the usable rows."""
        return cls(pd.DataFrame({name: _column(values) for name, values in columns.items()}), rows)

    @classmethod
    def empty(cls) -> ResidentTable:
        """A table with no one in it."""
        return cls(pd.DataFrame(), np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.rows)

    def values(self, column: str) -> np.ndarray:
        """A numeric or flag column for the usable rows."""
        return self.frame[column].to_numpy()[self.rows] if len(self.rows) else np.empty(0)

    def lines(self) -> np.ndarray:
        """The line number of each usable resident."""
        return self.values("line").astype(np.int64) if len(self.rows) else np.empty(0, np.int64)

    def days(self, column: str) -> np.ndarray:
        """A date column for the usable rows, as datetime64[D] (NaT: no date)."""
        if not len(self.rows):
            return np.empty(0, "datetime64[D]")
        return self.frame[column].to_numpy()[self.rows].astype("datetime64[D]")

    def texts(self, column: str, positions: Sequence[int] | np.ndarray) -> list[str]:
        """A text column for some usable residents (positions among them)."""
        if not len(positions):
            return []
        return self.frame[column].take(self.rows[np.asarray(positions, np.int64)]).tolist()

    def holders(self) -> Holders:
        """The columns the expiry rules read."""
        nationality = self.frame["nationality"].to_numpy()[self.rows] if len(self.rows) else np.empty(0, object)
        residence = self.frame["residence_status"].to_numpy()[self.rows] if len(self.rows) else np.empty(0, object)
        return Holders(*(self.days(column) for column in ("birth_date", "card_issued_on", "card_expires_on",
                                                          "cert_issued_on", "cert_expires_on", "residence_expires_on")),
                       nationality != "", np.isin(residence, list(UNCAPPED_STATUSES)))  # fmt: skip

    def residents(self, positions: Sequence[int] | np.ndarray | None = None) -> list[Resident]:
        """Resident objects for some usable residents (positions among them), or for all."""
        picked = self.rows if positions is None else self.rows[np.asarray(positions, np.int64)]
        if not len(picked):
            return []
        columns = {name: self._pick(name, picked) for name in FIELDS}
        columns["status"] = [STATUS_CODES[c] for c in columns["status"]]
        columns["card_state"] = [CARD_STATE_CODES[c] if c >= 0 else None for c in columns["card_state"]]
        return [Resident(*values) for values in zip(*(columns[name] for name in FIELDS), strict=True)]

    def _pick(self, name: str, picked: np.ndarray) -> list[object]:
        """Some rows of a column, as Python values."""
        values = self.frame[name].array
        if isinstance(values, pd.Categorical):
            return np.asarray(values.categories, dtype=object)[values.codes[picked]].tolist()  # type: ignore[no-any-return]
        if isinstance(values, pd.arrays.ArrowExtensionArray):
            return values.__arrow_array__().take(pa.array(picked)).to_pylist()  # type: ignore[no-any-return]
        found = np.asarray(values)[picked]
        return (found.astype("datetime64[D]").astype(object) if name in DATE_COLUMNS else found).tolist()  # type: ignore[no-any-return]

    def positions_of(self, resident_ids: set[str]) -> np.ndarray:
        """The positions of the usable residents with one of these IDs."""
        if not resident_ids or not len(self.rows):
            return np.empty(0, np.int64)
        ids = self.frame["resident_id"].array.__arrow_array__().take(pa.array(self.rows))
        return np.flatnonzero(pc.is_in(ids, value_set=pa.array(sorted(resident_ids))).to_numpy(zero_copy_only=False))

    def without(self, positions: np.ndarray) -> ResidentTable:
        """The table without some usable residents."""
        return ResidentTable(self.frame, np.delete(self.rows, positions)) if len(positions) else self

    def repeated(self, column: str, more: Sequence[str]) -> Counter[str]:
        """How often each non-empty value of a text column occurs here and in `more`, for those that repeat."""
        counts = Counter(v for v in more if v)
        if len(self.rows):
            values = self.frame[column].array
            if isinstance(values, pd.Categorical):
                found = np.bincount(values.codes[self.rows], minlength=len(values.categories))
                here = {values.categories[i]: int(found[i]) for i in np.flatnonzero(found)
                        if found[i] > 1 or values.categories[i] in counts}  # fmt: skip
            else:
                found = pc.value_counts(values.__arrow_array__().take(pa.array(self.rows)))
                found = pc.filter(found, pc.or_(pc.greater(found.field("counts"), 1),
                                                pc.is_in(found.field("values"), value_set=pa.array(list(counts), pa.string()))))
                here = dict(zip(found.field("values").to_pylist(), found.field("counts").to_pylist(), strict=True))
            counts.update(here)
        return Counter({value: n for value, n in counts.items() if n > 1 and value})
