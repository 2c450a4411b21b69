"""The nightly run, end to end: the one module that wires the others together."""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

from . import appid, fonts, review, rules
from .config import Config
from .errors import NoticesError
from .handoff import RunFolder
from .ledger import Ledger, NoticeRecord
from .models import Due, Kind, Piece, QualityNote, Reject, Resident, Review
from .privacy import mask
from .register import RegisterRead, read_register
from .render import Renderer

log = logging.getLogger("notices")

MANIFEST_COLUMNS = ("piece_id", "resident_id", "kind", "expires_on", "application_id", "postal_code", "pdf",
                    "first_page", "page_count", "lot", "inserts")  # fmt: skip
INSERTS = {Kind.CARD_RENEWAL: "return_envelope"}
NOT_MAILED_REASONS = ("moved_out", "deceased", "removed", "abroad", "no_card", "card_inactive", "not_due")


@dataclass
class Selection:
    """Every usable resident sorted into one outcome."""

    mail: list[Due] = field(default_factory=list)
    held: list[Due] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    not_mailed: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    already_notified: int = 0
    quality: list[QualityNote] = field(default_factory=list)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the sealed folder and its summary."""

    folder: Path
    summary: dict[str, object]


def _quality(e: rules.Expiries, line: int, resident_id: str) -> list[QualityNote]:
    """A note for each recorded expiry that differs from the computed one (domain.md 2.4)."""
    notes = []
    for column, rec, comp in (("card_expires_on", e.card, e.card_computed), ("cert_expires_on", e.cert, e.cert_computed)):
        if rec and comp and rec != comp:
            notes.append(QualityNote(line, resident_id, column, f"recorded {rec} differs from computed {comp}; recorded used"))
    return notes


def select(read: RegisterRead, as_of: date, config: Config, ledger: Ledger) -> Selection:
    """Sort every usable resident into mailed, held for review, already notified or not mailed."""
    glyph_check = partial(fonts.missing_glyphs, families=(config.mincho_font, config.gothic_font))
    supplied = Counter(r.application_id for r in read.residents if r.application_id)
    out = Selection(quality=list(read.quality))
    for r in read.residents:
        try:
            _sort(r, as_of, config, ledger, read.protected_households, glyph_check, supplied, out)
        except (ValueError, OverflowError) as exc:  # dates the rules cannot compute with: this row only
            out.rejects.append(Reject(r.line, r.resident_id, "bad_date", "", f"dates cannot be used: {mask(str(exc))}"))
    return out


def _sort(r: Resident, as_of: date, config: Config, ledger: Ledger, protected: frozenset[str],
          glyph_check: review.GlyphCheck, supplied: Counter[str], out: Selection) -> None:  # fmt: skip
    """Put one resident into exactly one outcome of the selection."""
    reason = rules.not_mailed_reason(r)
    if reason:
        out.not_mailed[reason] += 1
        return
    notes = _quality(rules.expiries(r, config.leap_day), r.line, r.resident_id)
    due = rules.due_notice(r, as_of, config.leap_day)
    out.quality += notes
    if due is None:
        out.not_mailed["not_due"] += 1
    elif ledger.notified(r.resident_id, due.kind.value, due.expires_on):
        out.already_notified += 1
    else:
        owner = ledger.application_id_owner(r.application_id) if r.application_id else None
        found = (review.support_measure(due, protected) + review.address(due) + review.layout(due)
                 + review.glyphs(due, glyph_check) + review.application_id(due, owner, supplied[r.application_id] > 1))
        if found:
            out.held.append(due)
            out.reviews += found
        else:
            out.mail.append(due)


def _postal_order(due: Due) -> tuple[str, str, str, str]:
    r = due.resident
    return (r.postal_code, r.address, r.address_extra, r.resident_id)


def _pieces(mail: list[Due], run_id: int, config: Config, ledger: Ledger,
            randbelow: Callable[[int], int]) -> list[Piece]:  # fmt: skip
    pieces = []
    for seq, due in enumerate(sorted(mail, key=_postal_order), start=1):
        app_id = qr = ""
        if due.kind is Kind.CARD_RENEWAL:
            app_id = due.resident.application_id
            if app_id:
                ledger.claim_application_id(app_id, due.resident.resident_id, run_id, supplied=True)
            else:
                app_id = appid.new_id(config.local_government_code, randbelow)
                while not ledger.claim_application_id(app_id, due.resident.resident_id, run_id, supplied=False):
                    app_id = appid.new_id(config.local_government_code, randbelow)  # never issue an ID twice
            qr = config.qr_payload(app_id)
        lot = (seq - 1) // config.lot_size + 1
        pieces.append(Piece(f"{run_id:05d}-{seq:06d}", lot, due, app_id, qr))
    return pieces


def _summary(read: RegisterRead, sel: Selection, as_of: date, run_id: int,
             pieces: list[Piece], pages: int, lots: int) -> dict[str, object]:  # fmt: skip
    low, high = rules.window(as_of)
    rejected = Counter(r.reason for r in (*read.rejects, *sel.rejects))
    summary: dict[str, object] = {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "window": {"from": low.isoformat(), "to": high.isoformat()},
        "register": {"file": Path(read.path).name, "encoding": read.encoding, "sha256": read.sha256},
        "rows_read": read.rows_read,
        "rejected": sum(rejected.values()),
        "rejected_by_reason": dict(sorted(rejected.items())),
        "not_mailed": sum(sel.not_mailed.values()),
        "not_mailed_by_reason": {reason: sel.not_mailed[reason] for reason in NOT_MAILED_REASONS},
        "already_notified": sel.already_notified,
        "held_for_review": len(sel.held),
        "review_by_reason": dict(sorted(Counter(r.reason for r in sel.reviews).items())),
        "mailed": len(pieces),
        "mailed_by_kind": {k.value: sum(p.due.kind is k for p in pieces) for k in Kind},
        "lots": lots,
        "pages": pages,
        "quality_notes": len(sel.quality),
    }
    total = summary["rejected"] + summary["not_mailed"] + sel.already_notified + len(sel.held) + len(pieces)  # type: ignore[operator]
    summary["reconciled"] = total == read.rows_read
    if total != read.rows_read:
        raise NoticesError(f"internal error: counts do not add up ({total} outcomes for {read.rows_read} rows)")
    return summary


def run(register: Path, as_of: date, config: Config, out_dir: Path, ledger_path: Path, templates_dir: Path,
        encoding: str | None = None, randbelow: Callable[[int], int] = secrets.randbelow,
        progress: Callable[[int, int], None] | None = None) -> RunResult:  # fmt: skip
    """Run the nightly job for one run date and return the sealed hand-off folder."""
    for family in (config.mincho_font, config.gothic_font):
        fonts.font_file(family)  # a missing font would be silently replaced: stop before anything is done
    renderer = Renderer(config, templates_dir)
    with Ledger.open(ledger_path) as ledger:
        for run_id in ledger.recover():
            log.warning("run %d had not finished; its unfinished notices will be mailed again", run_id)
        read = read_register(register, encoding)
        log.info("read %d rows from %s (%s): %d rejected", read.rows_read, register.name, read.encoding, len(read.rejects))
        sel = select(read, as_of, config, ledger)
        run_id, final = ledger.begin_run(as_of, out_dir)
        folder = RunFolder(final)
        try:
            pieces = _pieces(sel.mail, run_id, config, ledger, randbelow)
            lots = sorted({p.lot for p in pieces})
            manifest, pages = [], 0
            for done, lot in enumerate(lots, start=1):
                lot_pieces = [p for p in pieces if p.lot == lot]
                rendered = renderer.render_lot(lot_pieces, as_of)
                pdf = f"lot-{lot:04d}.pdf"
                folder.write(pdf, rendered.pdf)
                pages += rendered.page_count
                for piece, place in zip(lot_pieces, rendered.placements, strict=True):
                    manifest.append((piece.piece_id, piece.due.resident.resident_id, piece.due.kind.value,
                                     piece.due.expires_on.isoformat(), piece.application_id,
                                     piece.due.resident.postal_code, pdf, place.first_page, place.page_count, lot,
                                     INSERTS.get(piece.due.kind, "")))  # fmt: skip
                log.info("lot %d of %d: %d pieces, %d pages", done, len(lots), len(lot_pieces), rendered.page_count)
                if progress:
                    progress(done, len(lots))
            folder.write_csv("manifest.csv", MANIFEST_COLUMNS, manifest)
            folder.write_csv("review.csv", ("resident_id", "reason", "detail", "kind", "expires_on"),
                             [(v.resident_id, v.reason, v.detail, v.kind.value, v.expires_on.isoformat())
                              for v in sel.reviews])  # fmt: skip
            folder.write_csv("rejects.csv", ("line", "resident_id", "reason", "detail", "column"),
                             [(j.line, j.resident_id, j.reason, j.detail, j.column)
                              for j in sorted((*read.rejects, *sel.rejects), key=lambda j: j.line)])  # fmt: skip
            folder.write_csv("quality.csv", ("line", "resident_id", "column", "detail"),
                             [(q.line, q.resident_id, q.column, q.detail) for q in sel.quality])
            summary = _summary(read, sel, as_of, run_id, pieces, pages, len(lots))
            folder.write_json("summary.json", summary)
            ledger.record_notices(run_id, [
                NoticeRecord(p.due.resident.resident_id, p.due.kind.value, p.due.expires_on, p.piece_id, p.application_id)
                for p in pieces])  # fmt: skip
            ledger.sealing(run_id)
            sealed = folder.seal()
        except BaseException:
            folder.discard()
            if final.exists():  # renamed into place after all: the vendor may take it
                ledger.complete_run(run_id, {})
            else:
                ledger.abandon_run(run_id)
            raise
        ledger.complete_run(run_id, summary)
    log.info("run %d sealed: %s", run_id, sealed)
    return RunResult(sealed, summary)
