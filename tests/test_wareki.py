"""Japanese era dates on the letter."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notices.register.wareki import format_date, parse_date


@pytest.mark.parametrize(("day", "style", "first_year", "text"), [
    (date(2026, 11, 26), "era_western", "元年", "令和8年(2026年)11月26日"),
    (date(2019, 5, 1), "era_western", "元年", "令和元年(2019年)5月1日"),
    (date(2019, 5, 1), "era_western", "1年", "令和1年(2019年)5月1日"),
    (date(2019, 4, 30), "era", "元年", "平成31年4月30日"),
    (date(1989, 1, 7), "era", "元年", "昭和64年1月7日"),
    (date(2026, 11, 26), "western", "元年", "2026年11月26日"),
])  # fmt: skip
def test_format(day: date, style: str, first_year: str, text: str) -> None:
    assert format_date(day, style, first_year) == text


@pytest.mark.parametrize("text", ["", "2026-13-01", "R0.1.1", "X8.11.26", "令和8年11月", "26/11/2026", "tomorrow"])
def test_unreadable(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@given(st.from_regex(r"[0-9]{4}[-/.][0-9]{2}[-/.][0-9]{2}|[0-9]{8}", fullmatch=True))
def test_the_usual_forms_read_as_any_other(text: str) -> None:
    """2026-11-26, 2026/11/26 and 20261126 are read at once, as the general reading (after a space) reads them."""
    try:
        expected: date | str = parse_date(" " + text)
    except ValueError:
        expected = "unreadable"
    try:
        found: date | str = parse_date(text)
    except ValueError:
        found = "unreadable"
    assert found == expected
