"""The command line: arguments in, exit codes out. The one place errors become exit codes."""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import kinds, logs
from .delivery import journal
from .letters import appid
from .reports import acks
from .reports import decide as decide_file
from .reports import explain as explained
from .reports import status
from .letters import barcode as customer_barcode
from .config import load_config
from .errors import NoticesError, NotFoundError, PreflightError
from .delivery.ledger import Ledger
from .kinds import Kind
from .privacy import mask
from .register.cells import Shapes
from .reports.summary import RunSummary

if TYPE_CHECKING:
    from .pipeline import RunResult

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Renewal notices for My Number Cards.")
err = Console(stderr=True)
out = Console()
log = logging.getLogger("notices")

EXIT_INTERNAL = 10
PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATES = PROJECT / "templates"
DEFAULT_CONFIG = PROJECT / "config" / "municipality.toml"


def today_in_tokyo() -> date:
    """The business date: today in Asia/Tokyo, whatever the machine's time zone."""
    return datetime.now(ZoneInfo("Asia/Tokyo")).date()


# A run records what it mails: a date far from today (a year typed wrong) would mail and record wrong notices.
RUN_DATE_SLACK_DAYS = 3
EARLIEST_RUN, LATEST_RUN = date(2000, 1, 1), date(2199, 12, 31)  # beyond these the date rules cannot count


def _as_date(text: Optional[str]) -> date:
    if text is None:
        return today_in_tokyo()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date of the form YYYY-MM-DD", param_hint="--as-of") from None
    if not EARLIEST_RUN <= day <= LATEST_RUN:
        raise typer.BadParameter(f"{text} is not a run date from {EARLIEST_RUN} to {LATEST_RUN}", param_hint="--as-of")
    return day


def _run_date(text: Optional[str], allow_date: bool) -> date:
    """The run date; one more than a few days from today (Asia/Tokyo) only with --allow-date."""
    day, today = _as_date(text), today_in_tokyo()
    if abs((day - today).days) > RUN_DATE_SLACK_DAYS and not allow_date:
        raise typer.BadParameter(
            f"{day} is {abs((day - today).days)} days from today ({today} in Asia/Tokyo): a run mails and records "
            f"its notices; give --allow-date to run for that date (plan and preview take any date)", param_hint="--as-of")
    return day


