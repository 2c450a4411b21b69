"""Masking: no run of 12 or more digits reaches a message, however the digits are written or separated."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notices.privacy import MAX_QUOTED, mask, quote

MASK = "************"
# Separators people and spreadsheets put between the digits of a My Number.
SYMBOLS = ["-", "－", "ー", "‐", "‑", "–", "—", "−", ".", "．", "_", "＿", "/", "／", ",", "，", "・", "、"]
SPACES = [" ", "\u3000", "\t", "\n", "  "]


@pytest.mark.parametrize("sep", SYMBOLS + SPACES + [f" {s} " for s in SYMBOLS] + ["\u3000－\u3000", " -", "- "])
def test_every_separator_between_groups_of_four_is_masked(sep: str) -> None:
    assert mask(f"番号 1234{sep}5678{sep}9012 です") == f"番号 {MASK} です"


@pytest.mark.parametrize(("text", "masked"), [
    ("123456789012", MASK),
    ("id=123456789012;", f"id={MASK};"),
    ("１２３４５６７８９０１２", MASK),  # full-width digits
    ("１２３４－５６７８－９０１２", MASK),
    ("1234－５６７８ 9012", MASK),  # mixed widths and separators
    ("١٢٣٤٥٦٧٨٩٠١٢", MASK),  # any Unicode decimal digit
    ("1-2-3-4-5-6-7-8-9-0-1-2", MASK),  # one digit a group
    ("12 3456 789 012", MASK),  # groups of any size
    ("123456789012, 210987654321", MASK),  # two numbers joined: one run, masked whole
    ("a 123456789012 and b 2109-8765-4321.", f"a {MASK} and b {MASK}."),  # two numbers apart
    ("application 12345678901234567890123 failed", f"application {MASK} failed"),  # 23 digits: over-masked
    ("1234567890123", MASK),  # 13 digits
    ("(123456789012)", f"({MASK})"),
    ("-123456789012-", f"-{MASK}-"),  # separators at the edges are not part of the run
])  # fmt: skip
def test_runs_of_twelve_digits_or_more_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "2026-11-26",
    "run date 2026-11-26, line 12",
    "0999-00-1234",
    "0120-0178-27",
    "12345678901",  # 11 digits: a 住民票コード, not a My Number
    "1234-5678-901",
    "line 12, column 3: 4 rows",
    "5 mailed, 4 held, 3 rejected",
    "2026年11月26日 10時30分",
    "1234 -- 5678 -- 9012",  # two separator symbols: not one run
    "1234 abc 5678 def 9012",
    "lot 0001: pieces 00001-000001 to 00001-000005",  # each piece ID is 11 digits, the words apart
])  # fmt: skip
def test_shorter_runs_stay_as_they_are(text: str) -> None:
    assert mask(text) == text


def test_long_whitespace_between_digits_does_not_hang() -> None:
    text = ("1" + " " * 50_000 + "-" + "\u3000" * 50_000 + "x") * 20
    assert mask(text) == text
    assert mask("1" + " " * 50_000 + "23456789012") == MASK


def test_quote_masks_shortens_and_escapes() -> None:
    assert quote("1234－5678－9012") == repr(MASK)
    assert quote("a\x00b\n") == repr("a\x00b\n")
    long = quote("x" * 100)
    assert long == repr("x" * MAX_QUOTED + "…")


no_digits = st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=20)
separator = st.tuples(st.sampled_from(["", *SPACES]), st.sampled_from(["", *SYMBOLS]),
                      st.sampled_from(["", *SPACES])).map("".join)  # fmt: skip
digit = st.sampled_from("0123456789０１２３４５６７８９")


@given(no_digits, st.lists(digit, min_size=12, max_size=12), st.lists(separator, min_size=11, max_size=11), no_digits)
def test_no_twelve_digit_number_survives_masking(before: str, digits: list[str], seps: list[str], after: str) -> None:
    number = digits[0] + "".join(s + d for s, d in zip(seps, digits[1:], strict=True))
    masked = mask(before + number + after)
    assert "".join(digits) not in re.sub(r"\D", "", masked)
    assert masked.startswith(before) and masked.endswith(after)
