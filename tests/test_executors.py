"""Executors: a local pool or a Dask cluster renders the very folder the serial run writes, recycles its
workers, survives (Dask) or reports (pool) a lost worker, and leaves no worker behind when the run dies."""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, time as clock_time, timedelta
from pathlib import Path

import pytest
from conftest import make_piece
from notices import pipeline
from notices.delivery import executors
from notices.cli import app
from notices.config import Config
from notices.delivery.crashpoints import ENV
from notices.errors import ConfigError, NoticesError, RenderError
from notices.delivery.executors import Dask, Local, LotJob, Serial, WorkerLostError
from notices.models import Kind
from notices.letters.render import RenderedLot
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"  # 5 pieces: 3 lots of 2 pieces at most
AS_OF = date(2026, 11, 26)
TEMPLATES = ROOT / "templates"


@pytest.fixture(scope="module")
def town(config: Config) -> Config:
    return replace(config, lot_size=2)


def run(tmp: Path, town: Config, executor: executors.Executor) -> pipeline.RunResult:
    """A first run on the mini register with a fresh ledger, the same application IDs and seal time every time
    (summary.json states the time the run sealed, against the vendor's cut-off)."""
    return pipeline.run(MINI, AS_OF, town, tmp / "out", tmp / "ledger.sqlite3", TEMPLATES,
                        randbelow=random.Random(2026).randrange, executor=executor, sealed_at=clock_time(2, 40))  # fmt: skip


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_folder(result: pipeline.RunResult, reference: pipeline.RunResult) -> None:
    got, want = contents(result.folder), contents(reference.folder)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    assert [name for name in want if name.startswith("lot-")] == ["lot-0001.pdf", "lot-0002.pdf", "lot-0003.pdf"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, town: Config) -> pipeline.RunResult:
    return run(tmp_path_factory.mktemp("serial"), town, Serial())


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A Dask cluster of two worker processes on this machine; its scheduler's address."""
    from distributed import LocalCluster

    # The scheduler runs in this process: its INFO lines, written to a stream pytest may have
    # closed by the time the cluster shuts down, would end in logging errors.
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        # Its dashboard on a port of its own: two test processes may start a cluster at the same moment.
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
            yield local.scheduler_address
    finally:
        quiet.setLevel(level)


def pid_of(job: LotJob) -> int:
    """A stand-in task: which process ran the job."""
    return os.getpid()


def chatty(job: LotJob) -> int:
    """A stand-in task that logs, as the renderer may."""
    logging.getLogger("notices.render").warning("lot %d says hello", job.pieces[0].lot)
    logging.getLogger("weasyprint").warning("noise the run does not log")
    return job.pieces[0].lot


@dataclass(frozen=True)
class DieAt:
    """A stand-in task: renders, except that the worker rendering LOT exits at once (the first time
    only if MARKER is given: the file records that a worker died)."""

    lot: int
    marker: Path | None = None

    def __call__(self, job: LotJob) -> RenderedLot:
        if job.pieces[0].lot == self.lot and (self.marker is None or not self.marker.exists()):
            if self.marker is not None:
                self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return executors.render_job(job)


