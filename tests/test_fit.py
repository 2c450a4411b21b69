"""A `layout` hold decided `mail` (issue 13): the long name printed smaller, inside every box it is printed in, on
every kind and on both paths; shown on the run's proofs; a name too long even so stays held."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import make_piece, make_resident
from test_cli import MINI, folder_of, notices, rows, run
from test_decisions import _fill
from test_render import MM, _bars, _char_boxes, _grace, _inside, _window

from notices.config import Config
from notices.letters import fit, layers
from notices.letters.render import Renderer, sheet_plan
from notices.letters.slots import SPLIT
from notices.models import Decision, Kind, Piece, Review
from notices.rules import decisions, review

Rect = tuple[float, float, float, float]  # left, bottom, right, top in PDF points
JUGEMU = ("寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路の藪柑子パイポパイポパイポの"
          "シューリンガンシューリンガンのグーリンダイグーリンダイのポンポコピーのポンポコナーの長久命の長助")  # fmt: skip
LONG = "山田 " + JUGEMU[:72]  # 75 characters
TOO_LONG = "山田 " + JUGEMU + "寿限無" * 5  # 122: over fit's 120
WIDE = "架空県若葉町大字緑ヶ丘字東谷" * 9  # 126, cut to 120 below: with a 120-character name, more than the window holds
ROW = "{rid},H{rid},{name},ジュゲム,1980-02-01,1,999-00{n},{address},{extra},resident,,,,2017-02-10,,,,,,,,\n"
LETTER_DATE = date(2026, 11, 26)


def _flat(text: str) -> str:
    return "".join(text.split())


def _text(page: pdfium.PdfPage) -> str:
    return _flat(page.get_textpage().get_text_range())


def _rules(page: pdfium.PdfPage, vertical: bool = True) -> list[Rect]:
    """The page's vertical rules (a table draws a cell border each side of each row), or its long horizontal ones."""
    found = []
    for obj in page.get_objects(max_depth=8):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            left, bottom, right, top = obj.get_bounds()
            width, height = right - left, top - bottom
            if (width < 1 * MM and height > 3 * MM) if vertical else (height < 1 * MM and width > 100 * MM):
                found.append((left, bottom, right, top))
    return found


def _cells(page: pdfium.PdfPage, label: str) -> list[Rect]:
    """The table cells right of the header cells LABEL, inside their borders."""
    found = []
    for box in _char_boxes(page, label):
        x, y = (box[0][0] + box[-1][2]) / 2, (box[0][1] + box[0][3]) / 2
        row = sorted(r for r in _rules(page) if r[1] <= y <= r[3] and r[0] > x)
        if len(row) >= 2:
            found.append((row[0][2], row[0][1], row[1][0], row[0][3]))
    return found


def _assert_in_cell(page: pdfium.PdfPage, label: str, text: str, what: str) -> None:
    """TEXT on PAGE, each character inside the cell beside the header cell LABEL."""
    found = _char_boxes(page, text)
    assert found, (what, text)
    cells = [cell for cell in _cells(page, label) if all(_inside(box, cell) for box in found[0])]
    assert cells, (what, label, text, found[0][:3], _cells(page, label))


def _assert_inside(page: pdfium.PdfPage, text: str, rect: Rect, what: str) -> None:
    found = _char_boxes(page, text)
    assert found, (what, text)
    outside = [box for box in found[0] if not _inside(box, rect)]
    assert not outside, (what, text, outside[:3])


def _assert_window(page: pdfium.PdfPage, config: Config, texts: list[str]) -> None:
    """Each text in the window, ending above the barcode's quiet zone."""
    left, bottom, right, top = _window(config, page)
    bars = _bars(page)
    if bars:
        bottom = max(b[3] for b in bars) + 2 * MM  # the 2 mm quiet zone above the bars
    for text in texts:
        _assert_inside(page, text, (left, bottom, right, top), "window")


def _assert_fitted(document: pdfium.PdfDocument, first: int, piece: Piece, config: Config) -> None:
    """Every page of PIECE (from page index FIRST) that prints the name, reading or address: each whole, in its box."""
    r, kind = piece.due.resident, piece.due.kind
    _assert_window(document[first], config, [r.address, r.address_extra, r.name + "様"])
    pages = [document[first + n] for n in range(sheet_plan(piece)[2])]
    if kind in (Kind.CARD_RENEWAL, Kind.CERT_RENEWAL):
        notice = pages[1]
        _assert_in_cell(notice, "氏名", r.name, "notice")
        _assert_in_cell(notice, "フリガナ", r.name_kana, "notice")
    if piece.due.has_form:
        form = pages[2 if kind is Kind.CARD_RENEWAL else 1]
        for label, text in (("フリガナ", r.name_kana), ("氏名", r.name), ("住所", r.address), ("住所", r.address_extra)):
            if text:
                _assert_in_cell(form, label, text, "form")
    if kind is Kind.RESIDENCE_EXTENSION:  # the page in the resident's language: left of the date, above the title
        back = pages[1]
        width, height = back.get_size()
        title = max(top for _, _, _, top in _rules(back, vertical=False))  # the title's rule above it, the highest
        _assert_inside(back, r.name + "様", (20 * MM, title, width - 80 * MM, height - 20 * MM), "back")


