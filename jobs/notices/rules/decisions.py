"""Operators' decisions on held residents (notices decide): which a hold admits, and whether one still holds.

A decision answers one hold as it was when decided: its reason, its detail (the facts, such as who in
the household is under the support measure) and the registered address. It holds until its `until`
date or until those facts change, whichever comes first; then the resident is held again and the
operator decides anew. A support-measure decision is never inferred: only a decision file makes one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from . import review
from ..models import Decision, Due, Review

DECISIONS = ("mail", "mail_to", "withhold")
# What each reason to hold admits. A reason whose cause must be fixed in the register (the address
# form, a supplied application ID, an expiry the register cannot decide) admits no mailing on a
# decision: only withholding, or for a bad address sending the piece elsewhere. A name or address too
# long for its box may be mailed printed smaller (letters/fit.py), unless it is too long even so: its
# hold's detail then says a decision can only withhold (review.layout).
ADMITS: dict[str, tuple[str, ...]] = {
    "support_measure": ("mail", "mail_to", "withhold"),  # the support-measure section decides (DV等支援措置)
    "returned": ("mail", "mail_to", "withhold"),  # the address was checked and is right, or mail goes elsewhere
    "address": ("mail_to", "withhold"),
    "glyph": ("withhold",),
    "layout": ("mail", "withhold"),
    "application_id": ("withhold",),
    "expiry_unknown": ("withhold",),  # a letter would print a guessed date
}
CARE_OF = "気付"  # after the name of the office or person a mail_to piece is sent in care of


def admits(reason: str, detail: str = "") -> tuple[str, ...]:
    """The decisions a hold for REASON admits (none for a reason this program does not know); DETAIL, the
    hold's, may narrow them (a layout hold too long to print even smaller admits only withhold)."""
    if reason == "layout" and review.WITHHOLD_ONLY in detail:
        return ("withhold",)
    return ADMITS.get(reason, ())


def in_force(decision: Decision, hold: Review, address_hash: str, as_of: date) -> bool:
    """True when a decision answers this hold as it is now: same reason and facts, same address, not expired."""
    return (decision.reason == hold.reason and decision.detail == hold.detail and decision.address_hash == address_hash
            and (decision.until is None or as_of <= decision.until)
            and decision.decision in admits(hold.reason, hold.detail))  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """What the decisions in force make of a held resident: mailed (perhaps elsewhere), withheld, or still held."""

    outcome: str  # "mail", "withhold", or "held" (some hold has no decision in force)
    decisions: tuple[Decision, ...]  # the decisions in force, one for each hold answered

    def apply(self, due: Due) -> Due:
        """The notice as mailed on this verdict: to the alternative address of a mail_to decision, its long
        name or address printed smaller on a layout decision."""
        if any(d.reason == "layout" for d in self.decisions):
            due = replace(due, fit=True)
        elsewhere = [d for d in self.decisions if d.decision == "mail_to"]
        if not elsewhere:
            return due
        d = elsewhere[-1]
        extra = f"{d.mail_to_name}　{CARE_OF}" if d.mail_to_name else ""
        return replace(due, deliver_to=(d.mail_to_postal_code, d.mail_to_address, extra))


def verdict(holds: list[Review], decided: list[Decision], address_hash: str, as_of: date) -> Verdict:
    """Mailed only when every hold has a mail or mail_to decision in force; withheld when any has withhold."""
    found = []
    for hold in holds:
        answer = next((d for d in decided if in_force(d, hold, address_hash, as_of)), None)
        if answer is not None:
            found.append(answer)
    if any(d.decision == "withhold" for d in found):
        return Verdict("withhold", tuple(found))
    return Verdict("mail" if len(found) == len(holds) else "held", tuple(found))
