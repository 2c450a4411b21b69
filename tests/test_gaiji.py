"""外字 (issue 13): names with 𠮷, 髙, 﨑, 𩸽 and 葛 + U+E0100 mailed and printed as registered; a private-use
code point held with its code point, unless the municipality's map gives its agreed text."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pyarrow as pa
import pytest
from conftest import make_piece

from notices import pipeline
from notices.config import load_config
from notices.errors import ConfigError
from notices.gaiji import GaijiMap, load_map
from notices.models import Kind
from notices.register.read import read_register
from notices.rules import review
from notices.rules.selection import glyph_check

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "config" / "municipality.toml"
AS_OF = date(2026, 11, 26)
HEADER = "code_point,replacement,note\n"
KATSU = "葛\U000e0100"  # 葛 with its Adobe-Japan1 variation selector: an ideographic variation sequence
# Each due for a card renewal on AS_OF (born 1 February 1980, card issued 2017-02-10); the register's names.
NAMES = {
    "20000000001": "𠮷田 太郎",  # U+20BB7, outside the BMP: only the fallback (IPAmj明朝) draws it
    "20000000002": "髙橋 﨑子",  # U+9AD9, and the compatibility ideograph U+FA11 (never normalised to 崎)
    "20000000003": f"𩸽野 {KATSU}子",  # U+29E3D (plane 2) and the variation sequence
    "20000000004": "山\ue000 花子",  # the vendor's 外字, not in the map: held
    "20000000005": "\ue001田 一郎",  # the vendor's 外字, mapped to 葛 + U+E0100 by the test's map
}
MAPPED = f"{KATSU}田 一郎"
ADDRESS = "架空県若葉町𠮷野一丁目2番3号"


def _register(path: Path) -> Path:
    columns = ["resident_id", "household_id", "name", "name_kana", "birth_date", "sex", "postal_code", "address",
               "address_extra", "status", "card_issued_on"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for n, (rid, name) in enumerate(NAMES.items(), start=1):
            writer.writerow([rid, f"H{n}", name, "テスト", "1980-02-01", "1", f"999000{n}", ADDRESS,
                             f"{KATSU}ハイツ10{n}", "resident", "2017-02-10"])  # fmt: skip
    return path


def _config(folder: Path, mapping: str) -> Path:
    """The sample configuration with a 外字 map beside it (MAPPING: its rows)."""
    (folder / "gaiji.csv").write_text(HEADER + mapping, encoding="utf-8")
    text = SAMPLE.read_text(encoding="utf-8").replace('# gaiji_map = "gaiji-map.csv"', 'gaiji_map = "gaiji.csv"')
    (folder / "town.toml").write_text(text, encoding="utf-8")
    return folder / "town.toml"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


@pytest.fixture(scope="module")
def mailed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The register run through the nightly job, with a map of U+E001 only: the sealed folder."""
    tmp = tmp_path_factory.mktemp("gaiji")
    config = load_config(_config(tmp, "U+E001,U+845B U+E0100,葛 (test)\n"))
    result = pipeline.run(_register(tmp / "register.csv"), AS_OF, config, tmp / "out", tmp / "ledger.sqlite3",
                          ROOT / "templates", randbelow=random.Random(13).randrange)  # fmt: skip
    return result.folder


def _text(pdf: Path) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_names_outside_the_biz_ud_fonts_are_mailed_and_printed_as_registered(mailed: Path) -> None:
    manifest = _rows(mailed / "manifest.csv")
    assert sorted(m["resident_id"] for m in manifest) == ["20000000001", "20000000002", "20000000003", "20000000005"]
    text = _text(mailed / manifest[0]["pdf"])
    # pdfium gives the text back as it was laid out: the plane-2 characters whole, 﨑 not folded to 崎, and the
    # variant glyph of 葛 as 葛 followed by its selector (the PDF's ToUnicode maps the glyph to both).
    for name in ("𠮷田 太郎", "髙橋 﨑子", f"𩸽野 {KATSU}子", ADDRESS, f"{KATSU}ハイツ101"):
        assert name in text
    assert "山\ue000" not in text


def test_a_mapped_code_point_is_printed_as_its_agreed_text(mailed: Path) -> None:
    text = _text(mailed / "lot-0001.pdf")
    assert MAPPED in text and "\ue001" not in text
    assert "20000000005" not in {r["resident_id"] for r in _rows(mailed / "review.csv")}


def test_an_unmapped_code_point_is_held_with_its_code_point(mailed: Path) -> None:
    held = [(r["resident_id"], r["reason"], r["detail"]) for r in _rows(mailed / "review.csv")]
    assert held == [("20000000004", "glyph", "name: U+E000")]


