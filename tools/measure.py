"""One measurement of the benchmark, in a fresh process: `python -m tools.measure _selection FILE` (bench.py runs it).

A module of its own, light to import (the standard library, then only what is measured), so that a
measurement's peak memory is the measured code's, not the benchmark's command line.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 26)
ROOT = Path(__file__).resolve().parents[1]  # the project's folder: config/, templates/, jobs/, tools/


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


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _Stages:
    """The run's own peak memory before its lots (read, selection) and from its first lot to the end, told apart
    by resetting the kernel's high-water mark (VmHWM, /proc/self/clear_refs) as the lots begin."""

    def __init__(self) -> None:
        self.before_lots = self.from_lots = 0.0

    def wrap(self, write_lots: Any) -> Any:
        def measured(*args: Any, **kwargs: Any) -> Any:
            self.before_lots = _status_mib("VmHWM")
            try:
                Path("/proc/self/clear_refs").write_text("5")
            except OSError:  # not Linux, or not allowed: the figures stay one peak for the whole run
                pass
            return write_lots(*args, **kwargs)

        return measured

    def finish(self) -> None:
        self.from_lots = _status_mib("VmHWM")


def _selection(register: str) -> dict[str, float]:
    from notices.config import load_config
    from notices.delivery.ledger import Ledger
    from notices.register.read import read_register
    from notices.rules.selection import select

    config = load_config(ROOT / "config" / "municipality.toml")
    start = time.perf_counter()
    read = read_register(Path(register))
    with Ledger.read(Path("/nonexistent/ledger.sqlite3"), empty_if_missing=True) as ledger:
        sel = select(read, AS_OF, config, ledger)
    return {"seconds": time.perf_counter() - start, "rows": read.rows_read, "due": sum(sel.mailed_count().values()) + len(sel.held),
            "peak_mib": _peak_mib()}  # fmt: skip


def _plan(register: str, out: str) -> dict[str, float]:
    """`notices plan` on REGISTER, the whole command from a cold start (a process of its own): seconds and peak."""
    import subprocess

    command = [sys.executable, "-m", "notices", "plan", "--register", register, "--as-of", AS_OF.isoformat(),
               "--out", out, "--ledger", str(Path(out) / "none.sqlite3"), "--config",
               str(ROOT / "config" / "municipality.toml")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "jobs")}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=3600)
    seconds = time.perf_counter() - start
    rows = int(done.stdout.split(" rows=", 1)[1].split()[0])  # the summary line: "summary: run=plan … rows=N …"
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the command is this one's only child
    return {"seconds": seconds, "rows": rows, "peak_mib": peak}


def _rendering(register: str, work: str, days_before: str = "0") -> dict[str, float]:
    """`notices run` on REGISTER with the ledger in WORK (and the layouts kept beside it), DAYS_BEFORE AS_OF."""
    from notices.config import load_config
    from notices.delivery import lots
    from notices.delivery.executors import Local
    from notices.pipeline import run

    executor = Local()  # what `notices run` uses: a worker process a core
    stages = _Stages()
    lots.write_lots = stages.wrap(lots.write_lots)  # type: ignore[method-assign]
    sampler = _WorkerMemory()
    sampler.start()
    start = time.perf_counter()
    result = run(Path(register), AS_OF - timedelta(days=int(days_before)), load_config(ROOT / "config" / "municipality.toml"), Path(work) / "out",
                 Path(work) / "ledger.sqlite3", ROOT / "templates", executor=executor)  # fmt: skip
    seconds = time.perf_counter() - start
    stages.finish()
    sampler.stop()
    pieces, pages = result.summary.mailed, result.summary.pages
    size = sum(p.stat().st_size for p in result.folder.glob("lot-*.pdf"))
    return {"seconds": seconds, "packets": pieces, "packets_per_s": pieces / seconds, "pages_per_s": pages / seconds,
            "bytes_per_packet": size / max(pieces, 1), "workers": executor.workers,
            "peak_mib": max(_peak_mib(), stages.before_lots, stages.from_lots),
            "before_lots_peak_mib": stages.before_lots, "lots_peak_mib": stages.from_lots,
            "worker_peak_mib": sampler.peak_each, "all_workers_peak_mib": sampler.peak_sum}  # fmt: skip


