"""The due residents settled over the columns (rules/screening.py) and kept as positions (rules/mailing.py).

Screening may send a resident it is unsure of to be settled one by one, never clear one a hold
concerns: each row here has one reason to be held (or was notified), and the selection must be the
reference's, resident by resident, against a real ledger.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path


import reference
from notices.config import load_config
from notices.delivery.lots import postal_order
from notices.delivery.ledger import Ledger, NoticeRecord, address_hash
from notices.models import Decision
from notices.register.read import read_register
from notices.rules import screening, selection, sorting
from notices.rules.mailing import MailOrder

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config" / "municipality.toml")
AS_OF = date(2026, 11, 26)
HEADER = (ROOT / "tests" / "registers" / "mini.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
EXPIRES = date(2027, 1, 27)  # the card of one born 1980-01-27, issued 2018-01-10: in the window on AS_OF

# (resident ID, what makes it special, its cells); the plain ones must be settled at once.
ROWS = [
    ("11", "plain", {"address": "中央3-1", "postal_code": "9990003"}),
    ("12", "flagged", {"support_measure": "1"}),
    ("13", "household flagged", {"household_id": "H12"}),
    ("14", "flag unclear", {"support_measure": "maybe", "household_id": ""}),
    ("15", "name too long", {"name": "山" * 61}),
    ("16", "not drawable", {"name": "山田 \U000f0000"}),
    ("17", "6-digit postal code", {"postal_code": "999000"}),
    ("18", "no address", {"address": ""}),
    ("19", "postal code not the address's", {"postal_code": "1000013", "address": "大阪府大阪市北区梅田1-1"}),
    ("20", "supplied application ID", {"application_id": "1" * 23}),  # well formed, nobody's: mailed, once asked
    ("21", "notified", {}),
    ("22", "mail came back", {}),
    ("23", "plain", {"address": "中央1-1", "postal_code": "9990002", "address_extra": "若葉荘2"}),
    ("24", "undecided expiry", {"card_issued_on": "2022-05-10", "birth_date": "2004-01-27"}),
    ("26", "flagged, no household", {"support_measure": "1", "household_id": ""}),
    ("25", "plain", {"address": "中央1-1", "postal_code": "9990002", "address_extra": "若葉荘1"}),
]


def _register(path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for resident_id, _, cells in ROWS:
        row = {c: "" for c in HEADER} | {"resident_id": resident_id, "household_id": "H" + resident_id,
                                         "name": "山田 太郎", "birth_date": "1980-01-27", "postal_code": "9990001",
                                         "address": "中央1-2-3", "status": "resident", "card_issued_on": "2018-01-10",
                                         "my_number": "123456789018"} | cells  # fmt: skip
        writer.writerow([row[c] for c in HEADER])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _ledger(path: Path) -> Path:
    """A ledger that notified resident 21 of this expiry, and whose notice to 22 at this address came back."""
    with Ledger.open(path) as ledger:
        run_id, _ = ledger.begin_run(date(2026, 11, 20), path.parent / "out")
        ledger.record_notices(run_id, [
            NoticeRecord("21", "card_renewal", EXPIRES, "00001-000001", "", address_hash("9990001", "中央1-2-3", "")),
            NoticeRecord("22", "card_renewal", date(2022, 1, 27), "00001-000002", "",
                         address_hash("9990001", "中央1-2-3", ""))])  # fmt: skip
        ledger.complete_run(run_id)
        ledger.db.execute("UPDATE notices SET returned_at = '2026-11-01T00:00:00' WHERE piece_id = '00001-000002'")
    return path


def test_only_residents_no_hold_concerns_are_settled_at_once(tmp_path: Path) -> None:
    read = read_register(_register(tmp_path / "r.csv"))
    with Ledger.read(_ledger(tmp_path / "ledger.sqlite3")) as ledger:
        plan = sorting.plan(read.table, AS_OF, CONFIG)
        at = plan.table.rows[plan.settle]
        assert (plan.notices.kind[at] >= 0).all()  # every row is due
        screened = screening.screen(plan, plan.settle, selection.context(read, AS_OF, CONFIG, ledger))
        ids = plan.table.texts("resident_id", plan.settle)
        assert [rid for rid, clear in zip(ids, screened.clear.tolist(), strict=True) if clear] == ["11", "23", "25"]
        assert [rid for rid, done in zip(ids, screened.notified.tolist(), strict=True) if done] == ["21"]
        got, expected = selection.select(read, AS_OF, CONFIG, ledger), reference.select(read, AS_OF, CONFIG, ledger)
    assert got.at_once is not None and got.at_once.plan.table.texts("resident_id", got.at_once.mailed) == ["11", "23", "25"]
    for part in ("held", "reviews", "not_mailed", "rejects", "already_notified", "quality", "outcomes"):
        assert getattr(got, part) == getattr(expected, part), part
    assert got.mailed() == expected.mailed()
    assert {r.resident_id for r in got.reviews} == {rid for rid, what, _ in ROWS
                                                    if what not in ("plain", "notified", "supplied application ID")}
    assert [d.resident.resident_id for d in got.mail_settled] == ["20"]
    assert got.already_notified == 1


def test_the_residents_settled_one_by_one_get_each_their_own_answers(tmp_path: Path) -> None:
    """What settling asks the ledger (rules/asked.py: of all at once) is answered for each as the reference, asking
    one at a time, is answered: decisions on two residents' holds, an application ID issued to another resident."""
    read = read_register(_register(tmp_path / "r.csv"))
    path = _ledger(tmp_path / "ledger.sqlite3")
    with Ledger.read(path) as ledger:
        before = selection.select(read, AS_OF, CONFIG, ledger)
    holds = {(r.resident_id, r.reason): r for r in before.reviews}
    dues = {d.resident.resident_id: d.resident for d in before.held}
    decided = [(holds["12", "support_measure"], "mail"), (holds["17", "address"], "withhold")]
    with Ledger.open(path) as ledger:
        with ledger.transaction():
            ledger.record_decisions([Decision(h.resident_id, h.reason, answer, "test", detail=h.detail,
                                              address_hash=address_hash(dues[h.resident_id].postal_code,
                                                                        dues[h.resident_id].address,
                                                                        dues[h.resident_id].address_extra))
                                     for h, answer in decided], "test")  # fmt: skip
        run_id, _ = ledger.begin_run(date(2026, 11, 21), tmp_path / "out")
        assert ledger.claim_application_id("1" * 23, "99", run_id, supplied=False)  # 20's supplied ID: 99's
        ledger.abandon_run(run_id)
    with Ledger.read(path) as ledger:
        got, expected = selection.select(read, AS_OF, CONFIG, ledger), reference.select(read, AS_OF, CONFIG, ledger)
    for part in ("held", "reviews", "withheld", "by_decision", "not_mailed", "already_notified", "outcomes"):
        assert getattr(got, part) == getattr(expected, part), part
    assert got.mailed() == expected.mailed()
    assert [d.resident.resident_id for d in got.mail_settled] == ["12"]  # its decision: mail
    assert [w.due.resident.resident_id for w in got.withheld] == ["17"]
    assert ("20", "application_id") in {(r.resident_id, r.reason) for r in got.reviews}  # 99's ID, not 20's


