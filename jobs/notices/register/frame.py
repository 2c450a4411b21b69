"""The plain lines of a register read all at once: pyarrow's CSV reader, cells normalised column by column.

Each cell gets exactly what rows.parse_rows gives it: the same function of cells.py, run
once per distinct value of a column (dates, codes, flags), or a vectorised operation equal to it
(trimming, NFKC of ASCII text, kana widening only where there is half-width kana). A row that the
per-row code would reject, or that it must look at for another reason, is handed back to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from . import cells, transcode
from .cells import WHITESPACE
from .csvfile import Record
from ..models import CardState, Status
from .distinct import Values, encode
from .scan import Scan, plain_records
from .residents import ResidentTable, take_list

HALF_WIDTH_KANA = "[\uff61-\uff9f]"  # cells.kana changes no text without one of these
TEXTS = ("resident_id", "household_id", "name", "name_kana", "address", "address_extra")
PER_VALUE = ("status", "card_state", "sex", "postal_code", "nationality", "residence_status", "support_measure",
             "application_id", "language")  # fmt: skip
RESIDENT, ACTIVE = Status.RESIDENT, CardState.ACTIVE
BLOCK_BYTES = 1 << 24  # what each of the reader's threads parses at a time: fewer, larger chunks read faster
# The same of a CP932 body where the extension of transcode.py is not built: Python's codec makes each block UTF-8
# before it is parsed, so smaller blocks keep the parsing threads busy beside the decoding (on 1M rows 1.6-1.9 s
# with 16 MiB, 1.3-1.4 with 4; the whole read, later: 1.62-1.67 s with 2, 1.63-1.77 with 4, 1.68-1.83 with 3).
DECODED_BLOCK_BYTES = 1 << 21
# And of a CP932 body made UTF-8 by transcode.py as it is read: blocks of 4 MiB keep the parsing threads fed (on 1M
# rows, the selection 2.02-2.11 s, against 2.08-2.64 with 16 MiB and 2.12-2.23 with 2, 2026-12-06).
TRANSCODED_BLOCK_BYTES = 1 << 22
CODED = frozenset((*PER_VALUE, *cells.DATE_COLUMNS))  # the columns of few values: functions run once per value
_CODES = pa.dictionary(pa.int32(), pa.string())


@dataclass(frozen=True)
class Bulk:
    """What the plain lines held: usable residents for certain, and the rows left to the per-row code."""

    table: ResidentTable
    protected: frozenset[str]  # households flagged on the usable rows
    others: np.ndarray  # positions (among the plain lines) of the rows the per-row code must read
    sex_notes: list[tuple[int, str, str]]  # (line, resident_id, detail) of an unknown sex on a usable row
    resident_ids: pa.ChunkedArray  # of every plain row, usable or not ("" where there is none of an ID's shape)
    repeated: dict[str, int]  # the resident IDs on more than one plain row, and on how many

    def id_counts(self, more: list[str]) -> Counter[str]:
        """How many rows hold each resident ID that repeats, over the plain rows and `more` (the other rows' IDs)."""
        counts = Counter(v for v in more if v)
        once = [v for v in counts if v not in self.repeated]
        if once:  # on one plain row, or on none
            found = pc.filter(self.resident_ids, pc.is_in(self.resident_ids, value_set=pa.array(once, pa.string())))
            counts.update(found.to_pylist())
        counts.update(self.repeated)
        return Counter({v: n for v, n in counts.items() if n > 1})


def read_plain(scan: Scan, columns: dict[str, int]) -> pa.Table | None:
    """The plain lines as text, one column for each register column used (never the My Number).

    None when pyarrow did not read one row per plain line: the lines must be sorted one by one after all.
    """
    used = {index: name for name, index in columns.items() if name != "my_number"}
    if scan.body.size == 0:
        return pa.table({name: pa.array([], _CODES if name in CODED else pa.string()) for name in used.values()})
    invalid: list[object] = []
    width = len(scan.header)
    body, codec = pa.BufferReader(scan.body), scan.codec
    block = BLOCK_BYTES if codec == "utf-8" else DECODED_BLOCK_BYTES
    if codec == transcode.CODEC and transcode.available():
        body, codec, block = pa.TransformInputStream(body, transcode.Utf8From932()), "utf-8", TRANSCODED_BLOCK_BYTES
    try:
        table = pcsv.read_csv(
            body,
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, encoding=codec, block_size=block),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False,
                                            invalid_row_handler=lambda row: invalid.append(row) or "skip"),
            # The body is UTF-8 already checked, or decoded by the reader: only lines in the encoding are plain.
            # A column of codes or dates is read as codes at once: the codes are what is used of it, in a
            # fraction of the memory.
            convert_options=pcsv.ConvertOptions(
                column_types={f"f{index}": _CODES if used.get(index) in CODED else pa.string() for index in range(width)},
                null_values=[], check_utf8=False, strings_can_be_null=False,
                include_columns=[f"f{index}" for index in sorted(used)]))  # fmt: skip
    except (pa.ArrowException, ValueError):
        # A line not in the encoding (UnicodeDecodeError is a ValueError), or a first line with too few
        # fields: the reader cannot even count the columns.
        return None
    if invalid or table.num_rows != len(scan.lines):
        return None
    return table.rename_columns([used[index] for index in sorted(used)])


