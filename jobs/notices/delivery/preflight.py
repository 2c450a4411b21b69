"""The preflight of our own output (issue 15): each lot PDF checked as the print vendor's preflight would, before
the run seals its folder, and again by `notices preflight FOLDER`.

What is checked, naming the lot file, the page and the piece of every problem:
- the pages the manifest gives the pieces are the PDF's pages, and no piece has more than `[print]
  max_pages_per_piece`;
- every page is A4 within 1 mm; every font is embedded (also inside the backgrounds' form XObjects);
- no ink nearer the sheet's edges than `[print] margin_mm`: each page rasterised at 100 dpi with the printable
  area painted out, as GOV.UK Notify checks letters, and nothing may be left;
- on each piece's first page, the address block inside the envelope window: ink in the window, and none around it
  up to the sender block and the letter's title; the customer barcode read from the window at 300 dpi, its bars
  measured into their four kinds, equal to the one of the piece's address (or, where the address is not known,
  as `notices preflight` reads a folder, a barcode that decodes, check digit and all, to the piece's postal code);
- at 300 dpi, the page code of every page (lot/piece/page/pages) and the application form's QR code (the online
  application address with the piece's application ID);
- a PDF/X variant's own requirements that can be checked here: its output intent, its version in the metadata,
  a TrimBox on every page, the Trapped key.

The pages are rasterised to the pixels of the composed page, from each page's own drawing and its background apart
where they can be (sheets.py): pdfium then parses each background once a lot rather than on each of its pages.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf

from . import pdfcheck, raster
from .sheets import Sheet, Sheets
from ..config import A4_MM, Config
from ..errors import NotFoundError
from ..kinds import Kind
from ..letters import envelope, pagecode
from ..models import Piece, Placement, RenderedLot, lot_file
from ..reports.report import read_rows

INK_DPI = 100  # a hairline greys its pixel all the same; a ninth of the pixels of print resolution
PRINT_DPI = 300  # the codes are read as the vendor's cameras see them
# Around the window, what must stay blank: up to the sender block on its right and the title below it.
AROUND_MM = (15.0, 15.0, envelope.SENDER_GAP_MM - 1.0, envelope.HEAD_GAP_MM - 1.0)  # left, top, right, bottom
QR_SHIFT_MM = 1.0  # a later form's QR code read where the first form's was, at most this far from it
MAX_REPORTED = 20  # problems a refused run names in its message (the log has them all)


@dataclass(frozen=True)
class Expected:
    """What one piece of a lot must show: its pages, its page codes, its window and its form's QR code."""

    piece_id: str
    lot: int
    first_page: int  # from 1
    page_count: int
    kind: str
    postal_code: str
    qr_payload: str = ""  # the application form's QR code; "" when the piece has no form
    bars: str | None = None  # the customer barcode's 67 bars ("" for none); None: the address is not known


@dataclass(frozen=True)
class Problem:
    """One thing a vendor's preflight would refuse, where it is."""

    pdf: str
    page: int | None
    piece_id: str | None
    what: str

    def __str__(self) -> str:
        where = self.pdf + (f" page {self.page}" if self.page else "") + (f" (piece {self.piece_id})" if self.piece_id else "")
        return f"{where}: {self.what}"


def expected(piece: Piece, placement: Placement, config: Config) -> Expected:
    """What a piece the run has just rendered must show, its address's barcode included."""
    code = envelope.customer_code(piece.due.addressee)
    return Expected(piece.piece_id, piece.lot, placement.first_page, placement.page_count, piece.due.kind.value,
                    piece.due.addressee.postal_code, config.qr_payload(piece.application_id) if piece.application_id else "",
                    code.bars if code else "")  # fmt: skip


def checked(lot: RenderedLot, pieces: Sequence[Piece], config: Config) -> RenderedLot:
    """LOT, just rendered from PIECES, with the problems the preflight finds in it."""
    wanted = [expected(p, place, config) for p, place in zip(pieces, lot.placements, strict=True)]
    return replace(lot, problems=tuple(map(str, check_lot(lot.pdf, lot_file(pieces[0].lot), wanted, config))))


