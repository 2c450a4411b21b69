"""Where lots are rendered: in this process, in a pool of local worker processes, or on a Dask cluster.

Each executor draws the run's lots in lot order as it can send them (a few a worker in flight: each lot is made
as drawn) and yields their RenderedLots in that order; the run's own process is the only writer. Rendering a lot
is a pure function of its LotJob (no ledger, no file written, same job → same bytes), so a lot rendered twice, as
when Dask reruns the task of a lost worker, is the very same lot: the hand-off folder does not depend on the executor.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config
from ..errors import ConfigError, NoticesError
from ..models import Piece, RenderedLot
from . import preflight

if TYPE_CHECKING:
    from ..letters.render import Renderer

log = logging.getLogger("notices")

# What the forkserver imports once for every worker: the slow part of starting one (~0.5 s; a worker
# then starts in ~0.1 s). Not this package: it imports numpy, whose OpenBLAS threads would be in the forkserver
# as it forks (and what the forkserver imports is waited for all the same, before the first worker starts).
PRELOAD = ["weasyprint", "jinja2", "zxingcpp", "fontTools.ttLib", "pikepdf", "uharfbuzz"]
LOTS_PER_WORKER = 100  # a worker grows little a lot (its caches are bounded); a fresh one finds the layouts kept (layouts.py)


class WorkerLostError(NoticesError):
    """A worker process died while rendering (killed, out of memory, crashed): the run mails nothing."""


@dataclass(frozen=True)
class LotJob:
    """Everything a worker needs to render one lot, as picklable data; the templates are read by path."""

    config: Config
    templates_dir: Path
    pieces: tuple[Piece, ...]
    letter_date: date
    layouts_dir: Path | None = None  # where layouts are kept across runs (letters/layouts.py), if anywhere


class Jobs(Protocol):
    """The lots of a run in lot order, counted up front and made as they are iterated (a list will do)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[LotJob]: ...


Task = Callable[[LotJob], Any]  # render_job, or a test's stand-in
RenderLots = Callable[[Jobs], Iterator[RenderedLot]]
_renderer: tuple[Config, Path, Path | None, Renderer] | None = None  # this process's Renderer, kept between lots


def render_job(job: LotJob) -> RenderedLot:
    """Render one lot with this process's Renderer for the job's configuration and templates, and preflight it
    here, where it was rendered (the workers check their lots side by side; the run refuses one with problems)."""
    from ..letters.render import Renderer  # here, not above: the run's own process never lays out a letter

    global _renderer
    if _renderer is None or _renderer[:3] != (job.config, job.templates_dir, job.layouts_dir):
        _renderer = (job.config, job.templates_dir, job.layouts_dir, Renderer(job.config, job.templates_dir, job.layouts_dir))
    return preflight.checked(_renderer[3].render_lot(job.pieces, job.letter_date), job.pieces, job.config)


def cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _in_order(submit: Callable[[LotJob], Any], jobs: Iterable[LotJob], window: int) -> Iterator[Any]:
    """Each job's result in job order, with at most WINDOW jobs submitted and not yet yielded."""
    pending: deque[Any] = deque()
    for job in jobs:
        if len(pending) == window:
            yield pending.popleft().result()
        pending.append(submit(job))
    while pending:
        yield pending.popleft().result()


class _Records(logging.Handler):
    """Keeps the log records of the lot its thread is rendering, for the run to log in their place."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lot = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep RECORD if this thread is rendering a lot."""
        kept = getattr(self.lot, "kept", None)
        if kept is not None:
            try:
                kept.append((record.name, record.levelno, record.getMessage()))
            except Exception:  # noqa: BLE001 - a bad log call must not fail the lot
                self.handleError(record)


_records: _Records | None = None


def in_worker(task: Task, job: LotJob) -> tuple[Any, list[tuple[str, int, str]]]:
    """Run TASK on JOB in a worker: its result, and the log records it made (name, level, message)."""
    global _records
    if _records is None:
        _records = _Records()
        logging.getLogger().addHandler(_records)
        logging.getLogger("notices").setLevel(logging.INFO)
    _records.lot.kept = kept = []
    try:
        return task(job), kept
    finally:
        _records.lot.kept = None


def _logged(results: Iterator[tuple[Any, list[tuple[str, int, str]]]]) -> Iterator[Any]:
    """The results, each after its worker's log records, logged here as the run's logging is set."""
    for result, records in results:
        for name, level, message in records:
            if logging.getLogger(name).isEnabledFor(level):
                logging.getLogger(name).log(level, "%s", message)
        yield result


