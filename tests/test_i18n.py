"""The pages in the resident's language: language choice, dates, sentence files, fonts, and the
residence letter's page 2 and the insert rendered for real in every language."""

from __future__ import annotations

import ctypes
import dataclasses
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import jinja2
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import make_piece, make_resident
from markupsafe import Markup

from notices.letters import i18n
from notices.config import Config, load_config
from notices.errors import FontError, RenderError
from notices.letters.fonts import font_file, missing_glyphs
from notices.models import Kind, Piece
from notices.letters.render import RenderedLot, Renderer

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
LANG_DIR = TEMPLATES / "lang"
LETTER_DATE = date(2026, 11, 26)
EXPIRES, RENEWAL_FROM, GRACE_END = date(2027, 2, 10), date(2026, 11, 11), date(2027, 5, 31)
INSERT_HEADING = "外国籍の方へ"
MARGIN = 20 * 72 / 25.4  # the page margin in PDF points
VALUES = {"date": "D", "office": "O", "town": "T", "hotline": "H", "phone": "P", "hours": "W"}
# Nepali text does not come back from a PDF letter for letter (vowel signs drawn before their
# consonant, conjuncts): these words do.
NEPALI_WORDS = ("माई नम्बर", "सेवा समय", "फोन")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _is_japanese(char: str) -> bool:
    """Kana, kanji and full-width forms: drawn by the Japanese font when the language's font lacks them."""
    code = ord(char)
    return 0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF



# --- which language ------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "code"), [
    ("en", "en"), ("en-US", "en"), ("zh", "zh"), ("zh-CN", "zh"), ("zh-Hans", "zh"), ("zh_CN", "zh"),
    ("ZH-cn", "zh"), ("zh-Hans-CN", "zh"), ("zh-TW", "zh"), ("ko", "ko"), ("ko-KR", "ko"), ("vi", "vi"),
    ("vi-VN", "vi"), ("pt", "pt"), ("pt-BR", "pt"), ("pt_PT", "pt"), ("es", "es"), ("es-419", "es"),
    ("tl", "tl"), ("fil", "tl"), ("fil-PH", "tl"), ("ne", "ne"), ("ne-NP", "ne"), (" ko ", "ko"),
    ("fr", "en"), ("ja", "en"), ("th", "en"), ("", "en"), ("  ", "en"), ("x-unknown", "en"),
])
def test_language_for_normalises_the_register_code(language: str, code: str) -> None:
    assert i18n.language_for(make_resident(nationality="XX", language=language)) == code


# --- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "expected"), [
    ("en", "February 10, 2027"),
    ("zh", "2027年2月10日"),
    ("ko", "2027년 2월 10일"),
    ("vi", "10 tháng 2, 2027"),
    ("pt", "10 de fevereiro de 2027"),
    ("es", "10 de febrero de 2027"),
    ("tl", "Pebrero 10, 2027"),
    ("ne", "2027 फेब्रुअरी 10"),
])
def test_format_date_writes_the_date_as_the_language_does(code: str, expected: str) -> None:
    assert i18n.format_date(EXPIRES, code) == expected


def test_format_date_normalises_the_code_and_falls_back_to_english() -> None:
    assert i18n.format_date(EXPIRES, "zh-CN") == "2027年2月10日"
    assert i18n.format_date(EXPIRES, "fil") == "Pebrero 10, 2027"
    assert i18n.format_date(EXPIRES, "fr") == i18n.format_date(EXPIRES, "") == "February 10, 2027"


# --- the sentence files --------------------------------------------------------------------------

def test_every_language_has_a_file_and_nothing_else_is_there() -> None:
    assert sorted(p.stem for p in LANG_DIR.glob("*.toml")) == sorted(i18n.SUPPORTED)


@pytest.mark.parametrize("code", i18n.SUPPORTED)
def test_language_file_has_every_key_and_placeholder_of_english(code: str) -> None:
    english = i18n.load_strings(LANG_DIR / "en.toml")
    own = i18n.load_strings(LANG_DIR / f"{code}.toml")
    assert sorted(own) == sorted(english)
    for key, text in own.items():
        assert i18n.placeholders(text) == i18n.placeholders(english[key]), key
        assert text and text == text.strip() and "\n" not in text and "  " not in text, key
        assert "<" not in text and ">" not in text, f"{key}: the sentences are plain text"
    if code != "en":  # translated, apart from a few words that are the same (Smartphone)
        same = [key for key in own if own[key] == english[key]]
        assert len(same) <= 4, same


