"""The letters, rendered for real with WeasyPrint and read back with pdfium and zxing."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import segno
import zxingcpp
from conftest import make_piece, make_resident

from notices import wareki
from notices.appid import grouped
from notices.config import Config, load_config
from notices.errors import RenderError
from notices.fonts import missing_glyphs
from notices.models import Kind, Piece
from notices.render import RenderedLot, Renderer, _LocalFetcher, format_postal

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
LETTER_DATE = date(2026, 11, 26)
A4 = (595.28, 841.89)
MM = 72 / 25.4  # PDF points per millimetre
LONG_NAME = "長谷川" * 20  # 60 characters
LONG_ADDRESS = "架空県若葉町大字緑ヶ丘字東谷" * 4 + "一丁目二番"  # 61 characters
INJECTION = "<b>x</b><style>*{display:none}</style>"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config" / "municipality.toml")


@pytest.fixture(scope="module")
def renderer(config: Config) -> Renderer:
    return Renderer(config, TEMPLATES)


def _pieces() -> list[Piece]:
    """A mixed lot: every kind, a foreign resident, worst-case lengths, and markup in a name."""
    foreign = make_resident(
        resident_id="R3", name="SMITH JOHN", name_kana="スミス ジョン", nationality="US",
        residence_status="技術・人文知識・国際業務", birth_date=date(1990, 7, 4), sex="",
        address_extra="",
    )
    long_one = make_resident(
        resident_id="R4", name=LONG_NAME, name_kana="ハセガワ" * 15,
        address=LONG_ADDRESS, address_extra="若葉ハイツ" * 12,
    )
    return [
        make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R1", name="山田 太郎"), piece_id="P1"),
        make_piece(Kind.CERT_RENEWAL, make_resident(resident_id="R2", name="佐藤 花子", sex="女"),
                   piece_id="P2", expires_on=date(2027, 1, 31), renewal_from=date(2026, 11, 1),
                   grace_end=date(2027, 4, 30)),
        make_piece(Kind.RESIDENCE_EXTENSION, foreign, piece_id="P3", expires_on=date(2027, 2, 1),
                   renewal_from=date(2026, 11, 2), grace_end=date(2027, 5, 31)),
        make_piece(Kind.CARD_RENEWAL, long_one, piece_id="P4", application_id="13000112345678901234565"),
        make_piece(Kind.CERT_RENEWAL, long_one, piece_id="P5"),
        make_piece(Kind.RESIDENCE_EXTENSION, dataclasses.replace(long_one, nationality="CN", name="N" * 60),
                   piece_id="P6"),
        make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R7", name=INJECTION), piece_id="P7"),
    ]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def mixed(renderer: Renderer) -> Iterator[tuple[list[Piece], RenderedLot, list[logging.LogRecord]]]:
    """The mixed lot rendered once, with every WeasyPrint record at WARNING or above."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        pieces = _pieces()
        lot = renderer.render_lot(pieces, LETTER_DATE)
    finally:
        logger.removeHandler(handler)
    yield pieces, lot, handler.records


@pytest.fixture(scope="module")
def pdf(mixed: tuple[list[Piece], RenderedLot, list[logging.LogRecord]]) -> Iterator[pdfium.PdfDocument]:
    document = pdfium.PdfDocument(mixed[1].pdf)
    yield document
    document.close()


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    textpage = page.get_textpage()
    try:
        return textpage.get_text_range()
    finally:
        textpage.close()
        page.close()


def _piece_text(document: pdfium.PdfDocument, lot: RenderedLot, piece_id: str) -> str:
    placement = next(p for p in lot.placements if p.piece_id == piece_id)
    first = placement.first_page - 1
    return "\n".join(_page_text(document, i) for i in range(first, first + placement.page_count))


@pytest.mark.parametrize(("kind", "pages"), [
    (Kind.CARD_RENEWAL, 4), (Kind.CERT_RENEWAL, 2), (Kind.RESIDENCE_EXTENSION, 2),
])
def test_each_kind_renders_with_its_page_count(renderer: Renderer, kind: Kind, pages: int) -> None:
    lot = renderer.render_lot([make_piece(kind, piece_id="only")], LETTER_DATE)
    assert lot.page_count == pages
    assert lot.placements == ((lot.placements[0].__class__("only", 1, pages)),)
    assert len(pdfium.PdfDocument(lot.pdf)) == pages


