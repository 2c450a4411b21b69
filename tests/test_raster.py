"""Rasters of pages (delivery/raster.py): the pixels pypdfium2's own rendering gives, for any region and paper; the
customer barcode read from them: its bars as drawn, and the same reading as the reference's, a row of pixels after
another (tests/reference.py), on clean and damaged rasters."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from conftest import make_piece
from hypothesis import given, settings
from hypothesis import strategies as st

from notices.config import load_config
from notices.delivery import raster
from notices.letters import barcode
from notices.letters.render import Renderer
from notices.models import Kind

import reference

_SUPERSAMPLE = 4


def drawn(code: barcode.CustomerBarcode, scale: float, dpi: float, shift: tuple[float, float]) -> raster.Raster:
    """The barcode as a printer's raster would show it: each pixel as grey as the bars cover it, SHIFT mm from
    the raster's corner (a fraction of a pixel moves every edge), with a margin of 3 mm."""
    width, height, bars = barcode.bars_mm(code, scale=scale)
    px_mm = dpi / 25.4 * _SUPERSAMPLE
    fine = np.zeros((int((height + 6) * px_mm), int((width + 6) * px_mm)), bool)
    for x, y, w, h in bars:
        left, top = (x + 3 + shift[0]) * px_mm, (y + 3 + shift[1]) * px_mm
        fine[round(top):round(top + h * px_mm), round(left):round(left + w * px_mm)] = True
    rows, columns = fine.shape[0] // _SUPERSAMPLE, fine.shape[1] // _SUPERSAMPLE
    coverage = fine[:rows * _SUPERSAMPLE, :columns * _SUPERSAMPLE].reshape(rows, _SUPERSAMPLE, columns, _SUPERSAMPLE).mean(axis=(1, 3))
    return raster.Raster((255 * (1 - coverage)).round().astype(np.uint8), dpi)


postal_codes = st.from_regex(r"[0-9]{5}(0[1-9]|[1-9][0-9])", fullmatch=True)
addresses = st.builds("{}丁目{}番{}号{}".format, st.integers(1, 9), st.integers(1, 99), st.integers(1, 99),
                      st.sampled_from(["", " 若葉ハイツ101号室", " 3F", "-1205"]))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(postal_codes, addresses, st.floats(barcode.MIN_SCALE, barcode.MAX_SCALE), st.sampled_from([200, 300, 400]),
       st.tuples(st.floats(0, 1), st.floats(0, 1)))  # fmt: skip
def test_a_drawn_barcode_reads_as_its_bars(postal: str, address: str, scale: float, dpi: int,
                                           shift: tuple[float, float]) -> None:  # fmt: skip
    code = barcode.encode(postal, address)
    assert code is not None
    image = drawn(code, scale, dpi, shift)
    assert raster.read_bars(image) == code.bars
    assert reference.read_bars(image) == code.bars


damage = st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(1, 40), st.integers(1, 40), st.booleans()),
                  max_size=8)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(postal_codes, addresses, st.floats(barcode.MIN_SCALE, barcode.MAX_SCALE), st.sampled_from([200, 300]),
       damage, st.floats(0, 0.4), st.integers(0, 2**32 - 1))  # fmt: skip
def test_a_damaged_raster_reads_as_the_reference_reads_it(postal: str, address: str, scale: float, dpi: int,
                                                          blots: list[tuple[float, float, int, int, bool]],
                                                          noise: float, seed: int) -> None:  # fmt: skip
    """Blots of ink and of white, and specks everywhere: whatever is read (bars, others, nothing) is the same."""
    code = barcode.encode(postal, address)
    assert code is not None
    grey = drawn(code, scale, dpi, (0.0, 0.0)).grey.copy()
    for fx, fy, w, h, ink in blots:
        y, x = int(fy * grey.shape[0]), int(fx * grey.shape[1])
        grey[y:y + h, x:x + w] = 0 if ink else 255
    specks = np.random.default_rng(seed).random(grey.shape) < noise * noise
    grey[specks] = 255 - grey[specks]
    image = raster.Raster(grey, dpi)
    assert raster.read_bars(image) == reference.read_bars(image)


def test_fewer_than_ten_bars_read_as_no_barcode() -> None:
    blank = raster.Raster(np.full((90, 1000), 255, np.uint8), 300)
    assert raster.read_bars(blank) == reference.read_bars(blank) == ""
    for count, read in ((9, ""), (10, "A" * 10)):  # bars 0.5 mm wide at a pitch of 1 mm, 2.5 mm high
        stripes = np.full((90, 1000), 255, np.uint8)
        for x in range(100, 100 + 12 * count, 12):
            stripes[30:60, x:x + 6] = 0
        image = raster.Raster(stripes, 300)
        assert raster.read_bars(image) == reference.read_bars(image) == read


def test_a_chain_of_bars_ends_with_its_row() -> None:
    """Ten bars in some rows and ten more in the rows below, each set starting where the other ends: twenty bars
    at the pitch, but no row crosses more than ten."""
    steps = np.full((90, 1000), 255, np.uint8)
    for k in range(10):
        steps[20:45, 100 + 12 * k:106 + 12 * k] = 0
        steps[45:70, 220 + 12 * k:226 + 12 * k] = 0
    image = raster.Raster(steps, 300)
    assert len(raster.read_bars(image)) == 10
    assert raster.read_bars(image) == reference.read_bars(image)


@functools.cache
def _letter() -> pdfium.PdfDocument:
    """A card renewal's pages (letter, form, blank), as the preflight reads them."""
    root = Path(__file__).resolve().parents[1]
    renderer = Renderer(load_config(root / "config" / "municipality.toml"), root / "templates")
    return pdfium.PdfDocument(renderer.render_lot([make_piece(Kind.CARD_RENEWAL)], date(2026, 11, 26)).pdf)


regions = st.tuples(st.floats(0, 200), st.floats(0, 287), st.floats(0.5, 120), st.floats(0.5, 120)).map(
    lambda r: (r[0], r[1], min(210.0, r[0] + r[2]), min(297.0, r[1] + r[3])))  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 3), st.one_of(st.none(), regions), st.sampled_from([72, 100, 150.5, 300]), st.sampled_from([255, 0]))
def test_a_raster_is_pypdfium2_s_rendering(number: int, region: raster.Region | None, dpi: float, paper: int) -> None:
    page = _letter()[number]
    width, height = page.get_size()
    crop = (0.0, 0.0, 0.0, 0.0)
    if region is not None:
        left, top, right, bottom = region
        crop = (left * raster.PT_MM, height - bottom * raster.PT_MM, width - right * raster.PT_MM, top * raster.PT_MM)
    try:
        expected = page.render(scale=dpi / 72, crop=crop, grayscale=True, fill_color=(paper, paper, paper, 255)).to_numpy()
    except ValueError:  # a region thinner than a pixel at this resolution: refused alike
        with pytest.raises(ValueError):
            raster.render(page, dpi, region, paper)
        return
    found = raster.render(page, dpi, region, paper)
    assert found.grey.shape == expected.shape and np.array_equal(found.grey, expected)
    assert (found.left, found.top) == ((region[0], region[1]) if region else (0.0, 0.0))