def test_the_pieces_go_in_postal_order_a_lot_at_a_time(tmp_path: Path) -> None:
    read = read_register(_register(tmp_path / "r.csv"))
    with Ledger.read(tmp_path / "none.sqlite3", empty_if_missing=True) as ledger:
        sel = selection.select(read, AS_OF, CONFIG, ledger)
    assert sel.at_once is not None
    # One settled one by one, sent elsewhere by a decision: its addressee's postal code places it.
    moved = replace(sel.at_once.plan.dues(sel.at_once.mailed[:1])[0], deliver_to=("9990000", "東1-1", ""))
    order = MailOrder(replace(sel.at_once, mailed=sel.at_once.mailed[1:]), [moved])
    expected = sorted([moved, *sel.at_once.plan.dues(sel.at_once.mailed[1:])], key=postal_order)
    assert [d.resident.resident_id for d in expected] == ["11", "21", "22", "25", "23"]
    assert order[0:len(order)] == expected
    assert order[0:1] + order[1:2] + order[2:] == expected and order[-1] == expected[-1]
    assert order[0].addressee.postal_code == "9990000"
    assert sel.in_postal_order()[:] == sorted(sel.mailed(), key=postal_order)
    assert sum(sel.mailed_count().values()) == len(sel.mailed()) == len(sel.in_postal_order())


def test_the_ledger_answers_for_many_as_for_one(tmp_path: Path) -> None:
    keys = [("21", "card_renewal", EXPIRES), ("21", "cert_renewal", EXPIRES), ("21", "card_renewal", date(2027, 1, 28)),
            ("22", "card_renewal", date(2022, 1, 27)), ("11", "card_renewal", EXPIRES)]  # fmt: skip
    with Ledger.read(_ledger(tmp_path / "ledger.sqlite3")) as ledger:
        assert ledger.notified_each([(r, k, d.isoformat()) for r, k, d in keys]) == [ledger.notified(*key) for key in keys]
        assert ledger.notified_each([]) == []
        ids = ["21", "22", "11", "22"]
        assert ledger.returned_each(ids) == [bool(ledger.returned_addresses(r)) for r in ids] == [False, True, False, True]
