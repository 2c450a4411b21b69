"""A lot's pages rasterised from their own drawing and their background apart (delivery/sheets.py): every region the
preflight reads is the composed page's, pixel for pixel, and the preflight finds what it finds on the composed pages,
whatever ink a background or a page's own drawing has where."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable, Iterator
from datetime import date

import numpy as np
import pikepdf
import pytest
from conftest import make_piece, make_resident

from notices.config import Config
from notices.delivery import preflight, raster, sheets
from notices.letters.render import Renderer
from notices.models import Kind, Piece, RenderedLot

AS_OF = date(2026, 11, 26)
MM = 72 / 25.4
HEIGHT = 297 * MM


def _rect(left: float, top: float, right: float, bottom: float, grey: float = 0.0) -> bytes:
    """Operators filling a rectangle given in mm from the sheet's top-left corner, in GREY."""
    return (f"\nq {grey:g} g {left * MM:.3f} {HEIGHT - bottom * MM:.3f} {(right - left) * MM:.3f} "
            f"{(bottom - top) * MM:.3f} re f Q\n").encode("ascii")  # fmt: skip


@pytest.fixture(scope="module")
def lot(renderer: Renderer) -> tuple[RenderedLot, list[Piece]]:
    """A lot of card renewals (with their forms) and certificate renewals, backgrounds shared by several pieces."""
    people = [("山田 太郎", "架空県若葉町緑町二丁目3番4号"), ("佐藤 花子", "架空県若葉町緑町二丁目3番5号"),
              ("鈴木 一郎", "架空県若葉町緑町二丁目3番6号")]  # fmt: skip
    pieces = [make_piece(kind, make_resident(resident_id=f"R{n:010d}", name=name, address=address),
                         piece_id=f"00001-{n:06d}", application_id=f"9999971234567890123456{n}")
              for n, (kind, (name, address)) in enumerate(
                  [(kind, person) for kind in (Kind.CARD_RENEWAL, Kind.CERT_RENEWAL) for person in people], start=1)]  # fmt: skip
    return renderer.render_lot(pieces, AS_OF), pieces


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Every region a Sheet rasterises, held to the composed page's pixels; yields, for each, whether it was made
    without loading the composed page."""
    made: list[bool] = []
    render = sheets.Sheet.render

    def checked(self: sheets.Sheet, dpi: float, region: raster.Region | None = None) -> raster.Raster:
        found = render(self, dpi, region)
        page = self._sheets.composed[self.number - 1]
        try:
            composed = raster.render(page, dpi, region)
        finally:
            page.close()
        assert (found.left, found.top, found.dpi) == (composed.left, composed.top, composed.dpi)
        assert found.grey.shape == composed.grey.shape and np.array_equal(found.grey, composed.grey), (self.number, region)
        made.append(self._composed is None)
        return found

    monkeypatch.setattr(sheets.Sheet, "render", checked)
    yield made


def _problems(lot: RenderedLot, pieces: list[Piece], config: Config) -> tuple[str, ...]:
    return preflight.checked(lot, pieces, config).problems


def _composed_only(lot: RenderedLot, pieces: list[Piece], config: Config) -> tuple[str, ...]:
    """The problems when every page is rasterised as composed (no page split from its background)."""
    split = sheets._split
    sheets._split = lambda data: None  # type: ignore[assignment]
    try:
        return _problems(lot, pieces, config)
    finally:
        sheets._split = split


def _edited(lot: RenderedLot, change: Callable[[pikepdf.Pdf], None]) -> RenderedLot:
    with pikepdf.open(io.BytesIO(lot.pdf)) as pdf:
        change(pdf)
        buffer = io.BytesIO()
        pdf.save(buffer)
    return dataclasses.replace(lot, pdf=buffer.getvalue())


def _background(pdf: pikepdf.Pdf, number: int) -> pikepdf.Stream:
    """The background form XObject page NUMBER draws first."""
    name = re.match(rb"q (/\w+) Do Q\n", pdf.pages[number - 1].obj.Contents.read_bytes())
    assert name is not None
    return pdf.pages[number - 1].Resources.XObject[name.group(1).decode("ascii")]


def test_every_region_the_preflight_reads_is_the_composed_pages(lot: tuple[RenderedLot, list[Piece]], config: Config,
                                                               compared: list[bool]) -> None:  # fmt: skip
    rendered, pieces = lot
    with sheets.Sheets(rendered.pdf) as split:
        assert None not in split.background and len(set(split.background)) < len(split)  # all split, some shared
    assert _problems(rendered, pieces, config) == ()
    # Margins, page codes, windows, barcodes and the later forms' QR codes from the own drawing; the composed page
    # loaded only for each kind's first form, searched whole.
    assert len(compared) > 8 * len(pieces) and compared.count(False) <= 2, compared


# Ink put in a background (under every page that draws it) or in page 1's own drawing, where the preflight looks.
EDITS: dict[str, list[tuple[str, bytes]]] = {
    "background in the margin": [("background", _rect(1, 100, 3, 102))],
    "background over the page code": [("background", _rect(19, 278, 32, 290))],
    "background around the window": [("background", _rect(10, 30, 12, 32))],
    "background under the address, grey": [("background", _rect(20, 15, 110, 60, grey=0.6))],
    "own drawing in the margin": [("own", _rect(200, 150, 209, 160))],
    "own drawing over the barcode": [("own", _rect(20, 52, 110, 54, grey=1.0))],
    # Painted white over the background's ink: left white on white paper, but drawn on (white on black paper).
    "own drawing white over the background's": [("background", _rect(1, 100, 3, 102)),
                                                ("own", _rect(0.5, 99.5, 3.5, 102.5, grey=1.0))],
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_the_preflight_finds_on_split_pages_what_it_finds_on_composed_ones(lot: tuple[RenderedLot, list[Piece]],
                                                                        config: Config, edit: str,
                                                                        compared: list[bool]) -> None:  # fmt: skip
    rendered, pieces = lot

    def change(pdf: pikepdf.Pdf) -> None:
        for where, operators in EDITS[edit]:
            if where == "background":  # drawn first: the background's own operators leave its space flipped
                stream = _background(pdf, 1)
                stream.write(operators + stream.read_bytes())
            else:
                stream = pdf.pages[0].obj.Contents
                stream.write(stream.read_bytes() + operators)

    broken = _edited(rendered, change)
    with sheets.Sheets(broken.pdf) as split:
        assert None not in split.background  # a page's own drawing changed in its one stream: still split
    problems = _problems(broken, pieces, config)
    assert problems and problems == _composed_only(broken, pieces, config)
    assert all(p.startswith("lot-0001.pdf page ") for p in problems)
    pages = {p.split(" (")[0] for p in problems}
    if {where for where, _ in EDITS[edit]} == {"own"}:  # on the one page
        assert pages == {"lot-0001.pdf page 1"}, problems
    if "white over" in edit:  # the margin's ink on the other pages of its background, not on page 1
        assert "lot-0001.pdf page 1" not in pages and len(pages) >= 2, problems


def test_a_page_with_an_annotation_is_read_composed(lot: tuple[RenderedLot, list[Piece]], config: Config,
                                                    compared: list[bool]) -> None:  # fmt: skip
    """An annotation is drawn over its page: the page is read composed, and the page with its background alone
    (a copy of the first page that draws it) does not carry it to the others."""
    rendered, pieces = lot

    def annotate(pdf: pikepdf.Pdf) -> None:
        _background(pdf, 1).write(_rect(1, 100, 3, 102) + _background(pdf, 1).read_bytes())
        appearance = pdf.make_stream(b"1 g 0 0 20 20 re f", BBox=[0, 0, 20, 20], Type=pikepdf.Name.XObject,
                                     Subtype=pikepdf.Name.Form)  # fmt: skip
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[0, HEIGHT - 110 * MM, 20, HEIGHT - 90 * MM],
            F=4, AP=pikepdf.Dictionary(N=appearance)))]))  # fmt: skip

    broken = _edited(rendered, annotate)
    with sheets.Sheets(broken.pdf) as split:
        assert split.background[0] is None and None not in split.background[1:]
    problems = _problems(broken, pieces, config)
    assert problems == _composed_only(broken, pieces, config)
    assert "lot-0001.pdf page 1" not in {p.split(" (")[0] for p in problems} and problems  # painted over there


def test_pages_drawing_one_background_with_other_resources_have_a_background_page_each(
        lot: tuple[RenderedLot, list[Piece]], config: Config, compared: list[bool]) -> None:  # fmt: skip
    """A form without resources of its own draws with its page's: pages whose resources differ are not split onto
    one background page."""
    rendered, pieces = lot

    def own_resources(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[4]  # the second piece's first page: the same background as page 1
        page.obj.Resources = pdf.make_indirect(pikepdf.Dictionary(page.obj.Resources))

    broken = _edited(rendered, own_resources)
    with sheets.Sheets(broken.pdf) as split:
        assert None not in split.background and split.background[4] != split.background[0]
    with sheets.Sheets(rendered.pdf) as split:
        assert split.background[4] == split.background[0]
    assert _problems(broken, pieces, config) == () == _composed_only(broken, pieces, config)


def test_a_page_that_does_not_begin_with_its_background_is_read_composed(lot: tuple[RenderedLot, list[Piece]],
                                                                       config: Config, compared: list[bool]) -> None:  # fmt: skip
    rendered, pieces = lot
    broken = _edited(rendered, lambda pdf: pdf.pages[0].contents_add(pikepdf.Stream(pdf, _rect(1, 100, 3, 102))))
    with sheets.Sheets(broken.pdf) as split:
        assert split.background[0] is None and None not in split.background[1:]
    problems = _problems(broken, pieces, config)
    assert [p.split(":")[0] for p in problems] == ["lot-0001.pdf page 1 (piece 00001-000001)"], problems


def test_a_page_of_another_size_has_its_background_drawn_at_that_size(lot: tuple[RenderedLot, list[Piece]],
                                                                     config: Config, compared: list[bool]) -> None:  # fmt: skip
    rendered, pieces = lot
    broken = _edited(rendered, lambda pdf: setattr(pdf.pages[0], "mediabox", pikepdf.Array([0, 0, 612, 792])))
    with sheets.Sheets(broken.pdf) as split:
        assert None not in split.background and split.background[0] not in split.background[1:]
    problems = _problems(broken, pieces, config)
    assert problems == _composed_only(broken, pieces, config)
    assert any(p.startswith("lot-0001.pdf page 1 ") and "not A4" in p for p in problems), problems


def test_a_page_pikepdf_cannot_read_leaves_the_lot_read_composed(lot: tuple[RenderedLot, list[Piece]],
                                                                 config: Config) -> None:  # fmt: skip
    """A content stream in a filter nobody knows (a hostile file given to `notices preflight`): not a crash, the
    lot read as composed, the page's problem found there."""
    rendered, pieces = lot

    def bogus(pdf: pikepdf.Pdf) -> None:
        stream = pikepdf.Stream(pdf, b"q /NoticesBackground1 Do Q\n")
        stream.Filter = pikepdf.Name("/NoSuchFilter")
        pdf.pages[0].obj.Contents = stream

    broken = _edited(rendered, bogus)
    with sheets.Sheets(broken.pdf) as split:
        assert split.own is None and set(split.background) == {None}
    problems = _problems(broken, pieces, config)
    assert problems == _composed_only(broken, pieces, config)
    assert any(p.startswith("lot-0001.pdf page 1 ") for p in problems), problems


def test_pages_that_take_their_size_from_the_page_tree_are_read_composed(lot: tuple[RenderedLot, list[Piece]],
                                                                         config: Config) -> None:  # fmt: skip
    """pikepdf would push a size the page tree holds down to its pages, pdfium looks it up each page's /Parent:
    pages that do not hold their own are read composed, whatever either makes of the tree."""
    rendered, pieces = lot

    def inherit(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.MediaBox = pdf.pages[0].obj.MediaBox
        for page in pdf.pages:
            del page.obj["/MediaBox"]

    broken = _edited(rendered, inherit)
    with sheets.Sheets(broken.pdf) as split:
        assert split.own is None and set(split.background) == {None}
    assert _problems(broken, pieces, config) == _composed_only(broken, pieces, config)
