"""The benchmark: figures for selection and rendering, and the naive baseline, measured side by side.

Each measurement runs in a fresh process (measure.py), so that its peak memory (ru_maxrss) is its own; a run's
is also told apart before its lots (read, selection) and from its first lot on (`--flat N`: a run mailing all N
residents of a register against one mailing `--due` of a register of as many rows).
Figures, not pass/fail: machines are noisy. `make bench` writes them to output/bench.json; from the
project's folder, `.venv/bin/python -m tools.bench --rows N --due N --large N --flat N` (`--help` for the rest).
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from dateutil.relativedelta import relativedelta
from rich.console import Console
from rich.table import Table

from .errors import errors_to_exit_codes
from .measure import AS_OF, ROOT
from .synth import COLUMNS, generate


def write_big_register(path: Path, rows: int, encoding: str) -> None:
    """A register of `rows` residents: the sample town's people, copied with new IDs, streamed to disk."""
    base = generate(AS_OF, residents=min(rows, 20_000), seed=99)
    with path.open("w", encoding=encoding, newline="", errors="replace") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        written, copy = 0, 0
        while written < rows:
            for row in base[: rows - written]:
                cells = dict(row.cells)
                if cells.get("resident_id"):
                    cells["resident_id"] = f"{copy:03d}{cells['resident_id']}"
                if cells.get("household_id"):
                    cells["household_id"] = f"{copy:03d}{cells['household_id']}"
                writer.writerow([cells.get(column, "") for column in COLUMNS])
            written, copy = min(rows, written + len(base)), copy + 1


