"""The letters, rendered for real with WeasyPrint and read back with pdfium and zxing."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from conftest import make_piece, make_resident

from notices.letters import barcode, pagecode

from notices.register import wareki
from notices.letters.appid import grouped
from notices.config import Config, load_config
from notices.letters.envelope import barcode_address
from notices.errors import RenderError
from notices.letters.fonts import missing_glyphs
from notices.models import Kind, Piece
from notices.letters.pagecode import payload
from notices.letters.fetcher import LocalFetcher
from notices.letters.render import RenderedLot, Renderer, format_postal, sheet_plan

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
LETTER_DATE = date(2026, 11, 26)
A4 = (595.28, 841.89)
MM = 72 / 25.4  # PDF points per millimetre
LONG_NAME = "長谷川" * 20  # 60 characters
LONG_ADDRESS = "架空県若葉町大字緑ヶ丘字東谷" * 4 + "一丁目二番"  # 61 characters
INJECTION = "<b>x</b><style>*{display:none}</style>"



def _pieces() -> list[Piece]:
    """A mixed lot: every kind, a foreign resident, worst-case lengths, and markup in a name."""
    foreign = make_resident(
        resident_id="R3", name="SMITH JOHN", name_kana="スミス ジョン", nationality="US",
        residence_status="技術・人文知識・国際業務", birth_date=date(1990, 7, 4), sex="",
        address_extra="",
    )
    foreign_card = make_resident(
        resident_id="R8", name="NGUYEN VAN AN", name_kana="グエン ヴァン アン", nationality="VN",
        residence_status="永住者", birth_date=date(1988, 3, 15), address_extra="",
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
        make_piece(Kind.CARD_RENEWAL, foreign_card, piece_id="P8", application_id="99999700000000000000016"),
        make_piece(Kind.CERT_RENEWAL, dataclasses.replace(foreign_card, resident_id="R9", postal_code="9990100"),
                   piece_id="P9"),
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
])  # fmt: skip
def test_each_kind_renders_with_its_page_count(renderer: Renderer, kind: Kind, pages: int) -> None:
    lot = renderer.render_lot([make_piece(kind, piece_id="only")], LETTER_DATE)
    assert lot.page_count == pages
    assert lot.placements == ((lot.placements[0].__class__("only", 1, pages)),)
    assert len(pdfium.PdfDocument(lot.pdf)) == pages


def test_mixed_lot_has_even_pages_and_correct_placements(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    assert [p.piece_id for p in lot.placements] == [p.piece_id for p in pieces]
    assert [(p.first_page, p.page_count) for p in lot.placements] == [
        (1, 4), (5, 2), (7, 2), (9, 4), (13, 2), (15, 2), (17, 4), (21, 4), (25, 4)]
    assert lot.page_count == len(pdf) == 28
    assert lot.page_count % 2 == 0
    for piece, placement in zip(pieces, lot.placements, strict=True):
        assert placement.first_page % 2 == 1 and placement.page_count % 2 == 0
        assert placement.page_count == sheet_plan(piece)[2]
    # The padding sheet of a Japanese resident's card renewal holds only its page code and 「（白紙）」.
    for piece, placement in zip(pieces, lot.placements, strict=True):
        if piece.due.kind is Kind.CARD_RENEWAL and not piece.due.resident.is_foreign:
            text = _page_text(pdf, placement.first_page + 2).split()
            assert text == ["（白紙）", payload(1, piece.piece_id, 4, 4)]


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
    for piece in (pieces[0], pieces[3], pieces[7]):
        placement = next(p for p in lot.placements if p.piece_id == piece.piece_id)
        image = pdf[placement.first_page + 1].render(scale=300 / 72).to_pil().convert("L")
        results = [r for r in zxingcpp.read_barcodes(image) if r.text != payload(1, piece.piece_id, 3, 4)]
        assert [r.text for r in results] == [piece.qr_payload]
        result = results[0]
        assert result.format == zxingcpp.BarcodeFormat.QRCode and result.ec_level == "M"
        pos = result.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        modules = len(pagecode.encode(piece.qr_payload, micro=False).modules)  # the version the renderer drew
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


def test_the_form_names_the_four_ways_to_apply_on_its_page(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    for piece, placement in zip(pieces, lot.placements, strict=True):
        if piece.due.kind is Kind.CARD_RENEWAL:
            form = _page_text(pdf, placement.first_page + 1)
            assert "交付申請書" in form and "申請の方法" in form
            assert all(way in form for way in ("スマートフォン", "パソコン", "証明用写真機", "郵便"))


def test_photo_box_measures_35_by_45_mm(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    for piece, placement in zip(pieces, lot.placements, strict=True):
        if piece.due.kind is not Kind.CARD_RENEWAL:
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
        "import test_render as t; from notices.letters.render import Renderer;"
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
                 "9999 9712 3456 7890 1234 567", 'class="qrcode"'):
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
    fetcher = LocalFetcher(TEMPLATES)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert b"@page" in fetcher.fetch((TEMPLATES / "_page.css").as_uri()).read()
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


# --- The cover letter in a window envelope -------------------------------------------------------

def _window(config: Config, page: pdfium.PdfPage) -> tuple[float, float, float, float]:
    """The configured envelope window in PDF points: (left, bottom, right, top), y growing upward."""
    height = page.get_size()[1]
    left, top = config.window_left_mm * MM, height - config.window_top_mm * MM
    return left, top - config.window_height_mm * MM, left + config.window_width_mm * MM, top


def _inside(box: tuple[float, float, float, float], rect: tuple[float, float, float, float]) -> bool:
    return rect[0] <= box[0] and rect[1] <= box[1] and box[2] <= rect[2] and box[3] <= rect[3]


def _char_boxes(page: pdfium.PdfPage, needle: str) -> list[list[tuple[float, float, float, float]]]:
    """The character boxes of every occurrence of NEEDLE on PAGE, line breaks and spaces ignored."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        assert len(text) == textpage.count_chars()
        kept = [i for i, ch in enumerate(text) if not ch.isspace()]
        flat = "".join(text[i] for i in kept)
        wanted = "".join(needle.split())
        found = [m.start() for m in re.finditer(re.escape(wanted), flat)]
        return [[textpage.get_charbox(kept[k]) for k in range(at, at + len(wanted))] for at in found]
    finally:
        textpage.close()