def test_mixed_lot_has_even_pages_and_correct_placements(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    assert [p.piece_id for p in lot.placements] == [p.piece_id for p in pieces]
    assert [(p.first_page, p.page_count) for p in lot.placements] == [
        (1, 4), (5, 2), (7, 2), (9, 4), (13, 2), (15, 2), (17, 4)]
    assert lot.page_count == len(pdf) == 20
    assert lot.page_count % 2 == 0
    for placement in lot.placements:
        assert placement.first_page % 2 == 1 and placement.page_count % 2 == 0
    # The padding page of each card renewal is blank.
    for placement in lot.placements:
        if placement.page_count == 4:
            assert _page_text(pdf, placement.first_page + 2).strip() == ""


def test_every_page_is_a4(pdf) -> None:
    for index in range(len(pdf)):
        width, height = pdf[index].get_size()
        assert width == pytest.approx(A4[0], abs=1) and height == pytest.approx(A4[1], abs=1)


def test_each_piece_states_this_residents_dates(mixed, pdf, config: Config) -> None:
    pieces, lot, _ = mixed
    for piece in pieces:
        text = _piece_text(pdf, lot, piece.piece_id)
        due = piece.due
        assert due.resident.name in text.replace("\r\n", "").replace("\n", "")
        assert wareki.format_western(due.expires_on) in text
        assert wareki.format_date(due.renewal_from, config.date_style, config.first_year) in text
        assert wareki.format_date(due.grace_end, config.date_style, config.first_year) in text
        assert wareki.format_date(LETTER_DATE, config.date_style, config.first_year) in text
        assert "X月X日" not in text and "Ｘ月Ｘ日" not in text
        if due.kind is Kind.CARD_RENEWAL:
            assert grouped(piece.application_id) in text
            assert "手数料は無料" in text and "資格確認書" in text
        if due.kind is Kind.CERT_RENEWAL:
            assert "オンラインではできません" in text and "数字4桁" in text
        if due.kind is Kind.RESIDENCE_EXTENSION:
            assert "有効期間の変更" in text and "residence card" in text and config.foreign_hotline in text


def test_first_page_of_each_placement_is_that_residents_letter(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    for piece, placement in zip(pieces, lot.placements, strict=True):
        first = _page_text(pdf, placement.first_page - 1).replace("\r\n", "").replace("\n", "")
        assert piece.due.resident.name in first


def test_markup_in_a_name_prints_literally(mixed, pdf, renderer: Renderer) -> None:
    _, lot, _ = mixed
    assert INJECTION in _piece_text(pdf, lot, "P7")
    html = renderer.render_html([make_piece(Kind.CARD_RENEWAL, make_resident(name=INJECTION))], LETTER_DATE)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;&lt;style&gt;" in html


def test_qr_code_decodes_at_300_dpi_with_a_quiet_zone(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    for piece in (pieces[0], pieces[3]):
        placement = next(p for p in lot.placements if p.piece_id == piece.piece_id)
        image = pdf[placement.first_page + 1].render(scale=300 / 72).to_pil().convert("L")
        results = zxingcpp.read_barcodes(image)
        assert [r.text for r in results] == [piece.qr_payload]
        result = results[0]
        assert result.format == zxingcpp.BarcodeFormat.QRCode and result.ec_level == "M"
        pos = result.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        modules = segno.make_qr(piece.qr_payload, error="m", boost_error=False).symbol_size(border=0)[0]
        module_px = (max(xs) - min(xs)) / modules  # the corners are the symbol's outer edges
        total_mm = module_px * (modules + 8) / 300 * 25.4
        assert total_mm >= 20
        # The quiet zone (4 modules on each side) is white.
        quiet = 4 * module_px
        box = (int(min(xs) - quiet), int(min(ys) - quiet), int(max(xs) + quiet), int(max(ys) + quiet))
        border = [image.crop((box[0], box[1], box[2], int(min(ys) - module_px))),
                  image.crop((box[0], int(max(ys) + module_px), box[2], box[3])),
                  image.crop((box[0], box[1], int(min(xs) - module_px), box[3])),
                  image.crop((int(max(xs) + module_px), box[1], box[2], box[3]))]
        assert all(region.getextrema()[0] > 200 for region in border)


def test_photo_box_measures_35_by_45_mm(mixed, pdf) -> None:
    _, lot, _ = mixed
    for placement in lot.placements:
        if placement.page_count != 4:
            continue
        page = pdf[placement.first_page + 1]
        boxes = []
        for obj in page.get_objects(max_depth=8):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
                left, bottom, right, top = obj.get_bounds()
                boxes.append(((right - left) / MM, (top - bottom) / MM))
        photo = [b for b in boxes if abs(b[0] - 35) < 1.5 and abs(b[1] - 45) < 1.5]
        assert len(photo) == 1, boxes
        assert photo[0][0] == pytest.approx(35, abs=0.2) and photo[0][1] == pytest.approx(45, abs=0.2)


def test_rendering_logs_no_weasyprint_warning(mixed) -> None:
    assert [record.getMessage() for record in mixed[2]] == []


def test_printed_text_is_drawable_by_the_letter_fonts(mixed, pdf, config: Config) -> None:
    text = "".join(_page_text(pdf, i) for i in range(len(pdf)))
    assert missing_glyphs(text, [config.mincho_font, config.gothic_font]) == []


def test_same_input_gives_the_same_bytes(config: Config, mixed) -> None:
    pieces, lot, _ = mixed
    again = Renderer(config, TEMPLATES).render_lot(pieces[:3], LETTER_DATE)
    assert again.pdf == Renderer(config, TEMPLATES).render_lot(pieces[:3], LETTER_DATE).pdf
    # Another process with another hash seed gives the same bytes too.
    script = (
        "import sys, hashlib; from datetime import date; from pathlib import Path;"
        f"sys.path[:0] = [{str(ROOT / 'jobs')!r}, {str(ROOT / 'tests')!r}];"
        "import test_render as t; from notices.render import Renderer;"
        "r = Renderer(t.load_config(t.ROOT / 'config' / 'municipality.toml'), t.TEMPLATES);"
        "print(hashlib.sha256(r.render_lot(t._pieces()[:3], t.LETTER_DATE).pdf).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == hashlib.sha256(again.pdf).hexdigest()


def test_date_style_follows_the_configuration(config: Config) -> None:
    western = Renderer(dataclasses.replace(config, date_style="western"), TEMPLATES)
    html = western.render_html([make_piece(Kind.CARD_RENEWAL)], LETTER_DATE)
    assert "2026年11月26日" in html and "2026年11月11日" in html and "2027年5月31日" in html
    assert "令和" not in html.replace("昭和", "")  # the birth date follows the style too
    era = Renderer(dataclasses.replace(config, date_style="era"), TEMPLATES)
    assert "令和8年11月26日" in era.render_html([make_piece(Kind.CERT_RENEWAL)], LETTER_DATE)


def test_birth_date_is_western_for_foreign_residents(renderer: Renderer) -> None:
    japanese = renderer.render_html([make_piece(Kind.CARD_RENEWAL)], LETTER_DATE)
    assert "昭和60年(1985年)2月10日" in japanese
    foreign = make_resident(nationality="KR", birth_date=date(1990, 7, 4), residence_status="永住者")
    html = renderer.render_html([make_piece(Kind.CARD_RENEWAL, foreign)], LETTER_DATE)
    assert "1990年7月4日" in html and "平成2年" not in html


def test_letters_for_a_card_renewal_have_the_form_parts(renderer: Renderer) -> None:
    html = renderer.render_html([make_piece(Kind.CARD_RENEWAL)], LETTER_DATE)
    for part in ("有効期限通知書", "交付申請書", "返信用封筒", "縦4.5cm×横3.5cm", "6か月以内", "無帽",
                 "申請者氏名（自署）", "電話番号", "申請日", "ヤマダ タロウ", "〒999-0012", "若葉ハイツ101号室",
                 "9999 9712 3456 7890 1234 567", "<svg"):
        assert part in html, part


def test_a_letter_that_cannot_fit_is_refused(renderer: Renderer) -> None:
    huge = make_resident(name="長" * 400)
    with pytest.raises(RenderError, match="P9"):
        renderer.render_lot([make_piece(Kind.CERT_RENEWAL, huge, piece_id="P9")], LETTER_DATE)


def test_bad_lots_are_refused(renderer: Renderer) -> None:
    with pytest.raises(ValueError):
        renderer.render_lot([], LETTER_DATE)
    with pytest.raises(ValueError):
        renderer.render_lot([make_piece(Kind.CERT_RENEWAL), make_piece(Kind.CERT_RENEWAL)], LETTER_DATE)
    no_form = dataclasses.replace(make_piece(Kind.CARD_RENEWAL), application_id="", qr_payload="")
    with pytest.raises(RenderError):
        renderer.render_html([no_form], LETTER_DATE)


def test_fetcher_serves_only_data_uris_and_template_files(tmp_path: Path) -> None:
    fetcher = _LocalFetcher(TEMPLATES)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert b"@page" in fetcher.fetch((TEMPLATES / "letters.css").as_uri()).read()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (outside.as_uri(), "file:///etc/passwd", (TEMPLATES / ".." / "pyproject.toml").as_uri(),
                "http://127.0.0.1:9/x.css", "https://example.com/x.png", "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_small_formatters() -> None:
    assert grouped("99999712345678901234567") == "9999 9712 3456 7890 1234 567"
    assert format_postal("9990012") == "999-0012"
    assert format_postal("99900") == "99900"
