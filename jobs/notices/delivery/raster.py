"""Reading a lot's pages back as a printer would see them: rasters of pages and regions (pdfium), where ink
lies, the codes zxing-cpp reads, and the customer barcode's bars measured into their four kinds.

Regions are given in mm from the sheet's top-left corner, as the configuration gives the envelope window.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import zxingcpp

from ..letters import barcode

INK_LEVEL = 250  # a pixel darker than this (of 255, white) carries ink
PT_MM = 72 / 25.4
_QR_FORMATS = [zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode]
# The customer barcode's bars at any scale the manual allows (0.8-1.15): width, pitch, and the half height of
# the timing bar (0.6 mm at scale 1) against that of a long one (1.8 mm): a bar reaching more than
# ASCENT_MM above or below the timing zone's middle is long or semi-long on that side.
BAR_WIDTH_MM = (0.3, 0.9)
BAR_PITCH_MM = (0.8, 1.6)
ASCENT_MM = 1.2


Region = tuple[float, float, float, float]  # left, top, right, bottom in mm from the sheet's top-left corner


@dataclass(frozen=True)
class Raster:
    """A region of a page in grey (0 black to 255 white), DPI dots an inch, its top-left corner at LEFT, TOP mm."""

    grey: np.ndarray
    dpi: float
    left: float = 0.0
    top: float = 0.0

    @property
    def px_mm(self) -> float:
        """Pixels a millimetre."""
        return self.dpi / 25.4

    def ink(self) -> np.ndarray:
        """Which pixels carry ink."""
        return self.grey < INK_LEVEL

    def box(self, left: float, top: float, right: float, bottom: float) -> tuple[slice, slice]:
        """The pixels of a rectangle in mm from the sheet's corner, rounded outward (row slice, column slice)."""
        x0, x1 = (left - self.left) * self.px_mm, (right - self.left) * self.px_mm
        y0, y1 = (top - self.top) * self.px_mm, (bottom - self.top) * self.px_mm
        return slice(max(0, int(np.floor(y0))), max(0, int(np.ceil(y1)))), \
            slice(max(0, int(np.floor(x0))), max(0, int(np.ceil(x1))))  # fmt: skip

    def extent_mm(self, ink: np.ndarray) -> tuple[float, float, float, float]:
        """The bounding box (left, top, right, bottom) in mm from the sheet's corner of the pixels set in INK."""
        rows, columns = np.nonzero(ink)
        scale = self.px_mm
        return (self.left + columns.min() / scale, self.top + rows.min() / scale,
                self.left + (columns.max() + 1) / scale, self.top + (rows.max() + 1) / scale)  # fmt: skip


def render(page: pdfium.PdfPage, dpi: float, region: tuple[float, float, float, float] | None = None,
           paper: int = 255) -> Raster:  # fmt: skip
    """PAGE, or the REGION (left, top, right, bottom in mm) of it, rasterised in grey at DPI on paper of grey PAPER.

    The pixels of pypdfium2's `page.render(scale=dpi / 72, crop=…, grayscale=True)` (tests/test_raster.py holds them
    to it), drawn by pdfium straight into an array: a lot's preflight renders 2,000 regions, and the helper's
    bitmap objects, fill and finalizers were half of each one's time."""
    scale = dpi / 72
    width, height = page.get_size()
    full_width, full_height = math.ceil(width * scale), math.ceil(height * scale)
    left = top = 0.0
    crop = (0, 0, 0, 0)
    if region is not None:
        left, top, right, bottom = region
        crop = tuple(math.ceil(c * scale) for c in (left * PT_MM, height - bottom * PT_MM, width - right * PT_MM,
                                                    top * PT_MM))  # fmt: skip
    columns, rows = full_width - crop[0] - crop[2], full_height - crop[1] - crop[3]
    if columns < 1 or rows < 1:
        raise ValueError(f"region {region} is not on the page")
    stride = -(-columns // 4) * 4  # pdfium's rows start on 4 bytes
    grey = np.full((rows, stride), paper, dtype=np.uint8)
    bitmap = pdfium_c.FPDFBitmap_CreateEx(columns, rows, pdfium_c.FPDFBitmap_Gray, grey.ctypes.data_as(ctypes.c_void_p),
                                          stride)  # fmt: skip
    if not bitmap:
        raise MemoryError(f"pdfium could not make a {columns} x {rows} bitmap")
    try:
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page.raw, -crop[0], -crop[3], full_width, full_height, 0,
                                       pdfium_c.FPDF_GRAYSCALE | pdfium_c.FPDF_ANNOT)  # fmt: skip
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)
    return Raster(grey[:, :columns], dpi, left, top)


def codes(raster: Raster) -> list[tuple[str, bool]]:
    """The QR and Micro QR codes zxing-cpp reads in RASTER: (text, True for a Micro QR code)."""
    return [(text, micro) for text, micro, _ in found_codes(raster)]


