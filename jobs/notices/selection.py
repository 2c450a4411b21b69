"""Who gets what on a run date: every usable resident sorted into exactly one outcome (domain.md 2.5, 2.6)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from . import fonts, review, rules
from .config import Config
from .ledger import Ledger, address_hash
from .models import CardState, Due, QualityNote, Reject, Resident, Review, Status
from .privacy import mask
from .register import RegisterRead

NOT_MAILED_REASONS = ("moved_out", "deceased", "removed", "abroad", "no_card", "card_inactive", "not_due")


@dataclass
class Selection:
    """Every usable resident sorted into one outcome."""

    mail: list[Due] = field(default_factory=list)
    held: list[Due] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    not_mailed: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    # (line, resident_id, outcome, kind, expires_on, reason) of every resident, for `notices plan`
    outcomes: list[tuple[int, str, str, str, str, str]] = field(default_factory=list)
    already_notified: int = 0
    quality: list[QualityNote] = field(default_factory=list)


def _quality(e: rules.Expiries, line: int, resident_id: str) -> list[QualityNote]:
    """A note for each recorded expiry that differs from the computed one (domain.md 2.4)."""
    notes = []
    for column, rec, comp in (("card_expires_on", e.card, e.card_computed), ("cert_expires_on", e.cert, e.cert_computed)):
        if rec and comp and rec != comp:
            notes.append(QualityNote(line, resident_id, column, f"recorded {rec} differs from computed {comp}; recorded used"))
    return notes


def select(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> Selection:
    """Sort every usable resident into mailed, held for review, already notified or not mailed."""
    glyph_check = partial(fonts.missing_glyphs, families=(config.mincho_font, config.gothic_font))
    supplied = Counter(r.application_id for r in read.residents if r.application_id)
    out = Selection(quality=list(read.quality))
    for r in read.residents:
        try:
            _sort(r, as_of, config, ledger, read.protected_households, glyph_check, supplied, out)
        except (ValueError, OverflowError) as exc:  # dates the rules cannot compute with: this row only
            out.rejects.append(Reject(r.line, r.resident_id, "bad_date", "", f"dates cannot be used: {mask(str(exc))}"))
    return out


def _sort(r: Resident, as_of: date, config: Config, ledger: Ledger, protected: frozenset[str],
          glyph_check: review.GlyphCheck, supplied: Counter[str], out: Selection) -> None:  # fmt: skip
    """Put one resident into exactly one outcome of the selection."""
    reason = rules.not_mailed_reason(r)
    if reason:
        out.not_mailed[reason] += 1
        out.outcomes.append((r.line, r.resident_id, "not_mailed", "", "", reason))
        return
    known = rules.expiries(r, config.leap_day)
    notes = _quality(known, r.line, r.resident_id)
    due = rules.due_notice(r, as_of, config.leap_day, known)
    if due is None and config.reminder_enabled:
        # While a renewal is in its window, that notice says it all (a new card brings new certificates).
        due = rules.due_reminder(r, as_of, config.reminder_days, config.leap_day, known)
    out.quality += notes
    if due is None:
        out.not_mailed["not_due"] += 1
        out.outcomes.append((r.line, r.resident_id, "not_mailed", "", "", "not_due"))
    elif ledger.notified(r.resident_id, due.kind.value, due.expires_on):
        out.already_notified += 1
        out.outcomes.append((r.line, r.resident_id, "already_notified", due.kind.value, due.expires_on.isoformat(), ""))
    else:
        owner = ledger.application_id_owner(r.application_id) if r.application_id else None
        here = address_hash(r.postal_code, r.address, r.address_extra)
        found = (review.support_measure(due, protected) + review.address(due) + review.layout(due)
                 + review.glyphs(due, glyph_check) + review.application_id(due, owner, supplied[r.application_id] > 1)
                 + review.returned(due, ledger.returned_addresses(r.resident_id), here))
        if found:
            out.held.append(due)
            out.reviews += found
        else:
            out.mail.append(due)
        out.outcomes.append((r.line, r.resident_id, "review" if found else "mail", due.kind.value,
                             due.expires_on.isoformat(), " ".join(f.reason for f in found)))  # fmt: skip


LAPSED_COLUMNS = ("resident_id", "household_id", "lapsed", "expires_on", "grace_end", "notified_on", "reminded_on")


def lapsed(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> list[tuple[str, ...]]:
    """Residents whose insurance grace period ended lately without renewal, with what the ledger sent them."""
    rows = []
    for r in read.residents:
        if r.status is not Status.RESIDENT or r.card_state not in (CardState.ACTIVE, CardState.REVOKED):
            continue  # a card marked 失効 (revoked) after its expiry has lapsed all the same
        try:
            ended = rules.lapsed(r, as_of, config.lapsed_days, config.leap_day)
        except (ValueError, OverflowError):
            continue  # select() rejects the row
        for subject, expired, grace_end in ended:
            sent = ledger.history(r.resident_id, expired)
            notice = ("card_renewal", "residence_extension", "cert_renewal")
            rows.append((r.resident_id, r.household_id, subject, expired.isoformat(), grace_end.isoformat(),
                         next((sent[k] for k in notice if k in sent), ""), sent.get("grace_reminder", "")))  # fmt: skip
    return rows
