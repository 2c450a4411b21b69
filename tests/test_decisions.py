"""The review loop ends in a decision (issue 13): review.csv handed back with decisions, `notices decide`, the next
night mails, sends elsewhere or withholds; bad files change nothing; a decision ends when its facts change."""

from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import make_resident
from test_cli import CONFIG, MINI, folder_of, notices, rows, run
from test_render import MM, _bars, _char_boxes, _inside, _window

from notices.config import load_config
from notices.letters import barcode
from notices.models import Decision, Due, Kind, Review
from notices.rules import decisions

DAY = date(2026, 11, 27)
HOLD = Review("R1", "support_measure", "resident under a support measure", Kind.CARD_RENEWAL, date(2027, 2, 1))
SAID = Decision("R1", "support_measure", "mail", "agreed", detail=HOLD.detail, address_hash="A")


@pytest.mark.parametrize(("decision", "hold", "address", "in_force"), [
    (SAID, HOLD, "A", True),
    (SAID, HOLD, "B", False),  # the resident moved: decided anew
    (SAID, replace(HOLD, detail="a member of household H4 is under a support measure"), "A", False),  # other facts
    (replace(SAID, until=DAY), HOLD, "A", True),  # in force through its last day
    (replace(SAID, until=date(2026, 11, 26)), HOLD, "A", False),
    (replace(SAID, reason="returned"), HOLD, "A", False),  # answers another hold
    (replace(SAID, reason="expiry_unknown", decision="mail"), replace(HOLD, reason="expiry_unknown"), "A", False),
])  # fmt: skip
def test_a_decision_answers_one_hold_as_it_was(decision: Decision, hold: Review, address: str, in_force: bool) -> None:
    assert decisions.in_force(decision, hold, address, DAY) is in_force


def test_mailed_only_when_every_hold_is_answered_and_withheld_when_one_says_so() -> None:
    returned = Review("R1", "returned", "came back", Kind.CARD_RENEWAL, date(2027, 2, 1))
    back = Decision("R1", "returned", "mail_to", "", "9990100", "架空県若葉町中央一丁目1番1号", "若葉町役場 福祉課",
                    detail="came back", address_hash="A")  # fmt: skip
    assert decisions.verdict([HOLD, returned], [SAID], "A", DAY).outcome == "held"
    both = decisions.verdict([HOLD, returned], [SAID, back], "A", DAY)
    assert both.outcome == "mail"
    due = Due(make_resident(), Kind.CARD_RENEWAL, date(2027, 2, 1), date(2026, 11, 2), date(2027, 5, 31), None, None)
    sent = both.apply(due).addressee
    assert (sent.postal_code, sent.address, sent.address_extra, sent.name) == (
        "9990100", "架空県若葉町中央一丁目1番1号", "若葉町役場 福祉課　気付", due.resident.name)
    assert both.apply(due).resident == due.resident  # the letter's own fields keep the registered address
    withheld = decisions.verdict([HOLD, returned], [replace(SAID, decision="withhold")], "A", DAY)
    assert withheld.outcome == "withhold"