@pytest.fixture(scope="module")
def decided_pieces() -> list[Piece]:
    """A 75-character name (and reading, address, 方書) mailed on a layout decision, on every kind."""
    japanese = make_resident(resident_id="L1", name=LONG, name_kana="ジュゲムジュゲム" * 9 + "ゴコウ",
                             address="架空県若葉町大字緑ヶ丘字東谷" * 5 + "一丁目二番", address_extra="若葉ハイツ" * 15)  # fmt: skip
    foreign = dataclasses.replace(japanese, resident_id="L2", name="NGUYEN VAN AN " * 5 + "NGUYEN", nationality="VN",
                                  language="vi", residence_status="永住者")  # fmt: skip
    chinese = dataclasses.replace(japanese, resident_id="L3", nationality="CN", language="zh", residence_status="留学")
    pieces = [make_piece(Kind.CARD_RENEWAL, japanese, piece_id="F1"), make_piece(Kind.CERT_RENEWAL, japanese, piece_id="F2"),
              make_piece(Kind.RESIDENCE_EXTENSION, chinese, piece_id="F3"),
              _grace(make_piece(Kind.CARD_RENEWAL, foreign, piece_id="F4"), "card"),  # with the insert
              make_piece(Kind.CERT_RENEWAL, foreign, piece_id="F5")]  # fmt: skip
    return [dataclasses.replace(p, due=dataclasses.replace(p.due, fit=True)) for p in pieces]