@contextmanager
def _errors_to_exit_codes() -> Iterator[None]:
    try:
        yield
    except NoticesError as exc:
        typer.echo(f"error: {mask(str(exc))}", err=True)  # one plain line: cron mails it, logs keep it whole
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.BadParameter):  # the command's own exit, or a usage error found late
        raise
    except KeyboardInterrupt:
        typer.echo("interrupted: no folder was sealed by this run; run again to mail what it had not", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - the message is masked: it may quote data
        typer.echo(f"internal error ({type(exc).__name__}): {mask(str(exc))[:200]}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None


EXIT_UNKNOWN_RESIDENT = 12
EXIT_UNACKNOWLEDGED = 13  # status --check: a folder handed off is not acknowledged by the vendor in time


def _record_access(ledger_path: Path, command: str, resident_id: str) -> None:
    """Who looked at whose data, in the ledger (総務省 セキュリティポリシーガイドライン: アクセス記録)."""
    at = datetime.now(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds")
    with Ledger.open(ledger_path, wait_seconds=600) as book:
        book.record_access(at, getpass.getuser(), command, resident_id)


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
    from . import pipeline  # imported where used (the letters' and executors' libraries load slowly), and
    from .delivery import executors  # before the logging is set up: pikepdf logs its own start

    logs.setup(verbose or not err.is_terminal, log_format)
    run_date = _run_date(as_of, allow_date)
    if ledger.resolve().is_relative_to(out.resolve()):
        raise typer.BadParameter(f"{ledger} must live outside --out ({out}), so clearing outputs never re-mails",
                                 param_hint="--ledger")  # fmt: skip
    with _errors_to_exit_codes():
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
    run_date = _as_date(as_of)
    with _errors_to_exit_codes():
        _record_access(ledger, "preview", resident_id)
        from . import pipeline

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
    run_date = _as_date(as_of)
    with _errors_to_exit_codes():
        from . import pipeline

        paths, s = pipeline.plan(register, run_date, load_config(config), ledger, out, encoding)
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
    with _errors_to_exit_codes():
        from .delivery import preflight as checks  # imported where used: pdfium and zxing load slowly

        problems = checks.check_folder(folder, load_config(config))
        for problem in problems:
            typer.echo(mask(str(problem)))
        if problems:
            raise PreflightError(f"{folder}: {len(problems)} problem(s) found by the preflight")
    typer.echo(f"{folder}: every lot passes the preflight")


@app.command("status")
def show_status(
    ledger: Annotated[Path, typer.Option(help="The ledger.")] = Path("var/ledger.sqlite3"),
    runs: Annotated[int, typer.Option(min=1, max=100_000, help="How many recent runs to list.")] = 10,
    access: Annotated[bool, typer.Option("--access", help="List who looked at whose data (explain, preview).")] = False,
    since: Annotated[Optional[str], typer.Option(help="With --access: from this date (YYYY-MM-DD) on.")] = None,
    check: Annotated[bool, typer.Option("--check", help=f"Only the folders handed off and not acknowledged after "
                                        f"ack_hours; exit {EXIT_UNACKNOWLEDGED} if there are any (silent otherwise).")] = False,
    config: Annotated[Path, typer.Option(help="The municipality's TOML file (ack_hours).", envvar="NOTICES_CONFIG")] = DEFAULT_CONFIG,
) -> None:
    """List the recent runs, the folders not acknowledged by the vendor in time, the recalls, the residents still held
    for review or withheld, the decisions, and mail that came back.

    Example: notices status --runs 5; for a monitoring cron line: notices status --check
    """
    if access:
        first = _as_date(since).isoformat() if since else ""
        with _errors_to_exit_codes(), Ledger.read(ledger) as book:
            looked = book.accesses(first)
        typer.echo(f"accesses{' since ' + first if first else ''}: {len(looked)}")
        for at, operator, command, resident_id in looked:
            typer.echo(f"  {at}  {operator}  {command}  {resident_id}")
        return
    with _errors_to_exit_codes():
        ack_hours = load_config(config).ack_hours
        with Ledger.read(ledger) as book:
            late = acks.overdue(book, ack_hours)
            shown = (acks.overdue_lines(late, ack_hours) if late else []) if check else status.report(book, runs, late, ack_hours)
        for line in shown:
            typer.echo(line)
    if check and late:
        raise typer.Exit(EXIT_UNACKNOWLEDGED)


@app.command()
def returned(
    file: Annotated[Path, typer.Argument(help="Piece IDs or resident IDs of returned mail, one a line.")],
    ledger: Annotated[Path, typer.Option(help="The ledger.")] = Path("var/ledger.sqlite3"),
) -> None:
    """Record mail that came back undelivered (宛所不明); those residents are held until their address changes.

    Exit 1 if some IDs matched no mailed piece. Example: notices returned returned-2026-12.csv
    """
    with _errors_to_exit_codes():
        ids = status.read_ids(file)
        with Ledger.read(ledger):
            pass  # never create a ledger here: a wrong --ledger is an error, not an empty ledger
        with Ledger.open(ledger, wait_seconds=60) as book:
            found, already, unknown = status.record_returned(book, ids)
    typer.echo(f"recorded {len(found)} returned piece(s)")
    for given in already:
        typer.echo(f"already recorded: {given}")
    for given in unknown:
        typer.echo(f"not found among mailed pieces (or a resident with several: give the piece ID): {given}", err=True)
    if unknown:
        raise typer.Exit(1)


@app.command()
def decide(
    file: Annotated[Path, typer.Argument(help="review.csv with its decision column filled in (UTF-8 or CP932).")],
    ledger: Annotated[Path, typer.Option(help="The ledger.")] = Path("var/ledger.sqlite3"),
) -> None:
    """Record decisions on held residents: mail (to the registered address), mail_to (another), or withhold.

    Each line answers a hold of the latest run; one bad line and nothing is recorded (exit 4, the lines
    named). The same file twice changes nothing. Example: notices decide review-2026-11-26.csv
    """
    with _errors_to_exit_codes():
        with Ledger.read(ledger):
            pass  # never create a ledger here: a wrong --ledger is an error, not an empty ledger
        with Ledger.open(ledger, wait_seconds=60) as book:
            found = decide_file.read_decisions(file, book, today_in_tokyo(), getpass.getuser())
            recorded, unchanged = decide_file.record(book, found, f"{file.name}")
    typer.echo(f"recorded {recorded} decision(s); {unchanged} unchanged; they apply from the next run")


@app.command()
def ack(
    file: Annotated[Path, typer.Argument(help="The vendor's acknowledgement: '<sha256>  <lot file>' a line, as in "
                                         "SHA256SUMS, or CSV lines of a lot file and its SHA-256 (UTF-8).")],
    ledger: Annotated[Path, typer.Option(help="The ledger.")] = Path("var/ledger.sqlite3"),
) -> None:
    """Record the vendor's receipt of lots, each identified by its file name and SHA-256.

    One line that names no lot handed off, or whose checksum differs, and nothing is recorded (exit 4, the
    lines named). The same file twice changes nothing. Example: notices ack received-2026-11-27.txt
    """
    with _errors_to_exit_codes():
        found = acks.read_acks(file)
        with Ledger.read(ledger):
            pass  # never create a ledger here: a wrong --ledger is an error, not an empty ledger
        with Ledger.open(ledger, wait_seconds=60) as book:
            received = acks.match(book, found, file)
            recorded, before = acks.record(book, received, file.name, getpass.getuser())
            still = {p.run_id: p for p in acks.pending(book)}
    typer.echo(f"recorded {recorded} lot(s) as received; {before} recorded before")
    for run_id in sorted({run_id for run_id, _, _ in received}):
        waiting = still.get(run_id)
        typer.echo(f"  run {run_id}: " + (f"{len(waiting.acked)} of {len(waiting.lots)} lot(s) acknowledged; missing "
                                          f"{', '.join(waiting.missing)}" if waiting else "every lot acknowledged"))


@app.command()
def recall(
    folder: Annotated[Path, typer.Argument(help="The run folder (with READY) to take back before the vendor prints it.")],
    reason: Annotated[str, typer.Option(help="Why, for the vendor and the ledger (RECALLED): no personal data.")],
    pieces: Annotated[Optional[Path], typer.Option(help="Recall only these pieces (piece IDs, one a line); the "
                                                   "folder stays READY.")] = None,
    ledger: Annotated[Path, typer.Option(help="The ledger.")] = Path("var/ledger.sqlite3"),
) -> None:
    """Take a handed-off folder (or some of its pieces) back before print: the next run mails those residents
    again, with new pieces and application IDs. Refused (exit 14) once the vendor has acknowledged a lot of it.

    Example: notices recall /srv/notices/out/2026-11-26_run00012 --reason "wrong letter date"
    """
    from .delivery import recall as recalling

    if not reason.strip():
        raise typer.BadParameter("give the reason", param_hint="--reason")
    with _errors_to_exit_codes():
        wanted = status.read_ids(pieces) if pieces is not None else None
        with Ledger.read(ledger):
            pass  # never create a ledger here: a wrong --ledger is an error, not an empty ledger
        with Ledger.open(ledger, wait_seconds=60) as book:
            done, scope = recalling.recall(book, folder.resolve(), reason.strip(), getpass.getuser(), wanted)
    what = "the folder (READY removed)" if scope == "folder" else "pieces of the folder (it stays READY)"
    typer.echo(f"recalled {what}: {done} piece(s) now; RECALLED lists them for the vendor; the next run mails "
               "those residents again if they are still due" if done else f"already recalled, {what}: nothing changed")


@app.command()
def explain(
    resident_id: Annotated[Optional[str], typer.Argument(help="The resident (住民番号).")] = None,
    application_id: Annotated[Optional[str], typer.Option(help="Find the resident by the 23 digits on a form.")] = None,
    piece: Annotated[Optional[str], typer.Option(help="Find the resident by a piece ID (the mark on a page).")] = None,
    register: Annotated[Optional[Path], typer.Option(help="The register CSV (without it: the ledger's part only).")] = None,
    as_of: Annotated[Optional[str], typer.Option(help="Run date YYYY-MM-DD; default today in Asia/Tokyo.")] = None,
    config: Annotated[Path, typer.Option(help="The municipality's TOML file.", envvar="NOTICES_CONFIG")] = DEFAULT_CONFIG,
    ledger: Annotated[Path, typer.Option(help="The ledger (this look is recorded in it).")] = Path("var/ledger.sqlite3"),
    encoding: Annotated[Optional[str], typer.Option(help="Override the detected encoding.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, for machines.")] = False,
) -> None:
    """Tell one resident's whole story: who, each expiry and why, tonight's outcome and why, every piece and hold.

    Exit 12 for a resident not in the register (the ledger's history is still shown). Examples:
    notices explain 12848525802 --register data/register.csv; notices explain --application-id "9999 9712 …"
    """
    run_date = _as_date(as_of)
    if sum(x is not None for x in (resident_id, application_id, piece)) != 1:
        raise typer.BadParameter("give one of RESIDENT_ID, --application-id or --piece")
    with _errors_to_exit_codes():
        settings = load_config(config)
        with Ledger.read(ledger, empty_if_missing=True) as book:
            rid = resident_id or explained.resident_of(book, application_id, piece)
            if not Shapes.of(settings.resident_id_pattern).resident.fitting([rid])[0]:
                raise typer.BadParameter(f"{mask(rid)!r} is not a resident ID of this register's shape")
            story = explained.explain(register, rid, run_date, settings, book, encoding)
        _record_access(ledger, "explain", rid)
    typer.echo(json.dumps(story, ensure_ascii=False, indent=2) if as_json else "\n".join(explained.text(story)))
    if register is not None and not story.get("in_register"):
        raise typer.Exit(EXIT_UNKNOWN_RESIDENT)


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
    with _errors_to_exit_codes():
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


def main() -> None:
    """Console-script entry point."""
    app()
