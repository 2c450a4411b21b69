"""The register read in bulk against the register read row by row (the reference), and the selections made of each.

Whatever the file holds (good rows, bad dates, era dates, blank lines, quoted line breaks, wrong
field counts, lone CRs, bad bytes, CP932), both reads must give the same residents, rejects, notes
and protected households, and select() and lapsed() the same outcomes, on any run date and policy.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)
import pytest
from notices.models import Decision
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from notices.register import encodings, read, scan
from notices.config import Config, load_config
from notices.errors import RegisterError
from notices.register.read import RegisterRead, read_register
from notices.register.cells import WHITESPACE
from notices.rules.selection import Selection, lapsed, select

import reference as scalar

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config" / "municipality.toml")
AS_OF = date(2026, 11, 26)
HEADER = (ROOT / "tests" / "registers" / "mini.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
MY_NUMBER = "123456789018"


def _near(base: date, days: range, step: int = 1) -> list[str]:
    return [(base + timedelta(days=d)).isoformat() for d in days[::step]]


WINDOW = _near(date(2027, 1, 20), range(45)) + _near(date(2026, 7, 20), range(130), 3)  # due, reminded, lapsed
ISSUED = _near(date(2017, 1, 1), range(75)) + _near(date(2021, 12, 1), range(130), 2)
ODD_DATES = ["garbage", "R8.11.26", "令和元年5月1日", "２０１７／０１／２６", "2017/1/27 0:00:00", "1800-01-01", "2020-02-30",
             " 2017-01-28 ", "H31.4.30", "20170129", "S55.4.1", "2016-02-29", "2000-02-29", "", " "]  # fmt: skip
# Values a register usually holds, column by column (the more often listed, the likelier) ...
GOOD: dict[str, list[str]] = {
    "resident_id": [f"1000000{i:04d}" for i in range(60)], "household_id": ["H1", "H2", "H3", "H4", "H5"],
    "name": ["山田 太郎", "髙橋 﨑子", "佐藤 花子"], "name_kana": ["ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", ""],
    "birth_date": ["1980-01-27", "1975-02-10", "2000-02-29", "2010-01-30", "1990-12-31", "2004-02-05"],
    "sex": ["1", "2", "男", "女", ""], "postal_code": ["999-0001", "9990002"], "address": ["架空県若葉町中央1-2-3"],
    "address_extra": ["", "コーポ101"], "status": ["resident"] * 8 + ["moved_out", "deceased"],
    "nationality": [""] * 5 + ["VN"], "residence_status": ["", "留学", "永住者"],
    "residence_expires_on": [""] * len(WINDOW) + WINDOW, "card_issued_on": ISSUED,
    "card_expires_on": [""] * 3 * len(WINDOW) + WINDOW, "card_state": [""] * 6 + ["suspended", "revoked"],
    "cert_issued_on": [""] * len(ISSUED) + ISSUED, "cert_expires_on": [""] * 2 * len(WINDOW) + WINDOW,
    "support_measure": [""] * 5 + ["0", "1"], "application_id": [""] * 5 + ["12345678901234567890123"],
    "language": ["", "vi"], "my_number": [MY_NUMBER],
}  # fmt: skip
# ... and what else they may hold.
ODD: dict[str, list[str]] = {
    "resident_id": ["", " ", "１２３", " R-1 ", "=1+2", "+81", "123456789012", "１２３４５６７８９０１２", "1234-5678-9012",
                    "a b", "x" * 21, "1\x07", "山田", "\u200e1"],
    "household_id": ["Ｈ３", "", " H4 ", "=H1", "123456789012", "H\x1f"],
    "name": ["", "　髙橋　﨑子 ", "名\n前", 'A "quoted", name', "渡邊\r\n一郎", "x" * 61, "\ue000"],
    "name_kana": [" ｶﾞｷﾞ ", "ﾊﾟﾋﾟﾌﾟ"], "birth_date": ODD_DATES, "sex": ["f", "x", "Ｍ", " female "],
    "postal_code": ["〒９９９－０００２", "", "12345"], "address": ["", "所,番地", "  所  ", "中央\n1-2"],
    "address_extra": ["①"], "status": ["住民", "転出", "abroad", "removed", "?", " resident "],
    "nationality": ["JP", "ＶＮ", "vn", "日本"], "residence_status": ["高度専門職２号", "高度 専門職2号"],
    "residence_expires_on": ODD_DATES, "card_issued_on": ODD_DATES, "card_expires_on": ODD_DATES,
    "card_state": ["active", "有効", "失効", "lost?"], "cert_issued_on": ODD_DATES, "cert_expires_on": ODD_DATES,
    "support_measure": ["有", "maybe", " Yes "], "application_id": ["1234-5678-9012-3456-7890-123", "bad"],
    "language": ["VI", "zz"], "my_number": [""],
}  # fmt: skip
# What may happen to a row's line once written: most lines are left alone.
DAMAGE = ["none"] * 30 + ["blank", "spaces", "commas", "short", "long", "open_quote", "lone_cr", "nul", "bad_bytes",
                          "bom", "blank_but_my_number", "quote_first"]  # fmt: skip


@st.composite
def rows(draw: st.DrawFn) -> dict[str, str]:
    """A row of usual values with a few unusual ones."""
    cells = {column: draw(st.sampled_from(values)) for column, values in GOOD.items()}
    for column in draw(st.lists(st.sampled_from(HEADER), max_size=2)):
        cells[column] = draw(st.sampled_from(ODD[column]))
    return cells


def _line(cells: dict[str, str], end: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=end).writerow([cells[c] for c in HEADER])
    return buffer.getvalue()


def _damaged(line: str, damage: str, end: str, encoding: str) -> bytes:
    codec = "cp932" if encoding == "cp932" else "utf-8"
    text = {
        "blank": end, "spaces": " \u3000" + end, "commas": "," * (len(HEADER) - 1) + end,
        "short": line.rstrip("\r\n").rsplit(",", 1)[0] + end, "long": line.rstrip("\r\n") + ",extra" + end,
        "open_quote": line.replace(",", ',"A棟', 1), "quote_first": '"' + line, "lone_cr": line.replace(",", ",\r", 1),
        "nul": line.replace(",", ",\x00", 1), "bom": "\ufeff" + line,
        "blank_but_my_number": "," * (len(HEADER) - 1) + MY_NUMBER + end,
    }.get(damage, line)  # fmt: skip
    if damage == "bad_bytes":  # a line pasted in the other encoding
        return line.encode("utf-8" if codec == "cp932" else "cp932", errors="replace") + b"\xff"
    return text.encode(codec, errors="replace")


def register_bytes(body: list[tuple[dict[str, str], str]], end: str, encoding: str, final_newline: bool) -> bytes:
    data = ("\ufeff" if encoding == "utf-8-sig" else "").encode("utf-8") + ",".join(HEADER).encode() + end.encode()
    data += b"".join(_damaged(_line(cells, end), damage, end, encoding) for cells, damage in body)
    return data if final_newline else data.rstrip(b"\r\n")


class StubLedger(scalar.OneByOne):
    """A ledger that has notified some residents, knows some application IDs, some returned mail and history."""

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool:
        return resident_id.endswith(("3", "7"))

    def application_id_owner(self, application_id: str) -> str | None:
        return "10000000009" if application_id.startswith("1") else None

    def returned_addresses(self, resident_id: str) -> dict[str, str]:
        from notices.delivery.ledger import address_hash
        return {address_hash("9990001", "架空県若葉町中央1-2-3", ""): "2026-10-01T00:00:00"} if resident_id.endswith("1") else {}

    def history(self, resident_id: str, expires_on: date) -> dict[str, str]:
        return {"card_renewal": "2026-06-01", "grace_reminder": "2026-10-01"} if resident_id.endswith("2") else {}

    def decisions(self, resident_id: str) -> list[Decision]:
        return []


def read_both(path: Path, encoding: str | None = None, **options: Any) -> tuple[Any, Any]:
    """Both reads of a file: each a RegisterRead, or the message of the RegisterError it raised."""
    found = []
    for row_by_row in (False, True):
        try:
            found.append(read_register(path, encoding, row_by_row=row_by_row, **options))
        except RegisterError as exc:
            found.append(str(exc))
    return found[0], found[1]


def assert_same_read(fast: RegisterRead, reference: RegisterRead) -> None:
    assert (fast.rows_read, fast.encoding, fast.sha256) == (reference.rows_read, reference.encoding, reference.sha256)
    assert fast.rejects == reference.rejects
    assert fast.residents == reference.residents
    assert fast.quality == reference.quality
    assert fast.protected_households == reference.protected_households


def selection_contents(sel: Selection) -> tuple[Any, ...]:
    return (sel.mailed(), sel.held, sel.reviews, sel.not_mailed, sel.rejects, sel.already_notified, sel.quality, sel.outcomes)


CONFIGS = [CONFIG, replace(CONFIG, leap_day="mar1"), replace(CONFIG, reminder_enabled=False),
           replace(CONFIG, reminder_days=90, lapsed_days=75)]  # fmt: skip
RUN_DATES = [AS_OF, date(2027, 2, 28), date(2026, 12, 31), date(2026, 9, 30)]


def assert_same_selection(fast: RegisterRead, reference: RegisterRead, as_of: date, config: Config) -> None:
    """The selection over the columns of the register read in bulk is the scalar rules' of the one read row by row."""
    ledger: Any = StubLedger()
    got, expected = select(fast, as_of, config, ledger), scalar.select(reference, as_of, config, ledger)
    assert selection_contents(got) == selection_contents(expected)
    assert selection_contents(select(reference, as_of, config, ledger)) == selection_contents(expected)
    assert lapsed(fast, as_of, config, ledger) == scalar.lapsed(reference, as_of, config, ledger)
    for what, found in (("mail", got.mailed()), ("held", got.held), ("already notified", got.already_notified),
                        ("lapsed", lapsed(fast, as_of, config, ledger)), ("quality", got.quality),
                        ("grace reminder", [d for d in got.mailed() + got.held if d.kind.value == "grace_reminder"]),
                        ("residence extension", [d for d in got.mailed() + got.held if d.kind.value == "residence_extension"])):
        if found:
            event(what)


