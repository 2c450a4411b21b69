"""The nightly run and what a run makes: run, plan, preview, preflight, check-id, barcode, ledger recover."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .common import (DEFAULT_CONFIG, DEFAULT_TEMPLATES, RUN_DATE_SLACK_DAYS, app, as_date, err, errors_to_exit_codes,
                     out, record_access, run_date_of)
from .. import kinds, logs
from ..config import load_config
from ..delivery import journal
from ..delivery.ledger import Ledger
from ..errors import NotFoundError, PreflightError
from ..kinds import Kind
from ..letters import appid
from ..letters import barcode as customer_barcode
from ..privacy import mask
from ..reports.summary import RunSummary

if TYPE_CHECKING:
    from ..pipeline import RunResult


class ExecutorName(str, Enum):
    serial = "serial"
    local = "local"
    dask = "dask"


class LogFormat(str, Enum):
    plain = "plain"
    json = "json"


def _summary_line(s: RunSummary) -> str:
    kinds = [f"{k}={v}" for k, v in s.mailed_by_kind.items() if v]
    post = [f"arrives={s.post.arrival.arrives_on} late={s.post.late}"] if s.post else []
    return " ".join([f"summary: run={s.run_id or 'plan'} as_of={s.as_of} rows={s.rows_read} mailed={s.mailed}", *kinds,
                     f"held={s.held_for_review} withheld={s.withheld} already={s.already_notified}",
                     f"not_mailed={s.not_mailed}",
                     f"rejected={s.rejected} lapsed={s.lapsed or 0}", *post, "reconciled=true"])


def _print_summary(result: RunResult) -> None:
    s = result.summary
    if not out.is_terminal:  # cron: one line a machine or a person can grep
        typer.echo(_summary_line(s))
        typer.echo(f"folder: {result.folder}")
        return
    table = Table(title=f"run {s.run_id} for {s.as_of} (window {s.window[0]} to {s.window[1]})")
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    table.add_column("detail")

    def detail(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counts.items() if v)

    table.add_row("mailed", str(s.mailed), detail(s.mailed_by_kind))
    table.add_row("held for review", str(s.held_for_review), detail(s.review_by_reason) + "  → review.csv")
    table.add_row("withheld on a decision", str(s.withheld), detail(s.withheld_by_reason) + "  → withheld.csv")
    table.add_row("already notified", str(s.already_notified), "")
    table.add_row("not mailed", str(s.not_mailed), detail(s.not_mailed_by_reason))
    table.add_row("rejected", str(s.rejected), detail(s.rejected_by_reason) + "  → rejects.csv")
    table.add_row("rows read", str(s.rows_read), "reconciled")
    out.print(table)
    out.print(f"{s.lots} lot PDF(s), {s.pages} pages, {s.quality_notes} data-quality note(s) → quality.csv, "
              f"{s.lapsed} lapsed → lapsed.csv")
    if s.post:
        a = s.post.arrival
        out.print(f"handed off {a.handed_off_on}, posted {a.posted_on}, arrives {a.arrives_on}: {s.post.late} "
                  "piece(s) later than 2 months before expiry → report.html")
    typer.echo(f"folder: {result.folder}")  # one plain line, never wrapped: scripts read it


@app.command()
def run(
    register: Annotated[Path, typer.Option(help="The register CSV (UTF-8 or CP932).")],
    as_of: Annotated[Optional[str], typer.Option(help="Run date YYYY-MM-DD; default today in Asia/Tokyo.")] = None,
    config: Annotated[Path, typer.Option(help="The municipality's TOML file.", envvar="NOTICES_CONFIG")] = DEFAULT_CONFIG,
    out: Annotated[Path, typer.Option(help="Where run folders are written.")] = Path("output"),
    ledger: Annotated[Path, typer.Option(help="The ledger (SQLite), outside --out.")] = Path("var/ledger.sqlite3"),
    encoding: Annotated[Optional[str], typer.Option(help="Override the detected encoding (utf-8, cp932).")] = None,
    templates: Annotated[Path, typer.Option(help="The letter templates.")] = DEFAULT_TEMPLATES,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step (always so without a terminal).")] = False,
    log_format: Annotated[LogFormat, typer.Option(help="Log lines as plain text or JSON lines.")] = LogFormat.plain,
    executor: Annotated[ExecutorName, typer.Option(help="Render lots here, in local processes or on Dask.")] = ExecutorName.local,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Worker processes (local; default: one a core).")] = None,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address (dask), e.g. tcp://host:8786.")] = None,
    allow_date: Annotated[bool, typer.Option("--allow-date", help="Allow a run date more than "
                                             f"{RUN_DATE_SLACK_DAYS} days from today.")] = False,
) -> None:
    """Select the residents due on the run date and write their letters to a new hand-off folder.

    Example: notices run --register /srv/notices/in/register.csv --as-of 2026-11-26
    """
    from .. import pipeline  # imported where used (the letters' and executors' libraries load slowly), and
    from ..delivery import executors  # before the logging is set up: pikepdf logs its own start

    logs.setup(verbose or not err.is_terminal, log_format)
    run_date = run_date_of(as_of, allow_date)
    if ledger.resolve().is_relative_to(out.resolve()):
        raise typer.BadParameter(f"{ledger} must live outside --out ({out}), so clearing outputs never re-mails",
                                 param_hint="--ledger")  # fmt: skip
    with errors_to_exit_codes():
        settings = load_config(config)
        render_with = executors.from_options(executor.value, workers, scheduler)
        with Progress(TextColumn("rendering lots"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:  # fmt: skip
            task = bar.add_task("lots", total=None)
            result = pipeline.run(register, run_date, settings, out, ledger, templates, encoding=encoding,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total),
                                  executor=render_with)  # fmt: skip
        _print_summary(result)


@app.command("check-id")
def check_id(application_id: Annotated[str, typer.Argument(help="The 23-digit application ID (spaces allowed).")]) -> None:
    """Exit 0 if the application ID is valid (23 digits, LG code, check digit), 1 otherwise."""
    if appid.is_valid(application_id):
        out.print("valid")
        return
    out.print("invalid")
    raise typer.Exit(1)


@app.command()
def barcode(
    postal_code: Annotated[str, typer.Argument(help="7-digit postal code (hyphen allowed).")],
    address: Annotated[str, typer.Argument(help="The address, as printed on the letter.")],
    bars: Annotated[bool, typer.Option("--bars", help="Print the 67 bars (F long, A upper, D lower, T timing).")] = False,
) -> None:
    """Print the Japan Post customer barcode's characters (or bars) for an address."""
    try:
        code = customer_barcode.encode(postal_code, address)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="POSTAL_CODE") from None
    if code is None:
        typer.echo(f"{postal_code}: a representative postal code (ending in 00) gets no customer barcode", err=True)
        raise typer.Exit(1)
    typer.echo(code.bars if bars else customer_barcode.characters_text(code))


