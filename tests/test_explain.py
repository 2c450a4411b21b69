"""A resident asks (issue 18): `notices explain` tells one resident's whole story; look-ups by an application ID or
a piece ID; every look recorded."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import MINI, folder_of, notices, rows, run

from notices.letters import appid

ROOT = Path(__file__).resolve().parents[1]


def _explain(tmp: Path, *args: str) -> tuple[int, str, str]:
    done = notices("explain", *args, "--ledger", str(tmp / "var" / "ledger.sqlite3"), cwd=tmp)
    return done.returncode, done.stdout, done.stderr


def test_mailed_returned_moved_mailed_again_and_told_in_order(tmp_path: Path) -> None:
    first = folder_of(run(tmp_path))
    piece = next(m for m in rows(first / "manifest.csv") if m["resident_id"] == "10000000001")
    back = tmp_path / "back.txt"
    back.write_text(piece["piece_id"] + "\n", encoding="utf-8")
    assert notices("returned", str(back), "--ledger", str(tmp_path / "var" / "ledger.sqlite3"), cwd=tmp_path).returncode == 0
    moved = tmp_path / "moved.csv"
    moved.write_text(MINI.read_text(encoding="utf-8").replace("架空県若葉町中央一丁目2番3号", "架空県若葉町東一丁目9番9号"),
                     encoding="utf-8")  # fmt: skip
    second = folder_of(run(tmp_path, moved, "2026-11-27"))
    again = next(m for m in rows(second / "manifest.csv") if m["resident_id"] == "10000000001")

    code, out, _ = _explain(tmp_path, "10000000001", "--register", str(moved), "--as-of", "2026-11-28", "--json")
    assert code == 0
    story = json.loads(out)
    assert story["who"]["address_block"] == ["〒999-0001", "架空県若葉町東一丁目9番9号", "山田 太郎 様"]
    assert story["expiries"]["card"]["expires_on"] == "2027-02-01"
    assert story["expiries"]["card"]["source"].startswith("computed: the 10th birthday after the issue date 2017-02-10")
    assert [(e["event"], e.get("piece_id")) for e in story["history"]] == [
        ("mailed", piece["piece_id"]), ("returned", piece["piece_id"]), ("mailed", again["piece_id"])]
    assert story["history"][0]["application_id"] == piece["application_id"]
    assert (story["history"][0]["lot"], story["history"][0]["first_page"]) == (piece["pdf"], int(piece["first_page"]))
    assert story["outcome"] == {"outcome": "already_notified", "kind": "card_renewal", "expires_on": "2027-02-01",
                                "notified_by": {"run": 2, "run_date": "2026-11-27"}}  # fmt: skip
    text = _explain(tmp_path, "10000000001", "--register", str(moved), "--as-of", "2026-11-28")[1]
    order = [text.index(s) for s in (f"piece {piece['piece_id']}", "returned undelivered", f"piece {again['piece_id']}",
                                     "tonight: already_notified")]  # fmt: skip
    assert order == sorted(order)
    assert "482917365001" not in out + text  # the My Number in the register: never shown

    code, out, _ = _explain(tmp_path, "--application-id", appid.grouped(piece["application_id"]))
    assert code == 0 and out.startswith("resident 10000000001")
    wrong = piece["application_id"][:10] + str((int(piece["application_id"][10]) + 1) % 10) + piece["application_id"][11:]
    code, _, err = _explain(tmp_path, "--application-id", wrong)
    assert code == 1 and "not a valid application ID" in err
    unknown = appid.new_id("999997", lambda bound: 7)
    code, _, err = _explain(tmp_path, "--application-id", unknown)
    assert code == 11 and "is a valid application ID, but not issued here" in err
    code, out, _ = _explain(tmp_path, "--piece", again["piece_id"])
    assert code == 0 and out.startswith("resident 10000000001")

    looked = notices("status", "--access", "--ledger", str(tmp_path / "var" / "ledger.sqlite3"), cwd=tmp_path).stdout
    entries = [line.split()[2:] for line in looked.splitlines()[1:]]
    assert entries == [["explain", "10000000001"]] * 4  # newest first; the failed look-ups showed nobody


def test_not_due_tells_the_first_night_it_will_be_and_plan_agrees(tmp_path: Path) -> None:
    run(tmp_path)
    code, out, _ = _explain(tmp_path, "10000000008", "--register", str(MINI), "--as-of", "2026-10-01", "--json")
    first = json.loads(out)["outcome"]["first_due"]
    assert code == 0 and first["run_date"] == "2026-11-20" and first["kind"] == "card_renewal"
    for day, outcome in (("2026-11-19", "not_mailed"), (first["run_date"], "already_notified")):
        done = notices("plan", "--register", str(MINI), "--as-of", day, "--ledger", str(tmp_path / "var" / "ledger.sqlite3"),
                       "--out", str(tmp_path / "plans"), cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        planned = {r["resident_id"]: r for r in rows(tmp_path / "plans" / f"plan-{day}.csv")}
        assert planned["10000000008"]["outcome"] == outcome, day  # mailed on 11-26, so already notified by then


def test_held_rejected_unknown_and_the_wrong_shape(tmp_path: Path) -> None:
    run(tmp_path)
    code, out, _ = _explain(tmp_path, "10000000005", "--register", str(MINI), "--as-of", "2026-11-27", "--json")
    holds = json.loads(out)["outcome"]["holds"]
    assert [(h["reason"], h["since"]) for h in holds] == [("support_measure", "run 1 (2026-11-26)")]
    assert "a member of household H4" in holds[0]["detail"] and "DV等支援措置" in holds[0]["what_to_do"]
    twice = tmp_path / "twice.csv"
    text = MINI.read_text(encoding="utf-8")
    twice.write_text(text + next(line for line in text.splitlines() if line.startswith("10000000008,")) + "\n",
                     encoding="utf-8")  # fmt: skip
    code, out, _ = _explain(tmp_path, "10000000008", "--register", str(twice), "--as-of", "2026-11-27", "--json")
    story = json.loads(out)
    assert code == 0 and story["outcome"]["outcome"] == "rejected"
    assert [(j["line"], j["reason"]) for j in story["outcome"]["rows"]] == [(9, "duplicate_resident_id"),
                                                                            (16, "duplicate_resident_id")]  # fmt: skip
    assert story["history"][0]["event"] == "mailed"  # the ledger's part all the same
    code, out, _ = _explain(tmp_path, "10000000077", "--register", str(MINI))
    assert code == 12 and "not in the register" in out
    code, _, err = _explain(tmp_path, "1234-", "--register", str(MINI))
    assert code == 2 and "not a resident ID" in err


def test_a_preview_of_a_named_resident_is_recorded(tmp_path: Path) -> None:
    ledger = str(tmp_path / "var" / "ledger.sqlite3")
    done = notices("preview", "--register", str(MINI), "--resident-id", "10000000001", "--as-of", "2026-11-26",
                   "--out", str(tmp_path / "preview"), "--ledger", ledger, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    looked = notices("status", "--access", "--since", "2000-01-01", "--ledger", ledger, cwd=tmp_path).stdout
    assert looked.splitlines()[0] == "accesses since 2000-01-01: 1" and looked.split()[-2:] == ["preview", "10000000001"]


def test_the_ledgers_clock_keeps_steps_within_a_second_in_order() -> None:
    """A return recorded and the next run started in the same second (a script, this file's first test) were a tie
    to the second, and the history put the run's mailing first. The ledger now records to the microsecond; rows of
    older ledgers, to the second, sort as at .000000: before anything later in that second, after the one before."""
    import re

    from notices.delivery.ledger import now

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", now())
    older, newer = "2026-12-06T00:53:44+00:00", "2026-12-06T00:53:44.000001+00:00"
    assert sorted([newer, older, "2026-12-06T00:53:43.999999+00:00"]) == [
        "2026-12-06T00:53:43.999999+00:00", older, newer]