registers = st.tuples(st.lists(st.tuples(rows(), st.sampled_from(DAMAGE)), min_size=1, max_size=25), st.sampled_from(["\r\n", "\n"]),
                      st.sampled_from(["utf-8", "utf-8-sig", "cp932"]), st.booleans())  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registers, st.sampled_from(RUN_DATES), st.sampled_from(CONFIGS))
def test_bulk_read_and_selection_equal_the_row_by_row_ones(tmp_path: Path, made: tuple[Any, ...], as_of: date,
                                                           config: Config) -> None:  # fmt: skip
    path = tmp_path / "register.csv"
    path.write_bytes(register_bytes(*made))
    fast, reference = read_both(path)
    assert type(fast) is type(reference)
    if isinstance(fast, str):
        assert fast == reference
        return
    event(f"bulk rows: {'none' if not fast.bulk_rows else 'all' if fast.bulk_rows == len(fast.table) else 'some'}")
    assert_same_read(fast, reference)
    assert_same_selection(fast, reference, as_of, config)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registers, st.sampled_from([None, "utf-8", "cp932"]))
def test_lines_sorted_one_by_one_read_the_same(tmp_path: Path, made: tuple[Any, ...], encoding: str | None) -> None:
    """The general path (each line sorted by the regular expression), forced even where the file is plain."""
    path = tmp_path / "register.csv"
    path.write_bytes(register_bytes(*made))
    sort = scan.scan
    with mock.patch.object(read, "scan", lambda decoded, plain: sort(decoded, False)):
        fast, reference = read_both(path, encoding)
    assert type(fast) is type(reference)
    if isinstance(fast, str):
        assert fast == reference
        return
    assert_same_read(fast, reference)
    assert_same_selection(fast, reference, AS_OF, CONFIG)


