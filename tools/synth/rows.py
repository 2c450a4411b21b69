"""generate(): the town's residents as register rows, each with the outcome meant for it."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

import jaconv
from notices.register.wareki import ERAS

from .cases import special_units
from .model import COLUMNS, STATUS_JA, Person
from .oracle import outcome
from .town import Town, ordinary_household


@dataclass(frozen=True)
class SampleRow:
    """One register row as written, and the outcome the generator intends for it.

    A row built to be malformed lacks some columns (it is written short) or has keys
    outside COLUMNS (written as extra fields after the last column).
    """

    cells: dict[str, str]
    expect: str
    note: str

    @property
    def resident_id(self) -> str:
        """The row's resident ID, empty when the row has none."""
        return self.cells.get("resident_id", "")


def generate(as_of: date, residents: int = 3000, seed: int = 2026, *, legacy: bool = False) -> list[SampleRow]:
    """A synthetic register of about `residents` rows (at least the built cases), deterministic in
    (as_of, residents, seed). legacy: cells as a CP932 export writes them (half-width readings,
    era and compact dates, Japanese status words); the content is the same as without it."""
    town = Town(random.Random(seed), as_of)
    units = special_units(town, residents)
    count = sum(map(len, units))
    while count < residents:
        units.append(ordinary_household(town, residents - count))
        count += len(units[-1])
    town.rng.shuffle(units)
    people = [p for unit in units for p in unit]
    flagged = frozenset(p.hh for p in people if p.support)
    ids = Counter(p.rid for p in people if p.rid)
    duplicated = frozenset(rid for rid, n in ids.items() if n > 1)
    # Formats come from a second generator so that the content does not depend on legacy.
    fmt = random.Random(f"{seed}-format")
    rows = []
    for p in people:
        expect = outcome(p, as_of, flagged, duplicated)
        if p.intent and p.intent != expect:
            raise AssertionError(f"{p.note}: built for {p.intent}, rules give {expect}")
        note = p.note or ("ordinary resident" + (", due" if expect.startswith("mail:") else ""))
        rows.append(SampleRow(_cells(p, fmt, legacy), expect, note))
    return rows


def _date_cell(day: date | None, fmt: random.Random, legacy: bool) -> str:
    if day is None:
        return ""
    style = fmt.choice(("era", "era", "initial", "slash", "compact")) if legacy else fmt.choices(
        ("iso", "slash", "compact"), (90, 5, 5))[0]
    if style in ("era", "initial"):
        start, kanji, initial = next(era for era in ERAS if day >= era[0])
        year = day.year - start.year + 1
        if style == "initial":
            return f"{initial}{year}.{day.month}.{day.day}"
        return f"{kanji}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return {"iso": day.isoformat(), "slash": day.strftime("%Y/%m/%d"), "compact": day.strftime("%Y%m%d")}[style]


def _half_width(kana: str) -> str:
    """ﾔﾏﾀﾞ ﾀﾛｳ, as legacy systems store readings."""
    return jaconv.z2h(kana, kana=True, ascii=False, digit=False).replace("　", " ")


def _cells(p: Person, fmt: random.Random, legacy: bool) -> dict[str, str]:
    """The person's cells; a legacy export has half-width readings, era dates, Japanese words."""
    def when(day: date | None) -> str:
        return _date_cell(day, fmt, legacy)

    status = STATUS_JA[p.status] if p.status in STATUS_JA and (legacy or fmt.random() < 0.03) else p.status
    postal = p.postal
    if re.fullmatch(r"\d{7}", postal) and fmt.random() < 0.6:
        postal = f"{postal[:3]}-{postal[3:]}"
    cells = {
        "resident_id": p.rid, "household_id": p.hh, "name": p.name,
        "name_kana": _half_width(p.kana) if legacy else p.kana, "birth_date": when(p.born),
        "sex": p.sex if fmt.random() < (0.3 if legacy else 0.8) else "男女"[int(p.sex) - 1],
        "postal_code": postal, "address": p.address, "address_extra": p.extra, "status": status,
        "nationality": p.nationality or ("JP" if fmt.random() < 0.15 else ""),
        "residence_status": p.res_status, "residence_expires_on": when(p.res_exp),
        "card_issued_on": when(p.card_issued), "card_expires_on": when(p.card_exp),
        "card_state": p.card_state or ("active" if p.card_issued and fmt.random() < 0.1 else ""),
        "cert_issued_on": when(p.cert_issued), "cert_expires_on": when(p.cert_exp),
        "support_measure": fmt.choice(("1", "有", "true", "yes") if p.support else ("",) * 7 + ("0", "無", "no")),
        "application_id": p.app_id, "language": p.language, "card_applied_on": when(p.card_applied),
        "card_residence_expires_on": when(p.card_stay), "my_number": p.my_number,
    }
    raw = {column: text if isinstance(text, str) else text[legacy] for column, text in p.raw.items()}
    cells.update((column, text) for column, text in raw.items() if column in COLUMNS)
    cells = dict(list(cells.items())[: p.width])
    cells.update((column, text) for column, text in raw.items() if column not in COLUMNS)
    return cells
