"""The benchmark: figures for selection and rendering, and the naive baseline, measured side by side.

Each measurement runs in a fresh process, so that its peak memory (ru_maxrss) is its own.
Figures, not pass/fail: machines are noisy. `make bench` writes them to output/bench.json.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

from .synth import COLUMNS, generate

AS_OF = date(2026, 11, 26)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _WorkerMemory(threading.Thread):
    """Samples the resident memory of this process's descendants (the render workers) until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_each = self.peak_sum = 0.0  # MiB
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.2):
            sizes = [_rss_mib(pid) for pid in _descendants(os.getpid())]
            self.peak_each = max([self.peak_each, *sizes])
            self.peak_sum = max(self.peak_sum, sum(sizes))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


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


def write_due_register(path: Path, due: int) -> None:
    """`due` residents all due on AS_OF: card renewals, certificate renewals, residence extensions, some foreign."""
    low = AS_OF + relativedelta(months=2)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["resident_id", "household_id", "name", "name_kana", "birth_date", "sex", "postal_code", "address",
                     "status", "nationality", "residence_status", "residence_expires_on", "card_issued_on",
                     "card_expires_on", "cert_expires_on", "language"])  # fmt: skip
    for n in range(due):
        day = (low + timedelta(days=n % 28)).isoformat()
        row = [f"{50_000_000_000 + n}", f"H{n}", f"若葉 太郎{n % 100}", "ワカバ タロウ", "1980-01-01", "1",
               f"9990{n % 100:03d}", f"架空県若葉町中央{n % 9 + 1}丁目{n % 20 + 1}番{n % 7 + 1}号", "resident"]  # fmt: skip
        if n % 10 < 5:
            row += ["", "", "", "2017-01-01", day, "", ""]
        elif n % 10 < 9:
            row += ["", "", "", "2022-01-01", "2032-01-01", day, ""]
        else:
            row += ["VN", "留学", day, "2024-04-01", day, "", "vi"]
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def measure(what: str, *args: str) -> dict[str, float]:
    """Run one measurement in a fresh process and return its figures."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "notices.bench", what, *args], capture_output=True, text=True,
                          env=env, check=True, timeout=6 * 3600)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _selection(register: str) -> dict[str, float]:
    from .config import load_config
    from .ledger import Ledger
    from .register import read_register
    from .selection import select

    config = load_config(Path(__file__).resolve().parents[2] / "config" / "municipality.toml")
    start = time.perf_counter()
    read = read_register(Path(register))
    with Ledger.read(Path("/nonexistent/ledger.sqlite3"), empty_if_missing=True) as ledger:
        sel = select(read, AS_OF, config, ledger)
    return {"seconds": time.perf_counter() - start, "rows": read.rows_read, "due": len(sel.mail) + len(sel.held),
            "peak_mib": _peak_mib()}  # fmt: skip


def _rendering(register: str, work: str) -> dict[str, float]:
    from .config import load_config
    from .executors import Local
    from .pipeline import run

    root = Path(__file__).resolve().parents[2]
    executor = Local()  # what `notices run` uses: a worker process a core
    sampler = _WorkerMemory()
    sampler.start()
    start = time.perf_counter()
    result = run(Path(register), AS_OF, load_config(root / "config" / "municipality.toml"), Path(work) / "out",
                 Path(work) / "ledger.sqlite3", root / "templates", executor=executor)  # fmt: skip
    seconds = time.perf_counter() - start
    sampler.stop()
    pieces, pages = int(result.summary["mailed"]), int(result.summary["pages"])  # type: ignore[call-overload]
    size = sum(p.stat().st_size for p in result.folder.glob("lot-*.pdf"))
    return {"seconds": seconds, "packets": pieces, "packets_per_s": pieces / seconds, "pages_per_s": pages / seconds,
            "bytes_per_packet": size / max(pieces, 1), "peak_mib": _peak_mib(), "workers": executor.workers,
            "worker_peak_mib": sampler.peak_each, "all_workers_peak_mib": sampler.peak_sum}  # fmt: skip


def _baseline(register: str) -> dict[str, float]:
    """The usual way: one WeasyPrint document per packet, one process, the same letters."""
    from .config import load_config
    from .ledger import Ledger
    from .models import Piece
    from .register import read_register
    from .render import Renderer
    from .selection import select

    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "config" / "municipality.toml")
    with Ledger.read(Path("/nonexistent/ledger.sqlite3"), empty_if_missing=True) as ledger:
        mail = select(read_register(Path(register)), AS_OF, config, ledger).mail
    renderer = Renderer(config, root / "templates")
    start = time.perf_counter()
    for n, due in enumerate(mail):
        app_id = "99999700000000000000017" if due.has_form else ""
        piece = Piece(f"B{n}", 1, due, app_id, config.qr_payload(app_id) if app_id else "")
        renderer.render_lot([piece], AS_OF, fast=False)  # the straightforward path: the whole letter laid out
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "packets": len(mail), "packets_per_s": len(mail) / seconds, "peak_mib": _peak_mib()}


def bench(work: Path, rows: int, due: int, large: int = 0) -> dict[str, object]:
    """Every figure of the benchmark, measured in `work`; with LARGE, a run of LARGE due residents
    too, to show whether memory grows with the number of pieces."""
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                              "platform": platform.platform()}, "rows": rows, "due": due}  # fmt: skip
    for encoding in ("utf-8", "cp932"):
        register = work / f"big-{encoding}.csv"
        write_big_register(register, rows, encoding)
        figures[f"selection_{encoding}"] = measure("_selection", str(register))
    write_due_register(work / "due.csv", due)
    shutil.rmtree(work / "run", ignore_errors=True)  # a fresh ledger: every due resident is mailed
    figures["rendering"] = measure("_rendering", str(work / "due.csv"), str(work / "run"))
    figures["baseline"] = measure("_baseline", str(work / "due.csv"))
    figures["ratio"] = figures["rendering"]["packets_per_s"] / figures["baseline"]["packets_per_s"]  # type: ignore[index]
    if large:
        write_due_register(work / "due-large.csv", large)
        shutil.rmtree(work / "run-large", ignore_errors=True)
        figures["rendering_large"] = measure("_rendering", str(work / "due-large.csv"), str(work / "run-large"))
    return figures


if __name__ == "__main__":  # one measurement, in its own process: notices.bench _selection FILE, …
    task = {"_selection": _selection, "_rendering": _rendering, "_baseline": _baseline}[sys.argv[1]]
    print(json.dumps(task(*sys.argv[2:])))
