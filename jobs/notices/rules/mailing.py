"""The notices a run mails, held as positions among the plan's residents: built into Due objects a lot at a time.

A night may mail a hundred thousand notices. The residents settled at once (screening.py) stay
positions in the register's columns until their lot is made, so the run's own process holds no Due
or Resident object for a notice that is not in a lot in flight; those settled one by one (held and
mailed on a decision, say) are few and stay Due objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .sorting import Plan
from ..models import Due, Kind

Suffix = tuple[str, str, str, str]  # an outcome row's cells after the resident ID: outcome, kind, expires_on, reason
ADDRESSEE = ("postal_code", "address", "address_extra", "resident_id")  # lots.postal_order's key, in its order


@dataclass(frozen=True)
class AtOnce:
    """The due residents settled over the columns: mailed, or notified already (positions among the plan's)."""

    plan: Plan
    mailed: np.ndarray
    notified: np.ndarray

    def counts(self) -> Counter[tuple[Kind, date]]:
        """How many are mailed for each kind and expiry."""
        found: Counter[tuple[Kind, date]] = Counter()
        for kind, day, n in self._distinct(self.mailed)[1]:
            found[kind, day] += n
        return found

    def outcomes(self) -> Iterator[tuple[np.ndarray, pa.Array, np.ndarray, list[Suffix]]]:
        """The outcome rows, as columns, of those mailed and of those notified: lines, resident IDs, and each row's
        index into the list of the cells after the ID."""
        for outcome, positions in (("mail", self.mailed), ("already_notified", self.notified)):
            which, distinct = self._distinct(positions)
            yield (self.plan.table.lines()[positions], self.plan.table.text_array("resident_id", positions), which,
                   [(outcome, kind.value, day.isoformat(), "") for kind, day, _ in distinct])  # fmt: skip

    def rows(self) -> list[tuple[int, str, str, str, str, str]]:
        """The outcome rows as tuples (line, resident_id, *suffix), for a small register."""
        return [(line, rid, *suffixes[code]) for lines, ids, codes, suffixes in self.outcomes()
                for line, rid, code in zip(lines.tolist(), ids.to_pylist(), codes.tolist(), strict=True)]  # fmt: skip

    def _distinct(self, positions: np.ndarray) -> tuple[np.ndarray, list[tuple[Kind, date, int]]]:
        """Each resident's index into the distinct (kind, expiry) of their notices, and those with their counts."""
        notices, at = self.plan.notices, self.plan.table.rows[positions]
        key = notices.kind[at].astype(np.int64) << 32 | notices.expires_on[at].view(np.int64) & 0xFFFFFFFF
        distinct, which, counts = np.unique(key, return_inverse=True, return_counts=True)
        days = (distinct & 0xFFFFFFFF).astype(np.int32).astype("datetime64[D]").astype(object).tolist()
        return which.reshape(len(positions)), [(notices.kinds[k], day, int(n)) for k, day, n in zip(
            (distinct >> 32).tolist(), days, counts.tolist(), strict=True)]  # fmt: skip


class MailOrder(Sequence[Due]):
    """Every notice mailed, in postal order (lots.postal_order): the notices of a slice built when it is taken."""

    def __init__(self, at_once: AtOnce | None, dues: list[Due]) -> None:
        self.plan = at_once.plan if at_once is not None else None
        self.positions = at_once.mailed if at_once is not None else np.empty(0, np.int64)
        self.dues = dues
        # Each key column made and ranked in turn (one column of text at a time in memory), then sorted by the
        # ranks. Arrow orders text by its UTF-8 bytes, which is the order of code points Python's < follows.
        ranks = [pc.rank(pa.concat_arrays([self._column(column), pa.array([getattr(d.addressee, column) for d in dues],
                                                                          pa.string())]),
                         sort_keys="ascending", tiebreaker="dense").to_numpy() for column in ADDRESSEE]  # fmt: skip
        self.order = np.lexsort(ranks[::-1]) if ranks[0].size else np.empty(0, np.intp)  # the first key sorts first

    def _column(self, column: str) -> pa.Array:
        if self.plan is None:
            return pa.array([], pa.string())
        if column == "postal_code":
            return pa.array(self.plan.table.values(column, self.positions).tolist(), pa.string())
        return self.plan.table.text_array(column, self.positions)

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, index: int) -> Due: ...

    @overload
    def __getitem__(self, index: slice) -> list[Due]: ...

    def __getitem__(self, index: int | slice) -> Due | list[Due]:
        if isinstance(index, int):
            return self[range(len(self))[index] : range(len(self))[index] + 1][0]
        chosen, settled = self.order[index], len(self.positions)
        at_once = iter(self.plan.dues(self.positions[chosen[chosen < settled]]) if self.plan is not None else ())
        return [next(at_once) if i < settled else self.dues[i - settled] for i in chosen.tolist()]
