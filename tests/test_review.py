"""Who is held for review (domain.md 2.6), reason by reason."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import make_resident

from notices.config import Config
from notices.rules import decisions, postal, review
from notices.letters import fit
from notices.rules.selection import glyph_check
from notices.letters.fonts import missing_glyphs
from notices.models import Due, Kind, Resident

FONTS = ("BIZ UDMincho", "BIZ UDGothic")


def due(kind: Kind = Kind.CARD_RENEWAL, **changes: object) -> Due:
    r: Resident = make_resident(**changes)
    return Due(r, kind, date(2027, 2, 10), date(2026, 11, 11), date(2027, 5, 31), r.card_expires_on, r.cert_expires_on)


def reasons(d: Due, protected: frozenset[str] = frozenset(), owner: str | None = None, dup: bool = False) -> list[str]:
    found = (review.support_measure(d, protected) + review.address(d) + review.layout(d, lambda _due: [])
             + review.glyphs(d, lambda text, _language: missing_glyphs(text, FONTS)) + review.application_id(d, owner, dup))
    return [f.reason for f in found]


def test_an_ordinary_resident_is_not_held() -> None:
    assert reasons(due()) == []


def test_support_measure_on_the_resident_and_on_the_household() -> None:
    assert reasons(due(support_measure=True)) == ["support_measure"]
    assert reasons(due(household_id="H9"), protected=frozenset({"H9"})) == ["support_measure"]
    assert reasons(due(household_id="H8"), protected=frozenset({"H9"})) == []
    assert reasons(due(household_id=""), protected=frozenset({""})) == []  # no household: only the resident
    unclear = review.support_measure(due(support_measure=True, support_measure_unclear=True), frozenset())
    assert "not recognised" in unclear[0].detail


@pytest.mark.parametrize(("changes", "detail"), [
    ({"postal_code": ""}, "postal code is empty"),
    ({"postal_code": "99900"}, "not 7 digits"),
    ({"postal_code": "999000a"}, "not 7 digits"),
    ({"address": ""}, "address is empty"),
])  # fmt: skip
def test_address(changes: dict[str, str], detail: str) -> None:
    (found,) = review.address(due(**changes))
    assert found.reason == "address" and detail in found.detail


@pytest.mark.parametrize(("code", "address", "detail"), [
    ("1000013", "東京都千代田区霞が関1丁目3番2号", None),
    ("1000014", "東京都千代田区霞が関1丁目3番2号", "postal code 100-0014 is not that of 東京都千代田区霞が関 (expected 100-0013)"),
    ("0000000", "千代田区霞が関1-3-2", "postal code 000-0000 is not in Japan Post's data"),
    ("9990012", "架空県若葉町緑町二丁目3番4号", None),  # local: not checked
    ("99900", "東京都千代田区霞が関1", "postal code is not 7 digits"),  # not looked up
    ("1000013", "", "address is empty"),
])  # fmt: skip
def test_address_checked_against_japan_posts_data(code: str, address: str, detail: str | None) -> None:
    found = review.address(due(postal_code=code, address=address), postal.checker(["999"]))
    assert [(f.reason, f.detail[: len(detail or "")]) for f in found] == ([("address", detail)] if detail else [])


def test_glyph_names_the_code_point() -> None:
    (found,) = review.glyphs(due(name="山\ue000 太郎"), lambda text, _language: missing_glyphs(text, FONTS))
    assert found.reason == "glyph" and found.detail == "name: U+E000"


def test_variant_kanji_that_the_fonts_draw_are_not_held() -> None:
    assert reasons(due(name="髙橋 﨑子", address="架空県若葉町齋藤1-1")) == []


FOREIGN = {"nationality": "CN", "residence_status": "永住者"}


# The run's own check (the letter fonts, the fallback after each): what it holds, and the detail it gives.
@pytest.mark.parametrize(("changes", "detail"), [
    ({"name": "𠮷田 髙﨑 𩸽 葛\U000e0100", "address": "架空県若葉町𠮷野1-1"}, None),  # drawn by BIZ UD or IPAmj明朝
    ({"name": "山\ue000 太郎"}, "name: U+E000"),  # the vendor's 外字: held, its code point named
    ({"address_extra": "\U000f0001ハイツ", "name_kana": "ヤ\ue000"}, "name_kana: U+E000; address_extra: U+F0001"),
    ({"name": "葛\U000e0102"}, "name: U+E0102"),  # an MJ sequence: BIZ UD draws 葛 and would drop the selector
    ({"name": "葛\U000e0100", "language": "en", **FOREIGN}, None),  # the English page draws 葛 with BIZ UD too
    # On the Chinese page the name is drawn by Noto Sans CJK SC, which has 葛 but not this sequence.
    ({"name": "葛\U000e0100", "language": "zh", **FOREIGN}, "name: U+E0100"),
    ({"name_kana": "葛\U000e0100", "language": "zh", **FOREIGN}, None),  # only the name is printed on that page
])  # fmt: skip
def test_glyphs_with_the_fallback_font(config: Config, changes: dict[str, str], detail: str | None) -> None:
    found = review.glyphs(due(**changes), glyph_check(config))
    assert [f.detail for f in found] == ([detail] if detail else [])


def test_too_long_to_print_is_held_for_layout() -> None:
    assert reasons(due(name="長" * 61)) == ["layout"]
    assert reasons(due(name="長" * 60)) == []


@pytest.mark.parametrize(("changes", "detail"), [
    ({"name": "長" * 75}, "name has 75 characters (at most 60 fit); a decision to mail prints it smaller (down to 6 pt)"),
    ({"address_extra": "若" * 120}, "address_extra has 120 characters (at most 60 fit); a decision to mail prints it "
                                     "smaller (down to 6 pt)"),
    ({"name_kana": "ハ" * 121}, "name_kana has 121 characters (at most 60 fit); longer than 120 characters: "
                                "a decision can only withhold"),
    # All four at 120: the window cannot hold address, 方書 and name even at 6 points.
    ({"name": "長" * 120, "name_kana": "ハ" * 120, "address": "架" * 120, "address_extra": "若" * 120},
     "name has 120 characters (at most 60 fit); name_kana has 120 characters (at most 60 fit); address has 120 "
     "characters (at most 60 fit); address_extra has 120 characters (at most 60 fit); too long even at 6 pt "
     "(window): a decision can only withhold"),
])  # fmt: skip
def test_a_layout_hold_says_whether_a_decision_can_mail_it_smaller(config: Config, changes: dict[str, str],
                                                                    detail: str) -> None:  # fmt: skip
    found = review.layout(due(**changes), lambda d: fit.misfits(d, config))
    assert [f.detail for f in found] == [detail]
    assert decisions.admits("layout", detail) == (("withhold",) if review.WITHHOLD_ONLY in detail else ("mail", "withhold"))


@pytest.mark.parametrize(("kind", "supplied", "owner", "dup", "held"), [
    (Kind.CARD_RENEWAL, "12345", None, False, True),
    (Kind.CARD_RENEWAL, "9" * 23, None, False, False),
    (Kind.CARD_RENEWAL, "9" * 23, "R0000000001", False, False),  # issued to this same resident before
    (Kind.CARD_RENEWAL, "9" * 23, "R0000000002", False, True),
    (Kind.CARD_RENEWAL, "9" * 23, None, True, True),
    (Kind.CERT_RENEWAL, "12345", None, False, False),  # no form: the ID is not used
])  # fmt: skip
def test_supplied_application_id(kind: Kind, supplied: str, owner: str | None, dup: bool, held: bool) -> None:
    assert bool(review.application_id(due(kind, application_id=supplied), owner, dup)) is held