def write(tmp_path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / "r.csv"
    path.write_bytes("".join(lines).encode(encoding))
    return path


def good(resident_id: str, **cells: str) -> dict[str, str]:
    base = {c: "" for c in HEADER} | {"resident_id": resident_id, "household_id": "H" + resident_id, "name": "山田 太郎",
                                       "birth_date": "1980-01-27", "postal_code": "9990001", "address": "中央1-2-3",
                                       "status": "resident", "card_issued_on": "2017-01-10", "my_number": MY_NUMBER}  # fmt: skip
    return base | cells


HEAD = ",".join(HEADER) + "\r\n"


@pytest.mark.parametrize(("lines", "bulk", "expected"), [
    # A quoted line break: the next rows keep their physical line numbers.
    ([_line(good("1", address="中央\n1-2"), "\r\n"), _line(good("2", birth_date="x"), "\r\n")], 0, [(4, "bad_date")]),
    # A blank line, a line of spaces and a line of commas hold no one; a line with only a My Number is a row.
    (["\r\n", " \r\n", "," * 21 + "\r\n", "," * 21 + MY_NUMBER + "\r\n", _line(good("1"), "\r\n")], 1,
     [(5, "missing_resident_id")]),
    # A lone CR breaks the line: two short rows.
    ([_line(good("1"), "\r\n").replace(",", ",\r", 1), _line(good("2"), "\r\n")], 1,
     [(2, "malformed_row"), (3, "malformed_row")]),
    # A quote never closed spoils its own line only.
    ([_line(good("1"), "\n").replace("中央", '"A棟', 1), _line(good("2"), "\n"), _line(good("3"), "\n")], 2,
     [(2, "malformed_row")]),
    # Era dates, full-width IDs, half-width kana: read one by one or in bulk, the same values.
    ([_line(good("１", birth_date="S55.1.27", name_kana="ﾔﾏﾀﾞ"), "\n"), _line(good("2", card_issued_on="H29.1.10"), "\n"),
      _line(good("3"), "\n")], 3, []),
    # A duplicated ID: every row of it, wherever it was read.
    ([_line(good("7"), "\n"), _line(good("7", birth_date="R1.5.1"), "\n"), _line(good("8"), "\n")], 1,
     [(2, "duplicate_resident_id"), (3, "duplicate_resident_id")]),
    # A BOM at the start of a row belongs to its first cell (and the row is read one by one): no ID's shape.
    (["\ufeff" + _line(good("1"), "\n"), _line(good("2"), "\n")], 1, [(2, "bad_resident_id")]),
])  # fmt: skip
def test_tricky_lines(tmp_path: Path, lines: list[str], bulk: int, expected: list[tuple[int, str]]) -> None:
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]))
    assert_same_read(fast, reference)
    assert [(j.line, j.reason) for j in fast.rejects] == expected
    assert fast.bulk_rows == bulk  # the rest really was read in bulk
    assert MY_NUMBER not in repr((fast.residents, fast.rejects, fast.quality))
    assert_same_selection(fast, reference, AS_OF, CONFIG)


def test_a_pasted_cp932_row_is_rejected_alone_and_the_rest_read_in_bulk(tmp_path: Path) -> None:
    data = (HEAD + _line(good("1"), "\r\n")).encode() + _line(good("2"), "\r\n").encode("cp932") + \
        (_line(good("3"), "\r\n") * 1).encode()  # fmt: skip
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert [(j.line, j.detail) for j in fast.rejects] == [(3, "line 3 is not valid utf-8")]
    assert fast.bulk_rows == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_a_plain_register_is_read_in_bulk(tmp_path: Path, encoding: str) -> None:
    lines = [_line(good(str(i), name="髙橋 﨑子" if encoding != "cp932" else "高橋 崎子"), "\r\n") for i in range(50)]
    path = tmp_path / "r.csv"
    path.write_bytes(("\ufeff" if encoding == "utf-8-sig" else "").encode() + (HEAD + "".join(lines)).encode(
        "cp932" if encoding == "cp932" else "utf-8"))
    fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert (fast.bulk_rows, len(fast.table), fast.encoding) == (50, 50, encoding)


