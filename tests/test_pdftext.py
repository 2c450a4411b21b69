"""Text drawn straight into content streams (letters/glyphs.py, letters/pdftext.py): read back by pdfium and poppler,
embedded as subsets, the same bytes each time, and placed and sized exactly as WeasyPrint lays out the same text."""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.letters.glyphs import Face, Shaped
from notices.letters.pdftext import TextWriter

A4 = (595.28, 841.89)
DPI = 200
# (fontconfig family, text, lang): the family is also the CSS font-family WeasyPrint is given
CASES = [
    ("BIZ UDMincho", "髙﨑 太郎", "ja"),
    ("BIZ UDGothic", "タカサキ タロウ", "ja"),
    ("BIZ UDMincho", "令和8年1月23日 No.012345", "ja"),
    ("IPAmjMincho", "𠮷野 葛\U000e0102城", "ja"),
    ("Noto Sans", "Nguyễn Thị Ánh", "vi"),
    ("Noto Serif", "Nguye\u0302\u0303n Thi\u0323 fi", "vi"),  # decomposed: the marks must land on their base
    ("Noto Sans Devanagari", "क्षत्रिय हिन्दी", "hi"),
    ("Noto Sans CJK JP", "髙﨑 ヤマダ 123", "ja"),  # CFF in a .ttc
]


@functools.cache
def face_of(family: str) -> Face:
    result = subprocess.run(["fc-match", "--format=%{file}\n%{index}\n%{family}", family],
                            capture_output=True, text=True, check=False)
    file, index, families = (result.stdout.split("\n") + ["", "", ""])[:3]
    if result.returncode or family.casefold() not in families.casefold():
        pytest.skip(f"font {family!r} is not installed")
    return Face.load(Path(file), int(index or 0))


def one_page(lines: list[tuple[Shaped, float, float]], writer: TextWriter | None = None) -> bytes:
    """A blank A4 page with each shaped text drawn at its point, saved."""
    writer = writer or TextWriter()
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    page = pdf.pages[0]
    ops = b"".join(writer.show(shaped, x, y) for shaped, x, y in lines)
    page.obj.Contents = pdf.make_stream(b"q\n" + ops + b"Q\n")
    fonts = writer.embed(pdf)
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary({str(k): v for k, v in fonts.items()}))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def lines_page(cases: list[tuple[str, str, str]], size: float = 10.5) -> bytes:
    return one_page([(face_of(family).shape(text, size, lang=lang), 72, 780 - 30 * i)
                     for i, (family, text, lang) in enumerate(cases)])


def pdfium_text(data: bytes) -> list[str]:
    page = pdfium.PdfDocument(data)[0]
    return page.get_textpage().get_text_range().split("\r\n")


def test_pdfium_reads_back_every_string_exactly() -> None:
    assert pdfium_text(lines_page(CASES)) == [text for _family, text, _lang in CASES]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_poppler_reads_back_every_string_exactly(tmp_path: Path) -> None:
    (tmp_path / "t.pdf").write_bytes(lines_page(CASES))
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "t.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert [line for line in out.replace("\f", "").split("\n") if line] == [text for _f, text, _l in CASES]


def test_covers_follows_the_cmap_and_its_variation_sequences() -> None:
    mincho, mj = face_of("BIZ UDMincho"), face_of("IPAmjMincho")
    assert mincho.covers("髙﨑 タロウ 0123") and not mincho.covers("髙\ue000") and not mincho.covers("\U0010fffd")
    assert mj.covers("𠮷") and mj.covers("葛\U000e0102") and not mj.covers("葛\U000e0100")
    assert not mj.covers("\U000e0100")  # a selector with no base
    with TTFont(mincho.path, lazy=True) as font:
        sequences = {(base, selector) for table in font["cmap"].tables if table.format == 14
                     for selector, pairs in table.uvsDict.items() for base, _glyph in pairs}
    for base, selector in sorted(sequences)[:50]:
        assert mincho.covers(chr(base) + chr(selector))
    unknown = next(c for c in "山田太郎葛辻" if (ord(c), 0xE01EF) not in sequences)
    assert mincho.covers(unknown) and not mincho.covers(unknown + "\U000e01ef")


