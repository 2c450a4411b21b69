"""A run's lots, streamed: each lot's pieces made (and their application IDs claimed) only when the executor asks
for the lot, and each rendered lot written as soon as it is back, in lot order: its PDF, its manifest rows, its
proofs, and its notices in the ledger (counted as sent only once the run is sealed, as before).

So the run's own process holds the lots in flight, never every piece, manifest row or notice of the run.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from datetime import date
from pathlib import Path

from . import preflight
from .crashpoints import crash_point
from .executors import LotJob, RenderLots
from .handoff import RunFolder
from .ledger import Ledger, NoticeRecord, address_hash
from ..config import Config
from ..errors import NoticesError, PreflightError
from ..kinds import FORM_INSERTS
from ..letters import appid
from ..models import Due, Kind, Piece, RenderedLot, lot_file
from ..reports import posting, proofs

log = logging.getLogger("notices")

MANIFEST_COLUMNS = ("piece_id", "resident_id", "kind", "expires_on", "application_id", "postal_code", "pdf",
                    "first_page", "page_count", "lot", "seq_in_lot", "sheets", "inserts")  # fmt: skip
LOT_COLUMNS = ("lot", "pdf", "pieces", "pages", "sheets", "first_piece", "last_piece")


def postal_order(due: Due) -> tuple[str, str, str, str]:
    """The order pieces are mailed in: by the addressee's postal code, address, 方書, then resident ID."""
    r = due.addressee
    return (r.postal_code, r.address, r.address_extra, r.resident_id)