@pytest.mark.parametrize("extension", [True, False])
def test_a_cp932_register_of_many_blocks_reads_as_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             extension: bool) -> None:  # fmt: skip
    """A CP932 body is made UTF-8 block by block (by the extension of transcode.py, or by pyarrow with Python's
    codec): characters split at a block's edge, and a line not CP932 among the blocks (rejected with its number,
    its neighbours read in bulk), read as the per-row code reads them."""
    from notices.register import frame, transcode

    assert transcode.available()
    if not extension:
        monkeypatch.setattr(transcode, "_cp932", None)
    monkeypatch.setattr(frame, "TRANSCODED_BLOCK_BYTES", 1 << 14)  # 30-odd blocks
    monkeypatch.setattr(frame, "DECODED_BLOCK_BYTES", 1 << 14)

    names = ["山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "高橋 崎子ｱ", "佐藤 花子ｲｳ"]
    lines = [_line(good(str(10_000_000 + i), name=names[i % 4] + "丁" * (i % 3)), "\r\n") for i in range(5_000)]
    data = (HEAD + "".join(lines)).encode("cp932")
    middle = data.index(b"\r\n", len(data) // 2) + 2
    path = tmp_path / "r.csv"
    path.write_bytes(data[:middle] + b"\x82\xff" + data[middle:])  # no CP932: the row's first cell spoilt
    fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert fast.encoding == "cp932" and fast.bulk_rows == len(fast.table) == 4_999
    assert [(r.line, r.reason) for r in fast.rejects] == [(data[:middle].count(b"\n") + 1, "malformed_row")]
    fast, reference = read_both(write(tmp_path, [HEAD, *lines], "cp932"))
    assert_same_read(fast, reference)
    assert fast.bulk_rows == 5_000 and [r.name for r in fast.residents] == [
        names[i % 4] + "丁" * (i % 3) for i in range(5_000)]  # fmt: skip


def test_encoding_errors_are_the_same(tmp_path: Path) -> None:
    path = write(tmp_path, [HEAD, _line(good("1"), "\n")])
    assert read_both(path, "klingon") == (f"{path}: unknown encoding 'klingon'",) * 2
    (tmp_path / "empty.csv").write_bytes(b"")
    assert read_both(tmp_path / "empty.csv") == (f"{tmp_path / 'empty.csv'}: line 1: the file is empty: no header row",) * 2
    (tmp_path / "bad.csv").write_bytes(b"\x82\xa0\x81\x20,name\r\n")
    fast, reference = read_both(tmp_path / "bad.csv")
    assert fast == reference and "the header is not valid cp932" in fast


def test_whitespace_is_what_str_strip_strips() -> None:
    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def test_a_register_with_every_line_unusual_still_reads(tmp_path: Path) -> None:
    """Nothing plain at all: everything is read by the per-row code, and nothing is lost."""
    path = write(tmp_path, [HEAD, *(_line(good(str(i), address="a\nb"), "\r\n") for i in range(5))])
    fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert fast.bulk_rows == 0 and len(fast.table) == 5


utf8_pieces = st.sampled_from([b"a", b",", b"\n", b"\r\n", b"\r", "山".encode(), "﨑".encode(), "山".encode("cp932"),
                               "ｱ".encode("cp932"), b"\xed\xa0\x80", b"\xc0\x80", b"\xe0\x80\x80", b"\xf4\x90\x80\x80",
                               b"\xf0\x9f\x98\x80", b"\xef\xbb\xbf", b"\x80", b"\xff", b"\xc3", b"\xe3\x81"])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(utf8_pieces, max_size=40))
def test_pyarrows_utf8_check_is_pythons(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    try:
        data.decode("utf-8")
        python = True
    except UnicodeDecodeError:
        python = False
    assert encodings.valid_utf8(data) is python


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(utf8_pieces, max_size=8).map(b"".join), max_size=12).map(b"\n".join))
def test_detection_is_the_line_by_line_references(data: bytes) -> None:
    """The same encoding as the reference told line by line, and the same bad lines as decoding line by line."""
    from notices.register.csvfile import line_ends

    lines = data.splitlines(keepends=True)
    found, errors = encodings.detect(data)
    assert found == scalar.detect_encoding(lines)
    if errors is not None and data:
        bad = {i for i, line in enumerate(lines) if not _decodes(line)}
        assert {int(i) for i in np.searchsorted(line_ends(data), errors, side="right")} == bad


def _decodes(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.lists(utf8_pieces, max_size=40).map(b"".join), st.integers(1, 7))
def test_line_breaks_and_the_lower_bound_are_the_same_in_any_chunks(data: bytes, chunk: int) -> None:
    """Counted in chunks (a CRLF or a line may straddle two), the same as counted over the whole at once."""
    assert encodings._line_breaks(data, chunk) == data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    assert [encodings.line_feeds(data, start, chunk) for start in range(len(data) + 1)] == [
        data.count(b"\n", start) for start in range(len(data) + 1)]  # fmt: skip
    # Lines told apart by LFs only: an ASCII byte and a continuation byte after it, on the line of the latter.
    wrong = len({data.count(b"\n", 0, i + 1) for i in range(len(data) - 1)
                 if data[i] < 0x80 and data[i + 1] & 0xC0 == 0x80})  # fmt: skip
    for most in range(wrong + 1):
        assert encodings._surely_not_utf8(data, most, chunk) is (wrong > most)


