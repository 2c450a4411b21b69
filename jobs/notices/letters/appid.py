"""The 23-digit application ID (申請書ID): issuing, checking and printing it (domain.md 3)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from ..config import is_lg_code

LENGTH = 23
RANDOM_DIGITS = LENGTH - 6 - 1  # after the local government code, before the check digit

# Damm's quasigroup of order 10 (H. M. Damm, 2004): one check digit that detects every
# single-digit error and every transposition of two adjacent digits.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> int:
    """The Damm check digit of a string of digits."""
    interim = 0
    for d in digits:
        interim = _DAMM[interim][int(d)]
    return interim


def normalise(text: str) -> str:
    """An ID as typed, with the spaces and hyphens of its printed groups removed."""
    return re.sub(r"[\s\-]", "", text)


def is_valid(text: str) -> bool:
    """True for an ID this program issues: 23 digits, a valid LG code, a valid Damm digit."""
    s = normalise(text)
    return bool(re.fullmatch(r"[0-9]{23}", s)) and is_lg_code(s[:6]) and damm_digit(s) == 0


def is_well_formed_supplied(text: str) -> bool:
    """True for a supplied (J-LIS) ID that can be printed: exactly 23 digits."""
    return bool(re.fullmatch(r"[0-9]{23}", text))


def new_id(lg_code: str, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """Issue a fresh ID: the LG code, 16 digits from a cryptographic source, the check digit."""
    if not is_lg_code(lg_code):
        raise ValueError("not a valid local government code")
    body = f"{lg_code}{randbelow(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"
    return body + str(damm_digit(body))


def specimen(lg_code: str) -> str:
    """A valid-looking ID for previews (the LG code and zeros); it is never issued."""
    return new_id(lg_code, lambda _: 0)


def grouped(app_id: str) -> str:
    """The ID printed for reading, in groups of 4-4-4-4-4-3."""
    return " ".join(app_id[i : i + 4] for i in range(0, len(app_id), 4))