def test_a_glyph_drawn_for_two_texts_reads_back_as_each() -> None:
    face = face_of("BIZ UDMincho")
    assert face.shape("\U00029fce", 10).glyphs == face.shape("\U00029fd7", 10).glyphs  # one glyph, two characters
    assert pdfium_text(one_page([(face.shape("\U00029fce\U00029fd7", 10), 72, 700),
                                 (face.shape("\U00029fd7", 10), 72, 650)])) == ["\U00029fce\U00029fd7", "\U00029fd7"]


def test_fonts_are_embedded_as_subsets_keeping_glyph_ids() -> None:
    pdf = pikepdf.open(io.BytesIO(lines_page(CASES)))
    fonts = pdf.pages[0].Resources.Font
    assert len(fonts) == 7  # one per face
    for name, font in fonts.items():
        assert font.Subtype == "/Type0" and font.Encoding == "/Identity-H"
        cid_font = font.DescendantFonts[0]
        descriptor = cid_font.FontDescriptor
        tag, _, _ = str(font.BaseFont)[1:].partition("+")
        assert len(tag) == 6 and tag.isupper() and descriptor.FontName == font.BaseFont
        if "/FontFile3" in descriptor:
            assert cid_font.Subtype == "/CIDFontType0" and descriptor.FontFile3.Subtype == "/OpenType"
            program = descriptor.FontFile3.read_bytes()
        else:
            assert cid_font.Subtype == "/CIDFontType2" and "/CIDToGIDMap" in cid_font
            program = descriptor.FontFile2.read_bytes()
        font_file = TTFont(io.BytesIO(program))
        assert "GSUB" not in font_file and "GPOS" not in font_file, name
        if "glyf" in font_file:
            drawn = {n for n in font_file.getGlyphOrder() if font_file["glyf"][n].numberOfContours != 0}
            cid_to_gid = cid_font.CIDToGIDMap.read_bytes()
            used = {int.from_bytes(cid_to_gid[i:i + 2], "big") for i in range(0, len(cid_to_gid), 2)}
            parts = {font_file.getGlyphID(c) for n in drawn for c in font_file["glyf"][n].getComponentNames(
                font_file["glyf"])}
            assert {font_file.getGlyphID(n) for n in drawn} <= used | {0} | parts
            with TTFont(face_path(font), fontNumber=face_index(font)) as original:
                for gid in sorted(used - {0})[:20]:  # each glyph still at its own ID
                    ours, theirs = (f["glyf"][f.getGlyphOrder()[gid]] for f in (font_file, original))
                    assert ours.getCoordinates(font_file["glyf"])[0] == theirs.getCoordinates(original["glyf"])[0]
        else:  # CID-keyed CFF kept by glyph ID: the code drawn is the CID, which must still be that glyph's
            order = font_file.getGlyphOrder()
            assert all(n == ".notdef" or n == f"cid{gid:05d}" for gid, n in enumerate(order))
        assert len(program) < 0.15 * face_path(font).stat().st_size, name


def face_path(font: pikepdf.Object) -> Path:
    name = str(font.BaseFont).partition("+")[2]
    return {face_of(family).postscript_name: face_of(family).path for family, _t, _l in CASES}[name]


def face_index(font: pikepdf.Object) -> int:
    name = str(font.BaseFont).partition("+")[2]
    return {face_of(family).postscript_name: face_of(family).index for family, _t, _l in CASES}[name]


def test_the_same_input_gives_the_same_bytes() -> None:
    assert lines_page(CASES) == lines_page(CASES)


# --- geometry: WeasyPrint's layout of the same text is the reference -------------------------------------------

def text_boxes(box, found):
    if type(box).__name__ == "TextBox":
        found.append(box)
    for child in getattr(box, "children", []):
        text_boxes(child, found)
    return found


def weasyprint(family: str, text: str, lang: str, size: float, spacing: float, left: float, top: float):
    """WeasyPrint's PDF of TEXT alone at LEFT, TOP (pt), and its text boxes."""
    import weasyprint as wp
    html = (f'<html lang="{lang}"><style>@page {{ size: A4; margin: 0 }} body {{ margin: 0 }}'
            f' span {{ position: absolute; left: {left}pt; top: {top}pt; font-family: "{family}";'
            f' font-size: {size}pt; letter-spacing: {spacing}pt; white-space: pre }}</style>'
            f'<span>{text}</span></html>')
    document = wp.HTML(string=html).render()
    return document.write_pdf(), text_boxes(document.pages[0]._page_box, [])


