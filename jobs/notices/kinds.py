"""The kinds of notice, each described once: its letter, its sheets, its form and inserts, its name and colour.

Adding a kind: `register` it here with its KindSpec, put its template in templates/, and give it its
rule (rules/engine.py's RULES; rules/dates.py is the reference the tests hold the rules to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class KindSpec:
    """What a kind of notice is made of, and how the operator's report shows it."""

    template: str  # the kind's own letter, in templates/
    sheets: int  # its sheets, the application form's not counted (one more when it has one)
    form: str  # the application form (and so a return envelope): "always", "never", or "card": when the card lapsed
    # A foreign resident's one-page insert (templates/insert.html): its texts' prefix in templates/lang ("" for no
    # insert); "insert.lapsing." for those of whichever lapsed (Due.lapsing: insert.card. or insert.cert.), past tense.
    insert: str
    before_expiry: bool  # sent before the expiry (lapsed.csv's notified_on), not a reminder after it
    label: str  # its name in the run report
    colour: str  # its colour in the report's chart


class Kind(str):
    """A kind of notice, by its code (as the ledger, the manifest and the report write it); only registered ones exist.

    There is one object for each code, so kinds compare with `is`; Kind("card_renewal") looks one up.
    """

    __slots__ = ()
    CARD_RENEWAL: ClassVar[Kind]
    RESIDENCE_EXTENSION: ClassVar[Kind]
    CERT_RENEWAL: ClassVar[Kind]
    GRACE_REMINDER: ClassVar[Kind]

    def __new__(cls, code: str) -> Kind:
        """The registered kind of this code; ValueError for any other code."""
        try:
            return _REGISTRY[code][0]
        except KeyError:
            raise ValueError(f"{code!r} is not a kind of notice (known: {', '.join(_REGISTRY)})") from None

    def __reduce__(self) -> tuple[type[Kind], tuple[str]]:
        return Kind, (self.value,)  # a worker process looks its kind up: one object for each code there too

    def __repr__(self) -> str:
        return f"Kind({self.value!r})"

    @property
    def value(self) -> str:
        """The kind's code."""
        return str.__str__(self)

    @property
    def spec(self) -> KindSpec:
        """What the kind is made of."""
        return _REGISTRY[self.value][1]


_REGISTRY: dict[str, tuple[Kind, KindSpec]] = {}


def register(code: str, spec: KindSpec) -> Kind:
    """Add a kind of notice (ValueError if its code is taken); its rule goes in engine.RULES."""
    if code in _REGISTRY:
        raise ValueError(f"kind {code!r} is registered already")
    kind = str.__new__(Kind, code)
    _REGISTRY[code] = (kind, spec)
    return kind


def unregister(kind: Kind) -> None:
    """Take a kind out of the registry again (for tests that add one of their own)."""
    del _REGISTRY[kind.value]


def every() -> tuple[Kind, ...]:
    """Every registered kind, in the order registered."""
    return tuple(kind for kind, _ in _REGISTRY.values())


# The three kinds before expiry follow domain.md 2.5; the reminder after it, issue 7.
Kind.CARD_RENEWAL = register("card_renewal", KindSpec(
    "card_renewal.html", 2, "always", "insert.card.", True, "カードの更新", "#2f6db5"))  # fmt: skip
Kind.RESIDENCE_EXTENSION = register("residence_extension", KindSpec(
    "residence_extension.html", 2, "never", "", True, "在留期間に伴う有効期間の変更", "#d08a1e"))  # fmt: skip
Kind.CERT_RENEWAL = register("cert_renewal", KindSpec(
    "cert_renewal.html", 2, "never", "insert.cert.", True, "電子証明書の更新", "#2e9467"))  # fmt: skip
Kind.GRACE_REMINDER = register("grace_reminder", KindSpec(
    "grace_reminder.html", 1, "card", "insert.lapsing.", False, "期限切れ後のお知らせ", "#b5473a"))  # fmt: skip
FORM_INSERTS = ("return_envelope",)  # what the vendor puts in beside a piece with an application form


def has_form(kind: Kind, lapsing: str) -> bool:
    """True for a notice that carries an application form (a new card is needed); LAPSING: "card", "cert" or ""."""
    form = kind.spec.form
    return form == "always" or (form == "card" and lapsing == "card")


def label(code: str) -> str:
    """The Japanese name of a kind of notice (the code itself if unknown)."""
    return _REGISTRY[code][1].label if code in _REGISTRY else code


def colour(code: str) -> str:
    """The report's colour for a kind of notice (grey if unknown)."""
    return _REGISTRY[code][1].colour if code in _REGISTRY else "#777"
