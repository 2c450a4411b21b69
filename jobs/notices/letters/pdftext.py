"""Shaped text drawn straight into PDF content streams, and the subset Type 0 fonts that draw it.

The operators are in default user space (points, origin bottom-left): append them to a page after its own
content, which must leave the graphics state as it found it (WeasyPrint's pages do not: wrap them in q … Q).
Each font is a Type 0 font with Identity-H codes. A TrueType font is a CIDFontType2 whose CIDs are numbered per
(glyph, text) pair in order of use and mapped to glyphs by a CIDToGIDMap stream: a glyph drawn for two texts
(a space and a no-break space, a Kangxi radical and its ideograph, the pieces of a reordered Devanagari cluster)
gets two CIDs, and the ToUnicode map gives each back its own text. A CFF font is a CIDFontType0 whose code
must be the glyph's CID in the font (readers find glyphs through the CFF charset, there is no CIDToGIDMap):
there a glyph keeps the first text it was drawn for.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field

import pikepdf
import uharfbuzz as hb

from .glyphs import Face, Shaped

_SUBSET_FLAGS = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_LAYOUT_CLOSURE
_DROP_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "DSIG", "vhea", "vmtx", "VORG", "meta", "kern")
_SYMBOLIC, _SERIF, _FIXED_PITCH = 4, 2, 1


@dataclass
class _Used:
    """What one writer drew with one face: the resource name, and each code's glyph, width and text."""

    name: pikepdf.Name
    codes: dict[tuple[int, str], int] = field(default_factory=dict)  # (glyph, text) -> code (CID)
    glyph: dict[int, int] = field(default_factory=dict)  # code -> glyph ID
    text: dict[int, str] = field(default_factory=dict)  # code -> the text it stands for
    width: dict[int, float] = field(default_factory=dict)  # code -> advance in 1/1000 em


