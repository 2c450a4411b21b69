"""The preflight's checks of a lot PDF's structure (pikepdf): the pieces' pages, the page size, the fonts, and
what a PDF/X variant asks of the file. Each problem is reported as (page number or None, what is wrong)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

import pikepdf

from ..config import A4_MM, Config

Report = Callable[[int | None, str], None]  # a problem found: its page (from 1; None for the whole file) and what
PT_MM = 72 / 25.4
SIZE_TOLERANCE_MM = 1.0
# The version each variant writes in the metadata (WeasyPrint's pdfx.py: GTS_PDFXVersion).
X_VERSIONS = {"pdf/x-1a": "PDF/X-1a:2003", "pdf/x-3": "PDF/X-3:2003", "pdf/x-4": "PDF/X-4", "pdf/x-5g": "PDF/X-5g"}


def check(report: Report, pdf: pikepdf.Pdf, pieces: Sequence[tuple[int, int]], config: Config) -> None:
    """Report what is wrong with PDF, whose pieces take (first page, page count) each, for CONFIG's vendor."""
    _pages(report, len(pdf.pages), pieces, config.max_pages_per_piece)
    for index, page in enumerate(pdf.pages):
        _size(report, index + 1, page, bool(config.pdf_variant))
    _fonts(report, pdf)
    if config.pdf_variant:
        _variant(report, pdf, config.pdf_variant)


def _pages(report: Report, pages: int, pieces: Sequence[tuple[int, int]], most: int) -> None:
    """The pieces take the PDF's pages in order, each within the vendor's limit."""
    next_page = 1
    for first, count in pieces:
        if first != next_page:
            report(first, f"the manifest puts the piece on page {first}, after page {next_page - 1}")
        if count > most:
            report(first, f"{count} pages, more than the {most} an envelope takes ([print] max_pages_per_piece)")
        next_page = first + count
    if next_page - 1 != pages:
        report(None, f"the manifest's pieces take {next_page - 1} pages of the PDF's {pages}")


def _size(report: Report, number: int, page: pikepdf.Page, print_variant: bool) -> None:
    """The page is A4 within 1 mm (and so is its TrimBox, which a PDF/X page must have)."""
    boxes = [("MediaBox", page.mediabox)]
    if "/TrimBox" in page.obj:
        boxes.append(("TrimBox", page.trimbox))
    elif print_variant:
        report(number, "no TrimBox (PDF/X asks one of every page)")
    for box, (x0, y0, x1, y1) in boxes:
        size = (abs(float(x1) - float(x0)) / PT_MM, abs(float(y1) - float(y0)) / PT_MM)
        if any(abs(got - a4) > SIZE_TOLERANCE_MM for got, a4 in zip(size, A4_MM)):
            report(number, f"{box} {size[0]:.1f} x {size[1]:.1f} mm, not A4 (210 x 297 mm)")


def _used_fonts(resources: object, seen: set[tuple[int, int]]) -> Iterator[pikepdf.Object]:
    """The fonts of RESOURCES and of the form XObjects they draw, each resource dictionary and form once."""
    if not isinstance(resources, pikepdf.Dictionary):
        return
    if resources.is_indirect:
        if resources.objgen in seen:
            return
        seen.add(resources.objgen)
    yield from resources.get("/Font", pikepdf.Dictionary()).values()
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from _used_fonts(xobject.get("/Resources"), seen)


def _embedded(font: pikepdf.Object) -> bool:
    """True if the font's program is in the file (a Type 3 font draws its glyphs itself)."""
    if font.get("/Subtype") == "/Type3":
        return True
    if font.get("/Subtype") == "/Type0":
        font = font.DescendantFonts[0]
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, pikepdf.Dictionary) and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _fonts(report: Report, pdf: pikepdf.Pdf) -> None:
    """Every font of every page is embedded: one that is not is named once, on the first page that uses it."""
    seen: set[tuple[int, int]] = set()
    named: set[str] = set()
    for index, page in enumerate(pdf.pages):
        for font in _used_fonts(page.obj.get("/Resources"), seen):
            base = str(font.get("/BaseFont", "/(unnamed)"))[1:]
            if base not in named and not _embedded(font):
                named.add(base)
                report(index + 1, f"font {base} is not embedded")


def _variant(report: Report, pdf: pikepdf.Pdf, variant: str) -> None:
    """What a PDF/X variant asks of the file that can be checked here: output intent, version, Trapped."""
    intents = pdf.Root.get("/OutputIntents")
    if not isinstance(intents, pikepdf.Array) or not any(
            i.get("/S") == "/GTS_PDFX" and isinstance(i.get("/DestOutputProfile"), pikepdf.Stream) for i in intents):
        report(None, f"{variant}: no output intent (OutputIntents with a GTS_PDFX profile)")
    wanted = X_VERSIONS[variant]
    metadata = pdf.Root.get("/Metadata")
    xmp = metadata.read_bytes().decode("utf-8", "replace") if isinstance(metadata, pikepdf.Stream) else ""
    if not re.search(rf"GTS_PDFXVersion>{re.escape(wanted)}<", xmp) and str(pdf.docinfo.get("/GTS_PDFXVersion", "")) != wanted:
        report(None, f"{variant}: the metadata do not give the version {wanted}")
    if "/Trapped" not in pdf.docinfo:
        report(None, f"{variant}: no Trapped key in the document information")