def _baseline(register: str, limit: str = "0") -> dict[str, float]:
    """The usual way: one WeasyPrint document per packet, one process, the same letters (with LIMIT, every
    n-th of them, LIMIT in all: the rate of a few hundred is that of all)."""
    from notices.config import load_config
    from notices.delivery.ledger import Ledger
    from notices.models import Piece
    from notices.register.read import read_register
    from notices.letters.render import Renderer
    from notices.rules.selection import select

    config = load_config(ROOT / "config" / "municipality.toml")
    with Ledger.read(Path("/nonexistent/ledger.sqlite3"), empty_if_missing=True) as ledger:
        mail = list(select(read_register(Path(register)), AS_OF, config, ledger).mailed())
    if int(limit) and len(mail) > int(limit):
        mail = mail[:: len(mail) // int(limit)][: int(limit)]
    renderer = Renderer(config, ROOT / "templates")
    start = time.perf_counter()
    for n, due in enumerate(mail):
        app_id = "99999700000000000000017" if due.has_form else ""
        piece = Piece(f"B{n}", 1, due, app_id, config.qr_payload(app_id) if app_id else "")
        renderer.render_lot([piece], AS_OF, fast=False)  # the straightforward path: the whole letter laid out
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "packets": len(mail), "packets_per_s": len(mail) / seconds, "peak_mib": _peak_mib()}


def _ledger_of(path: str, pieces: int, resident_ids: list[str]) -> None:
    """A ledger of PIECES handed-off pieces in runs of 100,000, to the residents given (over and over)."""
    from notices.delivery.ledger import Ledger, NoticeRecord

    with Ledger.open(Path(path)) as ledger:
        for first in range(0, pieces, 100_000):
            run_id, _ = ledger.begin_run(AS_OF, Path(path).parent / "out")
            batch = range(first, min(pieces, first + 100_000))
            ids = [f"{99999700000000000000000 + n:023d}" for n in batch]
            ledger.record_notices(run_id, [NoticeRecord(  # one notice a resident and expiry: each time another expiry
                resident_ids[n % len(resident_ids)], "card_renewal", AS_OF + timedelta(days=n // len(resident_ids)),
                f"{run_id:05d}-{n:06d}", ids[n - first], "", "lot-0001.pdf", 1) for n in batch])  # fmt: skip
            with ledger.transaction():
                ledger.db.executemany("INSERT INTO application_ids VALUES (?, ?, ?, 0)",
                                      [(i, resident_ids[n % len(resident_ids)], run_id) for n, i in zip(batch, ids)])  # fmt: skip
            ledger.complete_run(run_id)


def _explain(register: str, ledger_path: str, pieces: str) -> dict[str, float]:
    """notices explain on a big register (the last resident: the search goes through the whole file), and the
    ledger's look-ups on a ledger of PIECES pieces."""
    import random

    from notices.config import load_config
    from notices.delivery.ledger import Ledger
    from notices.reports.explain import explain

    config = load_config(ROOT / "config" / "municipality.toml")
    data = Path(register).read_bytes()
    last = data.rstrip(b"\r\n").rsplit(b"\n", 1)[1].split(b",", 1)[0].decode()
    residents = list(dict.fromkeys(line.split(b",", 1)[0].decode() for line in data[-2_000_000:].splitlines()[1:]
                                   if line[:1].isdigit()))
    start = time.perf_counter()
    _ledger_of(ledger_path, int(pieces), residents)
    built = time.perf_counter() - start
    with Ledger.read(Path(ledger_path)) as ledger:
        start = time.perf_counter()
        story = explain(Path(register), last, AS_OF, config, ledger)
        explained = time.perf_counter() - start
        rng, timings = random.Random(1), {"piece": [], "application_id": [], "history": []}
        for _ in range(200):
            n = rng.randrange(int(pieces))
            for what, ask in (("piece", lambda: ledger.piece_owner(f"{n // 100_000 + 1:05d}-{n:06d}")),
                              ("application_id", lambda: ledger.application_id_owner(f"{99999700000000000000000 + n:023d}")),
                              ("history", lambda: ledger.pieces_of(residents[n % len(residents)]))):  # fmt: skip
                t = time.perf_counter()
                ask()
                timings[what].append(time.perf_counter() - t)
    return {"explain_seconds": explained, "found": bool(story.get("in_register")), "ledger_build_seconds": built,
            **{f"{what}_ms_max": max(t) * 1000 for what, t in timings.items()},
            **{f"{what}_ms_mean": sum(t) / len(t) * 1000 for what, t in timings.items()}, "peak_mib": _peak_mib()}  # fmt: skip


MEASUREMENTS = {"_selection": _selection, "_plan": _plan, "_rendering": _rendering, "_baseline": _baseline,
                "_explain": _explain}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(MEASUREMENTS[sys.argv[1]](*sys.argv[2:])))