class TextWriter:
    """Draws shaped text for one output PDF and embeds, once, the fonts it used, subset to the glyphs drawn."""

    def __init__(self) -> None:
        self._used: dict[Face, _Used] = {}

    def resource_name(self, face: Face) -> pikepdf.Name:
        """The name under /Resources /Font of FACE's font in this PDF."""
        used = self._used.get(face)
        if used is None:
            used = self._used[face] = _Used(pikepdf.Name(f"/NoticesF{len(self._used) + 1}"))
        return used.name

    def _code(self, face: Face, used: _Used, glyph: int, text: str) -> int:
        code = used.codes.get((glyph, text))
        if code is None:
            if face.is_cff:
                code = face.cids[glyph] if face.cids else glyph
                if text and not used.text.get(code):
                    used.text[code] = text
            else:
                code = len(used.glyph) + 1  # CID 0 stays .notdef
                used.text[code] = text
            used.codes[(glyph, text)] = code
            used.glyph[code] = glyph
            font = face.font(face.units_per_em)
            used.width[code] = round(font.get_glyph_h_advance(glyph) * 1000 / face.units_per_em, 3)
        return code

    def show(self, shaped: Shaped, x: float, y: float, rgb: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> bytes:
        """Operators drawing SHAPED with its baseline starting at (X, Y), in colour RGB (0–1 each)."""
        face, size = shaped.face, shaped.size
        self.resource_name(face)
        used = self._used[face]
        to_em = 1000 / size
        red, green, blue = (_num(c) for c in rgb)
        parts = [f"BT {used.name} {_num(size)} Tf 0 Tc 100 Tz 0 Tr 0 Ts {red} {green} {blue} rg {_num(x)} {_num(y)} Td ["]
        pen = 0.0  # where the reader's pen is, and where the glyph goes, in 1/1000 em from x
        origin = 0.0
        rise = 0.0
        codes, widths = used.codes, used.width
        for glyph, piece, advance, x_offset, y_offset in zip(
                shaped.glyphs, shaped.texts, shaped.x_advances, shaped.x_offsets, shaped.y_offsets):
            code = codes.get((glyph, piece)) or self._code(face, used, glyph, piece)
            target = (origin + x_offset) * to_em
            shift = round(target - pen, 3)
            if y_offset != rise:
                parts.append(f"] TJ {_num(y_offset)} Ts [")
                rise = y_offset
            parts.append(f"{_num(-shift)}<{code:04X}>" if shift else f"<{code:04X}>")
            pen += shift + widths[code]
            origin += advance
        parts.append("] TJ ET\n")
        return "".join(parts).encode("ascii")

    def embed(self, pdf: pikepdf.Pdf) -> dict[pikepdf.Name, pikepdf.Object]:
        """One Type 0 font in PDF per face drawn, by resource name, for each page's /Resources /Font."""
        return {used.name: _type0(pdf, face, used) for face, used in self._used.items()}


def _stream(pdf: pikepdf.Pdf, data: bytes, **extra: object) -> pikepdf.Stream:
    # compressed here, once per lot, so that the cost shows in embed and the bytes do not depend on save options
    return pdf.make_stream(zlib.compress(data, 6), Filter=pikepdf.Name.FlateDecode, **extra)


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _subset(face: Face, glyphs: set[int]) -> bytes:
    """FACE's font program with only GLYPHS (and .notdef), each at its glyph ID."""
    subset_input = hb.SubsetInput()
    glyph_set = subset_input.sets(hb.SubsetInputSets.GLYPH_INDEX)
    for glyph in sorted(glyphs | {0}):
        glyph_set.add(glyph)
    drop = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in _DROP_TABLES:
        drop.add(int.from_bytes(tag.encode("ascii"), "big"))
    subset_input.flags = _SUBSET_FLAGS
    return hb.subset(face.hb_face, subset_input).blob.data


def _tag(face: Face, used: _Used) -> str:
    digest = hashlib.sha256(repr((face.postscript_name, sorted(used.glyph.items()))).encode()).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


def _to_unicode(used: _Used) -> bytes:
    lines = ["/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             "1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    mapped = sorted((code, text) for code, text in used.text.items() if text)
    for i in range(0, len(mapped), 100):
        chunk = mapped[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>" for code, text in chunk)
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")


def _widths(used: _Used) -> pikepdf.Array:
    out: list = []
    previous = None
    for code in sorted(used.width):
        if previous is None or code != previous + 1:
            out.extend([code, pikepdf.Array()])
        out[-1].append(used.width[code])
        previous = code
    return pikepdf.Array(out)


def _type0(pdf: pikepdf.Pdf, face: Face, used: _Used) -> pikepdf.Object:
    program = _subset(face, set(used.glyph.values()))
    base_font = pikepdf.Name(f"/{_tag(face, used)}+{face.postscript_name}")
    em = 1000 / face.units_per_em
    flags = _SYMBOLIC | (_SERIF if face.serif else 0) | (_FIXED_PITCH if face.fixed_pitch else 0)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=base_font, Flags=flags,
        FontBBox=[round(v * em) for v in face.bbox], ItalicAngle=face.italic_angle,
        Ascent=round(face.ascender * em), Descent=round(face.descender * em),
        CapHeight=round(face.cap_height * em), StemV=80,
    )
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, BaseFont=base_font,
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                         Ordering=pikepdf.String("Identity"), Supplement=0),
        W=_widths(used), DW=1000,
    )
    if face.is_cff:
        descriptor.FontFile3 = _stream(pdf, program, Subtype=pikepdf.Name.OpenType)
        cid_font.Subtype = pikepdf.Name.CIDFontType0
    else:
        descriptor.FontFile2 = _stream(pdf, program, Length1=len(program))
        cid_font.Subtype = pikepdf.Name.CIDFontType2
        gids = bytearray(2 * (max(used.glyph, default=0) + 1))
        for code, glyph in used.glyph.items():
            gids[2 * code:2 * code + 2] = glyph.to_bytes(2, "big")
        cid_font.CIDToGIDMap = _stream(pdf, bytes(gids))
    cid_font.FontDescriptor = pdf.make_indirect(descriptor)
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=base_font,
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=[pdf.make_indirect(cid_font)],
        ToUnicode=_stream(pdf, _to_unicode(used)),
    ))
