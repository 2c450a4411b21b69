"""The register read in bulk against the register read row by row (the reference), and the selections made of each.

Whatever the file holds (good rows, bad dates, era dates, blank lines, quoted line breaks, wrong
field counts, lone CRs, bad bytes, CP932), both reads must give the same residents, rejects, notes
and protected households, and select() and lapsed() the same outcomes, on any run date and policy.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from notices import register, register_scan
from notices.config import Config, load_config
from notices.errors import RegisterError
from notices.register import RegisterRead, read_register
from notices.register_frame import WHITESPACE
from notices.selection import Selection, lapsed, select

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
    "resident_id": ["", " ", "１２３", " R-1 "], "household_id": ["Ｈ３", "", " H4 "],
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
                          "bom", "blank_but_my_number"]  # fmt: skip


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
        "open_quote": line.replace(",", ',"A棟', 1), "lone_cr": line.replace(",", ",\r", 1),
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


class StubLedger:
    """A ledger that has notified some residents, knows some application IDs, some returned mail and history."""

    def notified(self, resident_id: str, kind: str, expires_on: date) -> bool:
        return resident_id.endswith(("3", "7"))

    def application_id_owner(self, application_id: str) -> str | None:
        return "10000000009" if application_id.startswith("1") else None

    def returned_addresses(self, resident_id: str) -> dict[str, str]:
        from notices.ledger import address_hash
        return {address_hash("9990001", "架空県若葉町中央1-2-3", ""): "2026-10-01T00:00:00"} if resident_id.endswith("1") else {}

    def history(self, resident_id: str, expires_on: date) -> dict[str, str]:
        return {"card_renewal": "2026-06-01", "grace_reminder": "2026-10-01"} if resident_id.endswith("2") else {}


def read_both(path: Path, encoding: str | None = None) -> tuple[Any, Any]:
    """Both reads of a file: each a RegisterRead, or the message of the RegisterError it raised."""
    found = []
    for row_by_row in (False, True):
        try:
            found.append(read_register(path, encoding, row_by_row=row_by_row))
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
    return (sel.mail, sel.held, sel.reviews, sel.not_mailed, sel.rejects, sel.already_notified, sel.quality, sel.outcomes)


CONFIGS = [CONFIG, replace(CONFIG, leap_day="mar1"), replace(CONFIG, reminder_enabled=False),
           replace(CONFIG, reminder_days=90, lapsed_days=75)]  # fmt: skip
RUN_DATES = [AS_OF, date(2027, 2, 28), date(2026, 12, 31), date(2026, 9, 30)]


def assert_same_selection(fast: RegisterRead, reference: RegisterRead, as_of: date, config: Config) -> None:
    ledger: Any = StubLedger()
    got, expected = select(fast, as_of, config, ledger), select(reference, as_of, config, ledger)
    assert selection_contents(got) == selection_contents(expected)
    assert lapsed(fast, as_of, config, ledger) == lapsed(reference, as_of, config, ledger)
    for what, found in (("mail", got.mail), ("held", got.held), ("already notified", got.already_notified),
                        ("lapsed", lapsed(fast, as_of, config, ledger)), ("quality", got.quality),
                        ("grace reminder", [d for d in got.mail + got.held if d.kind.value == "grace_reminder"]),
                        ("residence extension", [d for d in got.mail + got.held if d.kind.value == "residence_extension"])):
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
    event(f"bulk rows: {'none' if not len(fast.table) else 'all' if not fast.others else 'some'}")
    assert_same_read(fast, reference)
    assert_same_selection(fast, reference, as_of, config)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registers, st.sampled_from([None, "utf-8", "cp932"]))
def test_lines_sorted_one_by_one_read_the_same(tmp_path: Path, made: tuple[Any, ...], encoding: str | None) -> None:
    """The general path (each line sorted by the regular expression), forced even where the file is plain."""
    path = tmp_path / "register.csv"
    path.write_bytes(register_bytes(*made))
    scan = register_scan.scan
    with mock.patch.object(register, "scan", lambda decoded, plain: scan(decoded, False)):
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
    # A BOM at the start of a row belongs to its first cell (and the row is read one by one).
    (["\ufeff" + _line(good("1"), "\n"), _line(good("2"), "\n")], 1, []),
])  # fmt: skip
def test_tricky_lines(tmp_path: Path, lines: list[str], bulk: int, expected: list[tuple[int, str]]) -> None:
    fast, reference = read_both(write(tmp_path, [HEAD, *lines]))
    assert_same_read(fast, reference)
    assert [(j.line, j.reason) for j in fast.rejects] == expected
    assert len(fast.table) == bulk  # the rest really was read in bulk
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
    assert len(fast.table) == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_a_plain_register_is_read_in_bulk(tmp_path: Path, encoding: str) -> None:
    lines = [_line(good(str(i), name="髙橋 﨑子" if encoding != "cp932" else "高橋 崎子"), "\r\n") for i in range(50)]
    path = tmp_path / "r.csv"
    path.write_bytes(("\ufeff" if encoding == "utf-8-sig" else "").encode() + (HEAD + "".join(lines)).encode(
        "cp932" if encoding == "cp932" else "utf-8"))
    fast, reference = read_both(path)
    assert_same_read(fast, reference)
    assert (len(fast.table), fast.others, fast.encoding) == (50, (), encoding)


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
    assert len(fast.table) == 0 and len(fast.others) == 5


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
    assert register_scan.valid_utf8(data) is python


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(utf8_pieces, max_size=8).map(b"".join), max_size=12).map(b"\n".join))
def test_detection_is_csvfiles(data: bytes) -> None:
    """The same encoding as csvfile.detect_encoding, and the same bad lines as decoding line by line."""
    from notices.csvfile import detect_encoding, line_ends

    lines = data.splitlines(keepends=True)
    found, errors = register_scan.detect(data)
    assert found == detect_encoding(lines)
    if errors is not None and data:
        bad = {i for i, line in enumerate(lines) if not _decodes(line)}
        assert {int(i) for i in np.searchsorted(line_ends(data), errors, side="right")} == bad


def _decodes(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_detection_counts_a_line_starting_with_a_stray_byte_once() -> None:
    """Half the non-ASCII lines are UTF-8: csvfile says UTF-8, however the stray bytes fall about the line breaks."""
    from notices.csvfile import detect_encoding

    data = (b"a\n" + b"\x80a\x80\n" + "é\n".encode()) * 10
    assert register_scan.detect(data)[0] == detect_encoding(data.splitlines(keepends=True)) == "utf-8"


def test_the_my_number_is_never_read_in_bulk(tmp_path: Path) -> None:
    """pandas never reads the My Number column: no column of the table holds one, no outcome shows one."""
    lines = [_line(good(str(i), card_issued_on="2017-01-28"), "\r\n") for i in range(20)]
    read_plain = register.read_plain

    def read_without_my_number(*args: Any) -> Any:
        frame = read_plain(*args)
        assert "my_number" not in frame.columns and MY_NUMBER not in frame.to_string()
        return frame

    with mock.patch.object(register, "read_plain", read_without_my_number):
        fast, _ = read_both(write(tmp_path, [HEAD, *lines, ",,,," + "," * 17 + MY_NUMBER + "\r\n"]))
    assert len(fast.table) == 20 and "my_number" not in fast.table.columns
    for column in fast.table.columns.values():
        shown = column.to_pylist() if isinstance(column, pa.ChunkedArray) else list(getattr(column, "values", column))
        assert MY_NUMBER not in " ".join(map(str, shown))
    sel = select(fast, AS_OF, CONFIG, StubLedger())  # type: ignore[arg-type]
    assert sel.mail and MY_NUMBER not in repr((sel.outcomes, sel.mail, sel.rejects, fast.rejects))