def test_half_width_kana_is_never_missed_at_a_glance() -> None:
    """The glance at the bytes that spares the regular expression sees every half-width kana, at any place."""
    from notices.register.frame import _may_hold_half_width_kana

    for kana in map(chr, range(0xFF61, 0xFFA0)):
        values = pa.chunked_array([pa.array(["ヤマダ", f"a{kana}", kana]).slice(1), pa.array([kana])])
        assert _may_hold_half_width_kana(values) and _may_hold_half_width_kana(values.slice(2))
    assert not _may_hold_half_width_kana(pa.chunked_array([pa.array(["ヤマダ タロウ", "", "ＡＢＣ", "山﨑"])]))


def test_detection_counts_a_line_starting_with_a_stray_byte_once() -> None:
    """Half the non-ASCII lines are UTF-8: UTF-8, however the stray bytes fall about the line breaks."""
    data = (b"a\n" + b"\x80a\x80\n" + "é\n".encode()) * 10
    assert encodings.detect(data)[0] == scalar.detect_encoding(data.splitlines(keepends=True)) == "utf-8"


def test_the_my_number_is_never_read_in_bulk(tmp_path: Path) -> None:
    """The bulk reader never reads the My Number column: no column of the table holds one, no outcome shows one."""
    lines = [_line(good(str(i), card_issued_on="2017-01-28"), "\r\n") for i in range(20)]
    read_plain = read.read_plain

    def read_without_my_number(*args: Any) -> Any:
        frame = read_plain(*args)
        assert "my_number" not in frame.column_names and MY_NUMBER not in str(frame.to_pydict())
        return frame

    with mock.patch.object(read, "read_plain", read_without_my_number):
        fast, _ = read_both(write(tmp_path, [HEAD, *lines, ",,,," + "," * 17 + MY_NUMBER + "\r\n"]))
    assert len(fast.table) == 20 and "my_number" not in fast.table.columns
    for column in fast.table.columns.values():
        shown = column.to_pylist() if isinstance(column, pa.ChunkedArray) else list(getattr(column, "values", column))
        assert MY_NUMBER not in " ".join(map(str, shown))
    sel = select(fast, AS_OF, CONFIG, StubLedger())  # type: ignore[arg-type]
    assert sel.mailed() and MY_NUMBER not in repr((sel.outcomes, sel.mailed(), sel.rejects, fast.rejects))


# Issue 17: what a reject may carry, the shape of an ID, what the file may be, and how long a row.

MINI = ROOT / "tests" / "registers" / "mini.csv"


def _mini() -> tuple[list[str], list[list[str]]]:
    header, *body = list(csv.reader(io.StringIO(MINI.read_text(encoding="utf-8"))))
    return header, body


