"""A lot's pages rasterised for the preflight from their own drawing and their background apart, to the pixels of
the composed page, without pdfium parsing each page's background again.

Each page the fast path composes (letters/layers.py) draws its background, `q /NoticesBackgroundN Do Q` (the
letter's text as WeasyPrint laid it out, some 13 KB of operators), then its own texts and codes. pdfium parses all
of a page's content, its background's included, each time it loads the page: three quarters of the cost of
loading a lot's pages. So the lot is also read as a document of each page's own drawing, followed by a page for
each background alone, and a region of a page is rasterised as pdfium draws it, background first, on one bitmap:
- where the background leaves the region white (every pixel), the own drawing on white paper: pdfium drawing the
  composed page has painted the background to white there before drawing the rest;
- where it does not, the same with the background's pixels put back where the own drawing does not touch: a pixel
  the own drawing leaves white on white paper and black on black paper was never drawn on (any coverage, of any
  grey, changes one of the two), so the composed page keeps the background's pixel there. Should the own drawing
  touch a pixel of the background's, the composed page itself is rasterised.
The whole page, and a page that does not begin with its background alone (laid out whole, edited by hand, another
program's PDF given to `notices preflight`), are rasterised from the composed page. tests/test_sheets.py holds every
region the preflight reads of a lot to the composed page's own pixels.
"""

from __future__ import annotations

import io
import re
from types import TracebackType

import numpy as np
import pikepdf
import pypdfium2 as pdfium

from . import raster

_BACKGROUND = re.compile(rb"q (/NoticesBackground\d+) Do Q\n")  # how layers.compose begins a page
Region = raster.Region


