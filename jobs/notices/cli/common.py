"""The command line's common ground: the app, the run date, and the one place errors become exit codes.

The commands are in nightly.py (the run and what a run makes: plan, preview, preflight, the ledger's
recovery) and desk.py (what an operator asks and tells: status, returned mail, decisions, explain, the
vendor's acknowledgements and recalls); this package's __init__ gathers them.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from ..delivery.ledger import Ledger
from ..errors import NoticesError
from ..privacy import mask

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Renewal notices for My Number Cards.")
err = Console(stderr=True)
out = Console()
log = logging.getLogger("notices")

EXIT_INTERNAL = 10
PROJECT = Path(__file__).resolve().parents[3]
DEFAULT_TEMPLATES = PROJECT / "templates"
DEFAULT_CONFIG = PROJECT / "config" / "municipality.toml"


def today_in_tokyo() -> date:
    """The business date: today in Asia/Tokyo, whatever the machine's time zone."""
    return datetime.now(ZoneInfo("Asia/Tokyo")).date()


# A run records what it mails: a date far from today (a year typed wrong) would mail and record wrong notices.
RUN_DATE_SLACK_DAYS = 3
EARLIEST_RUN, LATEST_RUN = date(2000, 1, 1), date(2199, 12, 31)  # beyond these the date rules cannot count


def as_date(text: Optional[str]) -> date:
    if text is None:
        return today_in_tokyo()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date of the form YYYY-MM-DD", param_hint="--as-of") from None
    if not EARLIEST_RUN <= day <= LATEST_RUN:
        raise typer.BadParameter(f"{text} is not a run date from {EARLIEST_RUN} to {LATEST_RUN}", param_hint="--as-of")
    return day


def run_date_of(text: Optional[str], allow_date: bool) -> date:
    """The run date; one more than a few days from today (Asia/Tokyo) only with --allow-date."""
    day, today = as_date(text), today_in_tokyo()
    if abs((day - today).days) > RUN_DATE_SLACK_DAYS and not allow_date:
        raise typer.BadParameter(
            f"{day} is {abs((day - today).days)} days from today ({today} in Asia/Tokyo): a run mails and records "
            f"its notices; give --allow-date to run for that date (plan and preview take any date)", param_hint="--as-of")
    return day


@contextmanager
def errors_to_exit_codes() -> Iterator[None]:
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


def record_access(ledger_path: Path, command: str, resident_id: str) -> None:
    """Who looked at whose data, in the ledger (総務省 セキュリティポリシーガイドライン: アクセス記録)."""
    at = datetime.now(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds")
    with Ledger.open(ledger_path, wait_seconds=600) as book:
        book.record_access(at, getpass.getuser(), command, resident_id)


def main() -> None:
    """Console-script entry point."""
    app()
