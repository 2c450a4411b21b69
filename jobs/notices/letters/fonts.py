"""The letter fonts: where fontconfig finds them, and which characters they can draw."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Sequence
from pathlib import Path

import uharfbuzz as hb

from ..errors import FontError
from ..gaiji import VARIATION_SELECTORS, is_private_use

_INSTALL_HINT = ("Debian: make setup, or apt-get install fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic "
                 "fonts-noto-core fonts-noto-cjk fonts-ipamj-mincho")
_ASCII_WHITESPACE = frozenset("\t\n\r ")
Coverage = tuple[frozenset[int], frozenset[tuple[int, int]]]  # the code points a font maps, its (base, selector) pairs


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
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}|%{index}|%{weight}|%{family}", family + (":bold" if bold else "")],
            capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        raise FontError(f"fontconfig (fc-match) is not available to find font {family!r}") from None
    file, index, weight, families = (result.stdout.split("|", 3) + ["", "", ""])[:4]
    if result.returncode != 0 or not file or not index.isdigit():
        raise _not_installed(family)
    wanted = family.strip().casefold()
    names = {name.replace("\\", "").strip().casefold() for name in families.split(",")}
    if wanted not in names:
        raise _not_installed(family)
    if bold and float(weight.strip("[]").split()[0] or 0) < 180:  # fontconfig's bold is 200
        raise FontError(f"font {family!r} has no bold face")
    return Path(file), int(index)


@functools.cache
def _coverage(family: str) -> Coverage:
    """The code points FAMILY maps, and the (base, selector) sequences it knows (its cmap, read by HarfBuzz: the
    face fontconfig gives, in a collection too; a few milliseconds where fontTools took a third of a second)."""
    path, index = face_file(family)
    face = hb.Face(hb.Blob.from_file_path(str(path)), index)
    sequences = {(base, selector) for selector in face.variation_selectors for base in face.variation_unicodes(selector)}
    return frozenset(face.unicodes), frozenset(sequences)


def missing_glyphs(text: str, families: Sequence[str], fallback: Sequence[str] = ()) -> list[str]:
    """The characters of TEXT (each once, in order) that some of FAMILIES, each followed by FALLBACK, cannot draw."""
    return missing_in_stacks(text, [(family, *fallback) for family in families])


def _draws_sequence(stack: Sequence[Coverage], base: int, selector: int) -> bool:
    # Pango draws a variation sequence with the font that draws its base, the first of the stack that maps it,
    # and drops a selector that font does not know: the base would print in its default form, not as registered.
    font = next((coverage for coverage in stack if base in coverage[0]), None)
    return font is not None and (base, selector) in font[1]


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
            ok = all(any(code in points for points, _sequences in stack) for stack in coverages)
        if not ok and char not in missing:
            missing.append(char)
        previous = char
    return missing
