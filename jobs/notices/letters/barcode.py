"""The Japan Post customer barcode (カスタマバーコード) under the address (domain.md 4).

Source: 日本郵便「郵便番号・バーコードマニュアル」, https://www.post.japanpost.jp/zipcode/zipmanual/
(pNN below is the page pNN.html of that manual). The symbol is a start code, the 7-digit postal
code, 13 positions of address number (住所表示番号), a check digit and a stop code: 23 characters
of 3 bars each, except start and stop with 2 each, 67 bars in all (p12). Each bar is one of
F long (ロングバー), A upper semi-long (セミロングバー上), D lower semi-long (セミロングバー下),
T timing (タイミングバー).

What address_number() does with the part before the address number (住所A): the manual splits
the address at the end of the town area (町域名) with the postal-code dictionary (p17, p18). This
module has no dictionary, so it takes the address number to begin at the first Arabic digit,
single Latin letter, or kanji numeral standing before an address-number keyword (三丁目, 二十一地割);
everything before it (prefecture, city, town) is dropped. A town name is not mistaken for the start
when it is a numeral before 条 (北1条西, Hokkaido), or a kanji numeral before 番/丁/の/ノ followed by
another name character (一番町, 八丁堀, 三ノ輪). The caller may also pass only the part after the
town area; the result is the same. A town name with an Arabic digit of its own is not recognised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ADDRESS_POSITIONS = 13  # p12: 住所表示番号 13 けた

# Bar patterns of each character: the manual's table カスタマバーコードの体系 in its バーコード section
# (p10-p13; p21 points to it as 「6項 バーコードの(3)」; read via the copies below). Cross-checked: zint backend/postal.c JapanTable (and OkapiBarcode,
# its Java port), shimoning/postal-customer-barcode Constants/Number.php + Control.php, and
# pinekta/php-jp-customer-barcode-generator BarcodeGenerator.php agree bar for bar; zint's test
# vectors for the manual's own examples (verified against TEC-IT) decode to the same bars.
START_BARS = "FD"  # スタートコード: ロング, セミロング下
STOP_BARS = "DF"  # ストップコード: セミロング下, ロング
_BARS: dict[str, str] = {
    "1": "FFT", "2": "FDA", "3": "DFA", "4": "FAD", "5": "FTF",
    "6": "DAF", "7": "AFD", "8": "ADF", "9": "TFF", "0": "FTT",
    "-": "TFT",
    "CC1": "DAT", "CC2": "DTA", "CC3": "ADT", "CC4": "TDA",
    "CC5": "ATD", "CC6": "TAD", "CC7": "TTF", "CC8": "FFF",
}  # fmt: skip

# p21 チェックデジット計算対応表: 0-9 → 0-9, '-' → 10, CC1..CC8 → 11..18.
_VALUE: dict[str, int] = {str(d): d for d in range(10)} | {"-": 10}
_VALUE |= {f"CC{n}": 10 + n for n in range(1, 9)}
_SYMBOL: dict[int, str] = {v: k for k, v in _VALUE.items()}

# p19 補足ルール 1: kanji numerals before these words become Arabic digits (longest word first).
_KEYWORDS = ("丁目", "丁", "番地", "番", "号", "地割", "線", "の", "ノ")
_KANJI_DIGIT = {
    "〇": 0, "零": 0, "一": 1, "壱": 1, "二": 2, "弐": 2, "三": 3, "参": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_KANJI_UNIT = {"十": 10, "拾": 10, "百": 100, "千": 1000}
_KANJI_NUMERAL = re.compile(
    "([" + "".join(_KANJI_DIGIT) + "".join(_KANJI_UNIT) + "]+)(" + "|".join(_KEYWORDS) + ")"
)
# Keywords that are also parts of town names (一番町, 八丁堀, 三ノ輪, 一の宮) when another name
# character follows them; only consulted before the address number has started.
_NAME_PRONE = frozenset({"丁", "番", "の", "ノ"})
_DROPPED = str.maketrans("", "", "&/・.")  # p19 基本ルール 2
_POSTAL = re.compile(r"([0-9]{3})-?([0-9]{4})")
_LEADING_POSTAL = re.compile(r"^\s*〒\s*[0-9]{3}-?[0-9]{4}")

# p12 寸法, for the 10-point size (a = 10): long bar 3.6 mm (ratio 6), timing bar 1.2 mm (ratio 2),
# bar pitch 1.2 mm, bar width 0.6 mm, bar space 0.6 mm; 8 ≦ a ≦ 11.5 allowed, i.e. scale 0.8-1.15.
# The semi-long bars (ratio 4, 2.4 mm) reach from the top, or from the bottom, through the timing
# zone (4ステイト3バー shapes; the same 6:4:2 ratio is used by the shimoning and pinekta encoders).
LONG_MM, SEMI_MM, TIMING_MM = 3.6, 2.4, 1.2
PITCH_MM, BAR_WIDTH_MM = 1.2, 0.6
MIN_SCALE, MAX_SCALE = 0.8, 1.15
QUIET_ZONE_MM = 2.0  # p13 印字位置: 2 mm or more of blank space above, below, left and right


@dataclass(frozen=True)
class CustomerBarcode:
    """One customer barcode: the data it carries and the 67 bars that draw it."""

    postal_code: str  # 7 digits, no hyphen
    address_number: str  # the extracted 住所表示番号 before encoding, e.g. "1-3-2-503"
    characters: tuple[str, ...]  # 7 postal digits + 13 address positions + check digit = 21
    bars: str  # 67 letters F/A/D/T, start and stop codes included


def _kanji_value(numeral: str) -> str:
    """A kanji numeral as Arabic digits: 二十一 → 21, 百五 → 105, 二〇三 → 203."""
    if not any(ch in _KANJI_UNIT for ch in numeral):
        return "".join(str(_KANJI_DIGIT[ch]) for ch in numeral)
    total = current = 0
    for ch in numeral:
        if ch in _KANJI_UNIT:
            total += (current or 1) * _KANJI_UNIT[ch]
            current = 0
        else:
            current = current * 10 + _KANJI_DIGIT[ch]
    return str(total + current)


def _is_name_char(ch: str) -> bool:
    """True for a character that continues a place name: kanji or kana, but not a numeral."""
    if ch in _KANJI_DIGIT or ch in _KANJI_UNIT:
        return False
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA"))


def _normalise(address: str) -> str:
    """NFKC (full-width digits, letters, &/. and spaces to ASCII), upper case, &/・. dropped."""
    text = unicodedata.normalize("NFKC", address).upper()  # p19 基本ルール 1
    return _LEADING_POSTAL.sub("", text).translate(_DROPPED)  # p19 基本ルール 2


def _tokens(text: str) -> list[str]:
    """The extracted pieces in order: digit runs, single letters and '-' (any separator)."""
    out: list[str] = []
    started = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        m = _KANJI_NUMERAL.match(text, i)
        if m:  # p19 補足ルール 1: 三丁目 → 3, 二十一地割 → 21
            nxt = text[m.end()] if m.end() < n else ""
            if started or not (m.group(2) in _NAME_PRONE and nxt and _is_name_char(nxt)):
                out.append(_kanji_value(m.group(1)))
                started = True
                i = m.end(1)  # the keyword itself is scanned next, as a separator
                continue
            i = m.end()
            continue
        if "0" <= ch <= "9":  # p19 基本ルール 3: Arabic digits are extracted
            j = i
            while j < n and "0" <= text[j] <= "9":
                j += 1
            if not started and text.startswith("条", j):  # 北1条西: part of the town name
                i = j
                continue
            out.append(text[i:j])
            started, i = True, j
            continue
        if "A" <= ch <= "Z":  # p19 基本ルール 3: a letter not next to another letter
            j = i
            while j < n and "A" <= text[j] <= "Z":
                j += 1
            floor = ch == "F" and i > 0 and "0" <= text[i - 1] <= "9"  # 10F, 1F1号: 階, p25
            if j - i == 1 and not floor:
                out.append(ch)
                started = True
            elif started:
                out.append("-")  # p19 基本ルール 4: 2 or more letters become a hyphen
            i = j
            continue
        if started:  # p19 基本ルール 3, 4: a hyphen, or any other character, becomes a hyphen
            out.append("-")
        i += 1
    return out


def address_number(address: str) -> str:
    """The 住所表示番号 extracted from an address by the manual's rules (p19, p25)."""
    joined = re.sub(r"-+", "-", "".join(_tokens(_normalise(address))))  # 基本ルール 5
    joined = re.sub(r"-?([A-Z])-?", r"\1", joined)  # 補足ルール: no hyphen next to a letter
    return joined.strip("-")  # 基本ルール 6 (and the end, as domain.md 4 says)