@pytest.mark.parametrize("fast", [True, False])
def test_a_decided_long_name_fits_its_boxes_on_every_kind(renderer: Renderer, config: Config, decided_pieces: list[Piece],
                                                          fast: bool, caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    with caplog.at_level(logging.INFO, logger="notices"):
        lot = renderer.render_lot(decided_pieces, LETTER_DATE, fast=fast)
    # A fitted value wrapped over lines is laid out whole by the fast path too (values.py draws a text on one
    # line only): what is checked is that every piece keeps its pages and its values their boxes, on both paths.
    document = pdfium.PdfDocument(lot.pdf)
    for piece, placement in zip(decided_pieces, lot.placements, strict=True):
        assert placement.page_count == sheet_plan(piece)[2], piece.piece_id
        _assert_fitted(document, placement.first_page - 1, piece, config)
    if fast:  # the same characters as on the straightforward path's pages (drawn in another order)
        natural = pdfium.PdfDocument(renderer.render_lot(decided_pieces, LETTER_DATE, fast=False).pdf)
        assert [Counter(_text(page)) for page in natural] == [Counter(_text(page)) for page in document]


def test_the_fitted_slots_are_as_wide_and_high_as_fit_counts(renderer: Renderer, decided_pieces: list[Piece]) -> None:
    """fit.BOXES against the slots of a fitted letter's background, as WeasyPrint lays them out."""
    px = 96 / 25.4  # CSS pixels a millimetre
    for piece, names in ((decided_pieces[0], ("notice_name", "notice_kana", "form_kana", "form_name", "form_address")),
                         (decided_pieces[2], ("foreign_name",))):  # fmt: skip
        html, _ = renderer._html([piece], LETTER_DATE, SPLIT, lot=0)
        laid = [b for b in layers.slot_boxes(renderer._document(html)).values() if "fit" in b.classes.split()]
        assert len(laid) == len(names)
        for name, box in zip(names, sorted(laid, key=lambda b: (b.page, b.top)), strict=True):
            assert fit.BOXES[name].width_mm <= box.width / px < fit.BOXES[name].width_mm + 1, name
            assert box.height / px == pytest.approx(fit.BOXES[name].height_mm, abs=0.05), name


def test_a_layout_decision_prints_smaller_only_while_the_hold_admits_it() -> None:
    due = make_piece(Kind.CARD_RENEWAL, make_resident(name=LONG)).due
    hold = Review("R1", "layout", "name has 75 characters (at most 60 fit); a decision to mail prints it smaller "
                  "(down to 6 pt)", Kind.CARD_RENEWAL, date(2027, 2, 10))  # fmt: skip
    said = Decision("R1", "layout", "mail", "", detail=hold.detail, address_hash="A")
    verdict = decisions.verdict([hold], [said], "A", LETTER_DATE)
    assert verdict.outcome == "mail" and verdict.apply(due).fit and not due.fit
    too_long = dataclasses.replace(hold, detail=f"name has 130 characters (…); {review.WITHHOLD_ONLY}")
    assert not decisions.in_force(dataclasses.replace(said, detail=too_long.detail), too_long, "A", LETTER_DATE)
    assert decisions.verdict([too_long], [dataclasses.replace(said, detail=too_long.detail)], "A",
                             LETTER_DATE).outcome == "held"  # fmt: skip


def _register(tmp: Path) -> Path:
    header = MINI.read_text(encoding="utf-8").splitlines()[0]
    lines = [ROW.format(rid="30000000001", n=31, name=LONG, address="架空県若葉町中央一丁目31番1号", extra=""),
             ROW.format(rid="30000000002", n=32, name=TOO_LONG, address="架空県若葉町中央一丁目32番1号", extra=""),
             ROW.format(rid="30000000003", n=33, name=JUGEMU + "長" * 16, address=WIDE[:120], extra=WIDE[:120]),
             ROW.format(rid="30000000004", n="3", name=LONG, address="架空県若葉町中央一丁目34番1号", extra="")]  # 〒999-003
    path = tmp / "long.csv"
    path.write_text(header + "\n" + "".join(lines), encoding="utf-8")
    return path


def test_a_layout_decision_mails_the_long_name_smaller_and_a_longer_one_stays_held(tmp_path: Path, config: Config) -> None:
    register = _register(tmp_path)
    night1 = run(tmp_path, register)
    assert night1.returncode == 0, night1.stderr
    review_csv = folder_of(night1) / "review.csv"
    held = {r["resident_id"]: r for r in rows(review_csv) if r["reason"] == "layout"}
    assert sorted(held) == [f"3000000000{n}" for n in (1, 2, 3, 4)]
    assert held["30000000001"]["detail"] == ("name has 75 characters (at most 60 fit); a decision to mail prints it "
                                             "smaller (down to 6 pt)")  # fmt: skip
    assert held["30000000002"]["detail"].endswith("longer than 120 characters: a decision can only withhold")
    assert held["30000000003"]["detail"].endswith("too long even at 6 pt (window): a decision can only withhold")

    ledger = str(tmp_path / "var" / "ledger.sqlite3")
    refused = _fill(review_csv, tmp_path / "refused.csv", {rid: {"decision": "mail"} for rid in held})
    said = notices("decide", str(refused), "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 4 and said.stderr.count("a hold for layout admits withhold, not mail") == 2, said.stderr
    decided = tmp_path / "decided.csv"  # resident 4 also goes elsewhere, to an address the window cannot hold
    decided.write_text("resident_id,reason,decision,mail_to_postal_code,mail_to_address,mail_to_name\n"
                       "30000000001,layout,mail,,,\n30000000004,layout,mail,,,\n"
                       f"30000000004,address,mail_to,9990007,{'架空県若葉町中央七丁目' * 17 + '7番7号'},若葉町役場\n",
                       encoding="utf-8")  # fmt: skip
    said = notices("decide", str(decided), "--ledger", ledger, cwd=tmp_path)  # longer than the window: refused
    assert said.returncode == 4 and "line 4, column mail_to_address: longer than the 60" in said.stderr, said.stderr
    decided.write_text("resident_id,reason,decision\n30000000001,layout,mail\n30000000004,layout,mail\n", encoding="utf-8")
    said = notices("decide", str(decided), "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 0 and "recorded 2 decision(s)" in said.stdout, said.stderr

    night2 = run(tmp_path, register, "2026-11-27")
    assert night2.returncode == 0, night2.stderr  # never exit 9 for a decided resident
    folder = folder_of(night2)
    manifest = rows(folder / "manifest.csv")
    assert [(m["resident_id"], m["kind"], m["page_count"]) for m in manifest] == [("30000000001", "card_renewal", "4")]
    assert sorted((r["resident_id"], r["reason"]) for r in rows(folder / "review.csv")) == [
        ("30000000002", "layout"), ("30000000003", "layout"), ("30000000004", "address"), ("30000000004", "layout")]
    piece = manifest[0]
    document = pdfium.PdfDocument(folder / piece["pdf"])
    first = int(piece["first_page"]) - 1
    assert _flat(LONG) in _text(document[first]) and _flat(LONG) in _text(document[first + 1])
    resident = make_resident(name=LONG, name_kana="ジュゲム", postal_code="9990031", address="架空県若葉町中央一丁目31番1号",
                             address_extra="")  # fmt: skip
    _assert_fitted(document, first, make_piece(Kind.CARD_RENEWAL, resident), config)
    proof = f"proofs/layout-{piece['piece_id']}.png"
    assert (folder / proof).is_file() and f"  {proof}\n" in (folder / "SHA256SUMS").read_text(encoding="utf-8")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert f'data-layout-proof="{piece["piece_id"]}"' in html and proof in html and 'data-count="layout_proofs">1<' in html
    assert LONG not in html  # the report holds IDs, never names