def from_manifest(rows: Iterable[dict[str, str]], config: Config) -> list[Expected]:
    """What the pieces of manifest.csv rows must show (their addresses are not in it: bars=None)."""
    return [Expected(r["piece_id"], int(r["lot"]), int(r["first_page"]), int(r["page_count"]), r["kind"],
                     r["postal_code"].lstrip("'"), config.qr_payload(r["application_id"]) if r["application_id"] else "")
            for r in rows]  # fmt: skip


def check_lot(data: bytes, name: str, pieces: Sequence[Expected], config: Config) -> list[Problem]:
    """Every problem of the lot file NAME (its bytes DATA) holding PIECES, in page order."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [Problem(name, None, None, f"not a readable PDF ({exc})")]
    owner = {first: p for p in pieces for first in range(p.first_page, p.first_page + p.page_count)}
    found = _Found(name, owner)
    with pdf:
        pdfcheck.check(found.add, pdf, [(p.first_page, p.page_count) for p in pieces], config)
    with Sheets(data) as sheets:
        for number in range(1, len(sheets) + 1):
            page = sheets.page(number)
            try:
                _check_raster(found, page, number, config)
            finally:
                page.close()
    return sorted(found.problems, key=lambda p: (p.page or 0))


class _Found:
    """The problems of one lot file as they are found, each with the piece its page belongs to."""

    def __init__(self, name: str, owner: dict[int, Expected]) -> None:
        self.name, self.owner = name, owner
        self.problems: list[Problem] = []
        # Where the lot's first form of a kind had its one QR code: the code's box, and the region it was read from.
        self.qr_at: dict[str, tuple[raster.Region, raster.Region]] = {}

    def add(self, page: int | None, what: str) -> None:
        piece = self.owner.get(page) if page else None
        self.problems.append(Problem(self.name, page, piece.piece_id if piece else None, what))


def _check_raster(found: _Found, page: Sheet, number: int, config: Config) -> None:
    """The page as printed: ink within the margins, its page code, and on a piece's pages the window and the QR."""
    piece = found.owner.get(number)
    m = config.print_margin_mm
    outside = [extent for extent in map(_ink_extent, (page.render(INK_DPI, strip) for strip in _margins(m)))
               if extent is not None]  # only the margins are rasterised: a fraction of the page's pixels
    if outside:
        left, top = min(e[0] for e in outside), min(e[1] for e in outside)
        right, bottom = max(e[2] for e in outside), max(e[3] for e in outside)
        found.add(number, f"ink outside the printable area ([print] margin_mm = {m:g}), within {left:.1f}-{right:.1f} mm "
                  f"from the left edge and {top:.1f}-{bottom:.1f} mm from the top")  # fmt: skip
    if piece is None:
        return
    want = pagecode.payload(piece.lot, piece.piece_id, number - piece.first_page + 1, piece.page_count)
    read = [text for text, _ in raster.codes(page.render(PRINT_DPI, pagecode.REGION_MM))]
    if read != [want]:
        found.add(number, f"the page code does not read {want} at {PRINT_DPI} dpi (read: {', '.join(read) or 'nothing'})")
    if number == piece.first_page:
        _check_window(found, page, number, piece, config)
    if piece.qr_payload and number == piece.first_page + Kind(piece.kind).spec.sheets:
        read = _form_qr(found, page, piece)
        if read != [piece.qr_payload]:
            found.add(number, f"the application form's QR code does not read {piece.qr_payload} at {PRINT_DPI} dpi "
                      f"(read: {', '.join(read) or 'nothing'})")  # fmt: skip


def _form_qr(found: _Found, page: Sheet, piece: Expected) -> list[str]:
    """The QR codes of a piece's application form read at PRINT_DPI. Where the lot's first form of the kind had its
    one code (the same layout), the piece's is read first: if it reads as it must, there and nowhere else within
    5 mm, that is all; otherwise the whole page is looked at, as for that first form (a tenth of the cost: the
    page rasterised at INK_DPI and searched). What the shortcut does not look for is a second, stray QR code
    elsewhere on a later form: the first form of each kind in each lot is searched whole."""
    box, where = found.qr_at.get(piece.kind, (None, None))
    if box is not None and where is not None:
        read = [(text, at) for text, micro, at in raster.found_codes(page.render(PRINT_DPI, where)) if not micro]
        if len(read) == 1 and read[0][0] == piece.qr_payload and _near(read[0][1], box, QR_SHIFT_MM):
            return [piece.qr_payload]
    located = raster.qr_codes(page.render, page.render(INK_DPI), PRINT_DPI)
    if [text for text, _, _ in located] == [piece.qr_payload]:
        found.qr_at.setdefault(piece.kind, located[0][1:])  # the first form's place, whatever a later one's
    return [text for text, _, _ in located]


