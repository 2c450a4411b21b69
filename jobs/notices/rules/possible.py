"""The expiries a register leaves possible, where it lacks what would decide between them (issue 12): one
resident's (Possible, for dates.py) and many residents' column by column (Possibles, for engine.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

Days = np.ndarray  # datetime64[D]; NaT where there is no date (as in arrays.py, which imports dates.py, which imports this)
NAT = np.datetime64("NaT", "D")

# What the register lacks when an expiry cannot be decided (issue 12; domain.md 2.1, 2.2), as Possible.missing.
MISSING = {
    "card_applied_on": "the application date (card_applied_on: applied for before 2022-04-01 at 18 or 19, a 5-year card)",
    "card_residence_expires_on": "the end of the period of stay the card was issued under (card_residence_expires_on)",
    "cert_expires_on": "whether the certificate was a renewal in its last 3 months, which runs to the 6th birthday "
                       "(cert_expires_on)",
}

UNDECIDED = ("", *MISSING)  # what the register lacks to decide an expiry, as its index here (Possible.missing)


@dataclass(frozen=True)
class Possible:
    """The expiries the register leaves possible: one date, two (low and high), or every day from low to high."""

    low: date
    high: date
    span: bool = False  # every day from low to high, not only the two
    missing: str = ""  # what the register lacks to decide (a key of MISSING); "" for one date

    @classmethod
    def one(cls, day: date) -> Possible:
        """A single, decided expiry."""
        return cls(day, day)

    @classmethod
    def of(cls, low: date, high: date, span: bool = False, missing: str = "") -> Possible:
        """low and high (or every day between), or the one date where they meet."""
        return cls.one(high) if low >= high else cls(low, high, span, missing)

    @property
    def known(self) -> date | None:
        """The expiry when there is only one."""
        return self.low if self.low == self.high else None

    def __contains__(self, day: date) -> bool:
        return self.low <= day <= self.high if self.span else day in (self.low, self.high)

    def __str__(self) -> str:
        if self.known:
            return self.low.isoformat()
        return f"any day from {self.low} to {self.high}" if self.span else f"{self.low} or {self.high}"

    def pick(self, low: date, high: date) -> date | None:
        """A possible expiry from low to high: the first of two, the latest of a span; None if there is none."""
        if self.span:
            return min(self.high, high) if self.low <= high and self.high >= low else None
        return next((day for day in (self.low, self.high) if low <= day <= high), None)

    def capped(self, cap: Possible | None) -> Possible:
        """Never past the card (a certificate's expiries, given the card's)."""
        if cap is None or cap.low >= self.high:
            return self
        # Both undecided, the pairs can give three dates: taken as every day between them.
        span = cap.span or self.span or (cap.known is None and self.known is None)
        return Possible.of(min(self.low, cap.low), min(self.high, cap.high), span,
                           cap.missing if cap.known is None else self.missing)  # fmt: skip

    def detail(self, subject: str) -> str:
        """Why a resident is held with reason expiry_unknown: what is missing, and the dates possible."""
        return f"{subject} expiry not recorded, and the register lacks {MISSING[self.missing]}: possibly {self}"


@dataclass(frozen=True)
class Possibles:
    """The expiries the register leaves possible, resident by resident (dates.Possible, column by column)."""

    low: Days  # NaT where nothing is computed
    high: Days
    span: np.ndarray  # every day from low to high, not only the two
    missing: np.ndarray  # index into UNDECIDED; 0 for one date

    @classmethod
    def of(cls, low: Days, high: Days, span: np.ndarray, missing: np.ndarray) -> Possibles:
        """low and high (or every day between), or the one date where they meet (dates.Possible.of)."""
        one = (low >= high) | np.isnat(low)
        return cls(np.where(one, high, low), high, span & ~one, np.where(one, 0, missing).astype(np.int8))

    @classmethod
    def one(cls, day: Days) -> Possibles:
        """A single, decided expiry each."""
        return cls(day, day, np.zeros(len(day), bool), np.zeros(len(day), np.int8))

    @property
    def known(self) -> Days:
        """The expiry where there is only one, NaT elsewhere."""
        return np.where(self.low == self.high, self.low, NAT)  # type: ignore[no-any-return]

    @property
    def undecided(self) -> np.ndarray:
        """True where more than one expiry is possible."""
        return self.missing > 0  # type: ignore[no-any-return]

    def holds(self, day: Days) -> np.ndarray:
        """True where a day is one of the expiries possible (dates.Possible.__contains__)."""
        between = (self.low <= day) & (day <= self.high)
        return np.where(self.span, between, (day == self.low) | (day == self.high))  # type: ignore[no-any-return]

    def pick(self, low: np.datetime64, high: np.datetime64) -> Days:
        """A possible expiry from low to high, NaT where there is none (dates.Possible.pick)."""
        picked = np.full(len(self.low), NAT)
        at = np.flatnonzero(self.undecided)  # few: worked out for those only
        first, last, span = self.low[at], self.high[at], self.span[at]
        in_span = span & (first <= high) & (last >= low)
        low_in, high_in = (first >= low) & (first <= high), (last >= low) & (last <= high)
        picked[at] = np.where(span, np.where(in_span, np.minimum(last, high), NAT),
                              np.where(low_in, first, np.where(high_in, last, NAT)))  # fmt: skip
        return picked

    def capped(self, cap: Possibles) -> Possibles:
        """Never past the card's expiries (dates.Possible.capped)."""
        binds = cap.low < self.high
        span = binds & (cap.span | self.span | (cap.undecided & self.undecided))
        missing = np.where(binds & cap.undecided, cap.missing, self.missing)
        low = np.where(binds, np.minimum(self.low, cap.low), self.low)
        return Possibles.of(low, np.where(binds, np.minimum(self.high, cap.high), self.high), span, missing)
