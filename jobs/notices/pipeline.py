"""The nightly run, end to end: the one module that wires the others together."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from .delivery import journal, lots
from .letters import appid, fonts, layouts
from .reports import acks, posting, proofs
from .rules import dates
from .config import Config
from .delivery.crashpoints import crash_point
from .errors import NotFoundError, OutputError
from .delivery.executors import Executor, Serial
from .delivery.handoff import RunFolder, clear_unfinished, settle, write_private
from .delivery.ledger import Ledger
from .models import Kind, Piece
from .register.read import RegisterRead, read_register
from .reports.report import report_parts
from .rules.selection import LAPSED_COLUMNS, Selection, lapsed, select
from .reports.decide import (APPLIED_COLUMNS, DECIDED, REVIEW_COLUMNS, WITHHELD_COLUMNS, applied_rows, held_rows,
                             withheld_rows)
from .reports.summary import RunSummary, post_estimate, summarise

log = logging.getLogger("notices")

MANIFEST_COLUMNS, LOT_COLUMNS = lots.MANIFEST_COLUMNS, lots.LOT_COLUMNS


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the sealed folder and its summary."""

    folder: Path
    summary: RunSummary


def _write_reports(folder: RunFolder, read: RegisterRead, sel: Selection, lapsed: list[tuple[str, ...]]) -> None:
    # The decision columns are left empty for the operator to fill in and hand back (notices decide).
    folder.write_csv("review.csv", REVIEW_COLUMNS, [(v.resident_id, v.reason, v.detail, v.kind.value,
                                                     v.expires_on.isoformat(), *[""] * len(DECIDED)) for v in sel.reviews])  # fmt: skip
    folder.write_csv("withheld.csv", WITHHELD_COLUMNS, withheld_rows(sel))
    folder.write_csv("decisions.csv", APPLIED_COLUMNS, applied_rows(sel))
    folder.write_csv("rejects.csv", ("line", "resident_id", "reason", "detail", "column"),
                     [(j.line, j.resident_id, j.reason, j.detail, j.column)
                      for j in sorted((*read.rejects, *sel.rejects), key=lambda j: j.line)])  # fmt: skip
    folder.write_csv("quality.csv", ("line", "resident_id", "column", "detail"),
                     [(q.line, q.resident_id, q.column, q.detail) for q in sel.quality])
    folder.write_csv("lapsed.csv", LAPSED_COLUMNS, lapsed)


def _settle_crashed_runs(ledger: Ledger, out_dir: Path) -> None:
    """Settle the runs that died: handed off once sealed and renamed (see handoff.settle), else mailed again."""
    for run_id, final, sums in ledger.unfinished():
        try:
            if settle(final, sums):
                if sums is not None:
                    journal.write_entry(out_dir, ledger.sealed_run(run_id))  # it may have died before writing it
                ledger.complete_run(run_id)
                log.warning("run %d had stopped after its folder was sealed: %s counts as handed off", run_id, final.name)
                continue
            ledger.abandon_run(run_id)  # first: what it left is removed only once the ledger no longer counts it
            clear_unfinished(final)
        except OSError as exc:
            raise OutputError(f"{final}: cannot settle run {run_id}, which had stopped: {exc.strerror}") from None
        with suppress(OutputError):  # a stale entry of a run the ledger abandoned is never taken as sealed
            journal.remove_entry(out_dir, run_id)
        log.error("run %d had stopped before its folder was handed off: its residents are mailed by this run", run_id)


def _time_in_tokyo() -> time:
    """The time of day now in Asia/Tokyo, to the minute: when the run seals, against the vendor's cut-off."""
    return datetime.now(ZoneInfo("Asia/Tokyo")).time().replace(second=0, microsecond=0)


