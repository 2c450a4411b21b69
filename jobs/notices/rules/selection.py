"""Who gets what on a run date: every usable resident sorted into exactly one outcome (domain.md 2.5, 2.6).

The rules run over the register's columns (sorting, engine); so do the ledger and the review holds for
the residents due whom no hold can concern (screening: settled at once, kept as positions, mailing). The
other residents due are settled one by one, as the reference settles every resident.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from . import decisions, postal, review, screening, sorting
from .asked import Answers, Asked
from .. import kinds
from ..letters import fit, fonts, i18n
from ..register.bulk_memory import bulk_memory
from ..config import Config
from ..delivery.ledger import Ledger, address_hash
from ..models import Decision, Due, Kind, QualityNote, Reject, Resident, Review
from ..privacy import mask
from ..register.read import RegisterRead
from ..register.residents import Coded
from .mailing import AtOnce, MailOrder

NOT_MAILED_REASONS = sorting.NOT_MAILED_REASONS
Outcome = tuple[int, str, str, str, str, str]  # (line, resident_id, outcome, kind, expires_on, reason)


@dataclass(frozen=True)
class Withheld:
    """A held resident an operator's decision withholds: the notice, its holds and the decisions in force."""

    due: Due
    holds: tuple[Review, ...]
    decisions: tuple[Decision, ...]


@dataclass
class Selection:
    """Every usable resident sorted into one outcome."""

    mail_settled: list[Due] = field(default_factory=list)  # those mailed that were settled one by one (see mailed())
    held: list[Due] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    by_decision: list[tuple[Due, tuple[Decision, ...]]] = field(default_factory=list)  # mailed on a decision
    not_mailed: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    already_notified: int = 0
    quality: list[QualityNote] = field(default_factory=list)
    settled: list[Outcome] = field(default_factory=list)  # the outcomes of the residents settled one by one
    decided: sorting.NotMailed | None = None  # the residents not mailed whatever the ledger says
    at_once: AtOnce | None = None  # the due residents settled over the columns: mailed, or notified already

    @property
    def outcomes(self) -> list[Outcome]:
        """The outcome of every resident, in line order, for `notices plan` (built only when asked for)."""
        return sorted([*self.settled, *(self.decided.outcomes() if self.decided else []),
                       *(self.at_once.rows() if self.at_once else [])])  # fmt: skip

    def mailed(self) -> list[Due]:
        """Every notice mailed, in line order, built at once: for a small register (tests, explain)."""
        found = self.mail_settled + (self.at_once.plan.dues(self.at_once.mailed) if self.at_once else [])
        return sorted(found, key=lambda due: due.resident.line)

    def mailed_count(self) -> Counter[tuple[Kind, date]]:
        """How many notices are mailed, for each kind and expiry."""
        found = Counter((due.kind, due.expires_on) for due in self.mail_settled)
        return found + self.at_once.counts() if self.at_once else found

    def in_postal_order(self) -> MailOrder:
        """Every notice mailed, in the order the pieces are mailed, each built when its lot is made."""
        with bulk_memory():
            return MailOrder(self.at_once, self.mail_settled)


def _read_fonts(stacks: list[tuple[str, ...]]) -> None:
    for stack in stacks:
        with contextlib.suppress(Exception):  # raised again where it belongs, at the first check
            fonts.missing_in_stacks("", [stack])


class Glyphs:
    """fonts.missing_in_stacks over the letters' font lists (a review.GlyphCheck), skipping texts made only of
    characters already found drawable on their own."""

    def __init__(self, config: Config, languages: Iterable[str] = ()) -> None:
        # Register text is printed in the mincho or the gothic, each followed by the fallback (letters.css); on a
        # page in a foreign resident's language, in that language's fonts, then the gothic and the fallback.
        self.config = config
        self.japanese = [(config.mincho_font, config.fallback_font), (config.gothic_font, config.fallback_font)]
        self.drawable: set[str] = set()
        # Finding the fonts (fontconfig, a process each) and reading their character maps: begun now, it runs
        # while numpy sorts the residents, those of the LANGUAGES the register names after. (A font that cannot
        # be read raises where it did, at the first check: only then is it cached.)
        own = [self._own(language) for language in sorted(set(languages) - {""})]
        self.preload = threading.Thread(target=_read_fonts, args=([*self.japanese, *own],), daemon=True)
        self.preload.start()

    def __call__(self, text: str, language: str | None) -> list[str]:
        if self.drawable.issuperset(text):
            return []
        self.learn(set(text))
        if language is None:
            return fonts.missing_in_stacks(text, self.japanese)
        return fonts.missing_in_stacks(text, [*self.japanese, self._own(language)])

    def _own(self, language: str) -> tuple[str, ...]:
        return i18n.families(language, self.config.gothic_font, self.config.fallback_font)

    def learn(self, chars: set[str]) -> set[str]:
        """Of some characters, those not drawable alone on the Japanese pages (the others are learnt as drawable)."""
        if not chars <= self.drawable:
            self.preload.join()
            # A character drawable alone is drawable anywhere (a variation selector never is alone): every
            # language's list ends with the gothic and the fallback.
            self.drawable.update(c for c in chars - self.drawable if not fonts.missing_in_stacks(c, self.japanese))
        return chars - self.drawable

    def all_drawn(self, *texts: str) -> bool:
        """True when every character of the texts is known to be drawable: no check would find one missing."""
        return all(map(self.drawable.issuperset, texts))


def glyph_check(config: Config, languages: Iterable[str] = ()) -> Glyphs:
    """The glyph check of a run's letters (Glyphs), for a register that names these languages."""
    return Glyphs(config, languages)