def _text(frame: pa.Table, column: str) -> pa.ChunkedArray:
    """A text column trimmed as str.strip() trims ("" for every row when the register lacks the column)."""
    if column not in frame.column_names:
        return pa.chunked_array([pa.array(np.full(frame.num_rows, ""), pa.string())])
    raw = frame.column(column)
    trimmed = pc.utf8_trim(raw, characters=WHITESPACE)
    # Trimming only ever shortens: the same length is the same text, and the column read is kept instead of a copy.
    return raw if _text_bytes(trimmed) == _text_bytes(raw) else trimmed


def _text_bytes(array: pa.ChunkedArray) -> int:
    """How many bytes of text a column holds, read off its offsets."""
    total = 0
    for chunk in array.chunks:
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        total += int(offsets[-1] - offsets[0]) if len(offsets) else 0
    return total


@dataclass(frozen=True)
class _Text:
    """A text column trimmed, and which of its rows are empty, and which need a closer look."""

    values: pa.ChunkedArray
    empty: np.ndarray
    closer: pa.ChunkedArray | None  # rows whose value a Python function may change; None: no row


def _texts(frame: pa.Table, column: str) -> _Text:
    values = _text(frame, column)
    empty = pc.equal(values, "").to_numpy(zero_copy_only=False)
    closer = None
    if column in ("resident_id", "household_id"):
        closer = pc.invert(pc.string_is_ascii(values))  # NFKC changes no ASCII text
    elif column == "name_kana" and _may_hold_half_width_kana(values):
        closer = pc.match_substring_regex(values, HALF_WIDTH_KANA)
    return _Text(values, empty, closer if closer is not None and pc.any(closer).as_py() else None)


def _may_hold_half_width_kana(values: pa.ChunkedArray) -> bool:
    """False when no value holds half-width kana, as a glance at the bytes shows (each one's UTF-8 starts EF BD or
    EF BE): far quicker than the regular expression over every value."""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is not None:
            view = np.frombuffer(data, np.uint8)
            if np.isin(view[np.flatnonzero(view[:-1] == 0xEF) + 1], (0xBD, 0xBE)).any():
                return True
    return False


def _coded_texts(frame: pa.Table, column: str) -> tuple[_Text, tuple[np.ndarray, pa.Array]]:
    """A text column as _texts gives it, with the code of each row's value and the distinct values (encode)."""
    text = _texts(frame, column)
    return text, encode(text.values)


def _replaced(text: _Text, function: Callable[[str], str]) -> pa.ChunkedArray:
    """function(value) in the rows that need a closer look, the others as they are."""
    if text.closer is None:
        return text.values
    changed = [function(v) for v in pc.filter(text.values, text.closer).to_pylist()]
    replaced = pc.replace_with_mask(text.values.combine_chunks(), text.closer.combine_chunks(), pa.array(changed, pa.string()))
    return pa.chunked_array([replaced])


def normalise(frame: pa.Table, lines: np.ndarray, shapes: cells.Shapes) -> Bulk:
    """Every plain row as the per-row code reads it; the rows it would reject or must see are left to it."""
    if not frame.num_rows:
        empty = pa.chunked_array([], pa.string())
        return Bulk(ResidentTable.empty(), frozenset(), np.empty(0, np.int64), [], empty, {})
    with ThreadPoolExecutor(max_workers=2) as pool:  # pyarrow's compute functions let go of the GIL: two at a time
        # The resident IDs' codes (for the repeated IDs) take longest to find: they are found beside the dates.
        resident = pool.submit(_coded_texts, frame, "resident_id")
        values = Values(frame, (*PER_VALUE[:2], *cells.DATE_COLUMNS, *PER_VALUE[2:]), pool)  # in the order used
        found = {column: pool.submit(_texts, frame, column) for column in TEXTS[1:]}
        status = values.typed("status", lambda c: _code(cells.status(c), Status), np.int8)  # -1: unknown
        state = values.typed("card_state", lambda c: _code(cells.card_state(c), CardState), np.int8)
        dates = {column: values.dates(column) for column in cells.DATE_COLUMNS}
        texts = {column: future.result() for column, future in found.items()}
        texts["resident_id"], coded = resident.result()
        ids = {column: _replaced(texts[column], cells.identifier) for column in TEXTS[:2]}
        shaped = {"resident_id": pool.submit(shapes.resident.fits, ids["resident_id"]),
                  "household_id": pool.submit(shapes.household.fits, ids["household_id"])}  # fmt: skip
        fits = {column: future.result() for column, future in shaped.items()}
        # A row whose ID has not the shape of one is rejected without it: it counts for no duplicate.
        counted = ids["resident_id"]
        if not (fits["resident_id"] | texts["resident_id"].empty).all():
            counted = pc.if_else(pa.chunked_array([fits["resident_id"]]), counted, "")
        if texts["resident_id"].closer is None:  # the IDs are the texts read: their codes tell the repeated ones
            repeated = pool.submit(_twice, *coded, fits["resident_id"])
        else:
            repeated = pool.submit(_repeated, counted)  # counted beside what follows
        return _bulk(values, texts, ids, fits, status, state, dates, lines, counted, repeated)


