"""Font files shaped with HarfBuzz exactly as WeasyPrint's Pango lays them out: glyph IDs and positions in points.

What Pango 1.50 does, and this module copies, so that text drawn here lands where WeasyPrint would put it:
- sizes: WeasyPrint asks Pango for int(font-size in CSS px * 1024) units and Pango scales the HarfBuzz font to that
  integer, so every advance and offset is a whole 1/1024 px; we shape at the same scale (then pt = px * 0.75).
- letter-spacing: WeasyPrint passes int(spacing in px * 1024) and Pango then (1) shapes with the ligatures off
  (liga, clig, dlig = 0: "fi" stays two glyphs), (2) adds the spacing to every cluster that starts at a cursor
  position (not at a mark), half before it and half after (left half = spacing / 2 truncated, rounded to a whole
  1024 when the spacing is a whole pixel), (3) takes the half before the line's first cluster and the half after its
  last one off again: the ink starts at the box's left edge. WeasyPrint's text box is then that line plus one
  whole letter-spacing (the float, not the truncated units): Shaped.width is that box width.
"""

from __future__ import annotations

import functools
import struct
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import uharfbuzz as hb
from fontTools import unicodedata as ucd
from fontTools.ttLib import TTFont

PANGO_SCALE = 1024
PT_PER_PX = 0.75
_PT_PER_UNIT = PT_PER_PX / PANGO_SCALE
# Pango draws a selector or a joiner as an empty glyph of no width: we leave it out, its text joins its base
_BUFFER_FLAGS = hb.BufferFlags.BOT | hb.BufferFlags.EOT | hb.BufferFlags.REMOVE_DEFAULT_IGNORABLES
_NO_LIGATURES = {"liga": False, "clig": False, "dlig": False}
_COMMON = frozenset({"Zyyy", "Zinh", "Zzzz"})
# Pango's paired punctuation (pango-script.c): each opening bracket and its closing one
_PAIRS = {c: (i // 2, i % 2 == 0) for i, c in enumerate(
    "()<>[]{}«»\u0f3a\u0f3b\u0f3c\u0f3d\u169b\u169c‘’“”‹›⁅⁆⁽⁾₍₎⟦⟧⟨⟩⟪⟫⦃⦄⦅⦆⦇⦈⦉⦊⦋⦌⦍⦎⦏⦐⦑⦒⦓⦔⦕⦖⦗⦘⧘⧙⧚⧛⧼⧽"
    "〈〉《》「」『』【】〔〕〖〗〘〙〚〛﴾﴿﹙﹚﹛﹜﹝﹞（）［］｛｝｟｠｢｣")}
_LATIN = frozenset({"Latn"})
# The scripts of the languages letters are written in (Pango's table has them all). Korean is Hangul only there:
# a Han run of a Korean page (若葉町役場 in a Korean sentence) is shaped without the page's language.
_LANG_SCRIPTS = {
    "ja": frozenset({"Hani", "Hira", "Kana"}), "zh": frozenset({"Hani", "Bopo"}), "ko": frozenset({"Hang"}),
    "hi": frozenset({"Deva"}), "ne": frozenset({"Deva"}), "mr": frozenset({"Deva"}), "th": frozenset({"Thai"}),
    "ru": frozenset({"Cyrl"}), "uk": frozenset({"Cyrl"}), "mn": frozenset({"Cyrl"}), "ar": frozenset({"Arab"}),
    **{lang: _LATIN for lang in ("en", "vi", "pt", "es", "fr", "de", "it", "id", "tl", "fil", "ms", "tr", "uz")},
}
_SAMPLE_LANGUAGE = {"Hira": "ja", "Kana": "ja", "Hang": "ko", "Deva": "hi", "Thai": "th", "Cyrl": "ru", "Arab": "ar"}
_SELECTORS = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0xE0100, 0xE01F0))


def pango_units(points: float) -> int:
    """POINTS as Pango units (1/1024 CSS px), truncated as WeasyPrint does."""
    return int(points / PT_PER_PX * PANGO_SCALE)


