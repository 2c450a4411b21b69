"""The due residents no hold can apply to, told over the columns: they are settled at once, the others one by one.

selection.settle asks a due resident the ledger twice and every hold of review.py: for a night's tens
of thousands that was most of the selection's time, and a Due object kept for each until the lots. Here
each hold is asked over the columns, conservatively: a resident is *clear* only where every hold
certainly finds nothing. review.py stays the rule; whoever this module is unsure of is asked by settle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import review
from .. import kinds
from ..register.residents import joined_text
from ..rules.engine import LAPSING

if TYPE_CHECKING:
    from .selection import Context
    from .sorting import Plan

_POSTAL_CODE = re.compile("[0-9]{7}")
# Due residents screened at a time: their IDs, look-up keys and texts stay a megabyte or two, however many are due.
SLICE = 1 << 12


@dataclass(frozen=True)
class Screened:
    """Of some due residents (positions among a plan's residents): who was notified already, and who is clear."""

    notified: np.ndarray  # bool each: this notice was handed off already (Ledger.notified)
    clear: np.ndarray  # bool each: not notified, and no hold of review.py can apply


def screen(plan: Plan, positions: np.ndarray, run: Context) -> Screened:
    """Which of the due residents at POSITIONS were notified already, and which are clear of every hold."""
    parts = [_screen(plan, positions[start : start + SLICE], run) for start in range(0, len(positions), SLICE)]
    return Screened(*(np.concatenate([getattr(part, name) for part in parts]) if parts else np.zeros(0, bool)
                      for name in ("notified", "clear")))  # fmt: skip


def _screen(plan: Plan, positions: np.ndarray, run: Context) -> Screened:
    table, at = plan.table, plan.table.rows[positions]
    kind, lapsing, expires_on = plan.notices.kind[at], plan.notices.lapsing[at], plan.notices.expires_on[at]
    ids = table.text_array("resident_id", positions)
    names = np.array([k.value for k in plan.notices.kinds], object)
    resident_ids = ids.to_pylist()
    notified = np.array(run.ledger.notified_each(list(zip(resident_ids, names[kind].tolist(),
                                                          np.datetime_as_string(expires_on, "D").tolist()))),
                        bool).reshape(len(positions))  # fmt: skip
    clear = ~notified & ~plan.notices.undecided[at]  # expiry_unknown
    # support_measure: the flag (an unclear one counts as set), and the households of flagged residents.
    clear &= ~table.columns["support_measure"][at]  # type: ignore[index]
    if run.protected:
        households = table.text_array("household_id", positions)
        clear &= ~_among(households, run.protected)
    # application_id: a supplied ID on a form is checked one by one (its shape, its owner, repeats).
    forms = np.array([[kinds.has_form(k, lapse) for lapse in LAPSING] for k in plan.notices.kinds], bool)
    clear &= ~(forms[kind, lapsing] & table.columns["application_id"].test(bool, at))  # type: ignore[union-attr]
    # returned: a resident with mail back, at whatever address, is asked one by one.
    clear &= ~np.array(run.ledger.returned_each(resident_ids), bool).reshape(len(positions))
    texts = {field: table.text_array(field, positions) for field in review.MAX_CHARS}
    for field, values in texts.items():  # layout
        clear &= pc.less_equal(pc.utf8_length(values), review.MAX_CHARS[field]).to_numpy(zero_copy_only=False)
    undrawn = run.glyph_check.learn(set().union(*(str(joined_text(values), "utf-8") for values in texts.values())))
    if undrawn:  # glyph: a text with a character not known to be drawable is checked one by one
        pattern = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(undrawn)) + "]"
        for values in texts.values():
            clear &= ~pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    # address: a postal code of 7 digits, an address, and the code the address's in Japan Post's data.
    clear &= table.columns["postal_code"].test(lambda code: bool(_POSTAL_CODE.fullmatch(code)), at)  # type: ignore[union-attr]
    clear &= pc.not_equal(texts["address"], "").to_numpy(zero_copy_only=False)
    left = np.flatnonzero(clear)
    codes, addresses = table.values("postal_code", positions[left]), pc.take(texts["address"], pa.array(left))
    clear[left] = [not run.postal_check(code, address) for code, address in zip(codes.tolist(), addresses.to_pylist(),
                                                                                  strict=True)]  # fmt: skip
    return Screened(notified, clear)


def _among(values: pa.Array, wanted: frozenset[str]) -> np.ndarray:
    found = pc.is_in(values, value_set=pa.array(sorted(wanted), pa.string()))
    return found.to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]
