"""`notices plan`: the run's selection for a date as a CSV of every register row and a summary, nothing rendered.

The CSV has a line for each of a million residents, so it is written from columns (Arrow text, joined
by pyarrow) rather than a Python tuple a row: the same bytes handoff.csv_bytes writes.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Config
from ..delivery.handoff import FORMULA_START, csv_bytes, neutralise, write_private
from ..delivery.ledger import Ledger
from ..errors import OutputError
from ..models import Reject
from ..register.bulk_memory import bulk_memory
from ..register.read import RegisterRead, read_register
from ..register.residents import joined_text
from ..rules.selection import Selection, select
from ..rules.sorting import NOT_MAILED_REASONS
from .summary import RunSummary, post_estimate, summarise

PLAN_COLUMNS = ("line", "resident_id", "outcome", "kind", "expires_on", "reason")
# A cell csv_bytes changes: one a spreadsheet would run as a formula, or one the csv module must quote.
_SPECIAL = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in FORMULA_START) + "]|[\",\\r\\n]"


def plan(register: Path, as_of: date, config: Config, ledger_path: Path, out_dir: Path,
         encoding: str | None = None) -> tuple[list[Path], RunSummary]:  # fmt: skip
    """The run's selection for a date, as a CSV and a summary: nothing rendered, nothing recorded. Its arrival
    is that of a run sealed before the vendor's cut-off, as the nightly run at 02:30 is."""
    with Ledger.read(ledger_path, empty_if_missing=True) as ledger:
        read = read_register(register, encoding, resident_id_pattern=config.resident_id_pattern, gaiji=config.gaiji)
        sel = select(read, as_of, config, ledger)
    estimate = post_estimate(as_of, time.min, config.post, sel.mailed_count())
    summary = summarise(read, sel, as_of, None, 0, 0, None, estimate)
    with bulk_memory():  # a million rows' columns: the allocator that costs the kernel least (bulk_memory.py)
        rows = _Rows.of(read, sel)
        del read, sel  # the register's columns and the rules' arrays: not kept while the file is made
        text = rows.csv()
    paths = [out_dir / f"plan-{as_of.isoformat()}.csv", out_dir / f"plan-{as_of.isoformat()}.json"]
    try:
        write_private(paths[0], text)
        write_private(paths[1], (json.dumps(summary.as_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the plan: {exc.strerror}") from None
    return paths, summary


def plan_csv(read: RegisterRead, sel: Selection) -> bytes:
    """The plan's CSV: every row's outcome (rejected ones too) in line order, as csv_bytes writes the rows."""
    return _Rows.of(read, sel).csv()


@dataclass(frozen=True)
class _Rows:
    """The plan's rows as columns, in line order: the line, the resident ID, and the code of the other cells."""

    lines: np.ndarray
    ids: pa.Array
    codes: np.ndarray
    texts: pa.Array  # the text of each code: the cells after the resident ID, and the line break
    rows: list[tuple[object, ...]] | None = None  # the rows themselves, where a line has two (never so today)

    @classmethod
    def of(cls, read: RegisterRead, sel: Selection) -> _Rows:
        """The rows of a selection: the residents' outcomes and the rejected rows."""
        rejects: list[Reject] = [*read.rejects, *sel.rejects]
        others = [*sel.settled, *((j.line, j.resident_id, "rejected", "", "", j.reason) for j in rejects)]
        no_ids, no_codes = pa.array([], pa.string()), np.empty(0, np.int64)
        lines, ids, reasons = sel.decided.columns() if sel.decided else (no_codes, no_ids, no_codes)
        # The cells after the resident ID take few values: each one's text is made once.
        suffixes: dict[tuple[object, ...], int] = {("not_mailed", "", "", reason): n
                                                   for n, reason in enumerate(NOT_MAILED_REASONS)}  # fmt: skip
        columns = [(lines, ids, np.asarray(reasons, np.int64))]
        for at_lines, at_ids, which, distinct in sel.at_once.outcomes() if sel.at_once else ():
            codes = np.array([suffixes.setdefault(suffix, len(suffixes)) for suffix in distinct], np.int64)
            columns.append((at_lines, at_ids, codes[which]))
        columns.append((np.array([row[0] for row in others], np.int64), pa.array([row[1] for row in others], pa.string()),
                        np.array([suffixes.setdefault(row[2:], len(suffixes)) for row in others], np.int64)))  # fmt: skip
        lines = np.concatenate([part[0] for part in columns])
        order = np.argsort(lines, kind="stable")
        if np.any(lines[order][1:] == lines[order][:-1]):  # sorted as rows, a tie is settled by the other cells
            return cls(no_codes, no_ids, no_codes, no_ids, sorted([*sel.outcomes, *others[len(sel.settled) :]]))
        texts = pa.array([",".join(map(_cell, suffix)) + "\r\n" for suffix in suffixes], pa.string())
        every_id = pa.concat_arrays([part[1] for part in columns])
        codes = np.concatenate([part[2] for part in columns])
        return cls(lines[order], every_id.take(pa.array(order)), codes[order], texts)

    def csv(self) -> bytes:
        """The CSV file: what csv_bytes makes of the rows."""
        if self.rows is not None:
            return csv_bytes(PLAN_COLUMNS, self.rows)
        rows = pc.binary_join_element_wise(pa.array(self.lines).cast(pa.string()), _cells(self.ids),
                                           self.texts.take(pa.array(self.codes)), ",")  # fmt: skip
        return b"".join([csv_bytes(PLAN_COLUMNS, []), joined_text(rows)])


def _cell(value: str) -> str:
    """A cell as csv_bytes writes it: neutralised, quoted if it must be."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise(value), ""])
    return buffer.getvalue()[: -len(",\r\n")]


def _cells(values: pa.Array) -> pa.Array:
    """_cell of every value: worked out only for the values it changes."""
    special = pc.match_substring_regex(values, _SPECIAL)
    if not pc.any(special).as_py():
        return values
    changed = pa.array([_cell(v) for v in pc.filter(values, special).to_pylist()], pa.string())
    return pc.replace_with_mask(values, special, changed)