@pytest.mark.parametrize("code", i18n.SUPPORTED)
def test_every_sentence_formats_with_no_placeholder_left(code: str) -> None:
    for key in i18n.strings(code):
        text = i18n.translate(code, key, **VALUES)
        assert "{" not in text and "}" not in text, key


def test_translate_escapes_the_text_and_the_values_but_not_markup() -> None:
    html = i18n.translate("en", "contact.office", office="<b>A&B</b>")
    assert isinstance(html, Markup) and "&lt;b&gt;A&amp;B&lt;/b&gt;" in html
    html = i18n.translate("en", "contact.phone", phone=i18n.strong("0999"))
    assert html == 'Tel. <strong style="white-space: nowrap">0999</strong>'
    with pytest.raises(RenderError, match="needs"):
        i18n.translate("en", "contact.phone")
    with pytest.raises(RenderError, match="no sentence"):
        i18n.translate("en", "no.such.key")


def test_korean_words_and_japanese_terms_are_kept_whole_at_line_ends() -> None:
    html = i18n.translate("ko", "contact.phone", phone="0999")
    assert html == '<span style="white-space: nowrap">전화:</span> 0999'
    html = i18n.translate("en", "insurance.title")
    assert html == 'Health insurance (<span style="white-space: nowrap">マイナ保険証</span>)'
    assert "span" not in i18n.translate("zh", "insurance.title")


def test_a_missing_sentence_is_english_and_a_broken_file_stops_the_install(tmp_path: Path) -> None:
    for code in i18n.SUPPORTED:
        (tmp_path / f"{code}.toml").write_text((LANG_DIR / f"{code}.toml").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (tmp_path / "ko.toml").write_text('[contact]\ntitle = "문의처"\n', encoding="utf-8")
    assert i18n.strings("ko", tmp_path)["contact.title"] == "문의처"
    assert i18n.strings("ko", tmp_path)["contact.phone"] == "Tel. {phone}"
    (tmp_path / "vi.toml").write_text('[contact]\ntitle = "x {date.year}"\n', encoding="utf-8")
    with pytest.raises(RenderError, match="plain"):
        i18n.install(jinja2.Environment(autoescape=True), lang_dir=tmp_path)
    (tmp_path / "vi.toml").write_text("[contact\n", encoding="utf-8")
    with pytest.raises(RenderError, match="cannot read"):
        i18n.install(jinja2.Environment(autoescape=True), lang_dir=tmp_path)


def test_install_gives_the_templates_their_filter_and_globals() -> None:
    env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(TEMPLATES))
    i18n.install(env)
    template = env.from_string(
        '{{ d|ldate(lang) }}|{{ tr(lang, "contact.office", office=o) }}|{{ font_family(lang) }}'
        '|{{ language_for(r) }}|{{ text_size(lang) }}')
    out = template.render(d=EXPIRES, lang="ko", o="<x>", r=make_resident(language="ko-KR"))
    date_text, office, family, code, size = out.split("|")
    assert date_text == "2027년 2월 10일" and "&lt;x&gt;" in office and code == "ko" and size == "10pt"
    assert family.startswith("&#39;Noto Sans CJK KR&#39;") and family.endswith("sans-serif")


# --- fonts ---------------------------------------------------------------------------------------

def test_font_family_lists_the_language_font_then_the_japanese_one() -> None:
    assert i18n.font_family("ko") == "'Noto Sans CJK KR', 'BIZ UDGothic', sans-serif"
    assert i18n.font_family("zh-CN", "BIZ UDMincho") == "'Noto Sans CJK SC', 'BIZ UDMincho', sans-serif"
    assert i18n.font_family("ne") == "'Noto Sans Devanagari', 'Noto Sans', 'BIZ UDGothic', sans-serif"
    assert i18n.font_family("fr") == i18n.font_family("en") == "'Noto Sans', 'BIZ UDGothic', sans-serif"
    assert i18n.font_family("en", "A'B") == "'Noto Sans', 'A\\27 B', sans-serif"


def test_every_language_font_is_installed() -> None:
    for family in {f for families in i18n.FONTS.values() for f in families}:
        assert font_file(family).is_file()
    i18n.check_fonts()


