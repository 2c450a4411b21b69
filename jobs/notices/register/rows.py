"""The register read one row at a time: a record's cells into a Resident, or a Reject with its reason.

Every line the bulk reader (frame.py) cannot take is read here, and a register read with `row_by_row`
is read here whole: the reference the bulk read is tested against.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from . import cells
from .cells import DATE_COLUMNS, Shapes
from .csvfile import Record
from ..models import CardState, QualityNote, Reject, Resident, Status
from ..privacy import quote

# Rows whose IDs are checked at once by the regular expression engine: enough that its calls cost little,
# few enough that the rows waiting do not outlive the garbage collector's youngest generation.
_BATCH = 256


def parse_rows(records: Iterable[Record], columns: dict[str, int], width: int, shapes: Shapes
               ) -> tuple[list[tuple[int, Resident | Reject]], list[tuple[str, bool]], list[QualityNote]]:  # fmt: skip
    """Each record's line and Resident or Reject, the (household, flagged) of every row, and the quality notes."""
    parsed: list[tuple[int, Resident | Reject]] = []
    flags: list[tuple[str, bool]] = []  # (household_id, flagged) of every row, rejected or not
    quality: list[QualityNote] = []
    records = iter(records)
    while batch := list(itertools.islice(records, _BATCH)):
        rows = [r for r in batch if any(c.strip() for c in r.cells) or r.problem]  # a blank line holds no one
        for record, ids in zip(rows, _ids(rows, columns, shapes), strict=True):
            parsed.append((record.line, _parse_row(record, columns, width, ids, flags, quality)))
    return parsed, flags, quality


@dataclass(frozen=True)
class _Ids:
    """A row's resident and household IDs as read, and whether each has the shape of an ID."""

    resident_id: str
    household_id: str
    resident_shaped: bool
    household_shaped: bool
    resident_default: bool  # the resident ID has the default shape too (the caller's may be laxer)


def _ids(rows: list[Record], columns: dict[str, int], shapes: Shapes) -> list[_Ids]:
    """The IDs of some rows, their shapes checked all at once (as the bulk read checks them)."""
    residents = [cells.identifier(_cell(r.cells, columns, "resident_id")) for r in rows]
    households = [cells.identifier(_cell(r.cells, columns, "household_id")) for r in rows]
    shaped = shapes.resident.fitting(residents)
    default = shaped if shapes.default is shapes.resident else shapes.default.fitting(residents)
    return list(map(_Ids, residents, households, shaped, shapes.household.fitting(households), default))


def _cell(values: list[str], columns: dict[str, int], column: str) -> str:
    index = columns.get(column)
    return values[index].strip() if index is not None and index < len(values) else ""


def _parse_row(
    record: Record, columns: dict[str, int], width: int, ids: _Ids, flags: list[tuple[str, bool]],
    quality: list[QualityNote],
) -> Resident | Reject:  # fmt: skip
    line, cell = record.line, functools.partial(_cell, record.cells, columns)
    # All a reject may show of its row, besides the line: never a cell's text, only an ID that has the
    # shape of one. A broken row's first cell may be the rest of the row or of the file, My Numbers and
    # all: its ID must have the default shape as well, however lax the caller's pattern.
    shown = ids.resident_id if ids.resident_shaped else ""
    flag = cells.flag(cell("support_measure"))
    sound = not record.problem and len(record.cells) == width
    # Read the protection flag first, from every row: a rejected row still protects its household,
    # and a row whose cells cannot be trusted protects it whatever its flag cell says. (A household ID
    # not of an ID's shape is no usable resident's: nobody there is to protect.)
    flags.append((ids.household_id if ids.household_shaped else "", flag is not False or not sound))
    if not sound:
        problem = record.problem or f"expected {width} fields, found {len(record.cells)}"
        return Reject(line, shown if ids.resident_default else "", "malformed_row", "", problem)
    return _resident(cell, line, ids, flag, quality, functools.partial(Reject, line, shown))


def _date(cell_value: str) -> date | None:
    if not cell_value:
        return None
    try:
        return cells.read_date(cell_value)
    except ValueError:
        return None


def _resident(cell: Callable[[str], str], line: int, ids: _Ids, flag: bool | None, quality: list[QualityNote],
              reject: Callable[[str, str, str], Reject]) -> Resident | Reject:  # fmt: skip
    """The row's resident, or `reject(reason, column, detail)` for the first thing wrong with it."""
    if not ids.resident_id:
        return reject("missing_resident_id", "resident_id", "resident_id is empty")
    # A formula, a My Number, a row's text: never of an ID's shape, and never to be shown, even quoted.
    if not ids.resident_shaped:
        return reject("bad_resident_id", "resident_id", "resident_id is not of the register's ID shape")
    if ids.household_id and not ids.household_shaped:
        return reject("bad_household_id", "household_id", "household_id is not of the register's ID shape")
    resident_id, household_id = ids.resident_id, ids.household_id
    status = cells.status(cell("status"))
    if status is None:
        return reject("unknown_status", "status", f"status: unknown value {quote(cell('status'))}")
    has_card = bool(cell("card_issued_on") or cell("card_expires_on"))
    card_state = cells.card_state(cell("card_state")) if has_card else None
    if status is Status.RESIDENT and has_card and card_state is None:
        return reject("unknown_card_state", "card_state", f"card_state: unknown value {quote(cell('card_state'))}")
    # Dates matter only for a resident with an active card; others are not mailed whatever their dates say.
    needed = status is Status.RESIDENT and card_state is CardState.ACTIVE
    if needed:
        for column in ("name", "birth_date"):
            if not cell(column):
                return reject("missing_value", column, f"{column} is empty")
    dates = {column: _date(cell(column)) for column in DATE_COLUMNS}
    if needed:
        for column in DATE_COLUMNS:
            if cell(column) and dates[column] is None:
                return reject("bad_date", column, f"{column}: cannot read {quote(cell(column))} as a date")
        if dates["card_issued_on"] is None and dates["card_expires_on"] is None:
            return reject("missing_value", "card_issued_on", "card_issued_on is empty")
    note = cells.sex_note(cell("sex"))
    if note:
        quality.append(QualityNote(line, resident_id, "sex", note))
    return Resident(
        line=line,
        resident_id=resident_id,
        household_id=household_id,
        name=cell("name"),
        name_kana=cells.kana(cell("name_kana")),
        birth_date=dates["birth_date"],
        sex=cells.sex(cell("sex")),
        postal_code=cells.postal_code(cell("postal_code")),
        address=cell("address"),
        address_extra=cell("address_extra"),
        status=status,
        nationality=cells.nationality(cell("nationality")),
        residence_status=cells.residence_status(cell("residence_status")),
        residence_expires_on=dates["residence_expires_on"],
        card_issued_on=dates["card_issued_on"],
        card_expires_on=dates["card_expires_on"],
        card_state=card_state,
        cert_issued_on=dates["cert_issued_on"],
        cert_expires_on=dates["cert_expires_on"],
        support_measure=flag is not False,
        support_measure_unclear=flag is None,
        application_id=cells.application_id(cell("application_id")),
        language=cells.language(cell("language")),
        card_applied_on=dates["card_applied_on"],
        card_residence_expires_on=dates["card_residence_expires_on"],
    )
