"""Slow, obvious references: the encoding told line by line, selection by the scalar rules (dates.py), and the
ledger's questions of many residents asked one resident at a time (OneByOne, for the tests' stand-in ledgers), and
the customer barcode read a row of pixels after another.

Production decides over the register's columns (rules/sorting.py, rules/engine.py); the tests hold it to this.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from datetime import date

import numpy as np

from notices.rules import dates, selection
from notices.config import Config
from notices.delivery.ledger import Ledger
from notices.models import CardState, Decision, QualityNote, Reject, Status
from notices.privacy import mask
from notices.register.read import RegisterRead
from notices.delivery.raster import ASCENT_MM, BAR_PITCH_MM, BAR_WIDTH_MM, Raster


def detect_encoding(lines: list[bytes]) -> str:
    """encodings.detect, line by line: UTF-8 unless most lines with non-ASCII bytes are not UTF-8, then CP932."""
    if lines and lines[0].startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    non_ascii = bad = 0
    for line in lines:
        if not line.isascii():
            non_ascii += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
    # A CP932 file fails UTF-8 on nearly every line with Japanese text; a UTF-8 file with
    # a few pasted CP932 rows fails on those rows only, and they are rejected one by one.
    return "utf-8" if bad * 2 <= non_ascii else "cp932"



def _quality(e: dates.Expiries, line: int, resident_id: str) -> list[QualityNote]:
    """A note for each recorded expiry that differs from the computed one (domain.md 2.4)."""
    notes = []
    for column, rec, comp in (("card_expires_on", e.card, e.card_computed), ("cert_expires_on", e.cert, e.cert_computed)):
        if rec and comp and rec not in comp:
            notes.append(QualityNote(line, resident_id, column, f"recorded {rec} differs from computed {comp}; recorded used"))
    return notes


def select(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> selection.Selection:
    """selection.select, by the scalar rules."""
    run = selection.context(read, as_of, config, ledger)
    out = selection.Selection(quality=list(read.quality))
    for r in read.residents:
        try:
            reason = dates.not_mailed_reason(r)
            if reason:
                out.not_mailed[reason] += 1
                out.settled.append((r.line, r.resident_id, "not_mailed", "", "", reason))
                continue
            known = dates.expiries(r, config.leap_day)
            due = dates.due_notice(r, as_of, config.leap_day, known)
            if due is None and config.reminder_enabled:
                due = dates.due_reminder(r, as_of, config.reminder_days, config.leap_day, known)
            selection.settle(r, due, _quality(known, r.line, r.resident_id), run, out)
        except (ValueError, OverflowError) as exc:
            out.rejects.append(Reject(r.line, r.resident_id, "bad_date", "", f"dates cannot be used: {mask(str(exc))}"))
    return out


def lapsed(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> list[tuple[str, ...]]:
    """selection.lapsed, by the scalar rules."""
    rows = []
    for r in read.residents:
        if r.status is not Status.RESIDENT or r.card_state not in (CardState.ACTIVE, CardState.REVOKED):
            continue
        try:
            ended = dates.lapsed(r, as_of, config.lapsed_days, config.leap_day)
        except (ValueError, OverflowError):
            continue  # select() rejects the row
        for subject, expired, grace_end in ended:
            sent = ledger.history(r.resident_id, expired)
            notice = ("card_renewal", "residence_extension", "cert_renewal")
            rows.append((r.resident_id, r.household_id, subject, expired.isoformat(), grace_end.isoformat(),
                         next((sent[k] for k in notice if k in sent), ""), sent.get("grace_reminder", "")))  # fmt: skip
    return rows


class OneByOne:
    """The ledger's questions of many residents (Ledger.*_each), from a stand-in's questions of one."""

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool:
        raise NotImplementedError

    def returned_addresses(self, resident_id: str) -> dict[str, str]:
        raise NotImplementedError

    def decisions(self, resident_id: str) -> list[Decision]:
        raise NotImplementedError

    def application_id_owner(self, application_id: str) -> str | None:
        raise NotImplementedError

    def notified_each(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        return [self.notified(rid, kind, date.fromisoformat(day)) for rid, kind, day in keys]

    def returned_each(self, resident_ids: Sequence[str]) -> list[bool]:
        return [bool(self.returned_addresses(rid)) for rid in resident_ids]

    def returned_addresses_each(self, resident_ids: Sequence[str]) -> list[dict[str, str]]:
        return [self.returned_addresses(rid) for rid in resident_ids]

    def decisions_each(self, resident_ids: Sequence[str]) -> list[list[Decision]]:
        return [self.decisions(rid) for rid in resident_ids]

    def application_id_owners(self, application_ids: Sequence[str]) -> dict[str, str]:
        return {i: owner for i in application_ids if (owner := self.application_id_owner(i)) is not None}


def read_bars(raster: Raster) -> str:
    """raster.read_bars, a candidate row after another: each row's runs chained at the bar pitch by itself."""
    ink = raster.ink()
    px_mm = raster.px_mm
    low_w, high_w = BAR_WIDTH_MM[0] * px_mm, BAR_WIDTH_MM[1] * px_mm
    low_p, high_p = BAR_PITCH_MM[0] * px_mm, BAR_PITCH_MM[1] * px_mm

    def bar_runs(y: int) -> list[tuple[int, int]]:
        runs, x, row = [], 0, ink[y].tolist()
        while x < len(row):
            if row[x]:
                end = x
                while end < len(row) and row[end]:
                    end += 1
                if low_w <= end - x <= high_w:
                    runs.append((x, end))
                x = end
            else:
                x += 1
        return runs

    def chain(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        best: list[tuple[int, int]] = []
        current: list[tuple[int, int]] = []
        for run in runs:
            if current and not low_p <= run[0] - current[-1][0] <= high_p:
                current = []
            current.append(run)
            if len(current) > len(best):
                best = list(current)
        return best

    counts = [len(bar_runs(y)) for y in range(ink.shape[0])]
    threshold = max(10, max(counts, default=0) * 0.8)
    across = {y: chain(bar_runs(y)) for y in range(ink.shape[0]) if counts[y] >= threshold}
    most = max((len(bars) for bars in across.values()), default=0)
    if most < 10:
        return ""
    band = [y for y, bars in across.items() if len(bars) == most]
    middle = band[len(band) // 2]
    reach = int(np.ceil(ASCENT_MM * px_mm))
    out = ""
    for start, end in across[middle]:
        column = (start + end) // 2
        high = middle >= reach and bool(ink[middle - reach:middle + 1, column].all())
        low = middle + reach < len(ink) and bool(ink[middle:middle + reach + 1, column].all())
        out += "F" if high and low else "A" if high else "D" if low else "T"
    return out
