"""Japanese era (和暦) dates: reading them from a register, writing them on a letter."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# (first day, kanji, initial) of each era, newest first.
ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1868, 1, 25), "明治", "M"),
)
_ERA_START_YEAR = {name: start.year for start, name, _ in ERAS}
_ERA_START_YEAR.update({initial: start.year for start, _, initial in ERAS})

_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
PLAIN = re.compile(r"[0-9]{4}[-/.][0-9]{2}[-/.][0-9]{2}|[0-9]{8}")  # as _WESTERN and _COMPACT read them
_WESTERN = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_KANJI_WESTERN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_ERA_KANJI = re.compile(r"^(令和|平成|昭和|大正|明治)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日$")
_ERA_INITIAL = re.compile(r"^([RHSTM])(元|\d{1,2})[./-](\d{1,2})[./-](\d{1,2})$", re.IGNORECASE)


def parse_date(text: str) -> date:
    """Read a date in any form of domain.md 5.1; raise ValueError if it is not one."""
    if text.isascii() and PLAIN.fullmatch(text):  # the usual forms, read as below, only quicker
        return date(int(text[:4]), int(text[-5:-3] if len(text) == 10 else text[4:6]), int(text[-2:]))
    # NFKC only on the date cell: full-width digits and letters become ASCII.
    s = unicodedata.normalize("NFKC", text).strip()
    s = _TIME_OF_DAY.sub("", s).replace(" ", "")  # spreadsheets export "2026/11/26 0:00:00"
    for pattern in (_WESTERN, _COMPACT, _KANJI_WESTERN):
        m = pattern.match(s)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    m = _ERA_KANJI.match(s) or _ERA_INITIAL.match(s)
    if m:
        era = m[1].upper() if m[1].isascii() else m[1]
        era_year = 1 if m[2] == "元" else int(m[2])
        if era_year < 1:
            raise ValueError(f"era year 0 in {text!r}")
        return date(_ERA_START_YEAR[era] + era_year - 1, int(m[3]), int(m[4]))
    raise ValueError(f"not a date: {text!r}")


def era_of(day: date) -> tuple[str, int]:
    """The era's kanji name and the year within it."""
    for start, name, _ in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day} is before the Meiji era")


def era_year(day: date, first_year: str = "元年") -> str:
    """The era and year as printed, '令和8年' or '令和元年'."""
    name, year = era_of(day)
    return f"{name}{first_year}" if year == 1 else f"{name}{year}年"


def format_date(day: date, style: str = "era_western", first_year: str = "元年") -> str:
    """A date as printed on a letter: 令和8年(2026年)11月26日, or 2026年11月26日."""
    if style == "western":
        return f"{day.year}年{day.month}月{day.day}日"
    era = era_year(day, first_year)
    if style == "era":
        return f"{era}{day.month}月{day.day}日"
    return f"{era}({day.year}年){day.month}月{day.day}日"


def format_western(day: date) -> str:
    """A date in the Western calendar as on the card: 2027年2月10日."""
    return f"{day.year}年{day.month}月{day.day}日"
