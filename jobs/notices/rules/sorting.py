"""Who gets what, over the register's columns: every resident sorted at once by the engine.

A resident who is not mailed whatever the dates, or not due and without a data-quality note, is
done here, as a count and an outcome row. Every other one (due, or with a note) is left to
selection.py, against the ledger and the review holds: as positions (Plan.settle), built into
Resident and Due objects only for those settled one by one and, a lot at a time, for those mailed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

import numpy as np
import pyarrow as pa

from . import arrays, chunked, dates, engine
from .possible import UNDECIDED, Possible, Possibles
from ..config import Config
from ..models import CardState, Due, Kind, QualityNote, Resident, Status
from ..register.residents import CARD_STATE_CODES, STATUS_CODES, ResidentTable, built

NOT_MAILED_REASONS = ("moved_out", "deceased", "removed", "abroad", "no_card", "card_inactive", "not_due")
_BY_STATUS = np.array([NOT_MAILED_REASONS.index(dates.NOT_MAILED_BY_STATUS[s]) if s in dates.NOT_MAILED_BY_STATUS
                       else -1 for s in STATUS_CODES], np.int8)  # fmt: skip
_ACTIVE, _REVOKED = CARD_STATE_CODES.index(CardState.ACTIVE), CARD_STATE_CODES.index(CardState.REVOKED)
DUE_FIELDS = tuple(Due.__dataclass_fields__)


def holders(table: ResidentTable) -> engine.Holders:
    """The columns the rules read, of every row of the table's columns, made once per table."""
    if "holders" not in table.cache:
        table.cache["holders"] = table.holders()
    return table.cache["holders"]  # type: ignore[no-any-return]


