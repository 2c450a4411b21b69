"""Who gets what on a run date: every usable resident sorted into exactly one outcome (domain.md 2.5, 2.6)."""

from __future__ import annotations

import contextlib
import heapq
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from . import fonts, review, rules, selection_bulk
from .bulk_memory import bulk_memory
from .config import Config
from .ledger import Ledger, address_hash
from .models import CardState, Due, QualityNote, Reject, Resident, Review, Status
from .privacy import mask
from .register import RegisterRead

NOT_MAILED_REASONS = selection_bulk.NOT_MAILED_REASONS
Outcome = tuple[int, str, str, str, str, str]  # (line, resident_id, outcome, kind, expires_on, reason)


@dataclass
class Selection:
    """Every usable resident sorted into one outcome."""

    mail: list[Due] = field(default_factory=list)
    held: list[Due] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    not_mailed: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    already_notified: int = 0
    quality: list[QualityNote] = field(default_factory=list)
    settled: list[Outcome] = field(default_factory=list)  # the outcomes of the residents settled one by one
    in_bulk: selection_bulk.NotMailed | None = None  # the residents not mailed, decided all at once

    @property
    def outcomes(self) -> list[Outcome]:
        """The outcome of every resident, in line order, for `notices plan`."""
        return list(heapq.merge(self.settled, self.in_bulk.outcomes() if self.in_bulk else []))


def _quality(e: rules.Expiries, line: int, resident_id: str) -> list[QualityNote]:
    """A note for each recorded expiry that differs from the computed one (domain.md 2.4)."""
    notes = []
    for column, rec, comp in (("card_expires_on", e.card, e.card_computed), ("cert_expires_on", e.cert, e.cert_computed)):
        if rec and comp and rec != comp:
            notes.append(QualityNote(line, resident_id, column, f"recorded {rec} differs from computed {comp}; recorded used"))
    return notes


def _read_fonts(families: tuple[str, str]) -> None:
    with contextlib.suppress(Exception):  # raised again where it belongs, at the first check
        fonts.missing_glyphs("", families)


def _glyph_check(config: Config) -> review.GlyphCheck:
    """fonts.missing_glyphs, skipping texts made only of characters already found drawable on their own."""
    families, drawable = (config.mincho_font, config.gothic_font), set()
    # Reading the fonts' character maps takes a while: begun now, it runs while numpy sorts the residents.
    # (A font that cannot be read raises where it did, at the first check: only then is it cached.)
    preload = threading.Thread(target=_read_fonts, args=(families,), daemon=True)
    preload.start()

    def check(text: str) -> list[str]:
        if drawable.issuperset(text):
            return []
        preload.join()
        # A character drawable alone is drawable anywhere (a variation selector never is alone).
        drawable.update(c for c in set(text) - drawable if not fonts.missing_glyphs(c, families))
        return fonts.missing_glyphs(text, families)

    return check


@dataclass(frozen=True)
class _Context:
    as_of: date
    config: Config
    ledger: Ledger
    protected: frozenset[str]
    glyph_check: review.GlyphCheck
    supplied: Counter[str]


