"""Reading the register: encodings, headers, cells, and every reason a row is rejected."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.errors import RegisterError
from notices.models import CardState, Status
from notices.register.read import read_register

HEADER = ["resident_id", "household_id", "name", "name_kana", "birth_date", "sex", "postal_code", "address",
          "address_extra", "status", "card_issued_on", "card_expires_on", "card_state", "cert_issued_on",
          "support_measure", "application_id", "my_number"]  # fmt: skip
ROW = {"resident_id": "10000000001", "household_id": "H1", "name": "山田 太郎", "name_kana": "ヤマダ タロウ",
       "birth_date": "1980-04-01", "sex": "1", "postal_code": "999-0001", "address": "架空県若葉町中央1-2-3",
       "address_extra": "", "status": "resident", "card_issued_on": "2017-02-01", "card_expires_on": "",
       "card_state": "", "cert_issued_on": "", "support_measure": "", "application_id": "",
       "my_number": "123456789018"}  # fmt: skip


def write(tmp_path: Path, rows: list[dict[str, str]], header: list[str] = HEADER, encoding: str = "utf-8",
          name: str = "register.csv") -> Path:  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(col, "") for col in HEADER])
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def row(**changes: str) -> dict[str, str]:
    return {**ROW, **changes}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    read = read_register(write(tmp_path, [row(name="髙橋 﨑子" if encoding != "cp932" else "高橋 崎子")], encoding=encoding))
    assert read.encoding == encoding
    assert [r.name for r in read.residents] == ["髙橋 﨑子" if encoding != "cp932" else "高橋 崎子"]
    assert read.residents[0].resident_id == "10000000001"  # the BOM never sticks to the first header


def test_cp932_with_nec_and_ibm_extensions(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row(name="髙橋 ①子", address="若葉町ⅡＮ")], encoding="cp932"))
    assert read.residents[0].name == "髙橋 ①子"


def test_a_pasted_cp932_row_in_a_utf8_file_is_rejected_alone(tmp_path: Path) -> None:
    path = write(tmp_path, [row(resident_id="1"), row(resident_id="2"), row(resident_id="3")])
    lines = path.read_bytes().split(b"\r\n")
    lines[2] = lines[2].decode("utf-8").encode("cp932")
    path.write_bytes(b"\r\n".join(lines))
    read = read_register(path)
    assert read.encoding == "utf-8" and [r.resident_id for r in read.residents] == ["1", "3"]
    assert [(j.line, j.reason, j.detail) for j in read.rejects] == [(3, "malformed_row", "line 3 is not valid utf-8")]


def test_an_undecodable_header_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x82\xa0\x81\x20,name\r\n")
    with pytest.raises(RegisterError, match=r"bad.csv: line 1: the header is not valid cp932"):
        read_register(path)


def test_an_empty_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(RegisterError, match=r"empty.csv: line 1: the file is empty"):
        read_register(tmp_path / "empty.csv")


def test_encoding_override(tmp_path: Path) -> None:
    path = write(tmp_path, [row(name="山田")], encoding="cp932")
    assert read_register(path, encoding="cp932").residents[0].name == "山田"
    assert [j.detail for j in read_register(path, encoding="utf-8").rejects] == ["line 2 is not valid utf-8"]
    with pytest.raises(RegisterError, match="unknown encoding"):
        read_register(path, encoding="klingon")


def test_an_unclosed_quote_spoils_one_row_only(tmp_path: Path) -> None:
    path = write(tmp_path, [row(resident_id="1"), row(resident_id="2"), row(resident_id="3"), row(resident_id="4")])
    text = path.read_text(encoding="utf-8").replace("架空県若葉町中央1-2-3", '"A棟', 1)  # the first row's address
    path.write_text(text, encoding="utf-8")
    read = read_register(path)
    assert [(j.line, j.reason, j.detail) for j in read.rejects] == [(2, "malformed_row", "a quote is not closed")]
    assert [r.resident_id for r in read.residents] == ["2", "3", "4"]


def test_a_malformed_row_still_protects_its_household(tmp_path: Path) -> None:
    path = write(tmp_path, [row(resident_id="1", household_id="H1", support_measure="1"), row(resident_id="2", household_id="H1")])
    text = path.read_text(encoding="utf-8").replace("架空県若葉町中央1-2-3", "コーポ,若葉101", 1)  # a stray comma
    path.write_text(text, encoding="utf-8")
    read = read_register(path)
    assert [j.reason for j in read.rejects] == ["malformed_row"] and read.protected_households == {"H1"}


def test_japanese_headers(tmp_path: Path) -> None:
    header = ["住民票コード", "世帯番号", "氏名", "フリガナ", "生年月日", "性別", "郵便番号", "住所", "方書", "住民状態",
              "カード発行日", "カード有効期限", "カード状態", "電子証明書発行日", "支援措置", "申請書ID", "個人番号"]  # fmt: skip
    read = read_register(write(tmp_path, [row(status="住民", sex="女", card_state="有効")], header=header))
    r = read.residents[0]
    assert (r.resident_id, r.status, r.sex, r.card_state) == ("10000000001", Status.RESIDENT, "女", CardState.ACTIVE)


def test_my_number_is_dropped_on_reading(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row()]))
    assert "123456789018" not in repr(read)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-26", date(2026, 11, 26)), ("2026/11/26", date(2026, 11, 26)), ("20261126", date(2026, 11, 26)),
    ("令和8年11月26日", date(2026, 11, 26)), ("R8.11.26", date(2026, 11, 26)), ("H31.4.30", date(2019, 4, 30)),
    ("令和元年5月1日", date(2019, 5, 1)), ("昭和55年4月1日", date(1980, 4, 1)), ("２０２６／１１／２６", date(2026, 11, 26)),
    ("2026/1/5", date(2026, 1, 5)), ("2026/11/26 0:00:00", date(2026, 11, 26)), ("2026-11-26T00:00", date(2026, 11, 26)), ("r8.11.26", date(2026, 11, 26)), ("平成元年1月8日", date(1989, 1, 8)),
])  # fmt: skip
def test_date_forms(tmp_path: Path, text: str, expected: date) -> None:
    assert read_register(write(tmp_path, [row(birth_date=text)])).residents[0].birth_date == expected


def test_half_width_kana_is_widened_and_names_are_kept_exactly(tmp_path: Path) -> None:
    name = "渡邊 﨑太郎"  # U+FA11 is a compatibility ideograph that NFKC would change
    r = read_register(write(tmp_path, [row(name=name, name_kana="ﾜﾀﾅﾍﾞ ｻｷﾀﾛｳ")])).residents[0]
    assert r.name == name and r.name_kana == "ワタナベ サキタロウ"


def test_postal_code_with_hyphen_and_full_width(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row(postal_code="〒９９９－０００１")]))
    assert read.residents[0].postal_code == "9990001"


@pytest.mark.parametrize(("changes", "reason", "column"), [
    ({"resident_id": ""}, "missing_resident_id", "resident_id"),
    ({"status": "unknown"}, "unknown_status", "status"),
    ({"birth_date": "1980-02-30"}, "bad_date", "birth_date"),
    ({"card_issued_on": "yesterday"}, "bad_date", "card_issued_on"),
    ({"cert_issued_on": "R8.13.1"}, "bad_date", "cert_issued_on"),
    ({"name": ""}, "missing_value", "name"),
    ({"birth_date": ""}, "missing_value", "birth_date"),
    ({"card_state": "lost?"}, "unknown_card_state", "card_state"),
])  # fmt: skip
def test_reject_reasons(tmp_path: Path, changes: dict[str, str], reason: str, column: str) -> None:
    read = read_register(write(tmp_path, [row(resident_id="1"), row(**{"resident_id": "2", **changes})]))
    assert read.rows_read == 2 and len(read.residents) == 1
    (reject,) = read.rejects
    assert (reject.line, reject.reason, reject.column) == (3, reason, column)
    assert column in reject.detail


def test_bad_dates_do_not_matter_for_those_not_mailed(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row(status="moved_out", birth_date="garbage"),
                                          row(resident_id="2", card_state="suspended", cert_issued_on="garbage")]))  # fmt: skip
    assert read.rejects == () and read.residents[0].status is Status.MOVED_OUT
    assert read.residents[1].card_state is CardState.SUSPENDED


@pytest.mark.parametrize("text", ["9999-12-31", "1800-01-01", "22000101"])
def test_implausible_dates_are_rejected(tmp_path: Path, text: str) -> None:
    read = read_register(write(tmp_path, [row(card_issued_on=text)]))
    assert [(j.reason, j.column) for j in read.rejects] == [("bad_date", "card_issued_on")]


def test_full_width_residence_status_and_nationality_are_normalised(tmp_path: Path) -> None:
    header = HEADER + ["nationality", "residence_status"]
    path = tmp_path / "r.csv"
    path.write_text(",".join(header) + "\n" + ",".join([*(ROW[c] for c in HEADER), "ＪＰ", "高度専門職２号"]) + "\n",
                    encoding="utf-8")  # fmt: skip
    r = read_register(path).residents[0]
    assert (r.nationality, r.residence_status) == ("", "高度専門職2号")


def test_an_unknown_support_measure_header_stops_the_run(tmp_path: Path) -> None:
    header = [h if h != "support_measure" else "支援措置の要否" for h in HEADER]
    with pytest.raises(RegisterError, match="looks like a support-measure flag"):
        read_register(write(tmp_path, [row()], header=header))


def test_every_row_of_a_duplicated_id_is_rejected(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row(resident_id="7"), row(resident_id="8"), row(resident_id="7")]))
    assert [(j.line, j.reason) for j in read.rejects] == [(2, "duplicate_resident_id"), (4, "duplicate_resident_id")]
    assert [r.resident_id for r in read.residents] == ["8"]


def test_wrong_number_of_fields_is_a_malformed_row(tmp_path: Path) -> None:
    path = write(tmp_path, [row()])
    path.write_bytes(path.read_bytes() + b"99,H9,short row\r\n")
    read = read_register(path)
    assert [(j.line, j.reason) for j in read.rejects] == [(3, "malformed_row")]


def test_reject_detail_never_shows_a_my_number(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row(birth_date="123456789018")]))
    assert "123456789018" not in read.rejects[0].detail and "birth_date" in read.rejects[0].detail


@pytest.mark.parametrize(("header", "message"), [
    (["resident_id", "name"], "required column 'birth_date' is missing"),
    (HEADER + ["氏名"], "column 'name' appears twice"),
])  # fmt: skip
def test_header_errors_name_the_column(tmp_path: Path, header: list[str], message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(",".join(header) + "\r\n", encoding="utf-8")
    with pytest.raises(RegisterError, match=f"h.csv: line 1: {message}"):
        read_register(path)


def test_support_measure_protects_households_even_from_rejected_rows(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [
        row(resident_id="1", household_id="H7", support_measure="有", birth_date="bad"),
        row(resident_id="2", household_id="H8", support_measure="maybe"),
        row(resident_id="3", household_id="H9", support_measure="0"),
    ]))  # fmt: skip
    assert read.protected_households == {"H7", "H8"}
    assert [r.support_measure_unclear for r in read.residents] == [True, False]


def test_multi_line_cells_keep_line_numbers_of_the_next_rows(tmp_path: Path) -> None:
    read = read_register(write(tmp_path, [row(resident_id="1", address="中央\n1-2"), row(resident_id="2", birth_date="x")]))
    assert read.rejects[0].line == 4


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cells, cells), min_size=1, max_size=8), st.sampled_from(["utf-8", "utf-8-sig"]))
def test_any_cells_round_trip_with_their_line_numbers(tmp_path: Path, values: list[tuple[str, str]], encoding: str) -> None:
    """Whatever the names and addresses hold (quotes, commas, newlines), they come back as written."""
    rows = [row(resident_id=str(i + 1), name="名" + name, address="所" + address) for i, (name, address) in enumerate(values)]
    read = read_register(write(tmp_path, rows, encoding=encoding, name="prop.csv"))
    assert read.rows_read == len(rows) and read.rejects == ()
    assert [(r.name, r.address) for r in read.residents] == [(("名" + n).strip(), ("所" + a).strip()) for n, a in values]
    expected_line = 2
    for r, (name, address) in zip(read.residents, values, strict=True):
        assert r.line == expected_line
        expected_line += 1 + (name + address).count("\n")