def expiries(table: ResidentTable, leap_day: str) -> engine.Expiries:
    """The effective expiries of every row of the table's columns (index them by table.rows), once per table and policy."""
    key = ("expiries", leap_day)
    if key not in table.cache:
        table.cache[key] = chunked.by_chunks(engine.expiries, len(table.columns["line"]), holders(table), leap_day)
    return table.cache[key]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class NotMailed:
    """The residents of a table not mailed, decided in bulk: positions among its residents, and why."""

    table: ResidentTable
    positions: np.ndarray
    reasons: np.ndarray  # index into NOT_MAILED_REASONS

    def counts(self) -> dict[str, int]:
        """How many for each reason (reasons with none left out)."""
        found = np.bincount(self.reasons, minlength=len(NOT_MAILED_REASONS))
        return {reason: int(n) for reason, n in zip(NOT_MAILED_REASONS, found, strict=True) if n}

    def columns(self) -> tuple[np.ndarray, pa.Array, np.ndarray]:
        """Their lines, resident IDs and reasons (index into NOT_MAILED_REASONS), as columns in line order."""
        return self.table.lines()[self.positions], self.table.text_array("resident_id", self.positions), self.reasons

    def outcomes(self) -> list[tuple[int, str, str, str, str, str]]:
        """Their rows for `notices plan`, in line order."""
        lines = self.table.lines()[self.positions].tolist()
        ids = self.table.texts("resident_id", self.positions)
        return [(line, rid, "not_mailed", "", "", NOT_MAILED_REASONS[reason])
                for line, rid, reason in zip(lines, ids, self.reasons.tolist(), strict=True)]  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """A table's residents sorted on a run date: those to settle one by one, and those not mailed."""

    table: ResidentTable
    settle: np.ndarray  # positions of the residents due or with a quality note, in line order
    not_mailed: NotMailed
    expiries: engine.Expiries
    notices: engine.Notices
    notes: tuple[np.ndarray, np.ndarray]  # where the recorded card, and certificate, expiry differ from computed

    def settled(self, positions: np.ndarray) -> Iterator[tuple[Resident, Due | None]]:
        """The residents at POSITIONS among those to settle one by one, in line order, each with the notice due
        (as dates.due_notice and dates.due_reminder give it; their data-quality notes: quality)."""
        residents = self.table.residents(positions)
        due = self.notices.kind[self.table.rows[positions]] >= 0
        dues = iter(self._dues(positions[due], [r for r, d in zip(residents, due.tolist(), strict=True) if d]))
        for r, is_due in zip(residents, due.tolist(), strict=True):
            yield r, next(dues) if is_due else None

    def noted(self, positions: np.ndarray) -> np.ndarray:
        """Whether each resident at POSITIONS has a data-quality note."""
        at = self.table.rows[positions]
        return self.notes[0][at] | self.notes[1][at]  # type: ignore[no-any-return]

    def quality(self, positions: np.ndarray) -> list[QualityNote]:
        """The data-quality notes of the residents at POSITIONS, in their order (as tests/reference.py gives them)."""
        return [note for notes in self._notes(positions) for note in notes]

    def _notes(self, positions: np.ndarray) -> list[list[QualityNote]]:
        """Each resident's notes: where a recorded expiry is none of those computed (domain.md 2.4)."""
        at, e = self.table.rows[positions], self.expiries
        found: list[list[QualityNote]] = [[] for _ in range(len(positions))]
        for column, note, recorded, computed in (("card_expires_on", self.notes[0], e.card, e.card_computed),
                                                 ("cert_expires_on", self.notes[1], e.cert, e.cert_computed)):  # fmt: skip
            where = np.flatnonzero(note[at])
            lines, ids = self.table.lines()[positions[where]].tolist(), self.table.texts("resident_id", positions[where])
            days, possible = _days(recorded[at[where]]), _possible(computed, at[where])
            for k, i in enumerate(where.tolist()):
                found[i].append(QualityNote(lines[k], ids[k], column, f"recorded {days[k]} differs from computed "
                                            f"{possible(k)}; recorded used"))  # fmt: skip
        return found

    def dues(self, positions: np.ndarray) -> list[Due]:
        """The notices due to the residents at POSITIONS (each due one), in that order."""
        return self._dues(positions, self.table.residents(positions))

    def _dues(self, positions: np.ndarray, residents: list[Resident]) -> list[Due]:
        at, e, notices = self.table.rows[positions], self.expiries, self.notices
        kinds, lapsing, capped = notices.kind[at].tolist(), notices.lapsing[at].tolist(), e.stay_capped[at].tolist()
        due_on = notices.expires_on[at]
        expires_on, renewal_from, grace_end, card, cert = (_days(a) for a in (
            due_on, arrays.renewal_from(due_on), arrays.insurance_grace_end(due_on, e.cert[at]), e.card[at], e.cert[at]))  # fmt: skip
        computed = {"card": _possible(e.card_computed, at), "cert": _possible(e.cert_computed, at)}
        undecided = notices.undecided[at].tolist()
        return built(Due, DUE_FIELDS, (
            (r, notices.kinds[kinds[i]], expires_on[i], renewal_from[i], grace_end[i], card[i], cert[i],
             engine.LAPSING[lapsing[i]], capped[i], _undecided(notices.kinds[kinds[i]], engine.LAPSING[lapsing[i]],
                                                               computed, i) if undecided[i] else "")
            for i, r in enumerate(residents)))  # fmt: skip


def _possible(p: Possibles, at: np.ndarray) -> Callable[[int], Possible]:
    """The i-th of some rows' possible expiries as a dates.Possible (built only for the few asked for)."""
    low, high, span, missing = _days(p.low[at]), _days(p.high[at]), p.span[at], p.missing[at]
    return lambda i: Possible.of(low[i], high[i], bool(span[i]), UNDECIDED[missing[i]])  # type: ignore[arg-type]


def _undecided(kind: Kind, lapsing: str, computed: dict[str, Callable[[int], Possible]], i: int) -> str:
    """Why a notice due on one of the expiries possible is held (dates._undecided)."""
    cert = kind is Kind.CERT_RENEWAL or lapsing == "cert"
    return computed["cert" if cert else "card"](i).detail("certificate" if cert else "card")


