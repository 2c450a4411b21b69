"""The customer barcode read from rasters (delivery/raster.py): its bars as drawn, and the same reading as the
reference's, a row of pixels after another (tests/reference.py), on clean and damaged rasters."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from notices.delivery import raster
from notices.letters import barcode

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