def test_a_missing_language_font_stops_the_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "FONTS", {**i18n.FONTS, "ko": ("Noto Sans CJK KR Missing",)})
    monkeypatch.setattr(i18n, "PACKAGES", {"Noto Sans CJK KR Missing": "fonts-noto-cjk"})
    with pytest.raises(FontError, match="'ko' is not installed .*apt-get install fonts-noto-cjk"):
        Renderer(load_config(ROOT / "config" / "municipality.toml"), TEMPLATES)


@pytest.mark.parametrize("code", i18n.SUPPORTED)
def test_the_language_fonts_draw_every_character_of_its_sentences(code: str, config: Config) -> None:
    """Each character of the language's own text is drawn by its own fonts; Japanese words in it by
    the letter's Japanese font, the last in the font list. Nothing is left to chance fallback."""
    table = i18n.load_strings(LANG_DIR / f"{code}.toml")
    dates = [i18n.format_date(date(2027, month, 28), code) for month in range(1, 13)]
    text = "".join([*table.values(), *dates])
    own = i18n.FONTS[code]
    japanese = [config.gothic_font, config.mincho_font]
    undrawn = [
        char for char in sorted(set(text))
        if not any(missing_glyphs(char, [family]) == [] for family in own)
        and not (_is_japanese(char) and missing_glyphs(char, japanese) == [])
    ]
    assert undrawn == []
    # The Japanese fonts alone could not draw these languages (why the Noto fonts are needed).
    if code in ("zh", "ko", "vi", "ne"):
        assert missing_glyphs(text, japanese) != []


# --- the pages, rendered -------------------------------------------------------------------------

def _foreigner(language: str, resident_id: str = "R1"):
    return make_resident(
        resident_id=resident_id, name="NGUYEN VAN AN", name_kana="グエン ヴァン アン", nationality="VN",
        residence_status="特定技能1号", address_extra="", language=language,
    )


LAPSED, LAPSED_GRACE_END = date(2026, 11, 10), date(2027, 2, 28)


def _grace(piece: Piece, lapsing: str, stay_capped: bool = False) -> Piece:
    """PIECE as a grace reminder: its card (with a new application form) or its certificate has lapsed."""
    due = dataclasses.replace(piece.due, kind=Kind.GRACE_REMINDER, lapsing=lapsing, stay_capped=stay_capped,
                              expires_on=LAPSED, grace_end=LAPSED_GRACE_END)  # fmt: skip
    card = lapsing == "card"
    return dataclasses.replace(piece, due=due, application_id=piece.application_id if card else "",
                               qr_payload=piece.qr_payload if card else "")  # fmt: skip


def _lot(renderer: Renderer, language: str) -> tuple[list[Piece], RenderedLot]:
    """A residence letter, a card and a certificate renewal, and grace reminders for a card that ended
    with the period of stay and for a certificate (P0 to P4)."""
    resident = _foreigner(language)
    pieces = [make_piece(kind, resident, piece_id=f"P{i}", expires_on=EXPIRES, renewal_from=RENEWAL_FROM,
                         grace_end=GRACE_END)
              for i, kind in enumerate((Kind.RESIDENCE_EXTENSION, Kind.CARD_RENEWAL, Kind.CERT_RENEWAL))]
    pieces += [_grace(make_piece(Kind.CARD_RENEWAL, resident, piece_id="P3"), "card", stay_capped=True),
               _grace(make_piece(Kind.CERT_RENEWAL, resident, piece_id="P4"), "cert")]
    return pieces, renderer.render_lot(pieces, LETTER_DATE)


@pytest.fixture(scope="module")
def rendered(renderer: Renderer) -> Iterator[dict[str, tuple[list[Piece], RenderedLot, pdfium.PdfDocument]]]:
    """A lot per language: a residence letter, a card and a certificate renewal, two grace reminders."""
    out = {}
    for code in i18n.SUPPORTED:
        pieces, lot = _lot(renderer, code)
        out[code] = (pieces, lot, pdfium.PdfDocument(lot.pdf))
    yield out
    for _pieces, _lot_, document in out.values():
        document.close()


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    textpage = document[index].get_textpage()
    try:
        return textpage.get_text_range()
    finally:
        textpage.close()