def _days(days: np.ndarray) -> list[date | None]:
    return days.astype(object).tolist()  # type: ignore[no-any-return]


def plan(table: ResidentTable, as_of: date, config: Config) -> Plan:
    """Sort a table's residents on a run date (dates.not_mailed_reason, expiries, due_notice, due_reminder)."""
    # Over every row read in bulk, usable or not (cheaper than taking the usable rows of each column first).
    status, state, rows = table.columns["status"], table.columns["card_state"], table.rows
    reason = np.where(_BY_STATUS[status] >= 0, _BY_STATUS[status],
                      np.where(state < 0, NOT_MAILED_REASONS.index("no_card"),
                               np.where(state != _ACTIVE, NOT_MAILED_REASONS.index("card_inactive"), -1)))  # fmt: skip
    e = expiries(table, config.leap_day)
    notices = chunked.by_chunks(engine.due, len(status), engine.Facts(
        holders(table), e, as_of, config.reminder_days if config.reminder_enabled else None))
    notes = (engine.differs(table.columns["card_expires_on"], e.card_computed),  # type: ignore[arg-type]
             engine.differs(table.columns["cert_expires_on"], e.cert_computed))  # type: ignore[arg-type]
    mailable = reason < 0
    settle = (mailable & ((notices.kind >= 0) | notes[0] | notes[1]))[rows]
    reason = np.where(mailable, NOT_MAILED_REASONS.index("not_due"), reason)[rows]
    rest = np.flatnonzero(~settle)
    return Plan(table, np.flatnonzero(settle), NotMailed(table, rest, reason[rest]), e, notices, notes)


def lapsed(table: ResidentTable, as_of: date, config: Config) -> list[tuple[int, str, str, str, date, date]]:
    """(line, resident_id, household_id, card or cert, expiry, grace end) of each grace that ended lately."""
    status, state, rows = table.columns["status"], table.columns["card_state"], table.rows
    holder = (status == STATUS_CODES.index(Status.RESIDENT)) & ((state == _ACTIVE) | (state == _REVOKED))
    e = expiries(table, config.leap_day)
    card, cert = engine.lapsed(e, as_of, config.lapsed_days)
    found = []
    for subject, hit, expired in (("card", card, e.card), ("cert", cert, e.cert)):
        positions = np.flatnonzero((holder & hit)[rows])
        at = expired[rows[positions]]
        found += zip(table.lines()[positions].tolist(), table.texts("resident_id", positions),
                     table.texts("household_id", positions), [subject] * len(positions), _days(at),
                     _days(arrays.grace_end(at)), strict=True)  # fmt: skip
    return sorted(found, key=lambda row: (row[0], row[3] != "card"))


def first_due(table: ResidentTable, position: int, after: date, config: Config) -> tuple[date, Due] | None:
    """The first run date after AFTER on which the engine finds the resident at POSITION due, with the notice
    (as `plan` on that date finds it, before the ledger and the holds): tried on the few dates an expiry can
    enter the window or the reminder days."""
    row, e = int(table.rows[position]), expiries(table, config.leap_day)
    candidates = {after + timedelta(days=1)}  # an expiry the register leaves open may be due any night
    for column in (e.card, e.cert, e.card_computed.low, e.card_computed.high, e.cert_computed.low, e.cert_computed.high):
        if not np.isnat(column[row]):
            day = column[row].astype(object)
            start = day - relativedelta(months=3)  # the window's far end reaches it (month ends clamp: a few days)
            candidates.update(start + timedelta(days=k) for k in range(-3, 4))
            candidates.add(day + timedelta(days=1))  # the first reminder day
    for day in sorted(c for c in candidates if c > after):
        found = plan(table, day, config)
        if found.notices.kind[row] >= 0 and position in found.settle:
            return day, found.dues(np.array([position]))[0]
    return None