def _fill(review: Path, target: Path, choices: dict[str, dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    lines = rows(review)
    for line in lines:
        line.update(choices.get(line["resident_id"], {}))
    with target.open("w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    return target


ELSEWHERE = {"mail_to_postal_code": "999-0007", "mail_to_address": "架空県若葉町中央七丁目7番7号",
             "mail_to_name": "若葉町役場 住民課"}  # fmt: skip
CHOICES = {"10000000004": {"decision": "withhold", "note": "支援措置担当課と協議：送付しない"},
           "10000000005": {"decision": "mail", "note": "別世帯の加害者：送付可と担当課"},
           "10000000007": {"decision": "mail_to", "note": "郵便番号欠落：窓口に確認", **ELSEWHERE}}  # fmt: skip


def _decisions_in_ledger(tmp: Path) -> int:
    with sqlite3.connect(tmp / "var" / "ledger.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])


def test_review_csv_decided_then_mailed_elsewhere_or_withheld(tmp_path: Path) -> None:
    night1 = run(tmp_path)
    assert night1.returncode == 0, night1.stderr
    review = folder_of(night1) / "review.csv"
    assert list(rows(review)[0]) == ["resident_id", "reason", "detail", "kind", "expires_on", "decision", "note",
                                     "mail_to_postal_code", "mail_to_address", "mail_to_name", "until"]  # fmt: skip
    ledger = str(tmp_path / "var" / "ledger.sqlite3")
    decided = _fill(review, tmp_path / "decided.csv", CHOICES, encoding="cp932")  # as a spreadsheet saves it
    said = notices("decide", str(decided), "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert "recorded 3 decision(s); 0 unchanged" in said.stdout
    again = notices("decide", str(decided), "--ledger", ledger, cwd=tmp_path)
    assert "recorded 0 decision(s); 3 unchanged" in again.stdout and _decisions_in_ledger(tmp_path) == 3

    night2 = run(tmp_path, MINI, "2026-11-27")
    assert night2.returncode == 0, night2.stderr
    folder = folder_of(night2)
    manifest = rows(folder / "manifest.csv")
    assert [(m["resident_id"], m["postal_code"]) for m in manifest] == [("10000000005", "9990004"),
                                                                        ("10000000007", "9990007")]  # fmt: skip
    assert [(w["resident_id"], w["reason"], w["note"]) for w in rows(folder / "withheld.csv")] == [
        ("10000000004", "support_measure", "支援措置担当課と協議：送付しない")]
    assert [r["resident_id"] for r in rows(folder / "review.csv")] == ["10000000009"]
    assert {(d["resident_id"], d["reason"], d["decision"], d["mail_to_postal_code"]) for d in rows(folder / "decisions.csv")} == {
        ("10000000005", "support_measure", "mail", ""), ("10000000007", "address", "mail_to", "9990007"),
        ("10000000004", "support_measure", "withhold", "")}  # fmt: skip
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "判断により送付した人（2 人）" in report and "判断により送らない人（1 人）" in report
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["mailed"], summary["mailed_on_decision"], summary["withheld"], summary["held_for_review"],
            summary["already_notified"]) == (2, 2, 1, 1, 5)  # fmt: skip
    _assert_window_and_barcode(folder, manifest[1], ELSEWHERE)
    status = notices("status", "--ledger", ledger, cwd=tmp_path).stdout
    assert "withheld on a decision in the latest run: 1" in status and "decisions in force: 3" in status

    night3 = run(tmp_path, MINI, "2026-11-28")  # nothing twice; the withheld one listed again
    folder = folder_of(night3)
    assert rows(folder / "manifest.csv") == []
    assert [w["resident_id"] for w in rows(folder / "withheld.csv")] == ["10000000004"]

    moved = tmp_path / "moved.csv"  # resident 4 moves within the town: the decision no longer holds
    moved.write_text(MINI.read_text(encoding="utf-8").replace("9990004,架空県若葉町中央3-3,,resident,,,,2017-02-10,,,,,有",
                                                              "9990006,架空県若葉町中央6-6,,resident,,,,2017-02-10,,,,,有"),
                     encoding="utf-8")  # fmt: skip
    folder = folder_of(run(tmp_path, moved, "2026-11-29"))
    assert rows(folder / "withheld.csv") == []
    assert ("10000000004", "support_measure") in {(r["resident_id"], r["reason"]) for r in rows(folder / "review.csv")}


def _assert_window_and_barcode(folder: Path, piece: dict[str, str], elsewhere: dict[str, str]) -> None:
    """The mail_to piece's window shows the other address, in care of its office, and its barcode is for it."""
    config = load_config(CONFIG)
    page = pdfium.PdfDocument(folder / piece["pdf"])[int(piece["first_page"]) - 1]
    window = _window(config, page)
    for text in ("〒999-0007", elsewhere["mail_to_address"], "気付", "高橋"):
        found = _char_boxes(page, text)
        assert found and all(_inside(box, window) for box in found[0]), text
    code = barcode.encode("9990007", f"{elsewhere['mail_to_address']} {elsewhere['mail_to_name']}　気付")
    assert code is not None and code.address_number == "7-7-7"
    heights = {"F": 3.6, "A": 2.4, "D": 2.4, "T": 1.2}
    assert [heights[b] for b in code.bars] == pytest.approx([(t - b) / MM for _, b, _, t in _bars(page)], abs=0.05)


def test_a_file_with_bad_lines_changes_nothing_and_names_them(tmp_path: Path) -> None:
    night1 = run(tmp_path)
    review = folder_of(night1) / "review.csv"
    ledger = str(tmp_path / "var" / "ledger.sqlite3")
    bad = _fill(review, tmp_path / "bad.csv", {
        "10000000004": {"decision": "withhold"},  # good, but not recorded: the file is one whole
        "10000000005": {"decision": "mail_to", "mail_to_address": "若" * 61},  # no postal code, too long
        "10000000009": {"decision": "mail"},  # a bad application ID is fixed in the register, not decided
    })  # fmt: skip
    with bad.open("a", encoding="utf-8", newline="") as f:
        f.write("10000000001,,,,,withhold,,,,,\n")  # mailed, not held
        f.write("10000000099,,,,,withhold,,,,,\n")  # unknown
        f.write("10000000007,address,,,,maybe,,,,,2020-01-01\n")  # not a decision; until in the past
    said = notices("decide", str(bad), "--ledger", ledger, cwd=tmp_path)
    assert said.returncode == 4
    message = said.stderr
    for expected in ("nothing recorded", "line 3, column mail_to_postal_code", "line 3, column mail_to_address: longer than the 60", "line 5, column decision: a hold for "
                     "application_id admits withhold, not mail", "line 6, column resident_id: resident '10000000001' "
                     "is not held", "line 7, column resident_id: resident '10000000099' is not known",
                     "line 8, column decision", "line 8, column until"):  # fmt: skip
        assert expected in message, message
    assert "line 2" not in message and _decisions_in_ledger(tmp_path) == 0
    assert notices("decide", str(tmp_path / "nothing.csv"), "--ledger", ledger, cwd=tmp_path).returncode == 11
