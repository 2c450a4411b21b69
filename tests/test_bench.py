"""The benchmark runs and reports every figure (tiny sizes here; `make bench` runs the real ones)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tools.bench import app


def test_bench_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["--rows", "400", "--due", "4", "--large", "6", "--flat", "6", "--pieces", "250", "--work", str(tmp_path / "w"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    for encoding in ("utf-8", "cp932"):
        assert figures[f"selection_{encoding}"]["rows"] == 400 and figures[f"selection_{encoding}"]["seconds"] > 0
        assert figures[f"plan_{encoding}"]["rows"] == 400 and figures[f"plan_{encoding}"]["peak_mib"] > 0
        runs = figures[f"selection_{encoding}"]["runs"]  # three runs each, the median reported
        assert len(runs) == 3 and runs == sorted(runs) and figures[f"selection_{encoding}"]["seconds"] == runs[1]
    assert figures["rendering"]["packets"] == figures["baseline"]["packets"] == 4
    assert figures["rendering"]["bytes_per_packet"] > 1000 and figures["ratio"] > 0
    assert figures["rendering_large"]["packets"] == 6 and figures["rendering"]["worker_peak_mib"] >= 0
    assert figures["rendering_next"]["packets"] == 4 and figures["rendering_large_next"]["packets"] == 6
    assert any((tmp_path / "w" / "run-next" / "layouts").glob("*/*"))  # the night before's, found beside the ledger
    assert figures["explain"]["found"] is True and figures["explain"]["explain_seconds"] > 0
    assert figures["explain"]["piece_ms_max"] > 0 and figures["explain"]["history_ms_max"] > 0
    flat = figures["flat"]  # the --large run itself (6 of 6 rows mailed) against 4 of a register of 6 rows
    assert flat["small_packets"] == 4 and flat["large_packets"] == 6 and flat["peak_ratio"] > 0
    assert flat["register_rows"] == 6
    assert figures["rendering"]["lots_peak_mib"] > 0 and figures["rendering"]["before_lots_peak_mib"] > 0
    assert "rendering / baseline" in result.output


def test_bench_without_rendering_reports_the_selection_and_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["--rows", "300", "--pieces", "50", "--no-rendering", "--repeat", "1", "--work", str(tmp_path / "w"),
                                      "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["plan_cp932"]["rows"] == figures["selection_cp932"]["rows"] == 300
    assert figures["plan_utf-8"]["seconds"] > 0 and "rendering" not in figures and "baseline" not in figures
    assert len(figures["plan_utf-8"]["runs"]) == 1
    assert "notices plan, 300 rows, utf-8" in result.output