class Sheets:
    """The pages of one lot PDF (its bytes DATA), each as a Sheet to rasterise region by region."""

    def __init__(self, data: bytes) -> None:
        self.composed = pdfium.PdfDocument(data)
        self.own: pdfium.PdfDocument | None = None
        self.background: list[int | None] = [None] * len(self.composed)  # each page's background page in `own`
        self._under: dict[tuple[int, float, Region], raster.Raster | None] = {}
        self._backgrounds: dict[int, pdfium.PdfPage] = {}
        split = _split(data)
        if split is not None:
            try:
                self.own = pdfium.PdfDocument(split[0])
            except pdfium.PdfiumError:  # read composed
                self.own = None
            else:
                self.background = split[1]

    def __len__(self) -> int:
        return len(self.composed)

    def __enter__(self) -> Sheets:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Let go of both documents and their pages."""
        for page in self._backgrounds.values():
            page.close()
        if self.own is not None:
            self.own.close()
        self.composed.close()

    def page(self, number: int) -> Sheet:
        """Page NUMBER (from 1); close it once read."""
        return Sheet(self, number)

    def under(self, background: int, dpi: float, region: Region) -> raster.Raster | None:
        """REGION of BACKGROUND (a page of `own`) at DPI, or None where it is white: rasterised once a lot."""
        key = (background, dpi, region)
        if key not in self._under:
            assert self.own is not None
            page = self._backgrounds.get(background)
            if page is None:
                page = self._backgrounds[background] = self.own[background]
            found = raster.render(page, dpi, region)
            self._under[key] = None if bool((found.grey == 255).all()) else found
        return self._under[key]


class Sheet:
    """One page of a lot, rasterised from its own drawing and its background where it can be, else as composed."""

    def __init__(self, sheets: Sheets, number: int) -> None:
        self._sheets, self.number = sheets, number
        self._composed: pdfium.PdfPage | None = None
        self._own: pdfium.PdfPage | None = None

    def render(self, dpi: float, region: Region | None = None) -> raster.Raster:
        """The page, or its REGION (mm from the sheet's top-left corner), as printed, in grey at DPI."""
        sheets = self._sheets
        background = sheets.background[self.number - 1]
        if region is not None and background is not None:
            if self._own is None:
                assert sheets.own is not None
                self._own = sheets.own[self.number - 1]
            own = raster.render(self._own, dpi, region)
            under = sheets.under(background, dpi, region)
            if under is None:
                return own
            shown = under.grey != 255
            on_black = raster.render(self._own, dpi, region, paper=0)
            if ((own.grey[shown] == 255) & (on_black.grey[shown] == 0)).all():  # the own drawing leaves them be
                return raster.Raster(np.where(shown, under.grey, own.grey), dpi, own.left, own.top)
        if self._composed is None:
            self._composed = sheets.composed[self.number - 1]
        return raster.render(self._composed, dpi, region)

    def close(self) -> None:
        """Let go of the pages loaded."""
        for page in (self._own, self._composed):
            if page is not None:
                page.close()


def _split(data: bytes) -> tuple[bytes, list[int | None]] | None:
    """DATA as a PDF of each page's own drawing (its background's Do left out), then each background alone on a
    page, and which of those each page draws (None: a page read composed); None where no page is split, or where
    pikepdf reads the file otherwise than cleanly (a file it must repair may be repaired unlike pdfium does it)."""
    try:  # the pages as the file has them: pikepdf would push attributes down the page tree, pdfium looks up it
        pdf = pikepdf.open(io.BytesIO(data), attempt_recovery=False, inherit_page_attributes=False)
    except (pikepdf.PdfError, ValueError):
        return None
    with pdf:
        try:
            split = _own_and_backgrounds(pdf)
            if split is None:
                return None
            buffer = io.BytesIO()
            # Its streams as they are (not decoded, not compressed again): a tenth of the time of writing a lot.
            pdf.save(buffer, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
        except Exception:  # noqa: BLE001 - whatever a hostile file does to the split, its pages are read composed
            return None
        return None if pdf.get_warnings() else (buffer.getvalue(), split)


def _own_and_backgrounds(pdf: pikepdf.Pdf) -> list[int | None] | None:
    """Rewrite PDF's pages that begin with their background alone to their own drawing, and add a page for each
    background (drawn with the same resources, on the same size of sheet): which each page draws, None if none."""
    if _inheriting(pdf.Root.get("/Pages")):
        return None
    count = len(pdf.pages)
    backgrounds: dict[tuple[bytes, tuple[int, int], tuple[int, int], tuple[str, ...]], tuple[int, pikepdf.Page]] = {}
    background: list[int | None] = [None] * count
    for index, page in enumerate(pdf.pages):
        contents, resources, sheet = page.obj.get("/Contents"), page.obj.get("/Resources"), _sheet(page)
        if not isinstance(contents, pikepdf.Stream) or not isinstance(resources, pikepdf.Dictionary) \
                or not resources.is_indirect or sheet is None:  # fmt: skip  (several streams: edited after composing)
            continue
        content = contents.read_bytes()
        found = _BACKGROUND.match(content)
        forms = resources.get("/XObject") if found else None
        form = forms.get(found.group(1).decode("ascii")) if found and isinstance(forms, pikepdf.Dictionary) else None
        if found is None or not isinstance(form, pikepdf.Stream):
            continue
        # The same form (not only name) with the same page resources (a form without its own draws from them), on
        # the same size of sheet.
        key = (found.group(1), form.objgen, resources.objgen, sheet)
        background[index] = backgrounds.setdefault(key, (count + len(backgrounds), page))[0]
        page.obj.Contents = pikepdf.Stream(pdf, content[found.end():])
    if not backgrounds:
        return None
    for (name, _, _, _), (_, page) in backgrounds.items():
        alone = pikepdf.Dictionary({key: page.obj[key] for key in page.obj.keys() if key not in ("/Parent", "/Contents")})
        alone.Contents = pikepdf.Stream(pdf, b"q " + name + b" Do Q\n")
        pdf.pages.append(pikepdf.Page(alone))
    return background


# What a page of ours holds (layers.compose): a page with anything else (annotations, a transparency group, actions)
# is read composed, and a background's page copies these only.
_PAGE_KEYS = frozenset(("/Type", "/Parent", "/Resources", "/Contents", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
                        "/ArtBox", "/Rotate", "/UserUnit"))  # fmt: skip


_INHERITED = ("/MediaBox", "/CropBox", "/Rotate", "/Resources")  # what a page may take from the page tree


def _inheriting(root: object) -> bool:
    """Whether a node of the page tree from ROOT down (by /Kids) holds what pages inherit (ours hold it themselves);
    a tree that is not one (a node met twice, not a dictionary, over 100,000 nodes) counts as holding it."""
    seen: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if not isinstance(node, pikepdf.Dictionary) or len(seen) > 100_000:
            return True
        if node.get("/Type") != pikepdf.Name.Pages:
            continue
        if node.is_indirect:
            if node.objgen in seen:
                return True
            seen.add(node.objgen)
        kids = node.get("/Kids")
        if any(key in node for key in _INHERITED) or not isinstance(kids, pikepdf.Array):
            return True
        pending.extend(kids)
    return False


def _sheet(page: pikepdf.Page) -> tuple[str, ...] | None:
    """What decides where PAGE's pixels fall (its boxes, rotation, unit), or None if the page holds more than a page
    of ours does, lacks its own size or resources, or if the page tree above it holds what pages inherit (pdfium
    looks up the page's /Parent links, which need not be the tree's /Kids)."""
    if not set(page.obj.keys()) <= _PAGE_KEYS or "/MediaBox" not in page.obj or "/Resources" not in page.obj:
        return None
    keys = ("/MediaBox", "/CropBox", "/Rotate", "/UserUnit")
    parent = page.obj.get("/Parent")
    for _ in range(64):  # a page tree is a few levels deep; a cycle must not hold the preflight
        if not isinstance(parent, pikepdf.Dictionary):
            return tuple(repr(page.obj.get(key)) for key in keys)
        if any(key in parent for key in _INHERITED):
            return None
        parent = parent.get("/Parent")
    return None