def _address_positions(number: str) -> list[str]:
    """The 13 address positions: letters as control code + digit, truncated, CC4-padded."""
    positions: list[str] = []
    for ch in number:
        if len(positions) == ADDRESS_POSITIONS:
            break
        if ch.isdigit() or ch == "-":
            positions.append(ch)
            continue
        k = ord(ch) - ord("A")  # p12, p20: A-J = CC1+0..9, K-T = CC2+0..9, U-Z = CC3+0..5
        positions.append(f"CC{k // 10 + 1}")
        if len(positions) < ADDRESS_POSITIONS:  # p12, p20: a control code on the last
            positions.append(str(k % 10))  # position stays alone, its digit is cut
    return positions + ["CC4"] * (ADDRESS_POSITIONS - len(positions))  # p12: pad with CC4


def _check_symbol(symbols: list[str] | tuple[str, ...]) -> str:
    """The check character making the sum of all values a multiple of 19 (p21)."""
    return _SYMBOL[-sum(_VALUE[s] for s in symbols) % 19]


def gets_barcode(postal_code: str) -> bool:
    """False for a representative postal code: p18, 代表の郵便番号 (下2けたが00) gets no barcode."""
    return not postal_code.endswith("00")


def encode(postal_code: str, address: str) -> CustomerBarcode | None:
    """The barcode for a postal code and address; None for a representative code (…00)."""
    m = _POSTAL.fullmatch(unicodedata.normalize("NFKC", postal_code).strip())
    if not m:
        raise ValueError("postal code is not 7 digits")
    postal = m.group(1) + m.group(2)  # p17 注1, p20: the hyphen is left out
    if not gets_barcode(postal):
        return None
    number = address_number(address)
    data = list(postal) + _address_positions(number)  # p20: 20 positions before the check
    characters = (*data, _check_symbol(data))
    bars = START_BARS + "".join(_BARS[c] for c in characters) + STOP_BARS
    return CustomerBarcode(postal, number, characters, bars)


