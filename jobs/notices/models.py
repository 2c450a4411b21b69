"""Value objects shared by the modules: a register row, a decision, a mail piece."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date

from .kinds import Kind, has_form


class Status(str, enum.Enum):
    """Resident status as the register states it (domain.md 5.1)."""

    RESIDENT = "resident"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"
    REMOVED = "removed"
    ABROAD = "abroad"


class CardState(str, enum.Enum):
    """State of the card; an empty cell means active."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    RETURNED = "returned"


@dataclass(frozen=True)
class Resident:
    """One usable register row. The My Number is never part of it."""

    line: int
    resident_id: str
    household_id: str
    name: str
    name_kana: str
    birth_date: date | None
    sex: str  # "男", "女" or "" when unknown
    postal_code: str  # digits as given, hyphen and 〒 removed; may be invalid
    address: str
    address_extra: str
    status: Status
    nationality: str  # "" for Japanese nationals
    residence_status: str
    residence_expires_on: date | None
    card_issued_on: date | None
    card_expires_on: date | None
    card_state: CardState | None  # None: the resident has no card
    cert_issued_on: date | None
    cert_expires_on: date | None
    support_measure: bool
    support_measure_unclear: bool  # the flag's value could not be read
    application_id: str
    language: str  # ISO 639-1, lower case, "" when unknown
    card_applied_on: date | None = None  # 申請日, where the register has it (the 2022 age threshold is keyed on it)
    card_residence_expires_on: date | None = None  # the stay's end as it stood when the card was issued or changed

    @property
    def is_foreign(self) -> bool:
        """True for a resident whose nationality is not Japanese."""
        return self.nationality != ""


@dataclass(frozen=True)
class Reject:
    """A register row that cannot be used, and why."""

    line: int
    resident_id: str
    reason: str
    column: str
    detail: str


@dataclass(frozen=True)
class QualityNote:
    """A data-quality remark that does not stop the row (domain.md 2.4)."""

    line: int
    resident_id: str
    column: str
    detail: str


@dataclass(frozen=True)
class Due:
    """A notice a resident is due on the run date, before the ledger is asked."""

    resident: Resident
    kind: Kind
    expires_on: date
    renewal_from: date
    grace_end: date
    card_expires_on: date | None
    cert_expires_on: date | None
    lapsing: str = ""  # for a grace reminder: "card" or "cert", whichever expired
    stay_capped: bool = False  # the card ends with the period of stay (a foreign resident's), not a birthday
    unknown: str = ""  # why the expiry is only one of those possible (dates.Possible.detail): held, never mailed
    deliver_to: tuple[str, str, str] | None = None  # an operator's mail_to: (postal code, address, 方書) instead
    fit: bool = False  # mailed on a `layout` decision: long names and addresses printed smaller (letters/fit.py)

    @property
    def addressee(self) -> Resident:
        """The resident as the envelope shows them: at the registered address, or where a decision sends the piece."""
        if self.deliver_to is None:
            return self.resident
        postal_code, address, address_extra = self.deliver_to
        return replace(self.resident, postal_code=postal_code, address=address, address_extra=address_extra)

    @property
    def has_form(self) -> bool:
        """True for the notices that carry an application form (a new card is needed)."""
        return has_form(self.kind, self.lapsing)

    def insurance(self, on: date) -> str:
        """What a letter dated ON says of the card as a health-insurance card (domain.md 2.3).

        "after": it works for eligibility only from the expiry the letter is about until grace_end. "cert": the
        card's 利用者証明用 certificate ends first, and the grace follows it. "ended": that grace ended before ON
        (a certificate left to lapse years ago): the card no longer works as one, and no date is promised.
        """
        if self.cert_expires_on is None or self.cert_expires_on >= self.expires_on:
            return "after"
        return "ended" if self.grace_end < on else "cert"

    def grace_promised(self, on: date) -> date | None:
        """The grace end a letter dated ON may give; None once it has ended (insurance(ON) is "ended")."""
        return None if self.insurance(on) == "ended" else self.grace_end


@dataclass(frozen=True)
class Review:
    """A reason to hold a due resident for a person to look at."""

    resident_id: str
    reason: str  # support_measure, address, glyph, application_id
    detail: str
    kind: Kind
    expires_on: date


@dataclass(frozen=True)
class Decision:
    """An operator's decision on a held resident (notices decide), answering one hold as it was when decided."""

    resident_id: str
    reason: str  # the hold it answers
    decision: str  # mail, mail_to or withhold
    note: str
    mail_to_postal_code: str = ""  # mail_to: where the piece goes instead (7 digits)
    mail_to_address: str = ""
    mail_to_name: str = ""  # printed as 「… 気付」 above the resident's name
    until: date | None = None  # in force through this date at the latest
    detail: str = ""  # the hold's detail when decided: a change of its facts ends the decision
    address_hash: str = ""  # the registered address when decided: a move ends the decision
    decided_at: str = ""
    decided_by: str = ""


@dataclass(frozen=True)
class Piece:
    """One mail piece: one resident's letter, as it goes into a lot PDF."""

    piece_id: str
    lot: int
    due: Due
    application_id: str  # "" for kinds without an application form
    qr_payload: str  # "" for kinds without an application form


def lot_file(lot: int) -> str:
    """The name of lot LOT's PDF in a run folder: lot-0001.pdf."""
    return f"lot-{lot:04d}.pdf"


@dataclass(frozen=True)
class Placement:
    """Where a piece landed in its lot PDF (pages counted from 1)."""

    piece_id: str
    first_page: int
    page_count: int


@dataclass(frozen=True)
class RenderedLot:
    """A lot's PDF and where each of its pieces landed (letters/render.py makes it; the run's own process only reads
    it, and so never imports the renderer)."""

    pdf: bytes
    placements: tuple[Placement, ...]
    page_count: int
    problems: tuple[str, ...] = ()  # what the preflight found wrong with it (delivery/preflight.py), if it was run