def write_due_register(path: Path, due: int, rows: int = 0) -> None:
    """A register of ROWS residents (at least DUE), DUE of them due on AS_OF (spread evenly): card renewals,
    certificate renewals, residence extensions, some foreign; the others' cards and certificates expire years on."""
    low = AS_OF + relativedelta(months=2)
    rows = max(rows, due)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["resident_id", "household_id", "name", "name_kana", "birth_date", "sex", "postal_code", "address",
                     "status", "nationality", "residence_status", "residence_expires_on", "card_issued_on",
                     "card_expires_on", "cert_expires_on", "language"])  # fmt: skip
    for row_number in range(rows):
        n = row_number * due // rows  # the n-th due resident, on the rows where it changes
        is_due = (row_number + 1) * due // rows > n
        day = (low + timedelta(days=n % 28)).isoformat()
        row = [f"{50_000_000_000 + row_number}", f"H{row_number}", f"若葉 太郎{n % 100}", "ワカバ タロウ", "1980-01-01",
               "1", f"9990{n % 100:03d}", f"架空県若葉町中央{n % 9 + 1}丁目{n % 20 + 1}番{n % 7 + 1}号", "resident"]  # fmt: skip
        if not is_due:
            row += ["", "", "", "2022-01-01", "2032-01-01", "2027-12-01", ""]
        elif n % 10 < 5:  # a card issued at 37 after the birthday: it expires on the 10th, as recorded
            row[4] = f"1980-{day[5:]}"
            row += ["", "", "", "2017-03-01", day, "", ""]
        elif n % 10 < 9:
            row += ["", "", "", "2022-01-01", "2032-01-01", day, ""]
        else:
            row += ["VN", "留学", day, "2024-04-01", day, "", "vi"]
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def measure(what: str, *args: str) -> dict[str, float]:
    """Run one measurement in a fresh process and return its figures."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT), str(ROOT / "jobs")))}
    done = subprocess.run([sys.executable, "-m", "tools.measure", what, *args], capture_output=True, text=True,
                          env=env, check=True, timeout=6 * 3600)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def repeated(times: int, what: str, *args: str) -> dict[str, object]:
    """TIMES measurements, each in a fresh process: the one of median seconds, with every run's seconds beside it
    (this machine's speed swings by a fifth from one minute to the next: one run is an anecdote)."""
    runs = sorted((measure(what, *args) for _ in range(max(times, 1))), key=lambda figures: figures["seconds"])
    return {**runs[len(runs) // 2], "runs": [figures["seconds"] for figures in runs]}


def flatness(small: dict[str, float], large: dict[str, float]) -> dict[str, float]:
    """The run process's peak memory at two sizes of run, overall and from its first lot on, and their ratios."""
    return {"small_packets": small["packets"], "large_packets": large["packets"],
            "small_peak_mib": small["peak_mib"], "large_peak_mib": large["peak_mib"],
            "peak_ratio": large["peak_mib"] / small["peak_mib"],
            "small_lots_peak_mib": small["lots_peak_mib"], "large_lots_peak_mib": large["lots_peak_mib"],
            "lots_peak_ratio": large["lots_peak_mib"] / max(small["lots_peak_mib"], 1.0)}  # fmt: skip


def bench(work: Path, rows: int, due: int, large: int = 0, pieces: int = 1_000_000, flat: int = 0,
          rendering: bool = True, baseline: int = 200, repeat: int = 3) -> dict[str, object]:  # fmt: skip
    """Every figure of the benchmark, measured in `work`; with LARGE, a run of LARGE due residents too; with FLAT,
    the run process's peak memory for a run mailing all of a register of FLAT rows against one mailing DUE of
    them (the former LARGE's own run when FLAT is LARGE), to show whether it grows with the number of pieces;
    without RENDERING, the selection's only; the baseline on BASELINE of the DUE letters (every n-th; 0: all).
    The selection and the plan are measured REPEAT times each (the median reported, every run kept), once both
    registers are written and on disk: measured moments after its file was written, each came out slower."""
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                              "platform": platform.platform()}, "rows": rows, "due": due}  # fmt: skip
    for encoding in ("utf-8", "cp932"):
        write_big_register(work / f"big-{encoding}.csv", rows, encoding)
    os.sync()
    for encoding in ("utf-8", "cp932"):
        register = str(work / f"big-{encoding}.csv")
        figures[f"selection_{encoding}"] = repeated(repeat, "_selection", register)
        figures[f"plan_{encoding}"] = repeated(repeat, "_plan", register, str(work / f"plans-{encoding}"))
    (work / "explain.sqlite3").unlink(missing_ok=True)
    figures["explain"] = measure("_explain", str(work / "big-utf-8.csv"), str(work / "explain.sqlite3"), str(pieces))
    if not rendering:
        return figures
    write_due_register(work / "due.csv", due)
    shutil.rmtree(work / "run", ignore_errors=True)  # a fresh ledger: every due resident is mailed
    figures["rendering"] = measure("_rendering", str(work / "due.csv"), str(work / "run"))
    figures["rendering_next"] = next_night(work, "due.csv", "run")
    figures["baseline"] = measure("_baseline", str(work / "due.csv"), str(baseline))
    figures["ratio"] = figures["rendering"]["packets_per_s"] / figures["baseline"]["packets_per_s"]  # type: ignore[index]
    if large:
        write_due_register(work / "due-large.csv", large)
        shutil.rmtree(work / "run-large", ignore_errors=True)
        figures["rendering_large"] = measure("_rendering", str(work / "due-large.csv"), str(work / "run-large"))
        figures["rendering_large_next"] = next_night(work, "due-large.csv", "run-large")
        figures["ratio_large"] = figures["rendering_large"]["packets_per_s"] / figures["baseline"]["packets_per_s"]  # type: ignore[index]
    if flat:  # a register of FLAT rows, DUE of them due, against one of FLAT rows all due (LARGE's, if the same)
        write_due_register(work / "flat-small.csv", due, flat)
        shutil.rmtree(work / "run-flat-small", ignore_errors=True)
        small = measure("_rendering", str(work / "flat-small.csv"), str(work / "run-flat-small"))
        if flat != large:
            write_due_register(work / "due-flat.csv", flat)
            shutil.rmtree(work / "run-flat", ignore_errors=True)
        many = figures["rendering_large"] if flat == large else measure("_rendering", str(work / "due-flat.csv"),
                                                                          str(work / "run-flat"))  # fmt: skip
        figures["flat"] = {"register_rows": flat, **flatness(small, many)}  # type: ignore[arg-type]
    return figures


def next_night(work: Path, register: str, run: str) -> dict[str, float]:
    """A run as the next night's is: a fresh ledger (every due resident mailed, as in the first), with the layouts
    a run of the same register the night before kept (letters/layouts.py). The first run is the first night's:
    after an install or an upgrade, with nothing kept."""
    before, after = work / f"{run}-night-before", work / f"{run}-next"
    for folder in (before, after):
        shutil.rmtree(folder, ignore_errors=True)
    measure("_rendering", str(work / register), str(before), "1")
    shutil.copytree(before / "layouts", after / "layouts")
    return measure("_rendering", str(work / register), str(after))


def _runs(figures: object) -> str:
    return ", ".join(f"{s:.2f}" for s in figures["runs"])  # type: ignore[index]


app = typer.Typer(add_completion=False)


@app.command()
def command(
    rows: Annotated[int, typer.Option(help="Residents in the register for the selection figures.")] = 1_000_000,
    due: Annotated[int, typer.Option(help="Due residents for the rendering figures.")] = 1000,
    large: Annotated[int, typer.Option(help="Due residents of a second, larger run (0: none).")] = 0,
    flat: Annotated[int, typer.Option(help="Rows of a register of which a run mails all, its peak memory set "
                                           "against a run mailing --due of the same number of rows (0: none; the "
                                           "--large run itself if the same).")] = 0,
    pieces: Annotated[int, typer.Option(help="Pieces in the ledger the look-ups are timed on.")] = 1_000_000,
    rendering: Annotated[bool, typer.Option(help="Measure the rendering and the baseline too (slow).")] = True,
    baseline: Annotated[int, typer.Option(help="Letters of the --due run the naive baseline renders, every n-th "
                                               "(0: all; it takes a third of a second each).")] = 200,
    repeat: Annotated[int, typer.Option(help="Runs of the selection and of the plan each (the median reported).")] = 3,
    work: Annotated[Path, typer.Option(help="Scratch folder for the synthetic registers and runs.")] = Path("output/bench"),
    out: Annotated[Path, typer.Option(help="Where the figures go (JSON).")] = Path("output/bench.json"),
) -> None:
    """Measure selection and rendering, and the naive one-document-per-letter baseline; print the figures."""
    with errors_to_exit_codes():
        figures = bench(work, rows, due, large, pieces, flat, rendering, baseline, repeat)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"notices bench ({figures['machine']['cpus']} CPUs, Python {figures['machine']['python']})")  # type: ignore[index]
    for column in ("measure", "seconds", "rate", "peak MiB", "other"):
        table.add_column(column)
    for encoding in ("utf-8", "cp932"):
        f = figures[f"selection_{encoding}"]
        table.add_row(f"selection, {rows:,} rows, {encoding}", f"{f['seconds']:.2f}", f"{f['rows'] / f['seconds']:,.0f} rows/s",
                      f"{f['peak_mib']:.0f}", f"{f['due']} due; runs {_runs(f)}")  # type: ignore[index]  # fmt: skip
        p = figures[f"plan_{encoding}"]
        table.add_row(f"notices plan, {rows:,} rows, {encoding} (whole command)", f"{p['seconds']:.2f}",
                      f"{p['rows'] / p['seconds']:,.0f} rows/s", f"{p['peak_mib']:.0f}", f"runs {_runs(p)}")  # type: ignore[index]  # fmt: skip
    e = figures["explain"]
    table.add_row(f"explain, {rows:,} rows; ledger look-ups, {pieces:,} pieces", f"{e['explain_seconds']:.2f}",
                  f"piece {e['piece_ms_max']:.1f} ms, ID {e['application_id_ms_max']:.1f} ms, history "
                  f"{e['history_ms_max']:.1f} ms (max)", f"{e['peak_mib']:.0f}", "")  # type: ignore[index]  # fmt: skip
    out_console = Console(width=140)
    if not rendering:
        out_console.print(table)
        out_console.print(f"figures: {out}")
        return
    b = figures["baseline"]
    for key, count, night in (("rendering", due, "first night"), ("rendering_next", due, "next night"),
                              ("rendering_large", large, "first night"), ("rendering_large_next", large, "next night")):  # fmt: skip
        if key in figures:
            r = figures[key]
            table.add_row(f"rendering, notices run, {count:,} due, {night}", f"{r['seconds']:.1f}", f"{r['packets_per_s']:.1f} packets/s",
                          f"{r['peak_mib']:.0f} + {r['workers']} x {r['worker_peak_mib']:.0f}",
                          f"{r['pages_per_s']:.1f} pages/s, {r['bytes_per_packet'] / 1000:.1f} KB/packet")  # type: ignore[index]  # fmt: skip
    table.add_row(f"baseline, one document per packet ({b['packets']:,} of the {due:,})", f"{b['seconds']:.1f}", f"{b['packets_per_s']:.1f} packets/s",
                  f"{b['peak_mib']:.0f}", "")  # type: ignore[index]  # fmt: skip
    if "flat" in figures:
        f = figures["flat"]
        table.add_row(f"memory of the run process, {f['small_packets']:,} vs {f['large_packets']:,} due of "
                      f"{f['register_rows']:,} rows", "",
                      f"peak x{f['peak_ratio']:.2f}, from the first lot x{f['lots_peak_ratio']:.2f}",
                      f"{f['small_peak_mib']:.0f} vs {f['large_peak_mib']:.0f}",
                      f"from the first lot {f['small_lots_peak_mib']:.0f} vs {f['large_lots_peak_mib']:.0f} MiB")  # type: ignore[index]  # fmt: skip
    out_console.print(table)
    large_ratio = f", {figures['ratio_large']:.2f}x at {large:,}" if "ratio_large" in figures else ""
    next_ratio = figures["rendering_next"]["packets_per_s"] / b["packets_per_s"]  # type: ignore[index]
    out_console.print(f"rendering / baseline: {figures['ratio']:.2f}x at {due:,} ({next_ratio:.2f}x the next night)"
                      f"{large_ratio}   figures: {out}")


if __name__ == "__main__":
    app()