def _row_text(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def malformed_register(path: Path) -> tuple[Path, list[list[str]], list[list[str]]]:
    """mini.csv with five malformed rows: the register, all its rows, and the malformed ones."""
    header, body = _mini()
    lines = [_row_text(cells) for cells in body]
    lines[1] = '"' + lines[1]  # line 3: a quote opened in the resident_id cell, never closed
    lines[3] = lines[3].rstrip("\r\n") + ",extra,\x07bell\r\n"  # line 5: too many fields, a control character
    lines[5] = ",".join(body[5][:10]) + "\r\n"  # line 7: too few fields
    lines[7] = "\x00\x1b" + lines[7]  # line 9: NUL and ESC bytes in the resident_id cell (csv reads NUL)
    lines[9] = lines[9].replace(body[9][2], '"' + body[9][2], 1)  # line 11: a quote opened in the name, never closed
    lines[11] = '"' + lines[11].rstrip("\r\n") + '"\r\n'  # line 13: the whole row one quoted field
    path.write_text(_row_text(header) + "".join(lines), encoding="utf-8")
    return path, body, [body[i] for i in (1, 3, 5, 7, 9, 11)]


def _carries(rejects: Any, values: list[str]) -> list[tuple[Any, str]]:
    """The (reject, value) pairs where a field of the reject holds one of the values, or a control character."""
    found = []
    for reject in rejects:
        text = " ".join((reject.resident_id, reject.reason, reject.column, reject.detail))
        found += [(reject, value) for value in values if value and value in text]
        found += [(reject, repr(c)) for c in text if unicodedata.category(c) == "Cc"]
    return found


@pytest.mark.parametrize("pattern", [None, ".+", "[^,]+"])
def test_a_malformed_row_publishes_nothing_of_its_text(tmp_path: Path, pattern: str | None) -> None:
    """An unclosed quote, too many or too few fields, NUL and control bytes: the reject names the line, no more.

    However lax the resident ID pattern: a broken row's first cell may hold the rest of the row.
    """
    path, body, malformed = malformed_register(tmp_path / "r.csv")
    header = _mini()[0]
    personal = [cells[header.index(c)] for cells in body for c in ("my_number", "name", "address", "name_kana")]
    fast, reference = read_both(path, **({"resident_id_pattern": pattern} if pattern else {}))
    assert_same_read(fast, reference)
    assert {(j.line, j.reason) for j in fast.rejects} >= {(n, "malformed_row") for n in (3, 5, 7, 11, 13)}
    assert (9, "bad_resident_id") in {(j.line, j.reason) for j in fast.rejects}
    assert _carries(fast.rejects, personal) == []
    by_line = {j.line: j for j in fast.rejects}
    assert by_line[3].resident_id == ""  # the quote swallowed the ID cell: no ID is known
    assert by_line[11].resident_id == malformed[4][0]  # its ID cell was sound, and has the shape of an ID
    assert "482917365" not in repr(fast) + repr(reference)


@pytest.mark.parametrize("resident_id", ["=2000000001", "+20000000002", "-1", "@SUM(A1)", "123456789012",
                                         "１２３４５６７８９０１２", "1234-5678-9012", "1234 5678 9012", "a b", "x" * 21,
                                         "10\x07", "10\u202e01", "山田", "1,2", "ＲＣ－Ｐ０１－"])  # fmt: skip
def test_an_id_not_of_the_registers_shape_is_rejected(tmp_path: Path, resident_id: str) -> None:
    path = write(tmp_path, [HEAD, _line(good("1"), "\r\n"), _line(good(resident_id), "\r\n"), _line(good("3"), "\r\n")])
    fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert [(j.line, j.resident_id, j.reason, j.column, j.detail) for j in fast.rejects] == [
        (3, "", "bad_resident_id", "resident_id", "resident_id is not of the register's ID shape")]
    assert [r.resident_id for r in fast.residents] == ["1", "3"]


@pytest.mark.parametrize("resident_id", ["10000000001", "RC-P01", "ＲＣ－Ｐ０１", "a" * 20, "12345678901", "1234567890123"])
def test_ids_of_the_registers_shape_are_read(tmp_path: Path, resident_id: str) -> None:
    fast, reference = read_both(write(tmp_path, [HEAD, _line(good(resident_id, household_id="H1"), "\r\n")]))
    assert_same_read(fast, reference)
    assert fast.rejects == () and len(fast.residents) == 1


@pytest.mark.parametrize("household_id", ["=H1", "123456789012", "H\x1f1", "H 1"])
def test_a_household_id_not_of_the_shape_of_an_id_is_rejected(tmp_path: Path, household_id: str) -> None:
    """It would be printed in review.csv and lapsed.csv: the row is rejected, and the household named nowhere."""
    lines = [_line(good("1", household_id=household_id, support_measure="1"), "\r\n"), _line(good("2"), "\r\n")]
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]))
    assert_same_read(fast, reference)
    assert [(j.line, j.resident_id, j.reason, j.column) for j in fast.rejects] == [
        (2, "1", "bad_household_id", "household_id")]
    assert household_id not in repr(fast.rejects) and fast.protected_households == frozenset()


@pytest.mark.parametrize(("pattern", "read", "rejected"), [
    ("[0-9]{11}", ["10000000001"], ["RC-P01", "1000000000X"]),
    ("[0-9]{12}", [], ["123456789012"]),  # a My Number's shape, whatever the pattern
    ("(?!9)[0-9]{11}", ["10000000001"], ["90000000001"]),  # a lookahead: RE2 cannot, Python's re does
    # However lax the pattern, never a My Number as it is written, nor a control or format character.
    (".+", ["1234567890123", "12-34", "A123456789012", "1234--5678-9012"],
     ["1234 5678 9012", "１２３４－５６７８－９０１２", "1234・5678・9012", "12/3456/789012", "1234 - 5678 - 9012", "1\x1b2",
      "1\u200b2"]),
])  # fmt: skip
def test_the_id_pattern_is_the_callers(tmp_path: Path, pattern: str, read: list[str], rejected: list[str]) -> None:
    lines = [_line(good(rid), "\r\n") for rid in [*read, *rejected]]
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]), resident_id_pattern=pattern)
    assert_same_read(fast, reference)
    assert [r.resident_id for r in fast.residents] == read
    assert {j.reason for j in fast.rejects} <= {"bad_resident_id"} and len(fast.rejects) == len(rejected)


def test_a_pattern_that_is_no_regular_expression_is_a_config_error(tmp_path: Path) -> None:
    from notices.errors import ConfigError

    with pytest.raises(ConfigError, match="resident_id_pattern"):
        read_register(write(tmp_path, [HEAD, _line(good("1"), "\r\n")]), resident_id_pattern="[0-9")


def test_rows_of_bad_ids_are_not_counted_as_duplicates(tmp_path: Path) -> None:
    lines = [_line(good(rid, **cells), "\r\n") for rid, cells in [
        ("=1", {}), ("=1", {}), ("7", {"household_id": "=H"}), ("7", {}), ("8", {}), ("8", {"address": "a\nb"}),
        ("9", {})]]  # fmt: skip
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]))
    assert_same_read(fast, reference)
    assert [(j.line, j.resident_id, j.reason) for j in fast.rejects] == [
        (2, "", "bad_resident_id"), (3, "", "bad_resident_id"), (4, "7", "bad_household_id"),
        (5, "7", "duplicate_resident_id"), (6, "8", "duplicate_resident_id"), (7, "8", "duplicate_resident_id")]
    assert [r.resident_id for r in fast.residents] == ["9"]


