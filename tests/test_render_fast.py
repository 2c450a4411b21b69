"""The fast path (backgrounds laid out once, values drawn straight into the pages) against the straightforward one."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from conftest import make_piece, make_resident

from notices.config import Config
from notices.delivery import preflight
from notices.models import Kind, Piece
from notices.rules import dates
from notices.letters.render import RenderedLot, Renderer

ROOT = Path(__file__).resolve().parents[1]
LETTER_DATE = date(2026, 11, 26)


def _grace(piece: Piece, lapsing: str, stay_capped: bool = False) -> Piece:
    due = dataclasses.replace(piece.due, kind=Kind.GRACE_REMINDER, lapsing=lapsing, expires_on=date(2026, 11, 10),
                              stay_capped=stay_capped)
    return dataclasses.replace(piece, due=due, application_id=piece.application_id if lapsing == "card" else "",
                               qr_payload=piece.qr_payload if lapsing == "card" else "")  # fmt: skip


def _pieces() -> list[Piece]:
    """Every kind and shape: foreign inserts in several languages, with and without a barcode, 方書
    or kana, dates of every width, and values too long for their slots."""
    card = make_piece(Kind.CARD_RENEWAL, piece_id="P01")
    pieces = [
        card,
        make_piece(Kind.CERT_RENEWAL, make_resident(resident_id="R2", name="佐藤 花子", address_extra="", name_kana=""),
                   piece_id="P02", expires_on=date(2027, 12, 28), renewal_from=date(2027, 9, 28),
                   grace_end=date(2028, 3, 31)),
        make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R3", postal_code="9990100"), piece_id="P03",
                   expires_on=date(2027, 1, 1), application_id="99999700000000000000017"),
        make_piece(Kind.RESIDENCE_EXTENSION, make_resident(resident_id="R4", name="SMITH JOHN", nationality="US",
                                                           residence_status="留学"), piece_id="P04"),
        _grace(make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R9"), piece_id="P09"), "card"),
        _grace(make_piece(Kind.CERT_RENEWAL, make_resident(resident_id="R10"), piece_id="P10"), "cert"),
        # Too long for a slot of the expiry notice and the form: laid out whole.
        make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R11", name="長谷川" * 12), piece_id="P11"),
    ]
    for n, (nationality, language) in enumerate((("VN", "vi"), ("CN", "zh"), ("BR", "pt"), ("NP", "ne"))):
        foreign = make_resident(resident_id=f"R{5 + n}", name=f"NGUYEN VAN {n}", nationality=nationality,
                                language=language, residence_status="永住者")  # fmt: skip
        kind = Kind.CARD_RENEWAL if n % 2 == 0 else Kind.CERT_RENEWAL
        pieces.append(make_piece(kind, foreign, piece_id=f"P{5 + n:02d}", expires_on=date(2027, 9, 30)))
    # A foreign resident's grace reminders, with the insert of what lapsed (a card ended with the stay: 1,000 yen).
    korean = make_resident(resident_id="R12", name="KIM MINJUN", nationality="KR", language="ko", residence_status="留学")
    pieces.append(_grace(make_piece(Kind.CARD_RENEWAL, korean, piece_id="P12"), "card", stay_capped=True))
    pieces.append(_grace(make_piece(Kind.CERT_RENEWAL, dataclasses.replace(korean, resident_id="R13", language="es"),
                                    piece_id="P13"), "cert"))  # fmt: skip
    # The card as マイナ保険証 after a certificate that lapsed in 2023 (its grace long ended), on the letters, the
    # notice, an insert and a grace reminder; and a certificate ending before the card, on a residence letter.
    lapsed = make_resident(resident_id="R14", name="SILVA ANA", nationality="BR", language="pt", residence_status="永住者",
                           cert_expires_on=date(2023, 2, 21))  # fmt: skip
    pieces.append(make_piece(Kind.CARD_RENEWAL, lapsed, piece_id="P14", grace_end=date(2023, 5, 31)))
    pieces.append(_grace(make_piece(Kind.CARD_RENEWAL, make_resident(resident_id="R15", cert_expires_on=date(2023, 2, 21)),
                                    piece_id="P15", grace_end=date(2023, 5, 31)), "card"))  # fmt: skip
    early = make_resident(resident_id="R16", name="SMITH JOHN", nationality="US", residence_status="留学",
                          cert_expires_on=date(2026, 12, 20))  # fmt: skip
    pieces.append(make_piece(Kind.RESIDENCE_EXTENSION, early, piece_id="P16", grace_end=date(2027, 3, 31)))
    return sorted(pieces, key=lambda p: p.piece_id)


@pytest.fixture(scope="module")
def both(renderer: Renderer) -> tuple[list[Piece], RenderedLot, RenderedLot]:
    pieces = _pieces()
    return pieces, renderer.render_lot(pieces, LETTER_DATE), renderer.render_lot(pieces, LETTER_DATE, fast=False)


def _pages(lot: RenderedLot) -> list[tuple[Counter[str], list[str], bool]]:
    """Each page's printed characters (a multiset: the two paths place them alike, but may order
    them differently in the PDF) and the codes read off it at 200 dpi."""
    document = pdfium.PdfDocument(lot.pdf)
    pages = []
    try:
        for page in document:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            image = page.render(scale=200 / 72).to_pil().convert("L")
            codes = sorted(r.text for r in zxingcpp.read_barcodes(image))
            # Devanagari's reordered clusters read back by each writer's ToUnicode map (WeasyPrint's, the fast
            # path's), which pdfium puts together differently: such a page is compared by its pixels only.
            pages.append((Counter(ch for ch in text if not ch.isspace()), codes, any("\u0900" <= ch <= "\u097f" for ch in text)))
    finally:
        document.close()
    return pages


def test_fast_pages_hold_the_same_text_and_codes_as_the_straightforward_ones(both) -> None:
    pieces, fast, natural = both
    assert fast.placements == natural.placements and fast.page_count == natural.page_count
    fast_pages, natural_pages = _pages(fast), _pages(natural)
    for number, (got, want) in enumerate(zip(fast_pages, natural_pages, strict=True), start=1):
        if not want[2]:  # a page in Devanagari is held to the pixels only (see _pages)
            assert got[0] == want[0], f"page {number}: {sorted((got[0] - want[0]).items())} {sorted((want[0] - got[0]).items())}"
        assert got[1] == want[1], f"page {number}"
    # Every page carries its page code, and every form its QR code, in both.
    codes = [c for _, page_codes, _ in fast_pages for c in page_codes]
    assert sum(c.startswith("1/") for c in codes) == fast.page_count
    assert {p.qr_payload for p in pieces if p.qr_payload} <= set(codes)


def _gray(pdf: bytes, dpi: int) -> list[np.ndarray]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(page.render(scale=dpi / 72).to_pil().convert("L"), dtype=np.int16) for page in document]
    finally:
        document.close()


def test_fast_pages_look_like_the_straightforward_ones(both) -> None:
    """Pixel for pixel at 100 dpi, as WeasyPrint's own tests compare documents: no glyph moved by as much as
    half a pixel, no gap after a date, every value on its baseline. Sub-pixel differences remain (WeasyPrint
    rounds its glyph offsets; the fast path draws HarfBuzz's), so a pixel may differ by less than half."""
    pieces, fast, natural = both
    for number, (got, want) in enumerate(zip(_gray(fast.pdf, 100), _gray(natural.pdf, 100), strict=True), start=1):
        assert got.shape == want.shape
        diff = np.abs(got - want)
        assert int(diff.max()) < 128, f"page {number}: {int((diff >= 128).sum())} pixels differ"
        assert (diff > 32).mean() < 0.003, f"page {number}: {int((diff > 32).sum())} pixels differ a little"


def test_a_date_in_a_sentence_leaves_no_gap(renderer: Renderer) -> None:
    """The sentence reads on straight after the date, whatever its width: 令和9年1月1日に… and 令和9年12月28日に…"""
    for day in (date(2027, 1, 1), date(2027, 12, 28)):
        piece = make_piece(Kind.CERT_RENEWAL, piece_id="G1", expires_on=day)
        fast, natural = renderer.render_lot([piece], LETTER_DATE), renderer.render_lot([piece], LETTER_DATE, fast=False)
        page = pdfium.PdfDocument(fast.pdf)[0]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        wdate = f"{day.year}年{day.month}月{day.day}日"
        at = "".join(text.split()).index(wdate + "に有効期限を迎えます")  # no blank between the date and the sentence
        assert at > 0
        assert np.abs(_gray(fast.pdf, 100)[0] - _gray(natural.pdf, 100)[0]).max() < 128


def test_a_value_too_long_for_its_slot_takes_the_straightforward_path(renderer: Renderer, caplog) -> None:
    long_name = make_resident(name="長谷川" * 12)  # wraps in the expiry notice's one-line slot
    piece = make_piece(Kind.CARD_RENEWAL, long_name)
    with caplog.at_level(logging.INFO, logger="notices"):
        lot = renderer.render_lot([piece], LETTER_DATE)
    assert "laid out whole" in caplog.text
    document = pdfium.PdfDocument(lot.pdf)
    text = "".join("".join(page.get_textpage().get_text_range().split()) for page in document)
    assert text.count("長谷川" * 12) == 3  # the window, the notice and the form hold it whole


def test_each_shape_of_letter_is_laid_out_once(config: Config) -> None:
    renderer = Renderer(config, ROOT / "templates")
    pieces = [make_piece(Kind.CERT_RENEWAL, make_resident(resident_id=f"R{n}", name=f"若葉 {n}"), piece_id=f"P{n}",
                         expires_on=date(2027, 2, 1 + n)) for n in range(6)]  # fmt: skip
    renderer.render_lot(pieces, LETTER_DATE)
    assert renderer.backgrounds_laid_out == 1
    renderer.render_lot([dataclasses.replace(p, lot=2) for p in pieces], LETTER_DATE)
    assert renderer.backgrounds_laid_out == 1


def test_a_value_left_outside_a_slot_costs_speed_not_correctness(config: Config, tmp_path: Path) -> None:
    """A municipality's template that prints the name outside a slot must still print each
    resident's own name: the letter's shape then differs per resident, and so does its background."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    notice = templates / "expiry_notice.html"
    notice.write_text(notice.read_text(encoding="utf-8").replace("<h2>ご案内</h2>", "<h2>{{ r.name }}様へのご案内</h2>"),
                      encoding="utf-8")  # fmt: skip
    renderer = Renderer(config, templates)
    names = ["若葉 一郎", "緑川 二郎", "青山 三郎"]
    pieces = [make_piece(Kind.CERT_RENEWAL, make_resident(resident_id=f"R{n}", name=name), piece_id=f"P{n}")
              for n, name in enumerate(names)]  # fmt: skip
    lot = renderer.render_lot(pieces, LETTER_DATE)
    assert renderer.backgrounds_laid_out == 3
    document = pdfium.PdfDocument(lot.pdf)
    for name, placement in zip(names, lot.placements, strict=True):
        text = document[placement.first_page].get_textpage().get_text_range()  # the expiry notice
        assert f"{name}様へのご案内" in text
        assert all(f"{other}様へ" not in text for other in names if other != name)


def test_certificates_that_lapsed_on_many_days_lay_out_no_paragraph_a_resident(config: Config) -> None:
    """Card renewals of residents whose certificates lapsed on twenty different days, or are to end before the card
    on twenty different days: their マイナ保険証 sentences hold no date of the resident's own, so the lot lays out
    as many paragraphs as a lot of twenty with one such date (a few), not one a resident."""
    def lot(days: list[date]) -> int:
        renderer = Renderer(config, ROOT / "templates")
        pieces = [make_piece(Kind.CARD_RENEWAL, make_resident(resident_id=f"R{n}", cert_expires_on=day), piece_id=f"P{n}",
                             grace_end=dates.grace_end(day)) for n, day in enumerate(days)]  # fmt: skip
        renderer.render_lot(pieces, LETTER_DATE)
        return renderer._fast.paragraphs.laid_out

    lapsed = [date(2023, 2, 1) + timedelta(days=n) for n in range(20)]  # the grace ended 2023-05-31
    ending = [date(2026, 12, 1) + timedelta(days=n) for n in range(20)]  # before the card (2027-02-10); grace 2027-03-31
    assert lot(lapsed) == lot([lapsed[0]] * 20)
    assert lot(ending) == lot([ending[0]] * 20)


def test_a_date_in_a_box_as_wide_as_its_content_keeps_its_width(renderer: Renderer, config: Config) -> None:
    """The foreign page's date stands in a float as wide as its content. Where another paragraph of the piece is a
    line shorter than with the widest dates, the date's box keeps the widest date's width: it once shrank to the
    sender's name, and "Nobyembre 26, 2026" ran into the margin."""
    santos = make_resident(resident_id="R20", name="SANTOS MARIA", nationality="PH", language="tl", residence_status="家族滞在")
    piece = make_piece(Kind.RESIDENCE_EXTENSION, santos, piece_id="P20", expires_on=date(2027, 2, 11),
                       renewal_from=date(2026, 11, 12), grace_end=date(2027, 5, 31))  # fmt: skip
    piece = dataclasses.replace(piece, due=dataclasses.replace(piece.due, card_expires_on=date(2027, 2, 11),
                                                               cert_expires_on=date(2027, 2, 11), stay_capped=True))  # fmt: skip
    fast, natural = renderer.render_lot([piece], LETTER_DATE), renderer.render_lot([piece], LETTER_DATE, fast=False)
    assert preflight.checked(fast, [piece], config).problems == ()
    for number, (got, want) in enumerate(zip(_gray(fast.pdf, 100), _gray(natural.pdf, 100), strict=True), start=1):
        diff = np.abs(got - want)
        assert int(diff.max()) < 128, f"page {number}: {int((diff >= 128).sum())} pixels differ"
