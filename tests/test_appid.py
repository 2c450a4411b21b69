"""The application ID: the LG code, Damm's check digit, and what `notices check-id` says."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from notices.letters import appid
from notices.cli import app
from notices.config import is_lg_code, lg_code_check_digit

LG = "999997"
ids = st.integers(min_value=0, max_value=10**16 - 1).map(lambda n: appid.new_id(LG, lambda _: n))


@pytest.mark.parametrize("code", ["130001", "271004", "011002", "999997"])
def test_known_local_government_codes(code: str) -> None:
    assert is_lg_code(code) and lg_code_check_digit(code[:5]) == int(code[5])


@pytest.mark.parametrize("code", ["130002", "27100", "abcdef", "2710041"])
def test_wrong_local_government_codes(code: str) -> None:
    assert not is_lg_code(code)


@given(ids)
def test_issued_ids_are_valid_23_digits_with_the_lg_code(app_id: str) -> None:
    assert len(app_id) == 23 and app_id.isdigit() and app_id.startswith(LG)
    assert appid.is_valid(app_id)


@given(ids, st.integers(0, 22), st.integers(1, 9))
def test_every_single_digit_error_is_caught(app_id: str, position: int, delta: int) -> None:
    wrong = str((int(app_id[position]) + delta) % 10)
    typo = app_id[:position] + wrong + app_id[position + 1 :]
    assert not appid.is_valid(typo)


@given(ids, st.integers(0, 21))
def test_every_adjacent_swap_is_caught(app_id: str, position: int) -> None:
    a, b = app_id[position], app_id[position + 1]
    swapped = app_id[:position] + b + a + app_id[position + 2 :]
    assert swapped == app_id or not appid.is_valid(swapped)


def test_damm_catches_all_errors_exhaustively_on_the_check_table() -> None:
    """Exhaustive over every digit pair: the property Damm guarantees, not a sample of it."""
    for prefix in ("", "7", "9999971234"):
        for a in range(10):
            for b in range(10):
                if a != b:
                    assert appid.damm_digit(f"{prefix}{a}{b}") != appid.damm_digit(f"{prefix}{b}{a}")
                    assert appid.damm_digit(f"{prefix}{a}") != appid.damm_digit(f"{prefix}{b}")


def test_random_digits_come_from_the_given_source() -> None:
    assert appid.new_id(LG, lambda bound: 1234) == LG + "0000000000001234" + str(appid.damm_digit(LG + "0000000000001234"))
    seen = {appid.new_id(LG) for _ in range(200)}
    assert len(seen) == 200  # 16 random digits from secrets: no repeats in practice


def test_grouped_for_reading() -> None:
    assert appid.grouped("99999712345678901234567") == "9999 9712 3456 7890 1234 567"


@pytest.mark.parametrize("text", ["", "9999971234567890123456", "999997123456789012345678", "x" * 23])
def test_malformed_ids_are_invalid(text: str) -> None:
    assert not appid.is_valid(text)


def test_check_id_command_exit_codes() -> None:
    runner = CliRunner()
    good = appid.new_id(LG, random.Random(1).randrange)
    assert runner.invoke(app, ["check-id", good]).exit_code == 0
    assert runner.invoke(app, ["check-id", appid.grouped(good)]).exit_code == 0
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert runner.invoke(app, ["check-id", bad]).exit_code == 1
    assert runner.invoke(app, ["check-id", "12345"]).exit_code == 1
