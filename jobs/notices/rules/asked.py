"""The ledger as settle asks it of the residents settled one by one: asked of them all at once beforehand.

selection.settle asks the ledger up to four things of each resident it settles (a notice handed off already,
mail returned from which addresses, the decisions on their holds, who an application ID was issued to): a query
each, for the 7,000 residents a hold may concern in the benchmark's town. Here they are asked in four queries
for all of them, and settle's questions answered from what came back; a question of anything not asked goes
to the ledger itself. settle stays the rule, and the reference's (tests/reference.py asks one at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from ..models import Decision, Due, Resident

if TYPE_CHECKING:
    from ..delivery.ledger import Ledger


class Answers(Protocol):
    """What the selection asks of the ledger: the Ledger answers it, and Asked."""

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool: ...
    def notified_each(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]: ...
    def returned_each(self, resident_ids: Sequence[str]) -> list[bool]: ...
    def returned_addresses(self, resident_id: str) -> dict[str, str]: ...
    def decisions(self, resident_id: str | None = None) -> list[Decision]: ...
    def application_id_owner(self, application_id: str) -> str | None: ...


class Asked:
    """LEDGER's answers for the due residents of SETTLING, asked at once (Answers)."""

    def __init__(self, ledger: Ledger, settling: Sequence[tuple[Resident, Due | None]]) -> None:
        due = [(r, d) for r, d in settling if d is not None]  # settle asks nothing of a resident not due
        keys = [(r.resident_id, d.kind.value, d.expires_on.isoformat()) for r, d in due]
        ids = list(dict.fromkeys(r.resident_id for r, _ in due))
        self._ledger = ledger
        # Screening asked this of every due resident and settles none it found notified: settle asks it again, as
        # the reference does, and one query answers it here.
        self._notified = dict(zip(keys, ledger.notified_each(keys), strict=True))
        self._returned = dict(zip(ids, ledger.returned_addresses_each(ids), strict=True))
        self._decisions = dict(zip(ids, ledger.decisions_each(ids), strict=True))
        self._application_ids = {r.application_id for r, _ in due if r.application_id}
        self._owners = ledger.application_id_owners(sorted(self._application_ids))

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool:
        """Ledger.notified."""
        found = self._notified.get((resident_id, kind, expires_on.isoformat()))
        return self._ledger.notified(resident_id, kind, expires_on) if found is None else found

    def notified_each(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        """Ledger.notified_each."""
        return self._ledger.notified_each(keys)

    def returned_each(self, resident_ids: Sequence[str]) -> list[bool]:
        """Ledger.returned_each."""
        return self._ledger.returned_each(resident_ids)

    def returned_addresses(self, resident_id: str) -> dict[str, str]:
        """Ledger.returned_addresses."""
        found = self._returned.get(resident_id)
        return self._ledger.returned_addresses(resident_id) if found is None else dict(found)

    def decisions(self, resident_id: str | None = None) -> list[Decision]:
        """Ledger.decisions."""
        found = self._decisions.get(resident_id) if resident_id is not None else None
        return self._ledger.decisions(resident_id) if found is None else list(found)

    def application_id_owner(self, application_id: str) -> str | None:
        """Ledger.application_id_owner."""
        if application_id in self._application_ids:
            return self._owners.get(application_id)
        return self._ledger.application_id_owner(application_id)