def found_codes(raster: Raster) -> list[tuple[str, bool, Region]]:
    """The codes zxing-cpp reads in RASTER, each with where it is (left, top, right, bottom in mm)."""
    found = []
    # Our own pages, rasterised: upright, dark on light, at the resolution asked (zxing-cpp's tries of rotated,
    # inverted and downscaled images would find nothing more, at twice the cost).
    results = zxingcpp.read_barcodes(np.ascontiguousarray(raster.grey), formats=_QR_FORMATS, try_rotate=False,
                                     try_invert=False, try_downscale=False)  # fmt: skip
    for result in results:
        if not result.valid:
            continue
        corners = result.position
        xs = [c.x for c in (corners.top_left, corners.top_right, corners.bottom_left, corners.bottom_right)]
        ys = [c.y for c in (corners.top_left, corners.top_right, corners.bottom_left, corners.bottom_right)]
        scale = raster.px_mm
        found.append((result.text, result.format == zxingcpp.BarcodeFormat.MicroQRCode,
                      (raster.left + min(xs) / scale, raster.top + min(ys) / scale,
                       raster.left + max(xs) / scale, raster.top + max(ys) / scale)))  # fmt: skip
    return found


def qr_codes(page: Callable[[float, Region | None], Raster], found_in: Raster, dpi: float,
             margin_mm: float = 5.0) -> list[tuple[str, Region, Region]]:  # fmt: skip
    """The QR codes (not Micro QR) of a page read at DPI (PAGE(dpi, region) rasterises it, or a region of it), each
    with its box and the region it was read from: each found in the coarser raster FOUND_IN, then read again from
    its region (with MARGIN_MM around it) at DPI; the whole page at DPI if the coarse raster shows none ("" for a
    code found but not read)."""

    def around(where: Region) -> Region:
        left, top, right, bottom = where
        return max(0.0, left - margin_mm), max(0.0, top - margin_mm), right + margin_mm, bottom + margin_mm

    located = [where for _, micro, where in found_codes(found_in) if not micro]
    if not located:
        return [(text, where, around(where)) for text, micro, where in found_codes(page(dpi, None)) if not micro]
    found = []
    for region in map(around, located):
        read = [(text, where, region) for text, micro, where in found_codes(page(dpi, region)) if not micro]
        found += read or [("", region, region)]
    return found


def read_bars(raster: Raster) -> str:
    """The customer barcode in RASTER as its bars, F (long), A (upper), D (lower), T (timing), left to right:
    found by the rows its timing zone crosses all bars in, each bar measured from there up and down; "" when
    no row crosses ten bars (no barcode)."""
    ink = raster.ink()
    px_mm = raster.px_mm
    edges = np.diff(np.pad(ink.view(np.int8), ((0, 0), (1, 1))), axis=1)
    width = edges.shape[1]
    rows, starts = np.divmod(np.flatnonzero(edges == 1), width)  # flat: a tenth of the cost of 2-D nonzero
    ends = np.flatnonzero(edges == -1) % width  # runs come row by row, so starts and ends pair up
    wide = ends - starts
    keep = (wide >= BAR_WIDTH_MM[0] * px_mm) & (wide <= BAR_WIDTH_MM[1] * px_mm)  # the bar-wide runs
    rows, starts, ends = rows[keep], starts[keep], ends[keep]
    counts = np.bincount(rows, minlength=ink.shape[0])
    candidate = counts >= max(10, counts.max(initial=0) * 0.8)  # the rows that may cross the most bars
    chosen = candidate[rows]
    rows, starts, ends = rows[chosen], starts[chosen], ends[chosen]
    if len(rows) < 10:
        return ""
    # Each candidate row's runs in chains at the bar pitch, all rows at once: a chain breaks where a row begins
    # and before each run not a pitch after the one before it.
    pitch = np.diff(starts)
    breaks = np.concatenate(([0], np.flatnonzero((np.diff(rows) != 0) | (pitch < BAR_PITCH_MM[0] * px_mm)
                                                 | (pitch > BAR_PITCH_MM[1] * px_mm)) + 1, [len(starts)]))  # fmt: skip
    lengths = np.diff(breaks)
    most = int(lengths.max())
    if most < 10:
        return ""
    longest = breaks[:-1][lengths == most]  # the first run of each longest chain, the rows' in row order
    band = np.unique(rows[longest])  # the rows whose longest chain crosses the most bars
    middle = int(band[len(band) // 2])  # the timing zone's middle row
    first = int(longest[np.searchsorted(rows[longest], middle)])  # the first of its longest chains
    reach = int(np.ceil(ASCENT_MM * px_mm))
    columns = (starts[first:first + most] + ends[first:first + most]) // 2
    high = ink[max(0, middle - reach):middle + 1, columns].all(axis=0) if middle >= reach else np.zeros(most, bool)
    low = ink[middle:middle + reach + 1, columns].all(axis=0) if middle + reach < len(ink) else np.zeros(most, bool)
    return "".join("F" if h and l else "A" if h else "D" if l else "T" for h, l in zip(high.tolist(), low.tolist()))


def describe(bars: str) -> str:
    """Bars as their characters (the postal code and address number, spaced), or how many bars they are."""
    characters = barcode.decode(bars)
    if characters is None:
        return f"{len(bars)} bars that do not decode" if bars else "no barcode"
    return " ".join(characters)
