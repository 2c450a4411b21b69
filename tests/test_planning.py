"""`notices plan`'s CSV, written from columns, against csv_bytes of the same rows sorted one by one."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from notices.config import load_config
from notices.delivery.handoff import csv_bytes
from notices.delivery.ledger import Ledger
from notices.register.read import RegisterRead, read_register
from notices.reports.planning import PLAN_COLUMNS, plan_csv
from notices.rules.selection import Selection, select

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config" / "municipality.toml")
AS_OF = date(2026, 11, 26)
MINI = ROOT / "tests" / "registers" / "mini.csv"


def _rows(read: RegisterRead, sel: Selection) -> list[tuple[object, ...]]:
    """The plan's rows as they were made before it was written from columns."""
    return sorted([*sel.outcomes, *((j.line, j.resident_id, "rejected", "", "", j.reason)
                                    for j in (*read.rejects, *sel.rejects))])  # fmt: skip


def _planned(path: Path, pattern: str = r"[A-Za-z0-9]{1,20}") -> tuple[bytes, bytes]:
    read = read_register(path, resident_id_pattern=pattern)
    with Ledger.read(path.parent / "none.sqlite3", empty_if_missing=True) as ledger:
        sel = select(read, AS_OF, CONFIG, ledger)
    return plan_csv(read, sel), csv_bytes(PLAN_COLUMNS, _rows(read, sel))


def test_the_plan_of_the_sample_register_is_its_rows() -> None:
    columns, rows = _planned(MINI)
    assert columns == rows and columns.startswith(b"\xef\xbb\xbfline,resident_id,outcome,kind,expires_on,reason\r\n")


def test_ids_a_spreadsheet_would_run_or_that_need_quotes_are_written_as_csv_bytes_writes_them(tmp_path: Path) -> None:
    """With a lax ID pattern, IDs that start with = + - @ or hold a comma or a quote: neutralised and quoted alike."""
    header, *body = list(csv.reader(io.StringIO(MINI.read_text(encoding="utf-8"))))
    ids = ["=1+2", "+81", "-5", "@x", "a,b", 'q"x', "=a,\"b", "plain"]
    rows = [[ids[n % len(ids)], *cells[1:]] if n < len(ids) else cells for n, cells in enumerate(body)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows, [""] * len(header)])  # and a blank row
    register = tmp_path / "register.csv"
    register.write_text(buffer.getvalue(), encoding="utf-8")
    columns, rows_written = _planned(register, pattern=r"[^\s]{1,20}")
    assert columns == rows_written
    shown = columns.decode("utf-8-sig")
    assert "'=1+2" in shown and "\"a,b\"" in shown and "\"q\"\"x\"" in shown and "\"'=a,\"\"b\"" in shown


def test_two_rows_on_one_line_are_sorted_by_their_other_cells() -> None:
    """Never so today; were it so, the rows would be sorted as tuples, as before."""
    sel = Selection(settled=[(3, "b", "mail", "card_renewal", "2027-02-01", ""),
                             (2, "c", "not_mailed", "", "", "not_due"),
                             (3, "a", "review", "cert_renewal", "2027-02-02", "address")])  # fmt: skip
    read = SimpleNamespace(rejects=())
    assert plan_csv(read, sel) == csv_bytes(PLAN_COLUMNS, sorted(sel.settled))  # type: ignore[arg-type]