def test_the_fallback_font_is_embedded_as_a_subset(mailed: Path) -> None:
    with pikepdf.open(mailed / "lot-0001.pdf") as pdf:
        fonts = {str(obj.FontName): obj for obj in pdf.objects
                 if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"}  # fmt: skip
    assert any(name.endswith("+IPAmjMincho") for name in fonts), sorted(fonts)
    for name, descriptor in fonts.items():
        assert name[1:7].isalpha() and name[1:7].isupper() and name[7] == "+", name  # a subset's tag
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), name
    # A subset: the 46 MB font adds a few kilobytes, not megabytes.
    assert (mailed / "lot-0001.pdf").stat().st_size < 1_000_000


def test_without_the_map_the_same_code_point_is_held(tmp_path: Path) -> None:
    config = load_config(SAMPLE)  # the sample town has agreed on no 外字
    read = read_register(_register(tmp_path / "register.csv"), gaiji=config.gaiji)
    check = glyph_check(config)
    details = {r.resident_id: [v.detail for v in review.glyphs(make_piece(Kind.CARD_RENEWAL, r).due, check)]
               for r in read.residents}  # fmt: skip
    assert details == {"20000000001": [], "20000000002": [], "20000000003": [],
                       "20000000004": ["name: U+E000"], "20000000005": ["name: U+E001"]}  # fmt: skip


# --- the map file ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "expected"), [
    ("", ()),
    ("# a comment line\n\nU+E000,髙,agreed 2026-04\n", (("\ue000", "髙"),)),
    ("e001,U+845B U+E0100\n", (("\ue001", KATSU),)),  # no note; code points for the invisible selector
    (f"U+F0000,{KATSU},literal\nU+10FFFD,U+20BB7,\n", (("\U000f0000", KATSU), ("\U0010fffd", "𠮷"))),
])  # fmt: skip
def test_the_map_file_is_read(tmp_path: Path, rows: str, expected: tuple[tuple[str, str], ...]) -> None:
    path = tmp_path / "gaiji.csv"
    path.write_text("# about this file\n" + HEADER + rows, encoding="utf-8")
    assert load_map(path).pairs == expected


@pytest.mark.parametrize(("text", "message"), [
    ("code,text\nU+E000,髙\n", r"line 1: the header must be code_point,replacement,note"),
    (HEADER + "U+E000,髙,a,b\n", r"line 2: expected code_point,replacement,note, found 4 fields"),
    (HEADER + "U+5409,𠮷\n", r"line 2: 'U\+5409' is not a private-use code point"),
    (HEADER + "E000X,髙\n", r"line 2: 'E000X' is not a private-use code point"),
    (HEADER + "U+E000,髙\n# note\nU+E000,高\n", r"line 4: U\+E000 is mapped already on line 2"),
    (HEADER + "U+E000,\n", r"line 2: the replacement is empty"),
    (HEADER + "U+E000,U+E001\n", r"line 2: the replacement holds the private-use U\+E001"),
    (HEADER + "U+E000,U+E0100 U+845B\n", r"line 2: the variation selector U\+E0100 does not follow a character"),
    (HEADER + "U+E000,U+D800\n", r"line 2: replacement 'U\+D800' is not a list of Unicode code points"),
    (HEADER + "U+E000,a\tb\n", r"line 2: the replacement holds the control character U\+0009"),
])  # fmt: skip
def test_a_wrong_map_is_a_configuration_error_naming_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "gaiji.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gaiji\.csv: " + message) as info:
        load_map(path)
    assert info.value.exit_code == 3


def test_the_configuration_names_the_map_beside_it(tmp_path: Path) -> None:
    assert load_config(SAMPLE).gaiji == GaijiMap()  # the sample town has agreed on none
    assert load_config(_config(tmp_path, "U+E000,髙\n")).gaiji.pairs == (("\ue000", "髙"),)
    (tmp_path / "gaiji.csv").unlink()
    with pytest.raises(ConfigError, match=r"gaiji\.csv: 外字 map file not found \(\[fonts\] gaiji_map\)"):
        load_config(tmp_path / "town.toml")
    (tmp_path / "gaiji.csv").write_bytes(HEADER.encode() + b"U+E000,\x82\xa0\n")  # CP932, not UTF-8
    with pytest.raises(ConfigError, match=r"gaiji\.csv: cannot read the 外字 map \(UTF-8 CSV\)"):
        load_config(tmp_path / "town.toml")


def test_the_column_and_the_text_are_translated_alike() -> None:
    mapping = GaijiMap("test", (("\ue000", KATSU), ("\ue001", "髙")))
    texts = ["山\ue000\ue001", "", "\ue000\ue000", "なし", "\ue002"]
    column = mapping.column(pa.chunked_array([pa.array(texts[:2]), pa.array(texts[2:])]))
    assert column.to_pylist() == [mapping.translate(t) for t in texts] == [f"山{KATSU}髙", "", KATSU * 2, "なし", "\ue002"]
