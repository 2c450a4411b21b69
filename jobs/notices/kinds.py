"""The kinds of notice, each described once: its letter, its sheets, its form and inserts, its name and colour.

Adding a kind: a member of Kind and its KindSpec here, its template in templates/, and its rule
(rules_vec.due, and rules.py, the reference the tests hold it to).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(str, enum.Enum):
    """The kinds of notice: three before expiry (domain.md 2.5), and a reminder after it."""

    CARD_RENEWAL = "card_renewal"
    RESIDENCE_EXTENSION = "residence_extension"
    CERT_RENEWAL = "cert_renewal"
    GRACE_REMINDER = "grace_reminder"


@dataclass(frozen=True)
class KindSpec:
    """What a kind of notice is made of, and how the operator's report shows it."""

    template: str  # the kind's own letter, in templates/
    sheets: int  # its sheets, the application form's not counted (one more when it has one)
    form: str  # the application form (and so a return envelope): "always", "never", or "card": when the card lapsed
    foreign_insert: bool  # a foreign resident's piece gets the one-page insert in their language
    before_expiry: bool  # sent before the expiry (lapsed.csv's notified_on), not a reminder after it
    label: str  # its name in the run report
    colour: str  # its colour in the report's chart


SPECS: dict[Kind, KindSpec] = {
    Kind.CARD_RENEWAL: KindSpec("card_renewal.html", 2, "always", True, True, "カードの更新", "#2f6db5"),
    Kind.RESIDENCE_EXTENSION: KindSpec("residence_extension.html", 2, "never", False, True,
                                       "在留期間に伴う有効期間の変更", "#d08a1e"),  # fmt: skip
    Kind.CERT_RENEWAL: KindSpec("cert_renewal.html", 2, "never", True, True, "電子証明書の更新", "#2e9467"),
    Kind.GRACE_REMINDER: KindSpec("grace_reminder.html", 1, "card", False, False, "期限切れ後のお知らせ", "#b5473a"),
}
FORM_INSERTS = ("return_envelope",)  # what the vendor puts in beside a piece with an application form


def has_form(kind: Kind, lapsing: str) -> bool:
    """True for a notice that carries an application form (a new card is needed); LAPSING: "card", "cert" or ""."""
    form = SPECS[kind].form
    return form == "always" or (form == "card" and lapsing == "card")


def label(kind: str) -> str:
    """The Japanese name of a kind of notice (the code itself if unknown)."""
    return SPECS[Kind(kind)].label if kind in Kind._value2member_map_ else kind


def colour(kind: str) -> str:
    """The report's colour for a kind of notice (grey if unknown)."""
    return SPECS[Kind(kind)].colour if kind in Kind._value2member_map_ else "#777"