def run(register: Path, as_of: date, config: Config, out_dir: Path, ledger_path: Path, templates_dir: Path,
        encoding: str | None = None, randbelow: Callable[[int], int] = secrets.randbelow,
        progress: Callable[[int, int], None] | None = None, executor: Executor | None = None,
        sealed_at: time | None = None) -> RunResult:  # fmt: skip
    """Run the nightly job for one run date and return the sealed hand-off folder; the lots are rendered
    by EXECUTOR (default: in this process), the folder and the ledger written by this process only.
    SEALED_AT is the time of day the run counts as sealed, against the vendor's cut-off (default: the time
    in Asia/Tokyo as it writes its summary, moments before it seals), always taken as on the run date."""
    for family in (config.mincho_font, config.gothic_font, config.fallback_font):
        fonts.font_file(family)  # a missing font would be silently replaced: stop before anything is done
    with (executor or Serial()).open() as render_lots, Ledger.open(ledger_path) as ledger:
        journal.check(ledger, out_dir)  # first: a ledger behind the folder would settle and mail wrongly
        _settle_crashed_runs(ledger, out_dir)
        crash_point("recovered")
        layouts_dir = ledger_path.resolve().parent / "layouts"  # kept beside the ledger (letters/layouts.py)
        layouts.prune(layouts_dir)
        read = read_register(register, encoding, resident_id_pattern=config.resident_id_pattern, gaiji=config.gaiji)
        crash_point("read")
        log.info("read %d rows from %s (%s): %d rejected", read.rows_read, register.name, read.encoding, len(read.rejects))
        if not read.rows_read:
            log.warning("%s holds no rows, only its header: is the export complete? (the report says so too)", register)
        sel = select(read, as_of, config, ledger)
        crash_point("selected")
        run_id, final = ledger.begin_run(as_of, out_dir)
        folder = None
        try:
            folder = RunFolder(final)
            # Lot by lot from here: the pieces of a lot are made when the executor takes it, and written when back.
            jobs = lots.LotJobs(sel.in_postal_order(), run_id, config, ledger, templates_dir.resolve(), as_of, randbelow,
                                layouts_dir)  # fmt: skip
            written = lots.write_lots(folder, ledger, jobs, render_lots, progress)
            lapsed_rows = lapsed(read, as_of, config, ledger)
            _write_reports(folder, read, sel, lapsed_rows)
            estimate = post_estimate(as_of, _time_in_tokyo() if sealed_at is None else sealed_at, config.post,
                                     sel.mailed_count())  # fmt: skip
            summary = summarise(read, sel, as_of, run_id, written.pages, len(jobs), len(lapsed_rows), estimate)
            folder.write_json("summary.json", summary.as_json())
            folder.write_csv("posting.csv", posting.POSTING_COLUMNS, posting.posting_rows(written.posting.summary()))
            window = (config.window_left_mm, config.window_top_mm, config.window_width_mm, config.window_height_mm)
            earlier = acks.overdue(ledger, config.ack_hours)  # the earlier folders the vendor has not acknowledged
            folder.write("report.html", (part.encode("utf-8") for part in report_parts(folder.path, templates_dir, window,
                                                                                       earlier, layouts_dir)))  # fmt: skip
            crash_point("reports")
            ledger.record_held(run_id, held_rows(sel))
            crash_point("recorded")
            sums = folder.write_sums()
            ledger.sealing(run_id, sums, summary.as_json())  # from here on the run counts as handed off once renamed
            journal.write_entry(out_dir, ledger.sealed_run(run_id))
            crash_point("sealing")
            sealed = folder.publish()
        except BaseException:
            if folder is not None and folder.renamed:
                # A vendor may see it now: the next run writes READY if it is missing (see _settle_crashed_runs).
                log.error("run %d stopped after its folder was put in place: the next run completes it", run_id)
                raise
            ledger.abandon_run(run_id)  # first: the folder is removed only once the ledger no longer counts it
            if folder is not None:
                folder.discard()
            with suppress(OutputError):
                journal.remove_entry(out_dir, run_id)
            raise
        ledger.complete_run(run_id)
    log.info("run %d sealed: %s", run_id, sealed)
    return RunResult(sealed, summary)


def preview(register: Path, resident_id: str, as_of: date, config: Config, out_dir: Path, templates_dir: Path,
            kind: Kind | None = None, encoding: str | None = None) -> list[Path]:  # fmt: skip
    """Render one resident's piece to a PDF and PNG pages; no ledger, no application ID issued."""
    read = read_register(register, encoding, resident_id_pattern=config.resident_id_pattern, gaiji=config.gaiji)
    resident = read.find(resident_id)
    if resident is None:
        rejected = [j for j in read.rejects if j.resident_id == resident_id]
        why = f"rejected at line {rejected[0].line} ({rejected[0].reason})" if rejected else "not in the register"
        raise NotFoundError(f"{register}: resident {resident_id} is {why}")
    reason = dates.not_mailed_reason(resident)
    if reason and not kind:
        raise NotFoundError(f"resident {resident_id} gets no notice ({reason}); use --kind to preview anyway")
    if kind:
        due = dates.notice_of_kind(resident, kind, config.leap_day)
    else:  # what the run would send: a notice before expiry, else a reminder after it
        due = dates.due_notice(resident, as_of, config.leap_day)
        if due is None and config.reminder_enabled:
            due = dates.due_reminder(resident, as_of, config.reminder_days, config.leap_day)
    if due is None:
        what = f"has no {kind.value} notice" if kind else f"is not due on {as_of} (use --kind to preview anyway)"
        raise NotFoundError(f"resident {resident_id} {what}")
    if due.unknown:  # a letter on one of the dates possible would show a guess
        raise NotFoundError(f"resident {resident_id} is held for review on {as_of} (expiry_unknown): {due.unknown}")
    app_id = qr = ""
    if due.has_form:
        # A specimen ID (the LG code and zeros) unless the register supplies one: a preview issues nothing.
        app_id = resident.application_id if appid.is_well_formed_supplied(resident.application_id) else appid.specimen(
            config.local_government_code)
        qr = config.qr_payload(app_id)
    from .letters.render import Renderer  # here, not above: a nightly run's own process lays out no letter

    rendered = Renderer(config, templates_dir).render_lot([Piece("PREVIEW", 1, due, app_id, qr)], as_of)
    stem = out_dir / f"line{resident.line}-{due.kind.value}"  # never a path made of the ID: it could hold "../"
    written = [stem.with_suffix(".pdf")]
    write_private(written[0], rendered.pdf)
    for number, png in enumerate(proofs.pages_png(rendered.pdf), start=1):
        written.append(stem.parent / f"{stem.name}-page{number}.png")
        write_private(written[-1], png)
    return written
