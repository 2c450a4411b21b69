"""Fonts: found through fontconfig, and their coverage read from the real font files."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notices.errors import FontError
from notices.letters import fonts
from notices.letters.fonts import font_file, missing_glyphs, missing_in_stacks

FAMILIES = ["BIZ UDMincho", "BIZ UDGothic"]
FALLBACK = ["IPAmj明朝"]  # the letters' fallback (config [fonts] fallback), Debian fonts-ipamj-mincho


def test_font_file_finds_the_installed_fonts() -> None:
    assert font_file("IPAmj明朝") == font_file("IPAmjMincho")  # fontconfig knows it by both names
    for family in FAMILIES + FALLBACK:
        path = font_file(family)
        assert path.is_file() and path.suffix.lower() in (".ttf", ".otf", ".ttc")


@pytest.mark.parametrize("family", [*FAMILIES, *FALLBACK, "IPAmjMincho", "BIZ UDPGothic", "Noto Sans", "Noto Serif",
                                    "Noto Sans CJK JP", "serif", "sans-serif", "No Such Font Family"])
def test_fonts_are_matched_in_the_process_as_fc_match_matches_them(family: str) -> None:
    form = "%{file}|%{index}|%{weight}|%{family}"
    for pattern in (family, family + ":bold"):
        command = subprocess.run(["fc-match", f"--format={form}", pattern], capture_output=True, text=True, check=True)
        assert fonts._fc_match(pattern, form) == command.stdout


def test_a_missing_family_raises_font_error_with_the_debian_hint() -> None:
    with pytest.raises(FontError, match="'No Such Font Family' is not installed") as info:
        font_file("No Such Font Family")
    assert "apt-get install fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic" in str(info.value)
    with pytest.raises(FontError):
        missing_glyphs("山田", ["No Such Font Family"])


def test_an_ordinary_name_has_no_missing_glyph() -> None:
    assert missing_glyphs("山田 太郎", FAMILIES) == []
    assert missing_glyphs("〒999-0012 架空県若葉町緑町二丁目3番4号 ヤマダ タロウ", FAMILIES) == []


def test_private_use_code_points_are_always_missing() -> None:
    assert missing_glyphs("\ue000", FAMILIES) == ["\ue000"]
    assert missing_glyphs("\U000f0000", FAMILIES) == ["\U000f0000"]
    assert missing_glyphs("\U0010fffd", []) == ["\U0010fffd"]


def test_missing_characters_are_listed_once_in_order() -> None:
    text = "山\U000f0000田\ue000\u0378\ue000\U000f0000"
    assert missing_glyphs(text, FAMILIES) == ["\U000f0000", "\ue000", "\u0378"]


def test_ascii_whitespace_is_never_missing() -> None:
    assert missing_glyphs("\t\n\r \t", FAMILIES) == []


def test_variation_selectors_count_only_as_known_sequences() -> None:
    assert missing_glyphs("葛\U000e0100", FAMILIES) == []  # an Adobe-Japan1 IVS both fonts carry
    assert missing_glyphs("a\U000e0100", FAMILIES) == ["\U000e0100"]


# What the BIZ UD fonts draw alone, and with the fallback after each (issue 13): 𠮷 (U+20BB7) only the fallback
# has; 髙, 﨑 (a compatibility ideograph: never normalised to 崎) and 𩸽 (plane 2) the BIZ UD fonts have.
@pytest.mark.parametrize(("text", "alone", "with_fallback"), [
    ("𠮷田", ["𠮷"], []),
    ("髙橋 﨑子 𩸽", [], []),
    ("葛\U000e0100", [], []),  # an Adobe-Japan1 sequence the BIZ UD fonts know
    # An MJ sequence only the fallback knows: Pango draws 葛 with the first font that has it, a BIZ UD font,
    # and drops the selector, so the letter would show the default form: still missing.
    ("葛\U000e0102", ["\U000e0102"], ["\U000e0102"]),
    ("\ue000山", ["\ue000"], ["\ue000"]),  # private use: never drawable, whatever a font maps there
    ("a\U000e0100", ["\U000e0100"], ["\U000e0100"]),
])  # fmt: skip
def test_the_fallback_draws_what_the_biz_ud_fonts_lack(text: str, alone: list[str], with_fallback: list[str]) -> None:
    assert missing_glyphs(text, FAMILIES) == alone
    assert missing_glyphs(text, FAMILIES, FALLBACK) == with_fallback


def test_a_sequence_is_drawn_by_the_font_that_draws_its_base() -> None:
    assert missing_glyphs("葛\U000e0102", FALLBACK) == []  # the fallback alone knows it
    assert missing_in_stacks("葛\U000e0102", [["IPAmj明朝", "BIZ UDMincho"]]) == []
    assert missing_in_stacks("葛\U000e0100", [["IPAmj明朝", "BIZ UDMincho"]]) == ["\U000e0100"]
    # Every stack must draw it: the one whose first font with 葛 lacks the sequence decides.
    assert missing_in_stacks("葛\U000e0100", [["BIZ UDMincho"], ["Noto Sans CJK SC", "BIZ UDGothic"]]) == ["\U000e0100"]
    assert missing_in_stacks("葛\U000e0100", [["BIZ UDMincho"], ["Noto Sans", "BIZ UDGothic"]]) == []


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_missing_glyphs_is_a_deduplicated_subsequence(text: str) -> None:
    missing = missing_glyphs(text, FAMILIES)
    assert len(missing) == len(set(missing))
    assert all(char in text for char in missing)
    assert not set(missing) & set("\t\n\r ")
    firsts = [text.index(char) for char in missing]
    assert firsts == sorted(firsts)
    assert set(missing_glyphs(text, FAMILIES, FALLBACK)) <= set(missing)  # a fallback only ever draws more
    for char in text:
        code = ord(char)
        if 0xE000 <= code <= 0xF8FF or code >= 0xF0000:
            assert char in missing