def _address_texts(piece: Piece) -> list[str]:
    r = piece.due.resident
    return [t for t in (f"〒{format_postal(r.postal_code)}", r.address, r.address_extra, f"{r.name}様", "転送不要") if t]


def _bars(page: pdfium.PdfPage) -> list[tuple[float, float, float, float]]:
    """Filled paths 0.6 mm wide and 1.2, 2.4 or 3.6 mm high: the customer barcode's bars, left to right."""
    bars = []
    for obj in page.get_objects(max_depth=8):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            left, bottom, right, top = obj.get_bounds()
            width, height = (right - left) / MM, (top - bottom) / MM
            if abs(width - 0.6) < 0.05 and min(abs(height - h) for h in (1.2, 2.4, 3.6)) < 0.05:
                bars.append((left, bottom, right, top))
    return sorted(bars)


def test_address_block_lies_inside_the_window(mixed, pdf, config: Config) -> None:
    pieces, lot, _ = mixed
    for piece, placement in zip(pieces, lot.placements, strict=True):
        page = pdf[placement.first_page - 1]
        window = _window(config, page)
        for text in _address_texts(piece):
            found = _char_boxes(page, text)
            assert len(found) == 1, (piece.piece_id, text)
            outside = [box for box in found[0] if not _inside(box, window)]
            assert not outside, (piece.piece_id, text, outside[:3])


def test_return_address_is_printed_beside_the_window(mixed, pdf, config: Config) -> None:
    pieces, lot, _ = mixed
    page = pdf[0]
    window = _window(config, page)
    head = (window[2], window[1], page.get_size()[0] - 20 * MM, window[3])  # right of the window, as high
    for text in (f"〒{format_postal(config.office_postal_code)}", config.office_address, config.office_name, "差出人"):
        assert any(all(_inside(box, head) for box in boxes) for boxes in _char_boxes(page, text)), text