id_patterns = st.sampled_from([None, "[0-9]{11}", "[0-9A-Za-z]{1,20}", "(?![0-9]{5}1)[0-9A-Za-z -]{1,12}", ".+"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registers, id_patterns)
def test_both_reads_agree_whatever_the_id_pattern(tmp_path: Path, made: tuple[Any, ...], pattern: str | None) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(register_bytes(*made))
    fast, reference = read_both(path, **({"resident_id_pattern": pattern} if pattern else {}))
    assert type(fast) is type(reference)
    if isinstance(fast, str):
        assert fast == reference
        return
    assert_same_read(fast, reference)
    for reject in fast.rejects:
        assert reject.reason != "bad_resident_id" or reject.resident_id == ""
        assert MY_NUMBER not in repr(reject)


def _fifo_read(path: Path, row_by_row: bool) -> subprocess.CompletedProcess[str]:
    """read_register in a process of its own, limited in time and memory: a regression must not hang the suite."""
    code = ("import sys, resource; from pathlib import Path; from notices.errors import RegisterError;"
            "from notices.register.read import read_register;"
            "resource.setrlimit(resource.RLIMIT_DATA, (1 << 31, 1 << 31));\n"
            f"try: read_register(Path({str(path)!r}), row_by_row={row_by_row}); print('read')\n"
            "except RegisterError as exc: print(exc)")  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "jobs")})  # fmt: skip


@pytest.mark.parametrize("row_by_row", [False, True])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "directory"])
def test_only_a_regular_file_is_read(tmp_path: Path, kind: str, row_by_row: bool) -> None:
    """A FIFO would block the run (holding its lock), /dev/zero fill the memory: both refused at once."""
    path = {"fifo": tmp_path / "register.csv", "/dev/zero": Path("/dev/zero"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    result = _fifo_read(path, row_by_row)
    assert result.stdout.startswith(f"{path}: is not a regular file ("), (result.stdout, result.stderr)


def test_a_line_longer_than_the_limit_is_rejected_alone(tmp_path: Path) -> None:
    """A 2 MiB line among good rows, read in bulk or row by row: that row rejected, the others read (in bulk)."""
    from notices.register.csvfile import MAX_LINE_BYTES

    long_name = "長" * (2 * MAX_LINE_BYTES // 3)
    lines = [_line(good(str(i), name=long_name if i == 3 else "山田 太郎"), "\r\n") for i in range(1, 7)]
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]))
    assert_same_read(fast, reference)
    assert [(j.line, j.resident_id, j.reason) for j in fast.rejects] == [(4, "3", "malformed_row")]
    assert str(MAX_LINE_BYTES) in fast.rejects[0].detail
    assert [r.resident_id for r in fast.residents] == ["1", "2", "4", "5", "6"] and fast.bulk_rows == 5


def test_a_row_that_runs_on_past_the_limit_is_rejected_alone(tmp_path: Path) -> None:
    """A quote never closed, before 2 MiB of rows: reading stops at the limit, and goes on from the next line."""
    from notices.register.csvfile import MAX_LINE_BYTES

    rows = [_line(good(str(i)), "\r\n") for i in range(1, 3 * MAX_LINE_BYTES // 150)]
    rows[0] = rows[0].replace("中央", '"中央', 1)
    fast, reference = read_both(write(tmp_path, [HEAD, *rows]))
    assert_same_read(fast, reference)
    assert [(j.line, j.reason) for j in fast.rejects] == [(2, "malformed_row")]
    assert str(MAX_LINE_BYTES) in fast.rejects[0].detail and len(fast.residents) == len(rows) - 1


def test_a_line_of_the_limit_is_read(tmp_path: Path) -> None:
    from notices.register.csvfile import MAX_LINE_BYTES

    short = _line(good("1", name=""), "\r\n")
    exact = _line(good("1", name="x" * (MAX_LINE_BYTES - len(short.encode()))), "\r\n")
    over = _line(good("2", name="x" * (MAX_LINE_BYTES - len(short.encode()) + 1)), "\r\n")
    assert len(exact.encode()) == MAX_LINE_BYTES
    fast, reference = read_both(write(tmp_path, [HEAD, exact, over]))
    assert_same_read(fast, reference)
    assert [(j.line, j.reason) for j in fast.rejects] == [(3, "malformed_row")] and len(fast.residents) == 1


@pytest.mark.parametrize("row_by_row", [False, True])
def test_a_header_longer_than_the_limit_is_one_clear_error(tmp_path: Path, row_by_row: bool) -> None:
    from notices.register.csvfile import MAX_LINE_BYTES

    path = write(tmp_path, [HEAD.rstrip("\r\n") + ",x" * MAX_LINE_BYTES + "\r\n", _line(good("1"), "\r\n")])
    with pytest.raises(RegisterError, match=f"line 1: the header is longer than {MAX_LINE_BYTES} bytes"):
        read_register(path, row_by_row=row_by_row)


UTF16 = [("utf-16-le", b"\xff\xfe", "little-endian, with a byte order mark"),
         ("utf-16-be", b"\xfe\xff", "big-endian, with a byte order mark"),
         ("utf-16-le", b"", "little-endian, without a byte order mark"),
         ("utf-16-be", b"", "big-endian, without a byte order mark")]  # fmt: skip


@pytest.mark.parametrize(("codec", "bom", "what"), UTF16)
@pytest.mark.parametrize("japanese", [False, True])
def test_a_utf16_register_is_one_clear_error(tmp_path: Path, codec: str, bom: bytes, what: str, japanese: bool) -> None:
    text = MINI.read_text(encoding="utf-8")
    if japanese:
        text = text.replace("resident_id,household_id,name,", "住民票コード,世帯番号,氏名,", 1)
    path = tmp_path / "r.csv"
    path.write_bytes(bom + text.encode(codec))
    message = f"{path}: the file is UTF-16 ({what}): export the register as UTF-8 or CP932"
    for encoding in (None, "utf-16", "cp932"):
        assert read_both(path, encoding) == (message, message)


def test_nul_bytes_in_a_utf8_register_are_not_taken_for_utf16(tmp_path: Path) -> None:
    lines = [_line(good(str(i)), "\r\n") for i in range(1, 5)]
    lines[1] = lines[1].replace("中央", "中\x00\x00\x00央", 1)
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]))
    assert_same_read(fast, reference)
    assert fast.rows_read == 4


