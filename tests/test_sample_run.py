"""The bundled sample registers, end to end, against the generator's independent expectations."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from notices import pipeline
from notices.config import load_config
from notices.delivery.handoff import verify

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 26)


def rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding=encoding).splitlines()))


@pytest.fixture(scope="module", params=["register.csv", "register-cp932.csv"])
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pipeline.RunResult]:
    tmp = tmp_path_factory.mktemp("sample")
    result = pipeline.run(ROOT / "data" / request.param, AS_OF, load_config(ROOT / "config" / "municipality.toml"),
                          tmp / "out", tmp / "ledger.sqlite3", ROOT / "templates")  # fmt: skip
    return request.param, result


def test_every_row_has_the_intended_outcome(sample: tuple[str, pipeline.RunResult]) -> None:
    name, result = sample
    expected = rows(ROOT / "data" / name.replace(".csv", ".expected.csv"), "utf-8")
    folder = result.folder
    mailed = {(m["resident_id"], m["kind"]) for m in rows(folder / "manifest.csv")}
    reviews = {(r["resident_id"], r["reason"]) for r in rows(folder / "review.csv")}
    rejects = {(int(r["line"]), r["reason"]) for r in rows(folder / "rejects.csv")}
    not_mailed: Counter[str] = Counter()
    for e in expected:
        outcome, _, detail = e["expect"].partition(":")
        if outcome == "mail":
            assert (e["resident_id"], detail) in mailed, e
        elif outcome == "review":
            assert (e["resident_id"], detail) in reviews, e
            assert not any(rid == e["resident_id"] for rid, _ in mailed), e
        elif outcome == "reject":
            assert (int(e["line"]), detail) in rejects, e
        else:
            not_mailed[detail] += 1
    counts = Counter(e["expect"].partition(":")[0] for e in expected)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_read"] == len(expected)
    assert (summary["mailed"], summary["held_for_review"], summary["rejected"], summary["not_mailed"]) == (
        counts["mail"], counts["review"], counts["reject"], counts["not_mailed"])
    assert {k: v for k, v in summary["not_mailed_by_reason"].items() if v} == dict(not_mailed)
    assert summary["reconciled"] is True


def test_lots_are_in_postal_code_order_and_duplex_safe(sample: tuple[str, pipeline.RunResult]) -> None:
    _, result = sample
    manifest = rows(result.folder / "manifest.csv")
    assert [m["postal_code"] for m in manifest] == sorted(m["postal_code"] for m in manifest)
    config = load_config(ROOT / "config" / "municipality.toml")
    by_lot = Counter(m["pdf"] for m in manifest)
    assert all(count <= config.lot_size for count in by_lot.values())
    for pdf, count in by_lot.items():
        pieces = [m for m in manifest if m["pdf"] == pdf]
        pages = len(pdfium.PdfDocument(result.folder / pdf))
        assert pages % 2 == 0
        assert all(int(m["page_count"]) % 2 == 0 and int(m["first_page"]) % 2 == 1 for m in pieces)
        assert sum(int(m["page_count"]) for m in pieces) == pages  # no page belongs to no one
    assert verify(result.folder) == []


def test_no_my_number_in_any_output(sample: tuple[str, pipeline.RunResult]) -> None:
    name, result = sample
    register = (ROOT / "data" / name).read_bytes()
    text = register.decode("cp932" if "cp932" in name else "utf-8-sig")
    header, *lines = list(csv.reader(text.splitlines()))
    column = next(i for i, h in enumerate(header) if h in ("my_number", "個人番号"))
    numbers = {line[column] for line in lines if len(line) > column and line[column]}
    assert len(numbers) > 100
    outputs = []
    for path in (p for p in result.folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        outputs.append(data.decode("utf-8", errors="replace"))
        if path.suffix == ".pdf":
            outputs += [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data)]
    blob = "\n".join(outputs)
    assert not [n for n in numbers if n in blob]


def test_proofs_and_lot_list(sample: tuple[str, pipeline.RunResult]) -> None:
    _, result = sample
    manifest = rows(result.folder / "manifest.csv")
    proofs = sorted((result.folder / "proofs").iterdir())
    assert [p.stem for p in proofs] == sorted({m["kind"] for m in manifest})
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in proofs)
    lots = rows(result.folder / "lots.csv")
    assert sum(int(lot["pieces"]) for lot in lots) == len(manifest)
    summary = json.loads((result.folder / "summary.json").read_text(encoding="utf-8"))
    assert sum(int(lot["pages"]) for lot in lots) == summary["pages"] == 2 * sum(int(m["sheets"]) for m in manifest)


def test_operator_commands_on_the_sample(sample: tuple[str, pipeline.RunResult], tmp_path: Path) -> None:
    """status, returned and plan end to end on the bundled sample, after its run."""
    name, result = sample
    ledger = result.folder.parent.parent / "ledger.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "jobs")}

    def notices(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "notices", *args], env=env, capture_output=True, text=True,
                              timeout=600)  # fmt: skip

    manifest = rows(result.folder / "manifest.csv")
    status = notices("status", "--ledger", str(ledger))
    assert status.returncode == 0, status.stderr
    summary = json.loads((result.folder / "summary.json").read_text(encoding="utf-8"))
    assert f"held for review in the latest run: {len(rows(result.folder / 'review.csv'))}" in status.stdout
    assert f"card_renewal {summary['mailed_by_kind']['card_renewal']}" in status.stdout
    back = tmp_path / "returned.txt"
    back.write_text(manifest[0]["piece_id"] + "\n", encoding="utf-8")
    assert notices("returned", str(back), "--ledger", str(ledger)).returncode == 0
    plan = notices("plan", "--register", str(ROOT / "data" / name), "--as-of", "2026-11-26", "--ledger", str(ledger),
                   "--out", str(tmp_path))  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    outcomes = {r["resident_id"]: r for r in rows(tmp_path / "plan-2026-11-26.csv")}
    assert outcomes[manifest[0]["resident_id"]]["outcome"] == "review"  # came back: held, reason returned
    assert outcomes[manifest[0]["resident_id"]]["reason"] == "returned"
    assert all(outcomes[m["resident_id"]]["outcome"] == "already_notified" for m in manifest[1:])