def test_customer_barcode_is_drawn_at_full_size_in_the_window(mixed, pdf, config: Config) -> None:
    pieces, lot, _ = mixed
    heights = {"F": 3.6, "A": 2.4, "D": 2.4, "T": 1.2}
    for piece, placement in zip(pieces, lot.placements, strict=True):
        r = piece.due.resident
        page = pdf[placement.first_page - 1]
        bars = _bars(page)
        code = barcode.encode(r.postal_code, f"{r.address} {r.address_extra}")  # 若葉ハイツ101号室: -101
        if code is None:  # 〒999-0100: a representative postal code gets no barcode
            assert r.postal_code.endswith("00") and bars == []
            continue
        assert len(bars) == 67, piece.piece_id
        assert code == barcode.encode(r.postal_code, barcode_address(r))
        if r.address_extra == "若葉ハイツ101号室":
            assert code.address_number == "2-3-4-101"  # the room number of the 方書 is encoded
        assert [heights[b] for b in code.bars] == pytest.approx([(t - b) / MM for _, b, _, t in bars], abs=0.05)
        top, bottom = max(b[3] for b in bars), min(b[1] for b in bars)
        assert (top - bottom) / MM == pytest.approx(3.6, abs=0.05)
        for k, (kind, (left, low, _right, high)) in enumerate(zip(code.bars, bars, strict=True)):
            assert (left - bars[0][0]) / MM == pytest.approx(1.2 * k, abs=0.02)  # pitch 1.2 mm
            if kind in "FA":  # long and upper semi-long bars hang from the top line
                assert high == pytest.approx(top, abs=0.1)
            if kind in "FD":  # long and lower semi-long bars stand on the bottom line
                assert low == pytest.approx(bottom, abs=0.1)
        quiet = 2 * MM  # the 2 mm quiet zone lies inside the window as well
        symbol = (bars[0][0] - quiet, bottom - quiet, bars[-1][2] + quiet, top + quiet)
        assert _inside(symbol, _window(config, page)), piece.piece_id


def test_a_configured_window_moves_the_block(tmp_path: Path, config: Config, pdf) -> None:
    text = (ROOT / "config" / "municipality.toml").read_text(encoding="utf-8")
    text = re.sub(r"\n\[envelope\][^\[]*", "\n", text)
    text += "\n[envelope]\nwindow_left_mm = 30\nwindow_top_mm = 28\nwindow_width_mm = 95\nwindow_height_mm = 47\n"
    (tmp_path / "town.toml").write_text(text, encoding="utf-8")
    moved = load_config(tmp_path / "town.toml")
    assert (moved.window_left_mm, moved.window_top_mm, moved.window_width_mm, moved.window_height_mm) == (30, 28, 95, 47)
    piece = make_piece(Kind.CARD_RENEWAL, piece_id="M1")
    document = pdfium.PdfDocument(Renderer(moved, TEMPLATES).render_lot([piece], LETTER_DATE).pdf)
    page = document[0]
    window, default = _window(moved, page), _window(config, page)
    for text in _address_texts(piece):
        boxes = _char_boxes(page, text)[0]
        assert all(_inside(box, window) for box in boxes), text
        # Where the text sits in the window is the same as in the default window of the mixed lot (P1).
        before = _char_boxes(pdf[0], text)[0]
        if text == "転送不要":  # right-aligned; the rest is left-aligned
            assert boxes[-1][2] - window[2] == pytest.approx(before[-1][2] - default[2], abs=0.3)
        else:
            assert boxes[0][0] - window[0] == pytest.approx(before[0][0] - default[0], abs=0.3), text
        assert boxes[0][3] - window[3] == pytest.approx(before[0][3] - default[3], abs=0.3), text
    bars = _bars(page)
    assert len(bars) == 67 and all(_inside(bar, window) for bar in bars)
    assert bars[0][0] / MM == pytest.approx(30 + 2 + 2, abs=0.2)  # 2 mm in, then the quiet zone


def test_an_address_too_long_for_the_window_is_refused(renderer: Renderer) -> None:
    long_address = make_resident(address="架空県若葉町" + "緑ヶ丘" * 80)  # the review holds more than 60
    with pytest.raises(RenderError, match="P10.*window"):
        renderer.render_lot([make_piece(Kind.CERT_RENEWAL, long_address, piece_id="P10")], LETTER_DATE)


def test_a_return_address_too_long_for_the_sender_block_is_refused(config: Config) -> None:
    wordy = Renderer(dataclasses.replace(config, office_address="架空県若葉町" * 40), TEMPLATES)
    with pytest.raises(RenderError, match="P11.*sender"):
        wordy.render_lot([make_piece(Kind.CERT_RENEWAL, piece_id="P11")], LETTER_DATE)