def _page_fonts(document: pdfium.PdfDocument, index: int) -> list[tuple[str, str]]:
    """(character, font family) of every character inside the page's margins (not the page code in
    the bottom margin), as pdfium reads them back."""
    textpage = document[index].get_textpage()
    buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    x, y = ctypes.c_double(), ctypes.c_double()
    out = []
    try:
        for i in range(pdfium_c.FPDFText_CountChars(textpage.raw)):
            char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
            if pdfium_c.FPDFText_GetCharOrigin(textpage.raw, i, ctypes.byref(x), ctypes.byref(y)) and y.value < MARGIN:
                continue
            pdfium_c.FPDFText_GetFontInfo(textpage.raw, i, buffer, len(buffer), ctypes.byref(flags))
            name = buffer.value.decode("ascii", "replace").split("+", 1)[-1]
            out.append((char, name.removesuffix("-Bold").replace("-", " ")))
    finally:
        textpage.close()
    return out


def _pages_of(lot: RenderedLot, piece_id: str) -> range:
    placement = next(p for p in lot.placements if p.piece_id == piece_id)
    return range(placement.first_page - 1, placement.first_page - 1 + placement.page_count)


def _insert_page(document: pdfium.PdfDocument, lot: RenderedLot, piece_id: str) -> int:
    pages = [i for i in _pages_of(lot, piece_id) if INSERT_HEADING in _page_text(document, i)]
    assert len(pages) == 1, f"{piece_id}: the insert must be one page, found on {pages}"
    return pages[0]


def _assert_in_language(text: str, code: str, keys: list[str], dates: list[date]) -> None:
    flat = _squeeze(text)
    assert "{" not in text and "}" not in text
    for day in dates:
        assert _squeeze(i18n.format_date(day, code)) in flat, (code, day)
    if code == "ne":
        for word in NEPALI_WORDS:
            assert _squeeze(word) in flat
        assert sum(0x0900 <= ord(c) <= 0x097F for c in text) > 400
        return
    table = i18n.strings(code)
    for key in keys:
        assert _squeeze(table[key]) in flat, (code, key)


def _assert_language_fonts(document: pdfium.PdfDocument, index: int, code: str, config: Config,
                           japanese_part: bool = False) -> None:
    """Every character of the page is in the language's fonts or the Japanese gothic (and mincho, for
    the insert's Japanese part), and the text of the language itself (Latin letters, Hangul,
    Devanagari) never in a Japanese font."""
    fonts = _page_fonts(document, index)
    allowed = set(i18n.families(code, config.gothic_font)) | ({config.mincho_font} if japanese_part else set())
    used = Counter(font for _char, font in fonts)
    assert set(used) <= allowed, used
    own = set(i18n.FONTS[code])
    for char, font in fonts:
        if char.isalpha() and not _is_japanese(char) and unicodedata.category(char).startswith("L"):
            assert font in own, (code, char, font)
    primary = i18n.FONTS[code][0]
    assert used[primary] > 0.7 * sum(used.values()), used


@pytest.mark.parametrize("code", i18n.SUPPORTED)
def test_residence_letter_page_two_is_in_the_language_and_fits(rendered, code: str, config: Config) -> None:
    pieces, lot, document = rendered[code]
    pages = _pages_of(lot, "P0")
    assert len(pages) == 2  # Renderer refuses a page that runs over; this one did not
    text = _page_text(document, pages[1])
    _assert_in_language(text, code, ["residence.title", "residence.steps_title", "insurance.title",
                                     "residence.pending", "residence.cert", "residence.expired"],
                        [EXPIRES, RENEWAL_FROM, GRACE_END, LETTER_DATE])
    assert "特例期間" in text and "申請中" in text
    assert config.foreign_hotline in text and config.phone in text
    assert "在留カード" in text and "NGUYENVANAN" in _squeeze(text)
    _assert_language_fonts(document, pages[1], code, config)


@pytest.mark.parametrize("code", i18n.SUPPORTED)
@pytest.mark.parametrize(("piece_id", "kind"), [("P1", "card"), ("P2", "cert")])
def test_insert_is_japanese_then_the_language_and_fits(rendered, code: str, piece_id: str, kind: str,
                                                       config: Config) -> None:
    _pieces, lot, document = rendered[code]
    index = _insert_page(document, lot, piece_id)
    text = _page_text(document, index)
    _assert_in_language(text, code, [f"insert.{kind}.title", f"insert.{kind}.how_title", "contact.title"],
                        [EXPIRES, RENEWAL_FROM, GRACE_END])
    assert config.foreign_hotline in text and config.phone in text
    flat = _squeeze(text)
    first_own = _squeeze(i18n.format_date(EXPIRES, code))  # the language's text starts after the Japanese
    assert flat.index(INSERT_HEADING) < flat.index(first_own)
    _assert_language_fonts(document, index, code, config, japanese_part=True)


