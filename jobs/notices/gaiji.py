"""外字: the Unicode text a municipality has agreed on for code points of its vendor's private-use area.

A register export may carry characters of the resident-register vendor's own 外字 area (U+E000…U+F8FF,
planes 15 and 16), which no font draws as the register means them: such a resident is held (`glyph`).
Once the municipality has decided what a code point stands for (often a character of the 文字情報基盤,
with its variation selector), a map file says so, and the register's printed text is read with it:

    code_point,replacement,note
    U+F040,𠮷,agreed with 住民課 2026-04
    U+F041,U+8FBB U+E0101,辻 with its variation selector

The replacement is the text itself or its code points (`U+8FBB U+E0101`, for a selector no one can see).
The map is applied once, when the register is read (register/read.py), so that every later step (the holds,
the letters, the address a returned letter was sent to) sees the same text; nothing else is ever changed
in a name or address (domain.md 5.1: printed exactly as registered, no normalisation).
"""

from __future__ import annotations

import csv
import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

    from .register.residents import ResidentTable

HEADER = ["code_point", "replacement", "note"]
COLUMNS = ("name", "name_kana", "address", "address_extra")  # the register's text printed on the letters
_CODE = r"U\+([0-9A-Fa-f]{4,6})"
_CODES = re.compile(rf"{_CODE}(?: +{_CODE})*")
# Variation selectors (VS1-16, VS17-256): each belongs to the character before it (an IVS: 葛 + U+E0100).
VARIATION_SELECTORS = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0xE0100, 0xE01F0))


def is_private_use(code: int) -> bool:
    """True for a code point of a private-use area (the BMP's, or planes 15 and 16)."""
    return 0xE000 <= code <= 0xF8FF or 0xF0000 <= code <= 0x10FFFF


@dataclass(frozen=True)
class GaijiMap:
    """Private-use characters and their agreed text; empty when the municipality has agreed on none."""

    source: str = ""
    pairs: tuple[tuple[str, str], ...] = ()

    def translate(self, text: str) -> str:
        """TEXT with every mapped private-use character replaced by its agreed text."""
        return text.translate({ord(code): replacement for code, replacement in self.pairs})

    def column(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        """translate() over a text column (no replacement holds a private-use character: none is replaced twice)."""
        import pyarrow.compute as pc

        for code, replacement in self.pairs:
            column = pc.replace_substring(column, code, replacement)
        return column

    def applied(self, table: ResidentTable) -> ResidentTable:
        """TABLE with its printed columns translated."""
        if not self.pairs:
            return table
        columns = {**table.columns, **{name: self.column(table.columns[name]) for name in COLUMNS}}
        return dataclasses.replace(table, columns=columns, cache={})


def _code_point(text: str) -> int | None:
    match = re.fullmatch(r"(?:U\+)?([0-9A-Fa-f]{4,6})", text.strip())
    return int(match[1], 16) if match else None


def _replacement(text: str) -> str:
    """The agreed text of a map row: as written, or from its code points; ValueError saying what is wrong."""
    text = text.strip()
    if _CODES.fullmatch(text):
        codes = [int(code, 16) for code in re.findall(_CODE, text)]
        if any(code > 0x10FFFF or 0xD800 <= code <= 0xDFFF for code in codes):
            raise ValueError(f"replacement {text!r} is not a list of Unicode code points")
        text = "".join(map(chr, codes))
    if not text:
        raise ValueError("the replacement is empty")
    for index, char in enumerate(text):
        if is_private_use(ord(char)):
            raise ValueError(f"the replacement holds the private-use U+{ord(char):04X}: it must be agreed Unicode text")
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"the replacement holds the control character U+{ord(char):04X}")
        if ord(char) in VARIATION_SELECTORS and (index == 0 or ord(text[index - 1]) in VARIATION_SELECTORS):
            raise ValueError(f"the variation selector U+{ord(char):04X} does not follow a character")
    return text


def load_map(path: Path) -> GaijiMap:
    """Read a map file (UTF-8 CSV, HEADER first, `#` lines comments); ConfigError naming file and line."""
    source = str(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{source}: 外字 map file not found ([fonts] gaiji_map)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the 外字 map (UTF-8 CSV): {exc}") from None
    pairs: dict[str, tuple[int, str]] = {}
    header = False
    for number, row in enumerate(csv.reader(lines), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if not header:
            if [cell.strip() for cell in row] != HEADER:
                raise ConfigError(f"{source}: line {number}: the header must be {','.join(HEADER)}")
            header = True
            continue
        if len(row) not in (2, 3):
            raise ConfigError(f"{source}: line {number}: expected {','.join(HEADER)}, found {len(row)} fields")
        code = _code_point(row[0])
        if code is None or not is_private_use(code):
            raise ConfigError(f"{source}: line {number}: {row[0].strip()!r} is not a private-use code point "
                              "(U+E000 to U+F8FF, U+F0000 to U+10FFFD)")  # fmt: skip
        if chr(code) in pairs:
            raise ConfigError(f"{source}: line {number}: U+{code:04X} is mapped already on line {pairs[chr(code)][0]}")
        try:
            pairs[chr(code)] = (number, _replacement(row[1]))
        except ValueError as exc:
            raise ConfigError(f"{source}: line {number}: {exc}") from None
    return GaijiMap(source, tuple((code, replacement) for code, (_line, replacement) in pairs.items()))