# --- Print-ready PDFs -----------------------------------------------------------------------------

def test_every_page_carries_its_page_code(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    expected = [payload(1, p.piece_id, n, placement.page_count)
                for p, placement in zip(pieces, lot.placements, strict=True)
                for n in range(1, placement.page_count + 1)]  # fmt: skip
    personal = {t for p in pieces for t in (p.due.resident.name, p.due.resident.address, p.due.resident.resident_id)}
    for index in range(len(pdf)):
        bitmap = pdf[index].render(scale=300 / 72, crop=(0, 0, 0, 270 * MM))  # the bottom margin only
        found = zxingcpp.read_barcodes(bitmap.to_pil().convert("L"))
        assert [r.text for r in found] == [expected[index]], index + 1
        assert re.fullmatch(r"1/P[0-9]+/[0-9]+/[0-9]+", found[0].text)
        assert not any(t in found[0].text for t in personal)


def test_document_metadata(mixed, pdf, config: Config) -> None:
    meta = pdf.get_metadata_dict()
    assert meta["Title"] == f"{config.name} マイナンバーカード関係通知 lot 1"
    assert meta["Author"] == config.name


def test_fonts_are_embedded_subsets(pdf) -> None:
    import ctypes

    fonts: dict[bytes, int] = {}
    for index in range(len(pdf)):
        for obj in pdf[index].get_objects(max_depth=8):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
                size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
                name = ctypes.create_string_buffer(size)
                pdfium_c.FPDFFont_GetBaseFontName(font, name, size)
                fonts[name.value] = pdfium_c.FPDFFont_GetIsEmbedded(font)
    assert fonts and all(fonts.values()), fonts
    assert all(re.fullmatch(rb"[A-Z]{6}\+.+", name) for name in fonts), fonts


def test_foreign_residents_get_the_insert(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    pages = {p.piece_id: [_page_text(pdf, placement.first_page - 1 + n) for n in range(placement.page_count)]
             for p, placement in zip(pieces, lot.placements, strict=True)}  # fmt: skip
    card, cert, residence = pages["P8"], pages["P9"], pages["P3"]
    assert len(card) == 4 and "外国籍の方へ" in card[3] and not any("（白紙）" in t for t in card)
    assert len(cert) == 4 and "外国籍の方へ" in cert[2] and cert[3].split() == ["（白紙）", "1/P9/4/4"]
    assert len(residence) == 2 and not any("外国籍の方へ" in t for t in residence)
    assert not any("外国籍の方へ" in t for t in pages["P1"] + pages["P2"])


# --- What the letters say (issue 12, against the J-LIS leaflet) -----------------------------------

# The national call centre as the leaflet gives it, on every letter's cover (the contact block).
NATIONAL = ("マイナンバー総合フリーダイヤル", "0120-95-0178", "平日9時30分～20時00分（年末年始を除く）",
            "土日祝9時30分～17時30分", "050-3818-1250", "一時利用停止は24時間365日受け付けます",
            "マイナンバーカード総合サイト", "https://www.kojinbango-card.go.jp")


def _flat(text: str) -> str:
    return "".join(text.split())


def _grace(piece: Piece, lapsing: str, stay_capped: bool = False) -> Piece:
    """PIECE as a grace reminder for the card or the certificate, which expired on 2026-11-10."""
    due = dataclasses.replace(piece.due, kind=Kind.GRACE_REMINDER, lapsing=lapsing, stay_capped=stay_capped,
                              expires_on=date(2026, 11, 10), grace_end=date(2027, 2, 28))  # fmt: skip
    card = lapsing == "card"
    return dataclasses.replace(piece, due=due, application_id=piece.application_id if card else "",
                               qr_payload=piece.qr_payload if card else "")  # fmt: skip


def test_every_cover_letter_gives_the_national_hotline_and_site(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    for piece, placement in zip(pieces, lot.placements, strict=True):
        cover = _flat(_page_text(pdf, placement.first_page - 1))
        for text in NATIONAL:
            assert text in cover, (piece.piece_id, text)


def test_each_kind_says_what_the_leaflet_says_of_it(mixed, pdf) -> None:
    pieces, lot, _ = mixed
    for piece, placement in zip(pieces, lot.placements, strict=True):
        cover = _flat(_page_text(pdf, placement.first_page - 1))
        kind = piece.due.kind
        # The card letter: the new card may be collected by a proxy, ask the counter how.
        assert ("任意の代理人による受取" in cover and "詳しくは窓口にお問い合わせください" in cover) is (kind is Kind.CARD_RENEWAL)
        # The certificate letter: renewal is free; a proxy renews with the 照会書兼回答書 mailed to the resident.
        assert ("照会書兼回答書" in cover) is (kind is Kind.CERT_RENEWAL)
        if kind is Kind.CERT_RENEWAL:
            assert "更新の手数料は無料です" in cover and "ご本人あてに郵送する「照会書兼回答書」にご本人が記入し" in cover
        # The residence letter: the 特例期間, 1,000 yen once the card lapses, the certificate may end first.
        if kind is Kind.RESIDENCE_EXTENSION:
            assert "特例期間" in cover and "「申請中」のスタンプがある在留カード" in cover and "最長2か月" in cover
            assert "手数料1,000円" in cover and "電子証明書の有効期限が、カードより先に来ることがあります" in cover
            back = _flat(_page_text(pdf, placement.first_page))
            if piece.due.resident.nationality == "US":  # English
                assert all(_flat(t) in back for t in ("(特例期間)", "stamped “申請中”", "1,000 yen", "expire before the card"))
        else:
            assert "特例期間" not in cover and "1,000円" not in cover


@pytest.fixture(scope="module")
def graces(renderer: Renderer) -> Iterator[tuple[list[Piece], RenderedLot, pdfium.PdfDocument]]:
    """Grace reminders: a Japanese resident's card, a foreign resident's card that ended with the period
    of stay, a foreign resident's certificate."""
    foreign = make_resident(resident_id="R21", name="SMITH JOHN", nationality="US", language="en",
                            residence_status="技術・人文知識・国際業務", address_extra="")  # fmt: skip
    pieces = [
        _grace(make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R20"), piece_id="G1"), "card"),
        _grace(make_piece(Kind.CARD_RENEWAL, foreign, piece_id="G2"), "card", stay_capped=True),
        _grace(make_piece(Kind.CERT_RENEWAL, dataclasses.replace(foreign, resident_id="R22"), piece_id="G3"), "cert"),
    ]
    lot = renderer.render_lot(pieces, LETTER_DATE)
    document = pdfium.PdfDocument(lot.pdf)
    yield pieces, lot, document
    document.close()


def test_a_grace_reminder_says_what_the_new_card_costs(graces) -> None:
    pieces, lot, document = graces
    assert [(p.piece_id, p.first_page, p.page_count) for p in lot.placements] == [
        ("G1", 1, 2), ("G2", 3, 4), ("G3", 7, 2)]  # cover + form; cover, form, insert, blank; cover, insert
    covers = [_flat(_page_text(document, p.first_page - 1)) for p in lot.placements]
    for cover in covers:
        assert all(text in cover for text in NATIONAL)
    assert "手数料は無料です" in covers[0] and "1,000円" not in covers[0]
    # A card that ended with the period of stay is replaced for 1,000 yen, never for free (Matsudo, Ashiya).
    assert "手数料1,000円" in covers[1] and "無料" not in covers[1]
    assert "任意の代理人による受取" in covers[0] and "照会書兼回答書" in covers[2]


def test_a_foreign_residents_grace_reminder_gets_the_insert_of_what_lapsed(graces) -> None:
    _pieces, lot, document = graces
    pages = [_flat(_page_text(document, i)) for i in range(len(document))]
    assert [n for n, text in enumerate(pages, start=1) if "外国籍の方へ" in text] == [5, 8]
    card, cert = pages[4], pages[7]
    assert _flat("Your My Number Card has expired") in card and _flat("Your card expired on") in card
    assert _flat("A new card costs 1,000 yen") in card and "freeofcharge" not in card
    assert "Photobooth" in card and "renewedonline" not in card
    assert _flat("certificate on your My Number Card has expired") in cert and _flat("It cannot be done online.") in cert
    assert "Photobooth" not in cert
    for text in (card, cert):  # past tense, and no "renew from" row
        assert "expiressoon" not in text and "Youcanapplyfrom" not in text and "Youcanrenewfrom" not in text
    assert pages[5].startswith("（白紙）")  # the card reminder's padding sheet


def test_no_letter_promises_an_insurance_grace_that_has_ended(renderer: Renderer, config: Config) -> None:
    """A card whose 利用者証明用 certificate lapsed on 2023-02-21 worked as マイナ保険証 until 2023-05-31 (domain.md
    2.3), long before this letter. Its renewal, its notice, a foreign resident's insert, a residence letter and
    a grace reminder say the card no longer works as one, and why; none gives 2023-05-31 as a day still to
    come, nor says the card works as one until it expires. A certificate ending before the card: the letter
    says so, and gives the grace that follows it, not the card's. (The certificate's own date is each resident's:
    no sentence holds it, so that these paragraphs stay few, test_render_fast.)"""
    lapsed = {"cert_expires_on": date(2023, 2, 21)}
    foreign = make_resident(resident_id="R31", name="SILVA ANA", nationality="BR", language="en",
                            residence_status="永住者", **lapsed)  # fmt: skip
    early = make_resident(resident_id="R33", cert_expires_on=date(2026, 12, 20))
    pieces = [
        make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R30", **lapsed), piece_id="L1", grace_end=date(2023, 5, 31)),
        make_piece(Kind.CARD_RENEWAL, foreign, piece_id="L2", grace_end=date(2023, 5, 31)),
        _grace(make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R32", **lapsed), piece_id="L3"), "card"),
        make_piece(Kind.CARD_RENEWAL, early, piece_id="L4", grace_end=date(2027, 3, 31)),
        make_piece(Kind.RESIDENCE_EXTENSION, dataclasses.replace(foreign, resident_id="R34", residence_status="留学"),
                   piece_id="L5", grace_end=date(2023, 5, 31)),
    ]
    pieces[2] = dataclasses.replace(pieces[2], due=dataclasses.replace(pieces[2].due, grace_end=date(2023, 5, 31)))
    lot = renderer.render_lot(pieces, LETTER_DATE)
    document = pdfium.PdfDocument(lot.pdf)
    try:
        texts = {p.piece_id: _flat(_piece_text(document, lot, p.piece_id)) for p in lot.placements}
    finally:
        document.close()
    ended = "マイナンバーカードの利用者証明用電子証明書の有効期限が過ぎているため、マイナ保険証としては使えません。"
    english = _flat("Your card works as a health insurance card through its certificate for user verification "
                    "(利用者証明用電子証明書). That certificate has expired, so the card can no longer be used as a "
                    "health insurance card.")  # fmt: skip
    for piece_id in ("L1", "L2", "L3", "L5"):
        text = texts[piece_id]
        assert "令和5年(2023年)5月31日" not in text and "2023年5月31日" not in text and "May31,2023" not in text
        assert "資格確認書" in text and "マイナ保険証（資格確認のみ）が使える期限" not in text, piece_id
        assert "Healthinsuranceuse" not in text  # the grace rows of the insert and the residence letter too
    for piece_id in ("L1", "L2", "L5"):  # the cover letter and the expiry notice, or the residence letter
        assert texts[piece_id].count(ended) == (1 if piece_id == "L5" else 2), piece_id
    # The leads leave out what the lapsed certificate did (マイナ保険証, マイナポータル, e-Tax until the card expires).
    assert "電子証明書はすでに有効期限が過ぎています" in texts["L1"] and "マイナ保険証、マイナポータル" not in texts["L1"]
    assert "電子証明書はカードより先に有効期限を迎えます" in texts["L4"] and "マイナ保険証、マイナポータル" not in texts["L4"]
    assert english in texts["L2"] and english in texts["L5"]
    assert _flat("Its certificate for user verification has an earlier expiry date than the card") in texts["L2"]
    assert _flat("as a health insurance card (マイナ保険証), or for Mynaportal") not in texts["L2"]
    assert "マイナ保険証としても使えません" in texts["L3"] and "電子証明書の有効期限が過ぎているため" in texts["L3"]
    # Ending before the card: its date, then the grace that follows it (令和9年3月31日), not the card's (5月31日).
    cert = "利用者証明用電子証明書は、カードより先に有効期限を迎えます。電子証明書の有効期限が過ぎても、令和9年(2027年)3月31日までは"
    assert texts["L4"].count(cert) == 2 and "5月31日" not in texts["L4"]
