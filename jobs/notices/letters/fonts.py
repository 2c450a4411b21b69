"""The letter fonts: where fontconfig finds them, and which characters they can draw."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Sequence
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from ..errors import FontError

_INSTALL_HINT = "Debian: make setup, or apt-get install fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-noto-core fonts-noto-cjk"
_ASCII_WHITESPACE = frozenset("\t\n\r ")
# Variation selectors (VS1-16, VS17-256): drawable only as a sequence the font knows.
_VARIATION_SELECTORS = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0xE0100, 0xE01F0))


def _is_private_use(code: int) -> bool:
    return 0xE000 <= code <= 0xF8FF or 0xF0000 <= code <= 0x10FFFF


def _not_installed(family: str) -> FontError:
    return FontError(f"font {family!r} is not installed ({_INSTALL_HINT})")


def _family_names(font: TTFont) -> set[str]:
    names = set()
    for record in font["name"].names:
        if record.nameID in (1, 16):
            try:
                names.add(record.toUnicode().casefold())
            except UnicodeDecodeError:
                continue
    return names


@functools.cache
def font_file(family: str) -> Path:
    """The file of the installed font FAMILY; FontError if fontconfig substitutes another."""
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}:%{family}", family],
            capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        raise FontError(f"fontconfig (fc-match) is not available to find font {family!r}") from None
    file, sep, families = result.stdout.rpartition(":")
    if result.returncode != 0 or not sep or not file:
        raise _not_installed(family)
    wanted = family.strip().casefold()
    names = {name.replace("\\", "").strip().casefold() for name in families.split(",")}
    if wanted not in names:
        raise _not_installed(family)
    return Path(file)


def _cmap_of(font: TTFont) -> tuple[frozenset[int], frozenset[tuple[int, int]]]:
    cmap = font["cmap"]
    points = frozenset(cmap.getBestCmap() or {})
    sequences: set[tuple[int, int]] = set()
    for table in cmap.tables:
        if table.format == 14:
            for selector, pairs in table.uvsDict.items():
                sequences.update((base, selector) for base, _glyph in pairs)
    return points, frozenset(sequences)


@functools.cache
def _coverage(family: str) -> tuple[frozenset[int], frozenset[tuple[int, int]]]:
    """The code points FAMILY maps, and the (base, selector) sequences it knows."""
    path = font_file(family)
    if path.suffix.lower() not in (".ttc", ".otc"):
        with TTFont(path, lazy=True) as font:
            return _cmap_of(font)
    collection = TTCollection(path, lazy=True)
    try:
        wanted = family.strip().casefold()
        fonts = collection.fonts
        return _cmap_of(next((f for f in fonts if wanted in _family_names(f)), fonts[0]))
    finally:
        collection.close()


def missing_glyphs(text: str, families: Sequence[str]) -> list[str]:
    """The characters of TEXT (each once, in order) that some of FAMILIES cannot draw."""
    coverages = [_coverage(family) for family in families]
    missing: list[str] = []
    previous = ""
    for char in text:
        code = ord(char)
        if char in _ASCII_WHITESPACE:
            ok = True
        elif _is_private_use(code):
            ok = False
        elif code in _VARIATION_SELECTORS:
            ok = bool(previous) and all(
                (ord(previous), code) in sequences for _points, sequences in coverages
            )
        else:
            ok = all(code in points for points, _sequences in coverages)
        if not ok and char not in missing:
            missing.append(char)
        previous = char
    return missing
