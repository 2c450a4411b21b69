"""Who is held for a person to look at instead of being mailed (domain.md 2.6)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..letters import fit
from ..letters.appid import is_well_formed_supplied
from ..models import Due, Review
from .postal import PostalCheck

REASONS = ("support_measure", "expiry_unknown", "address", "glyph", "layout", "application_id", "returned")
# The longest text each printed field may hold and still fit its box on the letter
# (tests/test_render.py lays out 60-character names and addresses on every kind).
MAX_CHARS = {"name": 60, "name_kana": 60, "address": 60, "address_extra": 60}
# The longest a `layout` decision can mail, printed smaller (letters/fit.py; tests/test_fit.py lays out 120
# characters); above it, or where even the smallest size does not fit, the hold's detail says WITHHOLD_ONLY.
FIT_MAX_CHARS = 120
WITHHOLD_ONLY = "a decision can only withhold"

# A checker that returns where a notice's letter, its long values printed smaller, still cannot hold them
# (letters/fit.py: "window", a box's name); empty when a `layout` decision can mail it.
FitCheck = Callable[[Due], Sequence[str]]
# A checker that returns the characters of a text that the letter fonts cannot draw: on the Japanese pages
# (language None), and also on a page in the resident's language (its code, as the register gives it).
GlyphCheck = Callable[[str, str | None], Sequence[str]]


def _review(due: Due, reason: str, detail: str) -> Review:
    return Review(due.resident.resident_id, reason, detail, due.kind, due.expires_on)


def _printed(due: Due) -> tuple[tuple[str, str], ...]:
    r = due.resident
    return (("name", r.name), ("name_kana", r.name_kana), ("address", r.address), ("address_extra", r.address_extra))


def support_measure(due: Due, protected_households: frozenset[str]) -> list[Review]:
    """Hold a resident under a DV等支援措置 and every member of their household."""
    r = due.resident
    if r.support_measure_unclear:
        return [_review(due, "support_measure", "support_measure value not recognised: treated as under a measure")]
    if r.support_measure:
        return [_review(due, "support_measure", "resident under a support measure")]
    if r.household_id and r.household_id in protected_households:
        # Letters to such households have leaked victims' addresses to abusers.
        return [_review(due, "support_measure", f"a member of household {r.household_id} is under a support measure")]
    return []


def expiry_unknown(due: Due) -> list[Review]:
    """Hold a notice due on one of the expiries the register leaves possible: never mailed on a guess (issue 12)."""
    return [_review(due, "expiry_unknown", due.unknown)] if due.unknown else []


def address(due: Due, postal: PostalCheck | None = None) -> list[Review]:
    """Hold a resident whose postal code is not 7 digits or (POSTAL) not the address's, or whose address is empty."""
    r = due.resident
    problems = []
    if not re.fullmatch(r"[0-9]{7}", r.postal_code):
        problems.append("postal code is empty" if not r.postal_code else "postal code is not 7 digits")
    if not r.address:
        problems.append("address is empty")
    if not problems and postal is not None:
        mismatch = postal(r.postal_code, r.address)  # against Japan Post's data (postal.py); local codes pass
        if mismatch:
            problems.append(mismatch)
    return [_review(due, "address", "; ".join(problems))] if problems else []


def glyphs(due: Due, missing: GlyphCheck) -> list[Review]:
    """Hold a resident whose name, reading or address has a character the fonts cannot draw."""
    r, found = due.resident, []
    for field, text in _printed(due):
        # A foreign resident's name may be printed on a page in their language too (residence_foreign.html).
        chars = missing(text, r.language if field == "name" and r.is_foreign else None)
        if chars:
            found.append(f"{field}: " + " ".join(f"U+{ord(c):04X}" for c in chars))
    return [_review(due, "glyph", "; ".join(found))] if found else []


def layout(due: Due, misfits: FitCheck) -> list[Review]:
    """Hold a resident whose name or address is too long to print in its box, saying whether a decision can
    mail it printed smaller (MISFITS: where even that does not fit)."""
    found = [f"{field} has {len(text)} characters (at most {MAX_CHARS[field]} fit)"
             for field, text in _printed(due) if len(text) > MAX_CHARS[field]]
    if not found:
        return []
    if any(len(text) > FIT_MAX_CHARS for _, text in _printed(due)):
        found.append(f"longer than {FIT_MAX_CHARS} characters: {WITHHOLD_ONLY}")
    elif where := misfits(due):
        found.append(f"too long even at {fit.MIN_PT:g} pt ({', '.join(where)}): {WITHHOLD_ONLY}")
    else:
        found.append(f"a decision to mail prints it smaller (down to {fit.MIN_PT:g} pt)")
    return [_review(due, "layout", "; ".join(found))]


def returned(due: Due, returned_at: dict[str, str], current_address: str) -> list[Review]:
    """Hold a resident whose earlier notice came back undelivered, until their address changes."""
    if current_address in returned_at:
        return [_review(due, "returned", f"a notice to this address came back undelivered (recorded {returned_at[current_address][:10]})")]
    return []


def application_id(due: Due, owner: str | None, duplicated_in_register: bool) -> list[Review]:
    """Hold a notice with a form whose supplied application ID cannot be printed or is someone else's."""
    supplied = due.resident.application_id
    if not due.has_form or not supplied:
        return []
    if not is_well_formed_supplied(supplied):
        return [_review(due, "application_id", f"supplied application ID has {len(supplied)} characters, not 23 digits")]
    if duplicated_in_register:
        return [_review(due, "application_id", "supplied application ID is given to more than one resident")]
    if owner is not None and owner != due.resident.resident_id:
        return [_review(due, "application_id", f"supplied application ID was issued to resident {owner}")]
    return []