def test_the_insert_differs_by_kind(rendered) -> None:
    _pieces, lot, document = rendered["en"]
    card = _page_text(document, _insert_page(document, lot, "P1"))
    cert = _page_text(document, _insert_page(document, lot, "P2"))
    assert "Photo booth" in card and _squeeze("23-digit application ID") in _squeeze(card)
    assert "renewed online" not in card
    assert _squeeze("It cannot be renewed online.") in _squeeze(cert) and "PINs" in cert
    assert "Photo booth" not in cert and "Smartphone" not in cert


@pytest.mark.parametrize("language", ["fr", ""])
def test_an_unsupported_or_unknown_language_gets_english(renderer: Renderer, language: str,
                                                          config: Config) -> None:
    pieces, lot = _lot(renderer, language)
    with pdfium.PdfDocument(lot.pdf) as document:
        page_two = _page_text(document, _pages_of(lot, "P0")[1])
        insert = _page_text(document, _insert_page(document, lot, "P1"))
    _assert_in_language(page_two, "en", ["residence.title", "residence.steps_title"], [EXPIRES, GRACE_END])
    assert "residence card" in page_two
    _assert_in_language(insert, "en", ["insert.card.title"], [EXPIRES, RENEWAL_FROM, GRACE_END])


@pytest.mark.parametrize("code", ["en", "pt", "es", "tl", "vi"])
def test_the_longest_languages_fit_with_a_long_office_name_and_address(config: Config, code: str) -> None:
    long = dataclasses.replace(
        config,
        office_name="若葉町役場 市民生活部 住民課 マイナンバーカード交付係",
        office_address="架空県若葉郡若葉町大字中央字東谷一丁目1番1号 若葉町役場本庁舎1階",
        opening_hours="平日 8時30分～17時15分（毎月第2・第4日曜日 9時～12時、毎週木曜日は19時まで）",
    )
    pieces, lot = _lot(Renderer(long, TEMPLATES), code)  # RenderError if a page runs over
    assert [p.page_count for p in lot.placements] == [2, 4, 4, 4, 2]


@pytest.mark.parametrize("code", i18n.SUPPORTED)
@pytest.mark.parametrize(("piece_id", "kind"), [("P3", "card"), ("P4", "cert")])
def test_a_grace_reminders_insert_says_it_has_expired_and_fits(rendered, code: str, piece_id: str, kind: str,
                                                               config: Config) -> None:
    _pieces, lot, document = rendered[code]
    index = _insert_page(document, lot, piece_id)
    assert index == _pages_of(lot, piece_id)[2 if kind == "card" else 1]  # after the cover (and the form)
    text = _page_text(document, index)
    lapsed = [f"insert.{kind}.lapsed_title", f"insert.{kind}.lapsed_row_expires", f"insert.{kind}.how_title"]
    _assert_in_language(text, code, lapsed + ([f"insert.{kind}.lapsed_bring"] if kind == "cert" else []),
                        [LAPSED, LAPSED_GRACE_END])
    if code != "ne":
        table = i18n.strings(code)
        assert _squeeze(table[f"insert.{kind}.title"]) not in _squeeze(text)  # not the "expires soon" one
    assert _squeeze(i18n.format_date(RENEWAL_FROM, code)) not in _squeeze(text)  # no "renew from" for a lapsed one
    assert config.foreign_hotline in text and config.phone in text
    _assert_language_fonts(document, index, code, config, japanese_part=True)


def test_a_card_that_ended_with_the_stay_costs_1000_yen_to_replace(rendered) -> None:
    _pieces, lot, document = rendered["en"]
    card = _squeeze(_page_text(document, _insert_page(document, lot, "P3")))
    cert = _squeeze(_page_text(document, _insert_page(document, lot, "P4")))
    assert _squeeze("the end of the period of stay recorded on it") in card
    assert _squeeze("A new card costs 1,000 yen") in card and "freeofcharge" not in card
    assert _squeeze("Your certificate expired on") in cert and _squeeze("It cannot be done online.") in cert
    assert "Photobooth" in card and "Photobooth" not in cert
