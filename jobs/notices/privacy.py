"""Keeping personal data out of messages: how a cell value may be quoted in a reject or a log."""

from __future__ import annotations

import re

# A My Number is 12 digits, sometimes written 4-4-4 with spaces or hyphens. Any such run
# in text bound for a message is masked, whatever column it came from.
_MY_NUMBER_LIKE = re.compile(r"(?<!\d)\d{4}[\s\-]?\d{4}[\s\-]?\d{4}(?!\d)")
MAX_QUOTED = 40


def mask(text: str) -> str:
    """Text with every My-Number-like run of 12 digits replaced by asterisks."""
    return _MY_NUMBER_LIKE.sub("************", text)


def quote(value: str) -> str:
    """A cell value quoted for a message: masked, shortened, control characters escaped."""
    shown = mask(value)
    if len(shown) > MAX_QUOTED:
        shown = shown[:MAX_QUOTED] + "…"
    return repr(shown)