def _repeated(resident_ids: pa.ChunkedArray) -> dict[str, int]:
    return _twice(*encode(resident_ids))  # quicker than pc.value_counts, which counts in a hash table of its own


def _twice(codes: np.ndarray, values: pa.Array, rows: np.ndarray | None = None) -> dict[str, int]:
    """The values but "" that more than one row (of `rows`, a mask; None: all) holds, and on how many rows."""
    counts = np.bincount(codes if rows is None else codes[rows], minlength=len(values))
    twice = np.flatnonzero(counts > 1)
    found = zip(values.take(pa.array(twice)).to_pylist(), counts[twice].tolist(), strict=True)
    return {value: int(n) for value, n in found if value}


def _bulk(values: Values, texts: dict[str, _Text], ids: dict[str, pa.ChunkedArray], fits: dict[str, np.ndarray],
          status: np.ndarray, state: np.ndarray, dates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
          lines: np.ndarray, counted: pa.ChunkedArray, repeated: Future[dict[str, int]]) -> Bulk:  # fmt: skip
    has_card = ~dates["card_issued_on"][0] | ~dates["card_expires_on"][0]
    resident = status == _code(RESIDENT, Status)
    needed = resident & has_card & (state == _code(ACTIVE, CardState))
    # What _resident would reject (and a blank resident ID, which may also be a blank line).
    odd = texts["resident_id"].empty | ~fits["resident_id"] | (~texts["household_id"].empty & ~fits["household_id"])
    odd |= (status < 0) | (resident & has_card & (state < 0))
    odd |= needed & (texts["name"].empty | dates["birth_date"][0])
    for column in cells.DATE_COLUMNS:
        odd |= needed & dates[column][2]
    usable = np.flatnonzero(~odd)
    columns = {
        "line": lines, **ids, "name": texts["name"].values, "name_kana": _replaced(texts["name_kana"], cells.kana),
        "sex": values.coded("sex", cells.sex), "postal_code": values.coded("postal_code", cells.postal_code),
        "address": texts["address"].values, "address_extra": texts["address_extra"].values, "status": status,
        "nationality": values.coded("nationality", cells.nationality),
        "residence_status": values.coded("residence_status", cells.residence_status),
        "card_state": np.where(has_card, state, -1).astype(np.int8),
        "support_measure": values.typed("support_measure", lambda c: cells.flag(c) is not False, bool),
        "support_measure_unclear": values.typed("support_measure", lambda c: cells.flag(c) is None, bool),
        "application_id": values.coded("application_id", cells.application_id),
        "language": values.coded("language", cells.language),
        **{column: dates[column][1] for column in cells.DATE_COLUMNS},
    }  # fmt: skip
    flagged = usable[columns["support_measure"][usable]]
    protected = frozenset(take_list(ids["household_id"], flagged)) - {""}
    sex_notes = values.coded("sex", cells.sex_note)
    noted = usable[sex_notes.test(bool, usable)]
    notes = list(zip(lines[noted].tolist(), take_list(ids["resident_id"], noted), sex_notes[noted].tolist(),
                     strict=True))  # fmt: skip
    return Bulk(ResidentTable(columns, usable), protected, np.flatnonzero(odd), notes, counted, repeated.result())


def _code(value: Any, kind: Any) -> int:
    return -1 if value is None else list(kind).index(value)


def row_records(scan: Scan, frame: pa.Table, positions: np.ndarray, lines: np.ndarray,
                columns: dict[str, int]) -> list[Record]:  # fmt: skip
    """The records of some plain lines, for the per-row code: their cells as the bulk reader read them.

    A row whose cells read are all blank is read from the file again: only its other cells
    (the My Number's, one the bulk reader never reads) tell a blank line from a row without a resident ID.
    """
    width = len(scan.header)
    read = [(columns[c], take_list(frame.column(c), positions)) for c in frame.column_names]
    found: list[Record] = []
    for i, line in enumerate(lines[positions].tolist()):
        row = [""] * width
        for index, values in read:
            row[index] = values[i]
        found.append(Record(line, row, ""))
    blank = [r.line for r in found if not any(c.strip() for c in r.cells)]
    if blank:
        again = {r.line: r for r in plain_records(scan, blank)}
        found = [again.get(r.line, r) for r in found]
    return found