@dataclass(frozen=True)
class Context:
    """A run's settling context (see context())."""

    as_of: date
    config: Config
    ledger: Answers
    protected: frozenset[str]
    glyph_check: Glyphs
    supplied: Counter[str]
    postal_check: postal.PostalCheck


def context(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> Context:
    """What settling a resident needs besides the resident: the run, the ledger, the register's households."""
    supplied = read.table.repeated("application_id")
    languages = read.table.columns["language"]
    assert isinstance(languages, Coded)
    return Context(as_of, config, ledger, read.protected_households, glyph_check(config, languages.values), supplied,
                   postal.checker(config.local_postal_codes))


def select(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> Selection:
    """Sort every usable resident into mailed, held for review, already notified or not mailed."""
    run = context(read, as_of, config, ledger)
    with bulk_memory():
        plan = sorting.plan(read.table, as_of, config)
        due = np.flatnonzero(plan.notices.kind[plan.table.rows[plan.settle]] >= 0)
        screened = screening.screen(plan, plan.settle[due], run)
    out = Selection(quality=list(read.quality), decided=plan.not_mailed)
    out.not_mailed.update(plan.not_mailed.counts())
    out.quality += plan.quality(plan.settle[plan.noted(plan.settle)])  # as settle adds them, in line order
    out.at_once = AtOnce(plan, plan.settle[due[screened.clear]], plan.settle[due[screened.notified]])
    out.already_notified += len(out.at_once.notified)
    settling = list(plan.settled(np.delete(plan.settle, due[screened.clear | screened.notified])))
    asked = replace(run, ledger=Asked(ledger, settling))  # what settle asks the ledger, asked of all at once
    for r, due_notice in settling:
        try:
            settle(r, due_notice, [], asked, out)
        except (ValueError, OverflowError) as exc:  # dates the letters cannot compute with: this row only
            out.rejects.append(Reject(r.line, r.resident_id, "bad_date", "", f"dates cannot be used: {mask(str(exc))}"))
    return out


def settle(r: Resident, due: Due | None, notes: list[QualityNote], run: Context, out: Selection) -> None:
    """Put a mailable resident into one outcome, given the notice due (if any) and the data-quality notes."""
    out.quality += notes
    if due is None:
        out.not_mailed["not_due"] += 1
        out.settled.append((r.line, r.resident_id, "not_mailed", "", "", "not_due"))
        return
    kind, expires_on = due.kind.value, due.expires_on.isoformat()
    if run.ledger.notified(r.resident_id, kind, due.expires_on):
        out.already_notified += 1
        out.settled.append((r.line, r.resident_id, "already_notified", kind, expires_on, ""))
        return
    found = holds(r, due, run)
    verdict = None
    if found:
        here = address_hash(r.postal_code, r.address, r.address_extra)
        verdict = decisions.verdict(found, run.ledger.decisions(r.resident_id), here, run.as_of)
    if verdict is None:
        out.mail_settled.append(due)
        outcome, why = "mail", ""
    elif verdict.outcome == "withhold":
        out.withheld.append(Withheld(due, tuple(found), verdict.decisions))
        outcome, why = "withheld", " ".join(f.reason for f in found)
    elif verdict.outcome == "mail" and not _unprintable(mailed := verdict.apply(due), run):
        out.mail_settled.append(mailed)
        out.by_decision.append((mailed, verdict.decisions))
        outcome, why = "mail", " ".join(f"{d.reason}={d.decision}" for d in verdict.decisions)
    else:
        out.held.append(due)
        out.reviews += found
        outcome, why = "review", " ".join(f.reason for f in found)
    out.settled.append((r.line, r.resident_id, outcome, kind, expires_on, why))


def _unprintable(due: Due, run: Context) -> bool:
    """True for a notice mailed on a layout decision whose values, printed smaller, still do not fit (the
    hold measured the registered address; a mail_to decision puts another in the window): held, never a
    letter the renderer refuses."""
    return due.fit and bool(fit.misfits(due, run.config))


def holds(r: Resident, due: Due, run: Context) -> list[Review]:
    """Every reason to hold a due resident for a person to look at (review.py), in the report's order."""
    owner = run.ledger.application_id_owner(r.application_id) if r.application_id else None
    returned = run.ledger.returned_addresses(r.resident_id)
    # Most residents have had no mail back and only characters already found drawable: those checks find nothing.
    here = address_hash(r.postal_code, r.address, r.address_extra) if returned else ""
    came_back = review.returned(due, returned, here) if returned else []
    drawn = run.glyph_check.all_drawn(r.name, r.name_kana, r.address, r.address_extra)
    return (review.support_measure(due, run.protected) + review.expiry_unknown(due)
            + review.address(due, run.postal_check) + review.layout(due, lambda d: fit.misfits(d, run.config))
            + ([] if drawn else review.glyphs(due, run.glyph_check))
            + review.application_id(due, owner, run.supplied[r.application_id] > 1) + came_back)  # fmt: skip


LAPSED_COLUMNS = ("resident_id", "household_id", "lapsed", "expires_on", "grace_end", "notified_on", "reminded_on")


def lapsed(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> list[tuple[str, ...]]:
    """Residents whose insurance grace period ended lately without renewal, with what the ledger sent them."""
    before = [kind.value for kind in kinds.every() if kind.spec.before_expiry]
    after = [kind.value for kind in kinds.every() if not kind.spec.before_expiry]
    rows = []
    for _, resident_id, household_id, subject, expired, grace_end in sorting.lapsed(read.table, as_of, config):
        sent = ledger.history(resident_id, expired)
        rows.append((resident_id, household_id, subject, expired.isoformat(), grace_end.isoformat(),
                     next((sent[k] for k in before if k in sent), ""), next((sent[k] for k in after if k in sent), "")))  # fmt: skip
    return rows
