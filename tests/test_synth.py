"""The synthetic registers: deterministic, committed as generated, and self-consistent."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from pathlib import Path

import jaconv
import pytest

from notices.register.wareki import parse_date
from tools import synth

AS_OF = date(2026, 11, 26)
DATA = Path(__file__).resolve().parents[1] / "data"
SPEC_CASES = Path(__file__).resolve().parent / "rule_cases.csv"  # the specification's rule cases, as test_rules reads them
FILES = {"register.csv": "utf-8-sig", "register-cp932.csv": "cp932"}

ALL_CODES = (
    "mail:card_renewal", "mail:cert_renewal", "mail:residence_extension", "mail:grace_reminder",
    "review:support_measure", "review:expiry_unknown", "review:address", "review:glyph", "review:application_id",
    "not_mailed:moved_out", "not_mailed:deceased", "not_mailed:removed", "not_mailed:abroad",
    "not_mailed:no_card", "not_mailed:card_inactive", "not_mailed:not_due",
    "reject:missing_resident_id", "reject:duplicate_resident_id", "reject:unknown_status",
    "reject:bad_date", "reject:missing_value", "reject:malformed_row",
)


def register_lines(name: str) -> dict[int, list[str]]:
    """Physical line number -> fields, for every data line of a committed register."""
    text = (DATA / name).read_bytes().decode(FILES[name])
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    return {reader.line_num: fields for fields in reader}


def expectations(name: str) -> list[dict[str, str]]:
    with (DATA / name.replace(".csv", ".expected.csv")).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_generation_is_deterministic() -> None:
    first = synth.generate(AS_OF, residents=400, seed=7)
    assert first == synth.generate(AS_OF, residents=400, seed=7)
    assert first != synth.generate(AS_OF, residents=400, seed=8)
    assert len(first) == 400


def test_committed_files_equal_a_fresh_sample(tmp_path: Path) -> None:
    written = synth.write_sample(tmp_path, AS_OF)
    assert sorted(p.name for p in written) == sorted(
        ["register.csv", "register.expected.csv", "register-cp932.csv",
         "register-cp932.expected.csv", "README.md"])
    for path in written:
        assert (DATA / path.name).read_bytes() == path.read_bytes(), f"data/{path.name} is stale"


def test_encodings_and_line_ends() -> None:
    utf8 = (DATA / "register.csv").read_bytes()
    assert utf8.startswith(b"\xef\xbb\xbf")
    legacy = (DATA / "register-cp932.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        legacy.decode("utf-8")
    text = legacy.decode("cp932")
    assert text.startswith(",".join(synth.JAPANESE_HEADERS[c] for c in synth.COLUMNS) + "\r\n")
    assert re.search(r"[ｱ-ﾝ]", text) and "令和" in text and re.search(r",R\d+\.\d+\.\d+,", text)
    for data in (utf8, legacy):
        assert data.count(b"\n") == data.count(b"\r\n")


def test_every_expect_code_occurs() -> None:
    main = Counter(row["expect"] for row in expectations("register.csv"))
    assert set(main) == set(ALL_CODES)
    assert main["mail:card_renewal"] >= 60 and main["mail:cert_renewal"] >= 60
    assert main["mail:residence_extension"] >= 10
    legacy = Counter(row["expect"] for row in expectations("register-cp932.csv"))
    assert {"mail:card_renewal", "mail:cert_renewal", "mail:residence_extension"} <= set(legacy)
    assert any(code.startswith("reject:") for code in legacy)


@pytest.mark.parametrize("name", FILES)
def test_expectation_lines_point_at_their_rows(name: str) -> None:
    lines = register_lines(name)
    rows = expectations(name)
    assert [int(row["line"]) for row in rows] == sorted(lines)
    for row in rows:
        fields = lines[int(row["line"])]
        assert fields[0] == row["resident_id"]
        assert (len(fields) != len(synth.COLUMNS)) == (row["expect"] == "reject:malformed_row")


def test_rule_cases_are_all_present_and_the_oracle_agrees_with_them() -> None:
    ids = {row["resident_id"] for row in expectations("register.csv")}
    for case, kind, born, issued, nationality, status, ends, expected, _ in synth.RULE_CASES:
        assert f"RC-{case}" in ids
        stay = date.fromisoformat(ends) if ends else None
        card, _ = synth.card_expiry(date.fromisoformat(born), date.fromisoformat(issued), nationality, status, stay)
        if kind == "cert":
            card = min(card, synth.nth_birthday_after(date.fromisoformat(born), date.fromisoformat(issued), 5))
        assert card.isoformat() == expected, case
    with SPEC_CASES.open(encoding="utf-8", newline="") as f:
        spec = [tuple(row[:8]) for row in list(csv.reader(f))[1:]]
    assert spec == [case[:8] for case in synth.RULE_CASES]


def test_window_is_month_arithmetic_clamped_at_month_end() -> None:
    assert synth.window(date(2026, 11, 30)) == (date(2027, 1, 30), date(2027, 2, 28))
    assert synth.window(AS_OF) == (date(2027, 1, 26), date(2027, 2, 26))
    assert synth.birthday(date(1996, 2, 29), 2027) == date(2027, 2, 28)


def _read_back(fields: dict[str, str]) -> synth.Person:
    """A row read back from its cells the way the contract (domain.md 5.1) describes."""
    def day(column: str) -> date | None:
        return parse_date(fields[column]) if fields[column] else None

    statuses = {ja: en for en, ja in synth.STATUS_JA.items()}
    p = synth.Person(
        fields["resident_id"], fields["household_id"], fields["name"], jaconv.h2z(fields["name_kana"]),
        day("birth_date"), fields["sex"], fields["postal_code"], fields["address"], fields["address_extra"],
        fields["my_number"], status=statuses.get(fields["status"], fields["status"]),
        nationality="" if fields["nationality"] == "JP" else fields["nationality"],
        res_status=fields["residence_status"], res_exp=day("residence_expires_on"),
        card_issued=day("card_issued_on"), card_exp=day("card_expires_on"), card_state=fields["card_state"],
        cert_issued=day("cert_issued_on"), cert_exp=day("cert_expires_on"),
        card_applied=day("card_applied_on"), card_stay=day("card_residence_expires_on"),
        support=fields["support_measure"] in ("1", "true", "yes", "有"), app_id=fields["application_id"])
    assert fields["support_measure"] in ("", "0", "false", "no", "無", "1", "true", "yes", "有")
    return p


@pytest.mark.parametrize("name", FILES)
def test_cells_read_back_to_the_expected_outcome(name: str) -> None:
    """What the files say (not what the generator meant) gives the expected outcomes."""
    lines, rows = register_lines(name), expectations(name)
    built = ("reject:malformed_row", "reject:bad_date", "reject:missing_value")
    people = {int(row["line"]): _read_back(dict(zip(synth.COLUMNS, lines[int(row["line"])], strict=True)))
              for row in rows if row["expect"] not in built}
    flagged = frozenset(p.hh for p in people.values() if p.support)
    ids = Counter(row["resident_id"] for row in rows if row["resident_id"])
    duplicated = frozenset(rid for rid, n in ids.items() if n > 1)
    for row in rows:
        if row["expect"] not in built:
            assert synth.outcome(people[int(row["line"])], AS_OF, flagged, duplicated) == row["expect"], row
    for row in rows:  # a bad date is unreadable, a missing value is empty
        fields = dict(zip(synth.COLUMNS, lines[int(row["line"])]))
        if row["expect"] == "reject:bad_date":
            with pytest.raises(ValueError):
                for column in synth.DATE_COLUMNS:
                    parse_date(fields[column]) if fields[column] else None
        if row["expect"] == "reject:missing_value":
            assert not fields["name"] or not fields["birth_date"]


def test_identifiers_look_real_but_are_synthetic() -> None:
    for name in FILES:
        for fields in register_lines(name).values():
            row = dict(zip(synth.COLUMNS, fields))
            rid = row["resident_id"]
            assert rid == "" or re.fullmatch(r"\d{11}|RC-P\d\d", rid)
            if len(fields) >= len(synth.COLUMNS):
                assert re.fullmatch(r"\d{12}", row["my_number"])
            assert row["postal_code"] == "" or row["postal_code"].replace("-", "").startswith("999")
            assert row["address"] == "" or row["address"].startswith("架空県若葉町")
