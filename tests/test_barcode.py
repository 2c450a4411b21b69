"""The Japan Post customer barcode (domain.md 4; 郵便番号・バーコードマニュアル pp. 11-25).

Expectations come from outside the module: the manual's own examples (p17-p25), a Japan Post
inspection sheet, zint's test vectors for the manual's examples, and a bar table written out
here from the manual's character table as the PHP encoders shimoning/postal-customer-barcode and
pinekta/php-jp-customer-barcode-generator reproduce it, independently of notices.barcode._BARS.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notices.letters.barcode import CustomerBarcode, address_number, characters_text, encode, svg

# The manual's character table (バーコード section), one bar per letter: F long, A upper semi-long,
# D lower semi-long, T timing. Written out independently of the module under test.
TABLE = {
    "1": "FFT", "2": "FDA", "3": "DFA", "4": "FAD", "5": "FTF",
    "6": "DAF", "7": "AFD", "8": "ADF", "9": "TFF", "0": "FTT", "-": "TFT",
    "CC1": "DAT", "CC2": "DTA", "CC3": "ADT", "CC4": "TDA",
    "CC5": "ATD", "CC6": "TAD", "CC7": "TTF", "CC8": "FFF",
}  # fmt: skip
VALUE = {**{str(d): d for d in range(10)}, "-": 10, **{f"CC{n}": 10 + n for n in range(1, 9)}}


# -- address number extraction (p19 rules, p25 examples) ------------------------------------

EXTRACTION = [
    # domain.md 4 (Japan Post's examples, p17, p18, p19, p25)
    ("東京都千代田区霞が関1丁目3番2号 郵便プラザ503室", "1-3-2-503"),
    ("千葉市稲毛区緑町3丁目30-8 郵便ビル403号", "3-30-8-403"),
    ("東京都台東区台東5-6-3 ABCビル10F", "5-6-3-10"),
    ("北海道札幌市東区北六条東4丁目 郵便センター6号館", "4-6"),
    ("千葉県鎌ケ谷市右京塚 東3丁目-20-5 郵便・A&bコーポB604号", "3-20-5B604"),
    # the rest of the manual's p25 table (full-width spaces as printed there)
    ("秋田県大仙市堀見内\u3000南田茂木\u3000添60-1", "60-1"),
    ("北海道札幌市東区北六条東8丁目\u3000郵便センター10号館", "8-10"),
    ("山梨県韮崎市龍岡町下條南割\u3000韮崎400", "400"),
    ("東京都青梅市河辺町十一丁目六番地一号\u3000郵便タワー601", "11-6-1-601"),
    ("岩手県宮古市大字津軽石第二十一地割大淵川480", "21-480"),
    ("大阪府堺市堺区中田出井町四丁六番十九号", "4-6-19"),
    ("北海道帯広市稲田町南七線\u3000西28", "7-28"),
    ("茨城県日立市宮田町6丁目7-14\u3000ABCビル2F", "6-7-14-2"),
    ("神戸市中央区港島中町9丁目7-6\u3000郵便シティA棟1F1号", "9-7-6A1-1"),
    ("京都府綾部市青野町綾部6-7\u3000LプラザB106", "6-7LB106"),
    ("札幌市中央区南四条西29丁目1524-23\u3000第2郵便ハウス501", "29-1524-23-2-501"),
    ("福井県福井市新田塚3丁目80-25\u3000J1ビル2-B", "3-80-25J1-2B"),
    # kanji numerals before the keywords of p19 補足ルール 1
    ("架空県若葉町緑町三丁目十一番地二十三号", "3-11-23"),
    ("架空町二丁目3番4号", "2-3-4"),
    ("架空町百二番地", "102"),
    ("架空町千二百三十四番地5", "1234-5"),
    ("架空町二〇三号", "203"),
    ("架空町十番地の三", "10"),  # 三 stands before no keyword: not converted (p19)
    ("架空町五の十二番", "5-12"),
    ("盛岡市飯岡新田４地割１００１\u3000河南自治公民館", "4-1001"),
    ("架空郡架空町第二地割字架空5番地", "2-5"),
    # full-width digits, letters and punctuation
    ("東京都千代田区霞が関１丁目３番２号\u3000郵便プラザ５０３室", "1-3-2-503"),
    ("架空町１－２－３\u3000Ｂ６０４号", "1-2-3B604"),
    ("架空町1-2-3 ａ棟", "1-2-3A"),
    ("架空町1.2/3", "123"),  # . / & ・ are dropped, not turned into hyphens (p19 基本ルール 2)
    # letters: single letters kept, runs of two or more become one hyphen
    ("架空町1-2-3 KビルU-5", "1-2-3KU5"),
    ("架空町12 XYZタワー 7", "12-7"),
    # floors: F after a digit is 階 (p25: 10F, 2F, 1F1号)
    ("架空町1-2 第3ビル 5F", "1-2-3-5"),
    # town names that look like address numbers (see the module docstring)
    ("東京都千代田区一番町10-2", "10-2"),
    ("東京都台東区三ノ輪2丁目14-1", "2-14-1"),
    ("東京都中央区八丁堀三丁目二十三番五号", "3-23-5"),
    ("北海道札幌市中央区北1条西2丁目1", "2-1"),
    ("〒100-0013 東京都千代田区霞が関1丁目3番2号", "1-3-2"),
    # nothing to extract
    ("東京都千代田区霞が関", ""),
    ("", ""),
]


@pytest.mark.parametrize(("address", "expected"), EXTRACTION)
def test_address_number(address: str, expected: str) -> None:
    assert address_number(address) == expected


# -- characters and check digit (p12, p20, p21) ---------------------------------------------

CHARACTERS = [
    # domain.md 4 and the manual's p17/p21 worked example: check digit 9
    ("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室",
     "1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9"),
    # p20: the 20th position is a hyphen; the rest is cut
    ("064-0804", "札幌市中央区南四条西29丁目1524-23\u3000第2郵便ハウス501",
     "0 6 4 0 8 0 4 2 9 - 1 5 2 4 - 2 3 - 2 - 3"),
    # p20: the letter B's control code lands on the 20th position and stays alone
    ("910-0067", "福井県福井市新田塚3丁目80-25\u3000J1ビル2-B",
     "9 1 0 0 0 6 7 3 - 8 0 - 2 5 CC1 9 1 - 2 CC1 9"),
    # Japan Post's inspection sheet (kipwmi.com, 1998) read these check values: 0 and 18 (CC8)
    ("273-0102", "千葉県鎌ケ谷市右京塚\u3000東3丁目-20-5\u3000郵便・A&bコーポB604号",
     "2 7 3 0 1 0 2 3 - 2 0 - 5 CC1 1 6 0 4 CC4 CC4 0"),
    ("014-0113", "秋田県大仙市堀見内\u3000南田茂木\u3000添60-1",
     "0 1 4 0 1 1 3 6 0 - 1 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC8"),
    # p22: a large-office code with no address number: 13 × CC4
    ("100-8792", "日本郵便株式会社",
     "1 0 0 8 7 9 2 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 0"),
    # letter ranges: A-J = CC1+0..9, K-T = CC2+0..9, U-Z = CC3+0..5 (p12, p20)
    ("123-4567", "架空町1A", "1 2 3 4 5 6 7 1 CC1 0 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 -"),
    ("123-4567", "架空町1J", "1 2 3 4 5 6 7 1 CC1 9 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 1"),
    ("123-4567", "架空町1K", "1 2 3 4 5 6 7 1 CC2 0 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 9"),
    ("123-4567", "架空町1T", "1 2 3 4 5 6 7 1 CC2 9 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 0"),
    ("123-4567", "架空町1U", "1 2 3 4 5 6 7 1 CC3 0 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 8"),
    ("123-4567", "架空町1Z", "1 2 3 4 5 6 7 1 CC3 5 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 CC4 3"),
    # a letter that just fits (positions 19-20), and one whose control code is the 20th
    ("123-4567", "架空町12-34-56-78Z", "1 2 3 4 5 6 7 1 2 - 3 4 - 5 6 - 7 8 CC3 5 2"),
    ("123-4567", "架空町12-34-56-789U", "1 2 3 4 5 6 7 1 2 - 3 4 - 5 6 - 7 8 9 CC3 CC7"),
    # 13 positions exactly, and one more digit cut
    ("123-4567", "架空町1234567890123", "1 2 3 4 5 6 7 1 2 3 4 5 6 7 8 9 0 1 2 3 CC6"),
    ("123-4567", "架空町12345678901234", "1 2 3 4 5 6 7 1 2 3 4 5 6 7 8 9 0 1 2 3 CC6"),
    # postal code typed without hyphen, and in full width
    ("1000013", "霞が関1丁目3番2号 郵便プラザ503室", "1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9"),
    ("１００－００１３", "霞が関1-3-2-503", "1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9"),
]  # fmt: skip


@pytest.mark.parametrize(("postal", "address", "expected"), CHARACTERS)
def test_characters(postal: str, address: str, expected: str) -> None:
    code = encode(postal, address)
    assert code is not None
    assert characters_text(code) == expected
    assert sum(VALUE[c] for c in code.characters) % 19 == 0


def test_the_domain_example_field_by_field() -> None:
    code = encode("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室")
    assert code == CustomerBarcode(
        postal_code="1000013",
        address_number="1-3-2-503",
        characters=("1", "0", "0", "0", "0", "1", "3", "1", "-", "3", "-", "2", "-", "5", "0",
                    "3", "CC4", "CC4", "CC4", "CC4", "9"),  # fmt: skip
        bars=code.bars,
    )
    assert characters_text(code) == "1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9"


# -- bars ----------------------------------------------------------------------------------

# 〒100-0013 東京都千代田区霞が関1丁目3番2号 郵便プラザ503室, bar by bar from the manual's table.
DOMAIN_EXAMPLE_BARS = (
    "FD"  # start
    "FFT" "FTT" "FTT" "FTT" "FTT" "FFT" "DFA"  # 1 0 0 0 0 1 3
    "FFT" "TFT" "DFA" "TFT" "FDA" "TFT" "FTF" "FTT" "DFA"  # 1 - 3 - 2 - 5 0 3
    "TDA" "TDA" "TDA" "TDA"  # CC4 × 4
    "TFF"  # check digit 9
    "DF"  # stop
)


def test_domain_example_bars_bar_by_bar() -> None:
    code = encode("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室")
    assert code is not None
    assert len(DOMAIN_EXAMPLE_BARS) == 67
    assert code.bars.startswith("FDFFTFTT") and code.bars.endswith("TFFDF")  # domain.md 5.2
    for k, (got, want) in enumerate(zip(code.bars, DOMAIN_EXAMPLE_BARS, strict=True)):
        assert got == want, f"bar {k}"


# zint's backend/tests/test_postal.c encodes the manual's examples (verified there against TEC-IT);
# its 3-row module matrices, read column by column (top+bottom F, top A, bottom D, neither T):
ZINT_VECTORS = [
    ("154-0023", "3-16-4-205",
     "FDFFTFTFFADFTTFTTFDADFADFATFTFFTDAFTFTFADTFTFDAFTTFTFTDATDATDADAFDF"),
    ("350-1106", "22-1A308",
     "FDDFAFTFFTTFFTFFTFTTDAFFDAFDATFTFFTDATFTTDFAFTTADFTDATDATDATDAFTFDF"),
    ("123-4567", "1-2-3",
     "FDFFTFDADFAFADFTFDAFAFDFFTTFTFDATFTDFATDATDATDATDATDATDATDATDAFTFDF"),
]  # fmt: skip


@pytest.mark.parametrize(("postal", "address", "bars"), ZINT_VECTORS)
def test_bars_match_an_independent_encoder(postal: str, address: str, bars: str) -> None:
    code = encode(postal, address)
    assert code is not None and code.bars == bars


def test_bars_follow_the_table_for_every_character() -> None:
    # every digit, the hyphen and every control code the data can carry, plus CC5-CC8 as checks
    for postal, address in [("123-4567", "890-1A2K3U"), ("987-6543", "2T9Z"), ("111-1111", "")]:
        code = encode(postal, address)
        assert code is not None
        assert code.bars == "FD" + "".join(TABLE[c] for c in code.characters) + "DF"


# -- postal codes --------------------------------------------------------------------------


@pytest.mark.parametrize("postal", ["100-0000", "1000000", "060-0000", "123-4500"])
def test_representative_codes_get_no_barcode(postal: str) -> None:
    assert encode(postal, "架空町1-2-3") is None


@pytest.mark.parametrize(
    "postal", ["", "100-001", "10000133", "100--0013", "abc-defg", "100 0013", "1000-013"]
)
def test_a_postal_code_that_is_not_7_digits_is_refused(postal: str) -> None:
    with pytest.raises(ValueError):
        encode(postal, "架空町1-2-3")


# -- properties ----------------------------------------------------------------------------

POSTAL = st.from_regex(r"[0-9]{5}", fullmatch=True).flatmap(
    lambda head: st.from_regex(r"(0[1-9]|[1-9][0-9])", fullmatch=True).map(lambda t: head + t)
)
ADDRESS_ALPHABET = list("0123456789ABFKTUZabf-丁目番地号の ノ一二三十百千〇条線町区&/・.　１Ｆｂ－ー")
ADDRESSES = st.one_of(st.text(), st.text(alphabet=st.sampled_from(ADDRESS_ALPHABET)))


@given(POSTAL, st.booleans(), ADDRESSES)
def test_every_symbol_is_well_formed(postal: str, hyphen: bool, address: str) -> None:
    code = encode(f"{postal[:3]}-{postal[3:]}" if hyphen else postal, address)
    assert code is not None
    assert len(code.bars) == 67 and set(code.bars) <= set("FADT")
    assert code.bars == "FD" + "".join(TABLE[c] for c in code.characters) + "DF"
    assert len(code.characters) == 21 and "".join(code.characters[:7]) == postal
    assert sum(VALUE[c] for c in code.characters) % 19 == 0
    number = code.address_number
    assert re.fullmatch(r"[0-9A-Z-]*", number)
    assert not number.startswith("-") and not number.endswith("-") and "--" not in number
    assert not re.search(r"-[A-Z]|[A-Z]-", number)


# -- SVG (p12 dimensions, p13 quiet zone) --------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
HEIGHTS = {"F": (0.0, 3.6), "A": (0.0, 2.4), "D": (1.2, 2.4), "T": (1.2, 1.2)}  # (top, length)


@pytest.mark.parametrize("scale", [0.8, 1.0, 1.15])
def test_svg_draws_each_bar_to_japan_posts_dimensions(scale: float) -> None:
    code = encode("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室")
    assert code is not None
    text = svg(code, scale=scale)
    root = ET.fromstring(text)
    assert root.tag == f"{SVG_NS}svg"
    width = 4 + (66 * 1.2 + 0.6) * scale  # 2 mm quiet zone each side
    height = 4 + 3.6 * scale
    assert float(root.get("width", "").removesuffix("mm")) == pytest.approx(width, abs=1e-3)
    assert float(root.get("height", "").removesuffix("mm")) == pytest.approx(height, abs=1e-3)
    assert root.get("width", "").endswith("mm") and root.get("height", "").endswith("mm")
    background, group = list(root)
    assert background.get("fill") == "#fff" and group.get("fill") == "#000"
    bars = list(group)
    assert len(bars) == 67
    for k, (rect, letter) in enumerate(zip(bars, DOMAIN_EXAMPLE_BARS, strict=True)):
        top, length = HEIGHTS[letter]
        assert float(rect.get("x", "")) == pytest.approx(2 + k * 1.2 * scale, abs=1e-3)
        assert float(rect.get("width", "")) == pytest.approx(0.6 * scale, abs=1e-3)
        assert float(rect.get("y", "")) == pytest.approx(2 + top * scale, abs=1e-3)
        assert float(rect.get("height", "")) == pytest.approx(length * scale, abs=1e-3)
    for forbidden in ("href", "<image", "url(", "<script", "@import", "<text"):
        assert forbidden not in text


@pytest.mark.parametrize("scale", [0.0, 0.5, 1.2, 2.0, -1.0])
def test_svg_refuses_a_size_outside_8_to_11_5_points(scale: float) -> None:
    code = encode("100-0013", "霞が関1-3-2")
    assert code is not None
    with pytest.raises(ValueError):
        svg(code, scale=scale)