@dataclass(frozen=True, eq=False)
class Face:
    """One font of a file (index into a .ttc), with what the PDF font descriptor needs, in font units."""

    path: Path
    index: int
    hb_face: hb.Face = field(repr=False)
    units_per_em: int
    ascender: int
    descender: int
    cap_height: int
    italic_angle: float
    bbox: tuple[int, int, int, int]
    postscript_name: str
    is_cff: bool
    serif: bool
    fixed_pitch: bool
    cids: tuple[int, ...] | None = field(repr=False)  # a CID-keyed CFF's CID of each glyph, None when CID = GID
    _fonts: dict[int, hb.Font] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | str, index: int = 0) -> Face:
        """The font INDEX of the file PATH, loaded once per process."""
        return _load(Path(path).resolve(), index)

    def font(self, scale: int) -> hb.Font:
        """A HarfBuzz font of this face at SCALE units per em (cached: one per size)."""
        font = self._fonts.get(scale)
        if font is None:
            font = self._fonts[scale] = hb.Font(self.hb_face)
            font.scale = (scale, scale)
        return font

    def covers(self, text: str) -> bool:
        """Whether every character of TEXT has a glyph, and every variation sequence is one the font knows."""
        font = self.font(self.units_per_em)
        previous = None
        for char in text:
            code = ord(char)
            if code in _SELECTORS:
                if previous is None or not font.get_variation_glyph(previous, code):
                    return False
            elif not font.get_nominal_glyph(code):
                return False
            previous = code
        return True

    def shape(self, text: str, size: float, letter_spacing: float = 0.0, lang: str | None = None) -> Shaped:
        """TEXT shaped left to right at SIZE points, with LETTER_SPACING points added as CSS letter-spacing."""
        return _shape(self, text, size, letter_spacing, lang)


@dataclass(frozen=True)
class Shaped:
    """A shaped string: glyph IDs, the character index each cluster starts at, the text each glyph stands for,
    positions in points."""

    face: Face
    size: float
    text: str
    glyphs: tuple[int, ...]
    clusters: tuple[int, ...]
    texts: tuple[str, ...]
    x_advances: tuple[float, ...]
    x_offsets: tuple[float, ...]
    y_offsets: tuple[float, ...]
    width: float


@functools.cache
def _load(path: Path, index: int) -> Face:
    blob = hb.Blob.from_file_path(str(path))
    hb_face = hb.Face(blob, index)
    with TTFont(path, fontNumber=index, lazy=True) as tt:
        head, os2 = tt["head"], tt.get("OS/2")
        # The post table's header only: decompiled whole, a CJK font's 20,000 glyph names took 30 ms a font.
        italic, fixed_pitch = struct.unpack(">4xi4xI", tt.reader["post"][:16])
        is_cff = "CFF " in tt or "CFF2" in tt
        family = tt["name"].getDebugName(1) or ""
        # Named as WeasyPrint names the fonts it embeds (family, then Bold), so that a reader shows one family.
        typographic = tt["name"].getDebugName(16) or family or path.stem
        postscript = typographic.replace(" ", "-") + ("-Bold" if getattr(os2, "usWeightClass", 400) >= 600 else "")
        cids = _cff_cids(tt) if "CFF " in tt else None
    extents = hb.Font(hb_face).get_font_extents("ltr")  # what Pango takes: hhea, or OS/2 typo with USE_TYPO_METRICS
    return Face(
        path=path, index=index, hb_face=hb_face, units_per_em=hb_face.upem,
        ascender=extents.ascender, descender=extents.descender,
        cap_height=getattr(os2, "sCapHeight", 0) or extents.ascender,
        italic_angle=italic / 65536,
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
        postscript_name="".join(c for c in postscript if c.isascii() and c.isalnum() or c in "-_") or "Font",
        is_cff=is_cff, serif=any(w in family for w in ("Serif", "Mincho", "明朝")),
        fixed_pitch=bool(fixed_pitch), cids=cids,
    )


def _cff_cids(tt: TTFont) -> tuple[int, ...] | None:
    # a PDF reader finds a CID-keyed CFF's glyph by CID through the charset, not by glyph ID (Noto CJK: the same)
    top = tt["CFF "].cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return None
    cids = tuple(int(name[3:]) if name.startswith("cid") else 0 for name in top.charset)
    return None if all(cid == gid for gid, cid in enumerate(cids)) else cids


def _runs(text: str) -> list[tuple[int, int, str]]:
    """TEXT cut where its script changes, as Pango itemizes it: common characters (digits, spaces, punctuation) and
    marks go with the run they are in, a closing bracket with the run of its opening one."""
    runs: list[tuple[int, int, str]] = []
    stack: list[list] = []  # [opening bracket, script of the run it opened in]
    start, current, unsure = 0, "Zyyy", 0  # unsure: stack entries pushed before the run knew its script
    i = 0
    while i < len(text):
        char = text[i]
        script = _script(char)
        pair = _PAIRS.get(char)
        if pair is not None and pair[1]:
            stack.append([pair[0], current])
        elif pair is not None:
            while stack and stack[-1][0] != pair[0]:
                stack.pop()
            unsure = min(unsure, len(stack))
            if stack:
                script = stack[-1][1]
        if script in _COMMON or current in _COMMON or script == current:
            if current in _COMMON and script not in _COMMON:
                current = script
                for entry in stack[unsure:]:
                    entry[1] = current
            if pair is not None and not pair[1] and stack:
                stack.pop()
                unsure = min(unsure, len(stack))
            i += 1
        else:
            runs.append((start, i, current))
            start, current, unsure = i, "Zyyy", len(stack)
    runs.append((start, len(text), current))
    return runs