_CHARACTER = {bars: character for character, bars in _BARS.items()}


def decode(bars: str) -> tuple[str, ...] | None:
    """The 21 characters (postal code, address positions, check digit) drawn by 67 BARS; None unless the bars are
    a start code, 21 known characters whose check digit holds, and a stop code."""
    if len(bars) != 67 or not bars.startswith(START_BARS) or not bars.endswith(STOP_BARS):
        return None
    characters = tuple(_CHARACTER.get(bars[k:k + 3], "?") for k in range(2, 65, 3))
    if "?" in characters or _check_symbol(characters[:-1]) != characters[-1]:
        return None
    return characters


def characters_text(code: CustomerBarcode) -> str:
    """The characters, space separated, as `notices barcode` prints them."""
    return " ".join(code.characters)


def _mm(value: float) -> str:
    """A length in mm for SVG, without trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def bars_mm(code: CustomerBarcode, *, scale: float = 1.0) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """The symbol's width and height with its quiet zone, and its bars as (x, y, width, height), in mm."""
    if not MIN_SCALE <= scale <= MAX_SCALE:  # p12: 8 to 11.5 point
        raise ValueError(f"scale must be between {MIN_SCALE} and {MAX_SCALE} (8-11.5 point)")
    long_, semi, timing = LONG_MM * scale, SEMI_MM * scale, TIMING_MM * scale
    spans = {"F": (0.0, long_), "A": (0.0, semi), "D": (long_ - semi, semi)}
    spans["T"] = ((long_ - timing) / 2, timing)
    q, pitch, width = QUIET_ZONE_MM, PITCH_MM * scale, BAR_WIDTH_MM * scale
    bars = [(q + k * pitch, q + spans[b][0], width, spans[b][1]) for k, b in enumerate(code.bars)]
    return 2 * q + (len(code.bars) - 1) * pitch + width, 2 * q + long_, bars


def svg(code: CustomerBarcode, *, scale: float = 1.0) -> str:
    """The symbol as a self-contained SVG in mm, black bars on white, with its quiet zone."""
    total_w, total_h, bars = bars_mm(code, scale=scale)
    rects = [f'<rect x="{_mm(x)}" y="{_mm(y)}" width="{_mm(w)}" height="{_mm(h)}"/>' for x, y, w, h in bars]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_mm(total_w)}mm" '
        f'height="{_mm(total_h)}mm" viewBox="0 0 {_mm(total_w)} {_mm(total_h)}" '
        'shape-rendering="crispEdges">'
        f'<rect width="{_mm(total_w)}" height="{_mm(total_h)}" fill="#fff"/>'
        f'<g fill="#000">{"".join(rects)}</g></svg>'
    )
