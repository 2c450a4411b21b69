"""Keeping personal data out of messages: how a cell value may be quoted in a reject or a log."""

from __future__ import annotations

import re

# A My Number is 12 digits, written in any width and grouped any way: "1234 5678 9012", "１２３４－５６７８－９０１２",
# "1234・5678・9012". A run of digits, each pair apart by at most some whitespace and one separator symbol,
# is masked whole when it holds 12 digits or more (two numbers joined by ", " too, and a 23-digit application
# ID: masking too much is harmless, too little is a leak). Shorter runs (dates, phone numbers) stay.
# The whitespace on either side of the symbol cannot be confused with each other, so the match is linear.
SEPARATOR_SYMBOLS = "\\-－ー‐‑‒–—―−ｰ.．_＿/／,，・･、"
_DIGIT_RUN = re.compile(rf"\d(?:\s*(?:[{SEPARATOR_SYMBOLS}]\s*)?\d)*")
_DIGIT = re.compile(r"\d")
MY_NUMBER_DIGITS = 12
MASK = "*" * MY_NUMBER_DIGITS
MAX_QUOTED = 40


def _masked_run(match: re.Match[str]) -> str:
    run = match.group()
    return MASK if len(_DIGIT.findall(run)) >= MY_NUMBER_DIGITS else run


def mask(text: str) -> str:
    """Text with every run of 12 or more digits, however separated, replaced by asterisks."""
    return _DIGIT_RUN.sub(_masked_run, text)


def quote(value: str) -> str:
    """A cell value quoted for a message: masked, shortened, control characters escaped."""
    shown = mask(value)
    if len(shown) > MAX_QUOTED:
        shown = shown[:MAX_QUOTED] + "…"
    return repr(shown)
