"""A run's counts: every register row in exactly one outcome, and what was made of them (summary.json)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from ..rules import dates
from ..delivery import post
from ..delivery.post import Arrival, PostSettings
from ..errors import NoticesError
from .. import kinds
from ..models import Kind
from ..register.read import RegisterRead
from ..rules.selection import NOT_MAILED_REASONS, Selection


@dataclass(frozen=True)
class RunSummary:
    """The counts of a run (or a plan: run_id None, nothing rendered); rows_read is the sum of the six outcomes."""

    run_id: int | None
    as_of: date
    window: tuple[date, date]
    register_file: str
    encoding: str
    sha256: str
    rows_read: int
    rejected_by_reason: dict[str, int]
    not_mailed_by_reason: dict[str, int]
    already_notified: int
    review_by_reason: dict[str, int]
    held_for_review: int
    withheld_by_reason: dict[str, int]  # held residents an operator's decision withholds (notices decide)
    mailed_on_decision: int
    mailed_by_kind: dict[str, int]
    lots: int
    pages: int
    quality_notes: int
    lapsed: int | None  # None for a plan, which does not look at lapsed graces
    post: PostEstimate | None = None  # when the letters arrive, and how many later than the leaflet promises

    @property
    def rejected(self) -> int:
        """Rows rejected."""
        return sum(self.rejected_by_reason.values())

    @property
    def not_mailed(self) -> int:
        """Residents not mailed (not due, moved out, no card, …)."""
        return sum(self.not_mailed_by_reason.values())

    @property
    def withheld(self) -> int:
        """Residents withheld on a decision."""
        return sum(self.withheld_by_reason.values())

    @property
    def mailed(self) -> int:
        """Notices mailed."""
        return sum(self.mailed_by_kind.values())

    def as_json(self) -> dict[str, object]:
        """summary.json's content, keys in their documented order."""
        found: dict[str, object] = {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "window": {"from": self.window[0].isoformat(), "to": self.window[1].isoformat()},
            "register": {"file": self.register_file, "encoding": self.encoding, "sha256": self.sha256},
            "rows_read": self.rows_read,
            "rejected": self.rejected,
            "rejected_by_reason": self.rejected_by_reason,
            "not_mailed": self.not_mailed,
            "not_mailed_by_reason": self.not_mailed_by_reason,
            "already_notified": self.already_notified,
            "held_for_review": self.held_for_review,
            "review_by_reason": self.review_by_reason,
            "withheld": self.withheld,
            "withheld_by_reason": self.withheld_by_reason,
            "mailed": self.mailed,
            "mailed_on_decision": self.mailed_on_decision,
            "mailed_by_kind": self.mailed_by_kind,
            "lots": self.lots,
            "pages": self.pages,
            "quality_notes": self.quality_notes,
            **({"post": self.post.as_json()} if self.post else {}),
            "reconciled": True,  # always: summarise() raises first (kept for the report and scripts that read it)
        }
        if self.lapsed is not None:
            found["lapsed"] = self.lapsed
        return found


@dataclass(frozen=True)
class PostEstimate:
    """summary.json's post: the arrival of the run's letters, and the pieces that arrive late, by kind."""

    settings: PostSettings
    arrival: Arrival
    late_by_kind: dict[str, int]  # the kinds sent before expiry, each with its pieces arriving late

    @property
    def late(self) -> int:
        """Pieces that arrive later than 2 months before their expiry."""
        return sum(self.late_by_kind.values())

    def as_json(self) -> dict[str, object]:
        """summary.json's post."""
        a, s = self.arrival, self.settings
        return {"sealed_at": a.sealed_at.strftime("%H:%M"), "cutoff": s.cutoff.strftime("%H:%M"),
                "print_days": s.print_days, "delivery_days": s.delivery_days, "year_end_closed": s.year_end_closed,
                "handed_off_on": a.handed_off_on.isoformat(), "posted_on": a.posted_on.isoformat(),
                "arrives_on": a.arrives_on.isoformat(), "late": self.late, "late_by_kind": self.late_by_kind}  # fmt: skip


def post_estimate(as_of: date, sealed_at: time, settings: PostSettings, pieces: Counter[tuple[Kind, date]]
                  ) -> PostEstimate:  # fmt: skip
    """When the letters of a run sealed at SEALED_AT on AS_OF arrive, with the pieces that arrive late counted (only
    notices sent before expiry promise a date); PIECES counts the pieces of each kind and expiry."""
    arrival = post.arrival(as_of, sealed_at, settings)
    late = {k.value: sum(n for (kind, expires_on), n in pieces.items() if kind is k and arrival.is_late(expires_on))
            for k in kinds.every() if k.spec.before_expiry}  # fmt: skip
    return PostEstimate(settings, arrival, late)


def summarise(read: RegisterRead, sel: Selection, as_of: date, run_id: int | None, pages: int, lots: int,
              lapsed: int | None, post: PostEstimate | None = None) -> RunSummary:  # fmt: skip
    """The run's counts; NoticesError (internal) if the outcomes do not add up to the rows read."""
    rejected = Counter(r.reason for r in (*read.rejects, *sel.rejects))
    mailed = Counter[Kind]()
    for (kind, _), n in sel.mailed_count().items():
        mailed[kind] += n
    summary = RunSummary(
        run_id=run_id, as_of=as_of, window=dates.window(as_of), register_file=Path(read.path).name,
        encoding=read.encoding, sha256=read.sha256, rows_read=read.rows_read,
        rejected_by_reason=dict(sorted(rejected.items())),
        not_mailed_by_reason={reason: sel.not_mailed[reason] for reason in NOT_MAILED_REASONS},
        already_notified=sel.already_notified, held_for_review=len(sel.held),
        review_by_reason=dict(sorted(Counter(r.reason for r in sel.reviews).items())),
        withheld_by_reason=dict(sorted(Counter(w.holds[0].reason for w in sel.withheld).items())),
        mailed_on_decision=len(sel.by_decision),
        mailed_by_kind={k.value: mailed[k] for k in kinds.every()}, lots=lots, pages=pages,
        quality_notes=len(sel.quality), lapsed=lapsed, post=post,
    )  # fmt: skip
    total = (summary.rejected + summary.not_mailed + summary.already_notified + summary.held_for_review
             + summary.withheld + summary.mailed)  # fmt: skip
    if total != read.rows_read:
        raise NoticesError(f"internal error: counts do not add up ({total} outcomes for {read.rows_read} rows)")
    return summary
