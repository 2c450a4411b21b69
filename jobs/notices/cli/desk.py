"""What an operator asks and tells: status, returned mail, decisions, explain, the vendor's acks and recalls."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (DEFAULT_CONFIG, EXIT_UNACKNOWLEDGED, EXIT_UNKNOWN_RESIDENT, app, as_date, errors_to_exit_codes,
                     record_access, today_in_tokyo)
from ..config import load_config
from ..delivery.ledger import Ledger
from ..privacy import mask
from ..register.cells import Shapes
from ..reports import acks
from ..reports import decide as decide_file
from ..reports import explain as explained
from ..reports import status

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
        first = as_date(since).isoformat() if since else ""
        with errors_to_exit_codes(), Ledger.read(ledger) as book:
            looked = book.accesses(first)
        typer.echo(f"accesses{' since ' + first if first else ''}: {len(looked)}")
        for at, operator, command, resident_id in looked:
            typer.echo(f"  {at}  {operator}  {command}  {resident_id}")
        return
    with errors_to_exit_codes():
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
    with errors_to_exit_codes():
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
    with errors_to_exit_codes():
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
    with errors_to_exit_codes():
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
    from ..delivery import recall as recalling

    if not reason.strip():
        raise typer.BadParameter("give the reason", param_hint="--reason")
    with errors_to_exit_codes():
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
    run_date = as_date(as_of)
    if sum(x is not None for x in (resident_id, application_id, piece)) != 1:
        raise typer.BadParameter("give one of RESIDENT_ID, --application-id or --piece")
    with errors_to_exit_codes():
        settings = load_config(config)
        with Ledger.read(ledger, empty_if_missing=True) as book:
            rid = resident_id or explained.resident_of(book, application_id, piece)
            if not Shapes.of(settings.resident_id_pattern).resident.fitting([rid])[0]:
                raise typer.BadParameter(f"{mask(rid)!r} is not a resident ID of this register's shape")
            story = explained.explain(register, rid, run_date, settings, book, encoding)
        record_access(ledger, "explain", rid)
    typer.echo(json.dumps(story, ensure_ascii=False, indent=2) if as_json else "\n".join(explained.text(story)))
    if register is not None and not story.get("in_register"):
        raise typer.Exit(EXIT_UNKNOWN_RESIDENT)