class LotJobs:
    """The run's LotJobs in lot order, each made when iterated to (len() is known at once). `issued` keeps the
    jobs made and not yet written: the executor has a bounded number in flight, so it stays short."""

    def __init__(self, mail: Sequence[Due], run_id: int, config: Config, ledger: Ledger, templates_dir: Path,
                 letter_date: date, randbelow: Callable[[int], int], layouts_dir: Path | None = None) -> None:  # fmt: skip
        self.mail = mail  # in postal order
        self.run_id, self.config, self.ledger = run_id, config, ledger
        self.templates_dir, self.letter_date, self.randbelow = templates_dir, letter_date, randbelow
        self.layouts_dir = layouts_dir
        self.issued: deque[LotJob] = deque()

    def __len__(self) -> int:
        return -(-len(self.mail) // self.config.lot_size)

    def __iter__(self) -> Iterator[LotJob]:
        size = self.config.lot_size
        for lot, first in enumerate(range(0, len(self.mail), size), start=1):
            dues = self.mail[first:first + size]
            with self.ledger.transaction():  # the lot's application IDs committed at once: one disk flush a lot
                pieces = tuple(self._piece(seq, lot, due) for seq, due in enumerate(dues, start=first + 1))
            job = LotJob(self.config, self.templates_dir, pieces, self.letter_date, self.layouts_dir)
            crash_point("ids", lot)
            self.issued.append(job)
            yield job

    def _piece(self, seq: int, lot: int, due: Due) -> Piece:
        """Piece SEQ of the run, its application ID claimed in the ledger (never one issued before)."""
        app_id = qr = ""
        rid = due.resident.resident_id
        if due.has_form:
            app_id = due.resident.application_id
            if app_id:
                self.ledger.claim_application_id(app_id, rid, self.run_id, supplied=True)
            else:
                app_id = appid.new_id(self.config.local_government_code, self.randbelow)
                while not self.ledger.claim_application_id(app_id, rid, self.run_id, supplied=False):
                    app_id = appid.new_id(self.config.local_government_code, self.randbelow)  # never issue an ID twice
            qr = self.config.qr_payload(app_id)
        return Piece(f"{self.run_id:05d}-{seq:06d}", lot, due, app_id, qr)


class LotWriter:
    """Writes rendered lots into the run's folder in lot order: manifest.csv row by row, lots.csv at the end, the
    proofs, and each lot's notices in the ledger; keeps the pages and the posting counts, nothing a piece."""

    def __init__(self, folder: RunFolder, ledger: Ledger, run_id: int) -> None:
        self.folder, self.ledger, self.run_id = folder, ledger, run_id
        self.manifest = folder.open_csv("manifest.csv", MANIFEST_COLUMNS)
        self.lot_rows: list[tuple[object, ...]] = []
        self.proofs_done: set[Kind] = set()
        self.pages = 0
        self.posting = posting.Tally()

    def write(self, lot_pieces: tuple[Piece, ...], rendered: RenderedLot) -> None:
        """Write one rendered lot's PDF, its manifest rows and the proofs not yet made; record its notices."""
        lot = lot_pieces[0].lot
        pdf = lot_file(lot)
        self.folder.write(pdf, rendered.pdf)
        self.pages += rendered.page_count
        self.lot_rows.append((lot, pdf, len(lot_pieces), rendered.page_count, rendered.page_count // 2,
                              lot_pieces[0].piece_id, lot_pieces[-1].piece_id))  # fmt: skip
        rows, notices = [], []
        for seq, (piece, place) in enumerate(zip(lot_pieces, rendered.placements, strict=True), start=1):
            due, to = piece.due, piece.due.addressee
            rows.append((piece.piece_id, due.resident.resident_id, due.kind.value, due.expires_on.isoformat(),
                         piece.application_id, to.postal_code, pdf, place.first_page, place.page_count, lot, seq,
                         place.page_count // 2, " ".join(FORM_INSERTS) if due.has_form else ""))  # fmt: skip
            notices.append(NoticeRecord(due.resident.resident_id, due.kind.value, due.expires_on, piece.piece_id,
                                        piece.application_id, address_hash(to.postal_code, to.address, to.address_extra),
                                        pdf, place.first_page))  # fmt: skip
            self.posting.add(pdf, to.postal_code)
            if due.kind not in self.proofs_done:  # the operator's proof: first page of one piece of each kind
                self.proofs_done.add(due.kind)
                self.folder.write(f"proofs/{due.kind.value}.png", proofs.page_png(rendered.pdf, place.first_page - 1))
            if due.fit:  # mailed on a layout decision: the operator checks the smaller name before the hand-off
                self.folder.write(f"proofs/{proofs.LAYOUT_PREFIX}{piece.piece_id}.png",
                                  proofs.page_png(rendered.pdf, place.first_page - 1, proofs.LAYOUT_DPI))
        self.manifest.write_rows(rows)
        # Recorded in the run's building state: they count as sent only once it is sealed, and a run that
        # stops before is abandoned with its notices (Ledger.abandon_run), as when they were recorded at the end.
        self.ledger.record_notices(self.run_id, notices)

    def finish(self) -> None:
        """Close manifest.csv (durably) and write lots.csv."""
        self.manifest.close()
        self.folder.write_csv("lots.csv", LOT_COLUMNS, self.lot_rows)


def refuse_if_failed(lot: int, rendered: RenderedLot) -> None:
    """Raise PreflightError if the lot failed its preflight: the run then seals nothing and records nothing."""
    if not rendered.problems:
        return
    for problem in rendered.problems:
        log.error("preflight: %s", problem)
    raise PreflightError(f"{lot_file(lot)} fails the preflight, so nothing of this run is handed off or counted as "
                         f"mailed:\n" + preflight.summary(rendered.problems))  # fmt: skip


def write_lots(folder: RunFolder, ledger: Ledger, jobs: LotJobs, render_lots: RenderLots,
               progress: Callable[[int, int], None] | None) -> LotWriter:  # fmt: skip
    """Render the lots (wherever the executor does) and write each here as it comes back, in lot order; the writer,
    with the pages and posting counts."""
    writer, total, done = LotWriter(folder, ledger, jobs.run_id), len(jobs), 0
    try:
        with closing(render_lots(jobs)) as rendered_lots:  # closed on an error: stops the workers at once
            for done, rendered in enumerate(rendered_lots, start=1):
                job = jobs.issued.popleft()  # results come in the order the jobs were made
                lot = job.pieces[0].lot
                refuse_if_failed(lot, rendered)
                writer.write(job.pieces, rendered)
                crash_point("lot", lot)
                log.info("lot %d of %d: %d pieces, %d pages", done, total, len(job.pieces), rendered.page_count)
                if progress:
                    progress(done, total)
        if done != total or jobs.issued:
            raise NoticesError(f"internal error: {done} lots rendered of {total}")
        writer.finish()
    except BaseException:
        writer.manifest.abort()
        raise
    return writer