def _kind(code: str) -> Kind:
    try:
        return Kind(code)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def preview(
    register: Annotated[Path, typer.Option(help="The register CSV.")],
    resident_id: Annotated[str, typer.Option(help="The resident to preview.")],
    as_of: Annotated[Optional[str], typer.Option(help="Run date YYYY-MM-DD; default today in Asia/Tokyo.")] = None,
    kind: Annotated[Optional[Kind], typer.Option(parser=_kind, metavar="KIND", help=(
        f"Preview this kind even when it is not due: {', '.join(kinds.every())}."))] = None,
    config: Annotated[Path, typer.Option(help="The municipality's TOML file.", envvar="NOTICES_CONFIG")] = DEFAULT_CONFIG,
    out: Annotated[Path, typer.Option(help="Where the preview files go.")] = Path("output/preview"),
    encoding: Annotated[Optional[str], typer.Option(help="Override the detected encoding.")] = None,
    templates: Annotated[Path, typer.Option(help="The letter templates.")] = DEFAULT_TEMPLATES,
    ledger: Annotated[Path, typer.Option(help="The ledger, where this look is recorded.")] = Path("var/ledger.sqlite3"),
) -> None:
    """Render one resident's letter to a PDF and PNG pages, to look at; nothing is issued, the look is recorded."""
    run_date = as_date(as_of)
    with errors_to_exit_codes():
        record_access(ledger, "preview", resident_id)
        from .. import pipeline

        for path in pipeline.preview(register, resident_id, run_date, load_config(config), out, templates, kind, encoding):
            typer.echo(str(path))


