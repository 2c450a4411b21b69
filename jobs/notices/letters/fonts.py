"""The letter fonts: where fontconfig finds them, and which characters they can draw."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import uharfbuzz as hb

from ..errors import FontError
from ..gaiji import VARIATION_SELECTORS, is_private_use

_INSTALL_HINT = ("Debian: make setup, or apt-get install fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic "
                 "fonts-noto-core fonts-noto-cjk fonts-ipamj-mincho")
_ASCII_WHITESPACE = frozenset("\t\n\r ")


def _not_installed(family: str) -> FontError:
    return FontError(f"font {family!r} is not installed ({_INSTALL_HINT})")


@functools.cache
def font_file(family: str) -> Path:
    """The file of the installed font FAMILY; FontError if fontconfig substitutes another."""
    return face_file(family)[0]


@functools.cache
def face_file(family: str, bold: bool = False) -> tuple[Path, int]:
    """The file and index (in a collection) of the installed font FAMILY, its bold face if BOLD; FontError if
    fontconfig substitutes another family, or a regular face for a bold one (Pango would embolden it)."""
    found = _fc_match(family + (":bold" if bold else ""), "%{file}|%{index}|%{weight}|%{family}")
    file, index, weight, families = ((found or "").split("|", 3) + ["", "", ""])[:4]
    if not file or not index.isdigit():
        raise _not_installed(family)
    wanted = family.strip().casefold()
    names = {name.replace("\\", "").strip().casefold() for name in families.split(",")}
    if wanted not in names:
        raise _not_installed(family)
    if bold and float(weight.strip("[]").split()[0] or 0) < 180:  # fontconfig's bold is 200
        raise FontError(f"font {family!r} has no bold face")
    return Path(file), int(index)


@functools.cache
def _fontconfig() -> ctypes.CDLL:
    """fontconfig's library, with the signatures of what fc-match calls."""
    try:
        lib = ctypes.CDLL("libfontconfig.so.1")
    except OSError:
        raise FontError(f"fontconfig (libfontconfig.so.1) is not available to find fonts ({_INSTALL_HINT})") from None
    pointer = ctypes.c_void_p
    for name, result, arguments in (("FcNameParse", pointer, [ctypes.c_char_p]),
                                    ("FcConfigSubstitute", ctypes.c_int, [pointer, pointer, ctypes.c_int]),
                                    ("FcDefaultSubstitute", None, [pointer]),
                                    ("FcFontMatch", pointer, [pointer, pointer, ctypes.POINTER(ctypes.c_int)]),
                                    ("FcPatternFormat", pointer, [pointer, ctypes.c_char_p]),
                                    ("FcPatternDestroy", None, [pointer]), ("FcStrFree", None, [pointer])):  # fmt: skip
        function = getattr(lib, name)
        function.restype, function.argtypes = result, arguments
    return lib


def _fc_match(pattern: str, form: str) -> str | None:
    """What `fc-match --format=FORM PATTERN` prints, by the same calls in this process (a worker asks some 16
    times: 6 ms each as a command); None where fontconfig matches nothing."""
    lib = _fontconfig()
    parsed = lib.FcNameParse(pattern.encode("utf-8"))
    if not parsed:
        return None
    try:
        lib.FcConfigSubstitute(None, parsed, 0)  # FcMatchPattern, with the configuration in use
        lib.FcDefaultSubstitute(parsed)
        font = lib.FcFontMatch(None, parsed, ctypes.byref(ctypes.c_int()))
    finally:
        lib.FcPatternDestroy(parsed)
    if not font:
        return None
    try:
        text = lib.FcPatternFormat(font, form.encode("utf-8"))
        if not text:
            return None
        try:
            return ctypes.string_at(text).decode("utf-8", "replace")
        finally:
            lib.FcStrFree(text)
    finally:
        lib.FcPatternDestroy(font)


_CODE_POINTS = 0x110000


class Coverage:
    """What a font can draw: a bit for each code point it maps, and the (base, selector) sequences it knows, as
    sorted keys (about 250 KB a font, where sets of them took 2 to 5 MB)."""

    def __init__(self, points: set[int], sequences: list[tuple[int, int]]) -> None:
        bits = np.zeros(_CODE_POINTS, bool)
        bits[np.fromiter(points, np.int64, len(points))] = True
        self._points = np.packbits(bits, bitorder="little").tobytes()
        self._sequences = np.sort(np.array([base << 21 | selector for base, selector in sequences], np.int64))

    def maps(self, code: int) -> bool:
        """Whether the font has a glyph for the code point CODE."""
        return code < _CODE_POINTS and bool(self._points[code >> 3] >> (code & 7) & 1)

    def knows(self, base: int, selector: int) -> bool:
        """Whether the font draws BASE followed by the variation SELECTOR as a sequence of its own."""
        key = base << 21 | selector
        at = int(np.searchsorted(self._sequences, key))
        return at < len(self._sequences) and int(self._sequences[at]) == key


@functools.cache
def _coverage(family: str) -> Coverage:
    """What FAMILY can draw (its cmap, read by HarfBuzz: the face fontconfig gives, in a collection too; a few
    milliseconds where fontTools took a third of a second)."""
    path, index = face_file(family)
    face = hb.Face(hb.Blob.from_file_path(str(path)), index)
    sequences = [(base, selector) for selector in face.variation_selectors for base in face.variation_unicodes(selector)]
    return Coverage(face.unicodes, sequences)


def missing_glyphs(text: str, families: Sequence[str], fallback: Sequence[str] = ()) -> list[str]:
    """The characters of TEXT (each once, in order) that some of FAMILIES, each followed by FALLBACK, cannot draw."""
    return missing_in_stacks(text, [(family, *fallback) for family in families])


def _draws_sequence(stack: Sequence[Coverage], base: int, selector: int) -> bool:
    # Pango draws a variation sequence with the font that draws its base, the first of the stack that maps it,
    # and drops a selector that font does not know: the base would print in its default form, not as registered.
    font = next((coverage for coverage in stack if coverage.maps(base)), None)
    return font is not None and font.knows(base, selector)


def missing_in_stacks(text: str, stacks: Sequence[Sequence[str]]) -> list[str]:
    """The characters of TEXT (each once, in order) that some of STACKS cannot draw; a stack is a CSS font list,
    whose fonts draw each character by turns (Pango's fallback), never a generic family's chance font."""
    coverages = [[_coverage(family) for family in stack] for stack in stacks]
    missing: list[str] = []
    previous = ""
    for char in text:
        code = ord(char)
        if char in _ASCII_WHITESPACE:
            ok = True
        elif is_private_use(code):
            ok = False  # a vendor's 外字: whatever a font puts there is not what the register means
        elif code in VARIATION_SELECTORS:  # drawable only as a sequence the font knows
            ok = bool(previous) and all(_draws_sequence(stack, ord(previous), code) for stack in coverages)
        else:
            ok = all(any(coverage.maps(code) for coverage in stack) for stack in coverages)
        if not ok and char not in missing:
            missing.append(char)
        previous = char
    return missing