@pytest.mark.parametrize("quoted", [False, True])
def test_many_unknown_columns_are_logged_in_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                     quoted: bool) -> None:  # fmt: skip
    """A 100,000-column header: one warning line (how many, the first five), and the rows are read."""
    extra = 100_000
    header = HEAD.rstrip("\r\n") + "".join(f",x{i}" for i in range(extra)) + "\r\n"
    lines = [_line(good(str(i), address='"a"' if quoted and i == 2 else "中央"), "") + "," * extra + "\r\n"
             for i in range(1, 4)]  # fmt: skip
    path = write(tmp_path, [header, *lines])
    with caplog.at_level("WARNING", logger="notices"):
        fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert len(fast.residents) == 3 and fast.rejects == ()
    first = ", ".join(f"column {len(HEADER) + 1 + i} 'x{i}'" for i in range(5))
    assert [r.getMessage() for r in caplog.records] == [f"{path}: line 1: {extra} columns are not used: {first}, …"] * 2


def test_one_unknown_column_is_logged_as_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, [HEAD.rstrip("\r\n") + ",メモ\r\n", _line(good("1"), "").rstrip("\r\n") + ",x\r\n"])
    with caplog.at_level("WARNING", logger="notices"):
        read_register(path)
    assert [r.getMessage() for r in caplog.records] == [f"{path}: line 1: 1 column is not used: column 23 'メモ'"]


id_texts = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789aZ- _=/・\x07\x7f\u200e\u3000é１")), max_size=24),
    st.lists(st.sampled_from(["1", "2", "1234", "5678", " ", "-", "・", "/", "ー", "--", "a"]), max_size=14).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(id_texts, max_size=30), st.sampled_from([None, "[0-9 -]{1,14}", "[0-9]{11}"]), st.booleans())
def test_the_shape_check_is_its_expressions(values: list[str], pattern: str | None, shortcuts: bool) -> None:
    """Asking RE2 only of the values that might match (a speed-up for many) answers as asking it of every value."""
    from notices.register import cells
    from notices.register.cells import _NEVER_AN_ID, RESIDENT_ID_PATTERN, IdShape

    shape = IdShape(pattern or RESIDENT_ID_PATTERN)
    array = pa.array(values, pa.string())
    matched = pa.compute.match_substring_regex(array, f"^(?:{pattern or RESIDENT_ID_PATTERN})$").to_pylist()
    never = pa.compute.match_substring_regex(array, _NEVER_AN_ID).to_pylist()
    with mock.patch.object(cells, "_FEW", 0 if shortcuts else 10**9):
        assert shape.fitting(values) == [m and not n for m, n in zip(matched, never, strict=True)]


date_cells = st.one_of(
    st.builds(lambda y, m, d, a, b: f"{y:04d}{a}{m:02d}{b}{d:02d}", st.one_of(st.integers(1860, 2210), st.integers(0, 9999)),
              st.one_of(st.integers(1, 12), st.integers(0, 99)), st.one_of(st.integers(28, 31), st.integers(0, 99)),
              st.sampled_from("-/."), st.sampled_from("-/.")),  # fmt: skip
    st.builds(lambda y, m, d: f"{y:04d}{m:02d}{d:02d}", st.integers(1860, 2210), st.integers(0, 13), st.integers(0, 32)),
    st.sampled_from(ODD_DATES + ["2199-12-31", "2200-01-01", "1868-01-25", "1868-01-24", "0000-01-01", "2026-1-5",
                                 "2026-11-26x", "202611260", "２０２６-11-26", "2026–11–26", "9999-12-31"]),
    st.text(st.sampled_from("0123456789-/. 年月日令和RH元\u3000"), max_size=12),
)


@given(st.lists(date_cells, max_size=30))
@example(["2020-02-30", "2024-02-29", "2023-02-29", "1900-02-29", "2000/02/29", "20260431", "2026.12.31", "1868-01-24"])
def test_dates_read_over_a_column_are_those_read_one_by_one(cells: list[str]) -> None:
    """distinct.read_dates (the bulk read's) against _read_date, which wareki.parse_date reads one cell at a time."""
    from notices.register.distinct import _read_date, read_dates

    stripped = [c.strip() for c in cells]
    what, day = read_dates(pa.array(stripped, pa.string()))
    expected = [_read_date(c) for c in stripped]
    assert what.tolist() == [w for w, _ in expected]
    assert day.tolist() == [None if d == "NaT" else d for _, d in expected]