def test_the_local_pool_writes_the_folder_the_serial_run_writes(tmp_path: Path, town: Config,
                                                                reference: pipeline.RunResult,
                                                                caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level("INFO", logger="notices")
    result = run(tmp_path, town, Local(workers=2, lots_per_worker=1))
    assert "rendering 3 lots in 2 worker processes" in caplog.text
    assert_same_folder(result, reference)


def test_layouts_kept_the_night_before_make_the_same_folder(tmp_path: Path, town: Config,
                                                           reference: pipeline.RunResult) -> None:  # fmt: skip
    """A run keeps its layouts beside its ledger (letters/layouts.py); a run the next night finds them (the shapes
    two pieces had: one piece's own is not kept) and writes the very folder a run that laid everything out writes."""
    night = tmp_path / "night"
    pipeline.run(MINI, AS_OF - timedelta(days=1), town, night / "out", night / "ledger.sqlite3", TEMPLATES,
                 randbelow=random.Random(2025).randrange)  # fmt: skip
    kept = sorted((night / "layouts").glob("*/*"))
    assert kept, "the night before kept no layout"
    shutil.copytree(night / "layouts", tmp_path / "warm" / "layouts")
    result = run(tmp_path / "warm", town, Serial())
    assert executors._renderer is not None and executors._renderer[3]._fast.layouts.found > 0
    assert_same_folder(result, reference)
    pool = run(tmp_path / "pool", town, Local(workers=2, lots_per_worker=1))  # its workers keep theirs too
    assert_same_folder(pool, reference)
    assert sorted((tmp_path / "pool" / "layouts").glob("*/*"))


def test_a_dask_cluster_writes_the_folder_the_serial_run_writes(tmp_path: Path, town: Config, cluster: str,
                                                                reference: pipeline.RunResult) -> None:  # fmt: skip
    assert_same_folder(run(tmp_path, town, Dask(cluster)), reference)


def test_a_lost_dask_worker_costs_no_piece_and_duplicates_none(tmp_path: Path, town: Config, cluster: str,
                                                               reference: pipeline.RunResult) -> None:  # fmt: skip
    marker = tmp_path / "died"
    result = run(tmp_path, town, Dask(cluster, task=DieAt(lot=2, marker=marker)))
    assert marker.is_file()  # a worker did die with lot 2 in hand; Dask ran the lot again elsewhere
    assert_same_folder(result, reference)
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as ledger:
        assert ledger.execute("SELECT COUNT(*), COUNT(DISTINCT piece_id) FROM notices").fetchone() == (5, 5)


def test_the_local_pool_recycles_its_workers_after_their_lots(config: Config) -> None:
    jobs = [LotJob(config, TEMPLATES, (make_piece(Kind.CERT_RENEWAL),), AS_OF)] * 12
    with Local(workers=2, lots_per_worker=2, task=pid_of).open() as render:
        pids = list(render(jobs))
    pools = [set(pids[start:start + 4]) for start in (0, 4, 8)]  # 2 workers × 2 lots, then a fresh pool
    assert os.getpid() not in pids and all(1 <= len(pool) <= 2 for pool in pools)
    assert pools[0].isdisjoint(pools[1]) and pools[1].isdisjoint(pools[2]) and pools[0].isdisjoint(pools[2])


@pytest.mark.parametrize("where", ["local", "dask"])
def test_what_workers_log_is_logged_by_the_run_in_lot_order(where: str, request: pytest.FixtureRequest, config: Config,
                                                            caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    jobs = [LotJob(config, TEMPLATES, (replace(make_piece(Kind.CERT_RENEWAL), lot=lot),), AS_OF) for lot in range(1, 7)]
    executor = Local(workers=2, task=chatty) if where == "local" else Dask(request.getfixturevalue("cluster"), task=chatty)
    caplog.set_level("ERROR", logger="weasyprint")  # as `notices run` sets it
    caplog.set_level("INFO", logger="notices")  # last: the level of caplog's handler too
    with executor.open() as render:
        assert list(render(jobs)) == [1, 2, 3, 4, 5, 6]
    said = [r.getMessage() for r in caplog.records if r.name in ("notices.render", "weasyprint")]
    assert said == [f"lot {lot} says hello" for lot in range(1, 7)]


def test_results_come_in_lot_order_with_a_bounded_number_in_flight() -> None:
    outstanding, most = set(), 0

    class Late:  # a future whose result is ready only when asked: the worst order for the caller
        def __init__(self, n: int) -> None:
            self.n = n

        def result(self) -> int:
            outstanding.discard(self.n)
            return self.n

    def submit(n: int) -> Late:
        nonlocal most
        outstanding.add(n)
        most = max(most, len(outstanding))
        return Late(n)

    assert list(executors._in_order(submit, list(range(50)), 4)) == list(range(50))  # type: ignore[arg-type]
    assert most == 4


def test_a_crashed_pool_worker_is_a_clean_error_and_the_run_seals_nothing(tmp_path: Path, town: Config) -> None:
    with pytest.raises(WorkerLostError, match="worker process died") as failed:
        run(tmp_path, town, Local(workers=2, task=DieAt(lot=2)))
    assert isinstance(failed.value, NoticesError) and failed.value.exit_code == 10
    assert [p.name for p in (tmp_path / "out").iterdir() if p.is_dir()] == []  # no folder, final or half-built
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as ledger:
        assert ledger.execute("SELECT state FROM runs").fetchall() == [("abandoned",)]
        assert ledger.execute("SELECT COUNT(*) FROM notices").fetchone() == (0,)
    again = run(tmp_path, town, Local(workers=2))  # the next run mails everyone, once
    manifest = (again.folder / "manifest.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    assert len(manifest) == len({line.split(",")[1] for line in manifest}) == 5


@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_worker_error_keeps_its_type_and_message(where: str, request: pytest.FixtureRequest, config: Config) -> None:
    no_id = replace(make_piece(Kind.CARD_RENEWAL), application_id="")  # a form without an ID: a RenderError
    jobs = [LotJob(config, TEMPLATES, (no_id,), AS_OF), LotJob(config, TEMPLATES, (make_piece(Kind.CERT_RENEWAL),), AS_OF)]
    with pytest.raises(RenderError) as here:
        executors.render_job(jobs[0])
    executor = Local(workers=2) if where == "local" else Dask(request.getfixturevalue("cluster"))
    with executor.open() as render, pytest.raises(RenderError) as there:
        list(render(jobs))
    assert type(there.value) is RenderError and str(there.value) == str(here.value) and there.value.exit_code == 9


@pytest.mark.parametrize(("args", "message"), [
    (["--executor", "dask"], "--executor dask needs --scheduler"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler is for --executor dask"),
    (["--executor", "serial", "--workers", "2"], "--workers is for --executor local"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "--workers is for"),
])  # fmt: skip
def test_executor_options_that_do_not_go_together_are_a_configuration_error(tmp_path: Path, args: list[str],
                                                                            message: str) -> None:  # fmt: skip
    result = CliRunner().invoke(app, ["run", "--register", str(MINI), "--out", str(tmp_path / "out"),
                                      "--ledger", str(tmp_path / "l.sqlite3"), *args])  # fmt: skip
    assert result.exit_code == 3 and message in result.output
    assert not (tmp_path / "l.sqlite3").exists()


@pytest.mark.parametrize("asked", [1000, executors.cores() + 1])
def test_more_workers_than_cores_are_lowered_to_the_cores(asked: int, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="notices"):
        executor = executors.from_options("local", asked, None)
    assert isinstance(executor, Local) and executor.workers == executors.cores()
    warnings = [r for r in caplog.records if r.name == "notices" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"--workers {asked}" in warnings[0].getMessage()


def test_workers_within_the_cores_are_kept_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="notices"):
        assert executors.from_options("local", 1, None) == Local(1)
        assert executors.from_options("local", executors.cores(), None) == Local(executors.cores())
        assert executors.from_options("local", None, None) == Local(executors.cores())
    assert not caplog.records


def test_an_unreachable_scheduler_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"), Dask("tcp://127.0.0.1:9", connect_seconds=1).open():
        pass


def start(tmp: Path, lot_size: int, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`notices run` with the local pool, in a process group of its own, as the crash tests start it."""
    config = tmp / "town.toml"
    text = (ROOT / "config" / "municipality.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("lot_size = 100", f"lot_size = {lot_size}"), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "notices", "run", "--register", str(MINI), "--as-of", AS_OF.isoformat(), "--allow-date",
         "--config", str(config), "--out", str(tmp / "out"), "--ledger", str(tmp / "ledger.sqlite3"),
         "--executor", "local", "--workers", "2"],
        cwd=tmp, env={**os.environ, "PYTHONPATH": str(ROOT / "jobs"), **(env or {})}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def group(pgid: int) -> dict[int, int]:
    """The live processes of a process group: pid → parent pid (zombies are dead)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[2]) == pgid and fields[0] != "Z":
            found[int(entry.name)] = int(fields[1])
    return found


def gone(pgid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not group(pgid)


def test_killing_the_run_s_process_group_mid_render_leaves_no_worker(tmp_path: Path) -> None:
    process = start(tmp_path, 2, {ENV: "lot:1"})
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL
    assert gone(process.pid)


def test_workers_die_with_the_run_when_it_alone_is_killed(tmp_path: Path) -> None:
    process = start(tmp_path, 1)  # 5 lots of 1
    assert process.stderr is not None
    for line in process.stderr:
        if "lot 1 of 5" in line:
            break
    members = group(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    helpers = {pid for pid, parent in members.items() if parent == process.pid}  # the forkserver, the tracker
    # forked by the forkserver, in the run's process group (a worker's own short-lived child, fc-match, is not one)
    workers = [pid for pid, parent in members.items() if parent in helpers]
    assert len(workers) == 2
    assert gone(process.pid)


def test_the_runs_own_process_never_imports_the_renderer() -> None:
    """WeasyPrint is the workers' (their forkserver preloads it): importing it in the run's own process as well
    cost every run 0.45 s before its first row was read. The command line and the run import neither it nor the
    letters' renderer; a worker does when its first lot comes."""
    code = ("import sys, notices.cli, notices.cli.nightly, notices.pipeline, notices.delivery.executors, "
            "notices.delivery.lots, notices.delivery.preflight; "
            "print(sorted(m for m in ('weasyprint', 'notices.letters.render') if m in sys.modules))")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "jobs")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=120)
    assert done.stdout.strip() == "[]"