@app.command()
def plan(
    register: Annotated[Path, typer.Option(help="The register CSV.")],
    as_of: Annotated[Optional[str], typer.Option(help="Run date YYYY-MM-DD; default today in Asia/Tokyo.")] = None,
    config: Annotated[Path, typer.Option(help="The municipality's TOML file.", envvar="NOTICES_CONFIG")] = DEFAULT_CONFIG,
    ledger: Annotated[Path, typer.Option(help="The ledger (read, never written).")] = Path("var/ledger.sqlite3"),
    out: Annotated[Path, typer.Option(help="Where plan-DATE.csv and plan-DATE.json go.")] = Path("output/plans"),
    encoding: Annotated[Optional[str], typer.Option(help="Override the detected encoding.")] = None,
) -> None:
    """Show what `run` would do on a date, resident by resident: nothing rendered, nothing recorded.

    Example: notices plan --register data/register.csv --as-of 2026-12-01
    """
    run_date = as_date(as_of)
    with errors_to_exit_codes():
        from ..reports import planning  # imported where used, and not the pipeline: none of the rendering

        paths, s = planning.plan(register, run_date, load_config(config), ledger, out, encoding)
        typer.echo(_summary_line(s))
        for path in paths:
            typer.echo(str(path))


@app.command()
def preflight(
    folder: Annotated[Path, typer.Argument(help="A run folder: its manifest.csv and the lot PDFs it names.")],
    config: Annotated[Path, typer.Option(help="The municipality's TOML file ([print], [envelope]).",
                                         envvar="NOTICES_CONFIG")] = DEFAULT_CONFIG,
) -> None:
    """Check every lot of a run folder as the run checks it before sealing: exit 0 if all pass, 15 if not.

    Each problem is printed with its lot file, page and piece. Example: notices preflight output/2026-11-26_run00001
    """
    with errors_to_exit_codes():
        from ..delivery import preflight as checks  # imported where used: pdfium and zxing load slowly

        problems = checks.check_folder(folder, load_config(config))
        for problem in problems:
            typer.echo(mask(str(problem)))
        if problems:
            raise PreflightError(f"{folder}: {len(problems)} problem(s) found by the preflight")
    typer.echo(f"{folder}: every lot passes the preflight")


ledger_app = typer.Typer(no_args_is_help=True, help="Look after the ledger.")
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("recover")
def ledger_recover(
    out: Annotated[Path, typer.Option(help="The output folder whose sealed runs the ledger must know.")] = Path("output"),
    ledger: Annotated[Path, typer.Option(help="The ledger (for instance one restored from a backup).")] = Path("var/ledger.sqlite3"),
) -> None:
    """Bring a ledger up to date with the runs sealed in --out (after a restore from backup); a second time adds nothing.

    Example: notices ledger recover --out /srv/notices/out --ledger /var/lib/notices/ledger.sqlite3
    """
    with errors_to_exit_codes():
        if not ledger.is_file():  # never create a ledger here: a wrong --ledger is an error, not an empty ledger
            raise NotFoundError(f"{ledger}: no ledger here (check --ledger)")
        with Ledger.open(ledger, wait_seconds=60) as book:
            recovered = journal.recover(book, out)
    restored, recalled = recovered
    for run_id, notices, ids in restored:
        typer.echo(f"run {run_id}: recorded {notices} notice(s) and {ids} application ID(s)")
    for run_id, pieces in recalled:
        typer.echo(f"run {run_id}: recorded the recall of {pieces} piece(s)")
    typer.echo(f"recovered {len(restored)} run(s): {ledger} knows every run sealed in {out}"
               + (f" and every recall ({len(recalled)} run(s))" if recalled else ""))