def _near(a: raster.Region, b: raster.Region, mm: float) -> bool:
    return all(abs(x - y) <= mm for x, y in zip(a, b, strict=True))


def _margins(m: float) -> tuple[tuple[float, float, float, float], ...]:
    """The four strips of the sheet outside the printable area, M mm wide (left, top, right, bottom in mm)."""
    width, height = A4_MM
    return ((0.0, 0.0, width, m), (0.0, height - m, width, height), (0.0, m, m, height - m), (width - m, m, width, height - m))


def _ink_extent(strip: raster.Raster) -> tuple[float, float, float, float] | None:
    ink = strip.ink()
    return strip.extent_mm(ink) if ink.any() else None


def _window(config: Config) -> tuple[float, float, float, float]:
    """The envelope window: left, top, right, bottom in mm from the sheet's top-left corner."""
    return (config.window_left_mm, config.window_top_mm, config.window_left_mm + config.window_width_mm,
            config.window_top_mm + config.window_height_mm)  # fmt: skip


def _check_window(found: _Found, page: Sheet, number: int, piece: Expected, config: Config) -> None:
    """The address block lies inside the envelope window, and its customer barcode reads as the piece's."""
    left, top, right, bottom = window = _window(config)
    m = config.print_margin_mm
    around = (max(m, left - AROUND_MM[0]), max(m, top - AROUND_MM[1]), right + AROUND_MM[2], bottom + AROUND_MM[3])
    ink_raster = page.render(INK_DPI, around)
    ink = ink_raster.ink()
    if not ink[ink_raster.box(*window)].any():
        found.add(number, "nothing printed in the envelope window")
    spilt = ink.copy()  # the raster is the window and what is around it, up to the sender block and the letter
    spilt[ink_raster.box(*window)] = False
    if spilt.any():
        x0, y0, x1, y1 = ink_raster.extent_mm(spilt)
        found.add(number, f"the address block runs outside the envelope window ({left:g}-{right:g} x {top:g}-{bottom:g} mm"
                  f" from the left and top edges): ink at {x0:.1f}-{x1:.1f} x {y0:.1f}-{y1:.1f} mm")  # fmt: skip
    # Read where the letter places it, the bottom of the window (envelope.py): a fifth of the window's pixels.
    band = (left, bottom - envelope.BARCODE_BOTTOM_MM - envelope.BARCODE_H_MM - 1.0, right, bottom)
    bars = raster.read_bars(page.render(PRINT_DPI, band))
    if piece.bars is not None:
        if bars != piece.bars:
            found.add(number, f"the customer barcode reads {raster.describe(bars)}, not {raster.describe(piece.bars)}")
        return
    characters = raster.describe(bars).split()
    if piece.postal_code.endswith("00"):  # a representative postal code gets none
        if bars:
            found.add(number, f"a customer barcode ({' '.join(characters)}) for a representative postal code")
    elif not bars or "".join(characters[:7]) != piece.postal_code:
        found.add(number, f"the customer barcode reads {raster.describe(bars)}, not the postal code {piece.postal_code}")


def check_folder(folder: Path, config: Config) -> list[Problem]:
    """Every problem of every lot of a run folder, by its manifest.csv."""
    rows = read_rows(folder / "manifest.csv")
    if not rows:
        raise NotFoundError(f"{folder}: no manifest.csv with pieces: not a run folder")
    lots: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        lots.setdefault(row["pdf"], []).append(row)
    problems = []
    for name, lot_rows in lots.items():
        try:
            data = (folder / name).read_bytes()
        except OSError as exc:
            problems.append(Problem(name, None, None, f"cannot be read ({exc.strerror})"))
            continue
        problems += check_lot(data, name, from_manifest(lot_rows, config), config)
    return problems


def summary(problems: Sequence[object]) -> str:
    """The problems as one message: the first MAX_REPORTED, one a line, and how many more."""
    lines = [str(p) for p in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        lines.append(f"… and {len(problems) - MAX_REPORTED} more")
    return "\n".join(lines)