def _language(lang: str | None, script: str) -> str | None:
    # Pango keeps the document's language for a run only if that language is written in the run's script; else a
    # sample language of the script, if it has one (a Latin run in a "ja" page is shaped with no language)
    if not lang or script in _COMMON:
        return lang
    scripts = _LANG_SCRIPTS.get(lang.lower().replace("_", "-").split("-")[0])
    if scripts is None or script in scripts:
        return lang
    return _SAMPLE_LANGUAGE.get(script)


@functools.lru_cache(maxsize=8192)
def _script(char: str) -> str:
    return ucd.script(char)


def _cursor_position(char: str) -> bool:
    # Pango's grapheme boundaries, near enough for letters: no boundary before a mark or a joiner
    return not (unicodedata.category(char) in ("Mn", "Mc", "Me") or char in "\u200c\u200d")


@functools.lru_cache(maxsize=65536)
def _shape(face: Face, text: str, size: float, letter_spacing: float, lang: str | None) -> Shaped:
    spacing = pango_units(letter_spacing)
    font = face.font(pango_units(size))
    infos, positions = [], []
    for start, end, script in _runs(text):  # as Pango's items: one script each, shaped apart
        buffer = hb.Buffer()
        buffer.add_str(text, start, end - start)  # the rest of the text as context, as Pango gives it
        buffer.direction = "ltr"
        buffer.script = script
        language = _language(lang, script)
        if language:
            buffer.language = language
        buffer.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS  # as Pango: a mark is a cluster
        buffer.flags = _BUFFER_FLAGS
        hb.shape(font, buffer, _NO_LIGATURES if spacing else {})
        infos.extend((info.codepoint, info.cluster) for info in buffer.glyph_infos)
        positions.extend(buffer.glyph_positions)
    advances = [p.x_advance for p in positions]
    x_offsets = [p.x_offset for p in positions]
    if spacing and infos:
        left = int(spacing / 2)  # C division
        if spacing % PANGO_SCALE == 0:
            left = (left + PANGO_SCALE // 2) // PANGO_SCALE * PANGO_SCALE
        right = spacing - left
        starts = [i for i, info in enumerate(infos) if i == 0 or info[1] != infos[i - 1][1]]
        ends = starts[1:] + [len(infos)]
        for start, end in zip(starts, ends):
            if not _cursor_position(text[infos[start][1]]):
                if advances[start] == 0:
                    x_offsets[start] -= right
                continue
            if start > 0:
                advances[start] += left
                x_offsets[start] += left
            if end < len(infos):
                advances[end - 1] += right
    scale = _PT_PER_UNIT
    clusters = tuple(cluster for _glyph, cluster in infos)
    return Shaped(
        face=face, size=size, text=text,
        glyphs=tuple(glyph for glyph, _cluster in infos),
        clusters=clusters, texts=_texts(text, clusters),
        x_advances=tuple(a * scale for a in advances),
        x_offsets=tuple(o * scale for o in x_offsets),
        y_offsets=tuple(p.y_offset * scale for p in positions),
        width=sum(advances) * scale + (letter_spacing if spacing else 0.0),
    )


def _texts(text: str, clusters: tuple[int, ...]) -> tuple[str, ...]:
    """The text each glyph stands for: a cluster's characters shared out in order, the last glyph taking the rest
    (a reordered matra and its consonant read back in logical order; a glyph beyond the cluster's characters stands
    for nothing)."""
    if len(clusters) == len(text) and all(c == i for i, c in enumerate(clusters)):
        return tuple(text)
    texts: list[str] = []
    start = 0
    while start < len(clusters):
        end = start
        while end < len(clusters) and clusters[end] == clusters[start]:
            end += 1
        chars = text[clusters[start]:clusters[end] if end < len(clusters) else len(text)]
        count = end - start
        texts.extend(chars[k:k + 1] if k < count - 1 else chars[k:] for k in range(count))
        start = end
    return tuple(texts)