def _worker_start(run_pid: int) -> None:
    """In a new pool worker: leave Ctrl-C to the run, and die with the run even if it is killed alone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(run_pid,), name="exit-with-run", daemon=True).start()


def _exit_with(run_pid: int) -> None:
    # A worker's parent is the forkserver, which outlives the run as long as any worker lives: watch the run.
    try:
        select.select([os.pidfd_open(run_pid)], [], [])  # readable once the run has exited
    except (AttributeError, OSError):  # no pidfd (not Linux 5.3+), or the run is already gone
        while _alive(run_pid):
            time.sleep(1)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


@dataclass(frozen=True)
class Serial:
    """Every lot rendered in this process, one after another."""

    task: Task = render_job

    @contextmanager
    def open(self) -> Iterator[RenderLots]:
        """A renderer of lots in this process."""
        yield self._render

    def _render(self, jobs: Jobs) -> Iterator[RenderedLot]:
        yield from map(self.task, jobs)


@dataclass(frozen=True)
class Local:
    """A pool of worker processes on this machine, one a core, forked from a forkserver that has imported
    WeasyPrint but never rendered (never from this process, which may hold Pango's threads). A pool serves
    LOTS_PER_WORKER lots a worker, then a fresh pool takes over, so no worker grows for a whole run.
    (The pool recycles itself: max_tasks_per_child can hang on CPython before 3.14.6, gh-115634.)"""

    workers: int = field(default_factory=cores)
    lots_per_worker: int = LOTS_PER_WORKER
    task: Task = render_job

    def __post_init__(self) -> None:
        if self.workers < 1 or self.lots_per_worker < 1:
            raise ConfigError(f"a pool needs a worker and a lot a worker at least (not {self.workers}, "
                              f"{self.lots_per_worker})")  # fmt: skip

    @contextmanager
    def open(self) -> Iterator[RenderLots]:
        """A renderer of lots in local worker processes (started on the first lot; one lot renders here)."""
        yield self._render

    def _render(self, jobs: Jobs) -> Iterator[RenderedLot]:
        if len(jobs) < 2:  # a pool would only add its start-up
            yield from Serial(self.task)._render(jobs)
            return
        workers = min(self.workers, len(jobs))
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        log.info("rendering %d lots in %d worker processes (fresh ones every %d lots)", len(jobs), workers,
                 workers * self.lots_per_worker)  # fmt: skip
        pools: list[ProcessPoolExecutor] = []  # the pool at work (the ones before are let go, shut down)
        processes: list[multiprocessing.process.BaseProcess] = []
        submitted, finished = 0, False

        def submit(job: LotJob) -> Any:
            nonlocal submitted
            if submitted % (workers * self.lots_per_worker) == 0:
                if pools:  # the old pool finishes its lots and its workers exit before new ones start,
                    pools[-1].shutdown(wait=True)  # so that no more than WORKERS are ever in memory
                    pools.clear()
                pools.append(ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start,
                                                 initargs=(os.getpid(),)))  # fmt: skip
            submitted += 1
            return pools[-1].submit(in_worker, self.task, job)

        try:
            yield from _logged(_in_order(submit, jobs, 2 * workers))
            finished = True
        except BrokenProcessPool:
            raise WorkerLostError("a rendering worker process died (killed, out of memory or crashed): "
                                  "this run mails nothing; run again") from None  # fmt: skip
        finally:
            if not finished:  # an error, Ctrl-C: stop the lots still rendering at once
                processes.extend(pools[-1]._processes.values() if pools and pools[-1]._processes else ())
                for process in processes:
                    if process.is_alive():
                        process.kill()
            for pool in pools:
                pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class Dask:
    """The lots sent to a Dask distributed cluster. Its workers need this package, the fonts and the
    templates at the same path (a shared file system); they only render, this process writes."""

    scheduler: str
    task: Task = render_job
    connect_seconds: float = 10.0

    @contextmanager
    def open(self) -> Iterator[RenderLots]:
        """A renderer of lots on the cluster at SCHEDULER; ConfigError if it cannot be reached."""
        from distributed import Client

        try:
            client = Client(self.scheduler, timeout=self.connect_seconds, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({exc})") from None
        try:
            yield partial(self._render, client)
        finally:
            client.close()

    def _render(self, client: Any, jobs: Jobs) -> Iterator[RenderedLot]:
        from distributed import KilledWorker

        threads = sum(client.nthreads().values())
        log.info("rendering %d lots on the Dask cluster at %s (%d worker threads)", len(jobs), self.scheduler, threads)
        run = uuid.uuid4().hex[:8]

        def submit(job: LotJob) -> Any:
            job = replace(job, layouts_dir=None)  # the run's var/layouts is not on the workers' machines
            return client.submit(in_worker, self.task, job, key=f"notices-lot-{job.pieces[0].lot:04d}-{run}")

        try:
            yield from _logged(_in_order(submit, jobs, 2 * max(threads, 1)))
        except KilledWorker as exc:  # the scheduler reruns a lost worker's task, but not without end
            raise WorkerLostError(f"Dask lost a worker on each try of a lot ({exc}): this run mails nothing") from None


Executor = Serial | Local | Dask


def from_options(executor: str, workers: int | None, scheduler: str | None) -> Executor:
    """The executor the command line names; ConfigError for options that do not go with it."""
    if executor == "dask":
        if not scheduler:
            raise ConfigError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        if workers is not None:
            raise ConfigError("--workers is for --executor local: a Dask cluster has its own workers")
        return Dask(scheduler)
    if scheduler is not None:
        raise ConfigError(f"--scheduler is for --executor dask, not {executor}")
    if executor == "serial":
        if workers is not None:
            raise ConfigError("--workers is for --executor local: serial renders in this process")
        return Serial()
    if workers is not None and workers > cores():
        # More processes than cores render no faster: each only adds its ~400 MiB of memory.
        log.warning("--workers %d: this machine has %d cores, so %d worker processes at most", workers, cores(),
                    cores())  # fmt: skip
        workers = cores()
    return Local() if workers is None else Local(workers)