def ink(data: bytes) -> tuple[int, int, int, int]:
    """The bounding box (left, top, right, bottom, in pixels at DPI) of whatever is not white on page 1."""
    image = pdfium.PdfDocument(data)[0].render(scale=DPI / 72, grayscale=True).to_numpy()
    rows, cols = np.nonzero(image.reshape(image.shape[0], image.shape[1]) < 160)
    return cols.min(), rows.min(), cols.max(), rows.max()


# marks that GPOS places (no precomposed glyph): x and y offsets, a reordered matra, a mark on a conjunct
MARKS = [("Noto Sans", "Q\u0303 q\u0303 \u025b\u0303 D\u0324 x\u0323\u0302", "vi", 12, 0),
         ("Noto Sans Devanagari", "र्क्ष कि कृ ह्न", "hi", 12, 0.6)]
GEOMETRY = [(family, text, lang, size, spacing) for family, text, lang in CASES for size, spacing in [(10.5, 0)]] + [
    ("BIZ UDMincho", "髙﨑 太郎", "ja", 14, 2), ("BIZ UDGothic", "〒999-0012 若葉町", "ja", 9, 0.5),
    ("Noto Sans", "Nguyễn Thị Ánh fi", "vi", 12, 0.3), ("Noto Sans Devanagari", "क्षत्रिय हिन्दी", "hi", 11, -0.4),
    ("Noto Sans CJK JP", "ヤマダ タロウ", "ja", 16, 1.25), ("IPAmjMincho", "𠮷野", "ja", 20, 0.75),
    ("Noto Sans CJK JP", "山田 AVATAR Tokyo「東京」1-2-3", "ja", 10.5, 0),  # several scripts in one string
    ("BIZ UDGothic", "（山田）タロウ・ヤマダ ABC（12）ー", "ja", 10.5, 0.2),
    *MARKS,
]


@pytest.mark.parametrize(("family", "text", "lang", "size", "spacing"), GEOMETRY)
def test_width_and_ink_match_weasyprint(family: str, text: str, lang: str, size: float, spacing: float) -> None:
    face = face_of(family)
    left, top = 100.5, 200.25
    reference, boxes = weasyprint(family, text, lang, size, spacing, left, top)
    assert len(boxes) == 1
    shaped = face.shape(text, size, spacing, lang)
    assert shaped.width == pytest.approx(boxes[0].width * 0.75, abs=0.01)
    # Pango's baseline: the line's top plus the font's ascent at this size
    baseline = top + face.ascender * size / face.units_per_em
    assert baseline == pytest.approx((boxes[0].position_y + boxes[0].baseline) * 0.75, abs=0.01)
    ours = one_page([(shaped, left, A4[1] - baseline)])
    assert np.abs(np.subtract(ink(ours), ink(reference))).max() <= 1


def pango_glyphs(box) -> list[tuple[int, int, int, int]]:
    """(glyph, advance, x offset, y offset up) of each glyph Pango laid out in BOX, in Pango units."""
    from weasyprint.text.ffi import ffi
    box.pango_layout.reactivate(box.style)
    line, _ = box.pango_layout.get_first_line()
    found, run = [], line.runs[0]
    while run != ffi.NULL:
        glyphs = run.data.glyphs
        for i in range(glyphs.num_glyphs):
            info = glyphs.glyphs[i]
            if info.glyph == 0x0FFFFFFF and info.geometry.width == 0:  # PANGO_GLYPH_EMPTY: a selector, a joiner
                continue
            found.append((info.glyph, info.geometry.width, info.geometry.x_offset, -info.geometry.y_offset))
        run = run.next
    return found


@pytest.mark.parametrize(("family", "text", "lang", "size", "spacing"), GEOMETRY)
def test_glyphs_and_positions_are_pangos(family: str, text: str, lang: str, size: float, spacing: float) -> None:
    _pdf, boxes = weasyprint(family, text, lang, size, spacing, 10, 10)
    shaped = face_of(family).shape(text, size, spacing, lang)
    units = 1024 / 0.75
    ours = [(g, round(a * units), round(x * units), round(y * units))
            for g, a, x, y in zip(shaped.glyphs, shaped.x_advances, shaped.x_offsets, shaped.y_offsets)]
    assert ours == pango_glyphs(boxes[0])