def select(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> Selection:
    """Sort every usable resident into mailed, held for review, already notified or not mailed."""
    supplied = read.table.repeated("application_id", [r.application_id for r in read.others])
    run = _Context(as_of, config, ledger, read.protected_households, _glyph_check(config), supplied)
    with bulk_memory():
        plan = selection_bulk.plan(read.table, as_of, config)
    out = Selection(quality=list(read.quality), in_bulk=plan.not_mailed)
    out.not_mailed.update(plan.not_mailed.counts())
    others: Iterator[tuple[Resident, Due | None, list[QualityNote] | None]] = ((r, None, None) for r in read.others)
    for r, due, notes in heapq.merge(others, plan.settled(), key=lambda item: item[0].line):
        try:
            if notes is None:  # read row by row: the reference rules, one resident at a time
                _sort(r, run, out)
            else:
                _settle(r, due, notes, run, out)
        except (ValueError, OverflowError) as exc:  # dates the rules cannot compute with: this row only
            out.rejects.append(Reject(r.line, r.resident_id, "bad_date", "", f"dates cannot be used: {mask(str(exc))}"))
    return out


def _sort(r: Resident, run: _Context, out: Selection) -> None:
    """Put one resident into exactly one outcome of the selection."""
    reason = rules.not_mailed_reason(r)
    if reason:
        out.not_mailed[reason] += 1
        out.settled.append((r.line, r.resident_id, "not_mailed", "", "", reason))
        return
    known = rules.expiries(r, run.config.leap_day)
    notes = _quality(known, r.line, r.resident_id)
    due = rules.due_notice(r, run.as_of, run.config.leap_day, known)
    if due is None and run.config.reminder_enabled:
        # While a renewal is in its window, that notice says it all (a new card brings new certificates).
        due = rules.due_reminder(r, run.as_of, run.config.reminder_days, run.config.leap_day, known)
    _settle(r, due, notes, run, out)


def _settle(r: Resident, due: Due | None, notes: list[QualityNote], run: _Context, out: Selection) -> None:
    """Put a mailable resident into one outcome, given the notice due (if any) and the data-quality notes."""
    out.quality += notes
    ledger = run.ledger
    if due is None:
        out.not_mailed["not_due"] += 1
        out.settled.append((r.line, r.resident_id, "not_mailed", "", "", "not_due"))
        return
    kind = due.kind.value
    if ledger.notified(r.resident_id, kind, due.expires_on):
        out.already_notified += 1
        out.settled.append((r.line, r.resident_id, "already_notified", kind, due.expires_on.isoformat(), ""))
    else:
        owner = ledger.application_id_owner(r.application_id) if r.application_id else None
        returned = ledger.returned_addresses(r.resident_id)
        here = address_hash(r.postal_code, r.address, r.address_extra) if returned else ""  # never looked up if none
        found = (review.support_measure(due, run.protected) + review.address(due) + review.layout(due)
                 + review.glyphs(due, run.glyph_check)
                 + review.application_id(due, owner, run.supplied[r.application_id] > 1)
                 + review.returned(due, returned, here))  # fmt: skip
        if found:
            out.held.append(due)
            out.reviews += found
        else:
            out.mail.append(due)
        out.settled.append((r.line, r.resident_id, "review" if found else "mail", kind, due.expires_on.isoformat(),
                            " ".join(f.reason for f in found) if found else ""))  # fmt: skip


LAPSED_COLUMNS = ("resident_id", "household_id", "lapsed", "expires_on", "grace_end", "notified_on", "reminded_on")


def lapsed(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> list[tuple[str, ...]]:
    """Residents whose insurance grace period ended lately without renewal, with what the ledger sent them."""
    ended = []
    for r in read.others:
        if r.status is not Status.RESIDENT or r.card_state not in (CardState.ACTIVE, CardState.REVOKED):
            continue  # a card marked 失効 (revoked) after its expiry has lapsed all the same
        try:
            ended += [(r.line, r.resident_id, r.household_id, *found)
                      for found in rules.lapsed(r, as_of, config.lapsed_days, config.leap_day)]  # fmt: skip
        except (ValueError, OverflowError):
            continue  # select() rejects the row
    rows = []
    for _, resident_id, household_id, subject, expired, grace_end in heapq.merge(
            ended, selection_bulk.lapsed(read.table, as_of, config), key=lambda row: row[0]):  # fmt: skip
        sent = ledger.history(resident_id, expired)
        notice = ("card_renewal", "residence_extension", "cert_renewal")
        rows.append((resident_id, household_id, subject, expired.isoformat(), grace_end.isoformat(),
                     next((sent[k] for k in notice if k in sent), ""), sent.get("grace_reminder", "")))  # fmt: skip
    return rows
