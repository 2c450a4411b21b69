"""Hostile and broken registers: never a traceback, every row accounted for, no formula in any output."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.errors import RegisterError
from notices.register.read import read_register

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
HEADER, *GOOD = MINI.read_text(encoding="utf-8").splitlines()


def accounted(path: Path, encoding: str | None = None) -> None:
    """The register is one clear error, or every row is a resident or a reject."""
    try:
        read = read_register(path, encoding)
    except RegisterError as exc:
        assert str(exc).startswith(str(path))
        return
    assert read.rows_read == len(read.residents) + len(read.rejects)
    assert len({r.line for r in read.residents} | {j.line for j in read.rejects}) == read.rows_read


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    accounted(path)


hostile_text = st.text(alphabet=st.sampled_from(list('",\r\n\x00=+-@<>&;\'\\ａ山ﾔ\ue000\ufeff1-/') + ["\u3000"]), max_size=40)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(hostile_text, max_size=12), st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
       st.integers(min_value=0, max_value=400))  # fmt: skip
def test_register_with_hostile_rows(tmp_path: Path, pieces: list[str], encoding: str, cut: int) -> None:
    """Good rows with hostile text spliced in, in any encoding, maybe cut off anywhere."""
    text = HEADER + "\n" + "\n".join(GOOD[i % len(GOOD)] + piece for i, piece in enumerate(pieces)) + "\n"
    data = text.encode(encoding, errors="ignore")
    path = tmp_path / "hostile.csv"
    path.write_bytes(data[: len(data) - cut] if cut < len(data) else data)
    accounted(path)


def big_register(tmp_path: Path) -> Path:
    """One register with every kind of trouble at once."""
    rows = list(csv.reader(io.StringIO(MINI.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}

    def variant(base: list[str], rid: str, **cells: str) -> list[str]:
        row = list(base)
        row[col["resident_id"]] = rid
        for name, value in cells.items():
            row[col[name]] = value
        return row

    due = body[0]  # a card renewal on the run date
    extra = [
        variant(due, "20000000001", name="=HYPERLINK(\"http://x\",\"click\")"),
        variant(due, "+20000000002", address="-1+1 架空県若葉町"),
        variant(due, "20000000003", name="<b>太</b><style>*{display:none}</style>"),
        variant(due, "20000000008", name="<img src='http://127.0.0.1:9/y.png'>太郎"),
        variant(due, "20000000004", name="長" * 100_000),
        variant(due, "20000000005", address_extra="@SUM(A1:A9)"),
        variant(due, "20000000006", name="nul\x00byte"),
        variant(due, "=20000000007", status="=cmd|' /C calc'!A0"),
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *body, *extra])
    text = buffer.getvalue() + '30000000001,H99,"quote left open,1980-02-01\r\n'
    path = tmp_path / "hostile.csv"
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, register: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "notices", "run", "--register", str(register), "--as-of", "2026-11-26", "--allow-date",
         "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "ledger.sqlite3"), "-v"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "jobs")}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_a_hostile_register_runs_to_the_end(tmp_path: Path) -> None:
    result = run(tmp_path, big_register(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    folder = _folder(tmp_path / "out")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_read"] == 14 + 8 + 1 and summary["reconciled"] is True
    for name in ("manifest.csv", "review.csv", "rejects.csv", "quality.csv", "lots.csv"):
        for row in csv.reader(io.StringIO((folder / name).read_text(encoding="utf-8-sig"))):
            assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@")], (name, row)
    text = "".join(page.get_textpage().get_text_range() for pdf in folder.glob("*.pdf") for page in pdfium.PdfDocument(pdf))
    assert "<style>*{display:none}</style>" in text  # printed literally, never obeyed
    assert "<img src='http://127.0.0.1:9/y.png'>" in text  # and nothing is fetched
    reviews = {(r[0], r[1]) for r in csv.reader(io.StringIO((folder / "review.csv").read_text(encoding="utf-8-sig")))}
    assert ("20000000004", "layout") in reviews and ("20000000006", "glyph") in reviews


@pytest.mark.parametrize(("header", "message"), [
    (HEADER + ",name", "column 'name' appears twice"),
    (HEADER.replace("status,", ""), "required column 'status' is missing"),
])  # fmt: skip
def test_a_register_that_cannot_be_read_is_one_clear_error(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(header + "\n" + GOOD[0] + "\n", encoding="utf-8")
    result = run(tmp_path, path)
    assert result.returncode == 4 and message in result.stderr and "Traceback" not in result.stderr


def _folder(out: Path) -> Path:
    """The one run folder a vendor would take (names starting with a dot are the program's own)."""
    (folder,) = (d for d in out.iterdir() if d.is_dir() and not d.name.startswith("."))
    return folder


def test_malformed_rows_reach_no_output(tmp_path: Path) -> None:
    """An unclosed quote early on, too many and too few fields: no My Number, and no name of those rows, anywhere."""
    rows = list(csv.reader(io.StringIO(MINI.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    lines = []
    for cells in body:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(cells)
        lines.append(buffer.getvalue())
    lines[0] = '"' + lines[0]  # line 2: a quote opened in the resident_id cell, never closed
    lines[2] = lines[2].rstrip("\r\n") + ",stray,\x00cells\r\n"  # line 4: too many fields, a NUL
    lines[4] = ",".join(body[4][:12]) + "\r\n"  # line 6: too few fields
    path = tmp_path / "register.csv"
    path.write_text(",".join(header) + "\r\n" + "".join(lines), encoding="utf-8")
    result = run(tmp_path, path)
    assert result.returncode == 0, result.stderr
    folder = _folder(tmp_path / "out")
    secrets = [cells[col["my_number"]] for cells in body]
    secrets += [body[i][col[c]] for i in (0, 2, 4) for c in ("name", "name_kana", "address")]
    for name in ("rejects.csv", "report.html", "review.csv", "manifest.csv", "summary.json", "quality.csv"):
        text = (folder / name).read_text(encoding="utf-8-sig")
        assert [s for s in secrets if s in text] == [], name
    assert [s for s in secrets if s in result.stdout + result.stderr] == []
    rejects = list(csv.DictReader(io.StringIO((folder / "rejects.csv").read_text(encoding="utf-8-sig"))))
    assert {(r["line"], r["reason"]) for r in rejects} >= {("2", "malformed_row"), ("4", "malformed_row"),
                                                           ("6", "malformed_row")}  # fmt: skip