def test_show_draws_each_glyph_where_shaping_put_it() -> None:
    """One TJ with adjustments and rises draws what one Td per glyph at its computed point draws."""
    for family, text, lang, size, spacing in MARKS:
        face, x, y = face_of(family), 72.3, 700.7
        shaped = face.shape(text, size, spacing, lang)
        writer, singles, origin = TextWriter(), [], 0.0
        for glyph, advance, x_offset, y_offset in zip(shaped.glyphs, shaped.x_advances, shaped.x_offsets,
                                                      shaped.y_offsets):
            single = Shaped(face, size, "x", (glyph,), (0,), ("x",), (advance,), (0.0,), (0.0,), advance)
            singles.append((single, x + origin + x_offset, y + y_offset))
            origin += advance
        whole = pdfium.PdfDocument(one_page([(shaped, x, y)], writer))[0].render(scale=3).to_numpy()
        apart = pdfium.PdfDocument(one_page(singles, writer))[0].render(scale=3).to_numpy()
        assert np.abs(whole.astype(int) - apart.astype(int)).max() < 64, text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
def test_poppler_draws_what_pdfium_draws(tmp_path: Path) -> None:
    for i, (family, text, lang) in enumerate(CASES):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(one_page([(face_of(family).shape(text, 12, lang=lang), 72, 700)]))
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-singlefile", str(path), str(tmp_path / f"{i}")],
                       check=True)
        from PIL import Image
        image = np.asarray(Image.open(tmp_path / f"{i}.pgm"))
        rows, cols = np.nonzero(image < 160)
        poppler = (cols.min(), rows.min(), cols.max(), rows.max())
        assert np.abs(np.subtract(poppler, ink(path.read_bytes()))).max() <= 1, (family, text)


# --- the ToUnicode map round-trips whatever the font covers ------------------------------------------------------

@functools.cache
def alphabet(family: str) -> list[str]:
    face = face_of(family)
    chars = [chr(c) for c in range(0x21, 0x2FFFF) if chr(c).isprintable() and not chr(c).isspace()
             and face.covers(chr(c)) and not 0xFB00 <= c <= 0xFB4F]  # presentation forms: readers unfold them
    return chars


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_tounicode_round_trips_random_covered_text(data: st.DataObject) -> None:
    family = data.draw(st.sampled_from(["BIZ UDMincho", "Noto Sans", "IPAmjMincho"]))
    text = data.draw(st.text(st.sampled_from(alphabet(family)), min_size=1, max_size=12))
    data_ = one_page([(face_of(family).shape(text, 10), 72, 700)])
    assert cmap_text(data_) == text
    # pdfium orders, breaks lines and adds spaces by where glyphs are: a mark that fallback positioning raised or
    # that hangs beside its base confuses it (as in WeasyPrint's PDFs); the map itself is checked above
    if not any(unicodedata.category(c).startswith("M") for c in text):
        assert pdfium_text(data_) == [text]


def cmap_text(data: bytes) -> str:
    """The page's text as the ToUnicode maps spell its codes, read without a PDF reader's heuristics."""
    pdf = pikepdf.open(io.BytesIO(data))
    page = pdf.pages[0]
    (font,) = page.Resources.Font.values()
    cmap = dict(re.findall(r"<([0-9A-F]{4})> <([0-9A-F]*)>", font.ToUnicode.read_bytes().decode()))
    codes = re.findall(r"<([0-9A-F]{4})>", page.Contents.read_bytes().decode())
    return "".join(bytes.fromhex(cmap.get(code, "")).decode("utf-16-be") for code in codes)


@pytest.mark.parametrize("family", ["BIZ UDMincho", "IPAmjMincho", "Noto Sans:italic", "Noto Serif:italic"])
def test_a_face_reads_the_post_table_s_header_as_fonttools_does(family: str) -> None:
    """The italic angle and fixed pitch the PDF's font descriptor carries, read off the post table's header (the
    whole table, decompiled, holds a CJK font's 20,000 glyph names): as fontTools reads them."""
    name, _, style = family.partition(":")
    found = subprocess.run(["fc-match", "--format=%{file}|%{index}", f"{name}:{style}" if style else name],
                           capture_output=True, text=True, check=True).stdout.split("|")  # fmt: skip
    face = Face.load(found[0], int(found[1]))
    post = TTFont(found[0], fontNumber=int(found[1]))["post"]
    assert (face.italic_angle, face.fixed_pitch) == (float(post.italicAngle), bool(post.isFixedPitch))
    if style:
        assert face.italic_angle < 0  # an italic face leans right
