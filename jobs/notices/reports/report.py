"""The run report (report.html): one self-contained page an operator opens in a browser.

Built from the files of a run folder (summary.json and the CSV files the run wrote), so what it
shows is what the vendor and the other sections receive; and, given by the run, the earlier folders
the vendor has not acknowledged in time. It needs nothing from the
network: the proofs are embedded as data: URIs and the charts are inline SVG. It holds resident
IDs, never names, addresses or My Numbers: the address window of each proof image is painted
over before it is embedded (the full proofs stay in proofs/).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, NamedTuple

import jinja2
from PIL import Image, ImageDraw

from . import posting, wording
from .acks import Pending
from .proofs import LAYOUT_PREFIX
from ..delivery.post import is_late, promised_by
from ..kinds import colour as kind_colour, label as kind_label
from ..letters.layouts import Compiled
from ..rules.review import REASONS

A4_MM = (210.0, 297.0)
# Where the address window can be when the caller does not say: config.py keeps it on the top
# 75 mm of the sheet and 75 mm or more from its right edge.
ANY_WINDOW_MM = (0.0, 0.0, A4_MM[0] - 75.0, 75.0)
MASK_MARGIN_MM = 3.0  # around the configured window: the print may shift a little
PROOF_WIDTH_PX = 640
CHART_W, CHART_H, CHART_LEFT, CHART_BOTTOM = 720, 230, 40, 48
WEEKDAYS = "月火水木金土日"


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file the run wrote (UTF-8 with BOM); no rows if the file is missing."""
    if not path.is_file():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def jdate(value: str, year: bool = True) -> str:
    """An ISO date as 2026年11月26日（木） (11月26日（木） without the year); anything else as given."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{f'{day.year}年' if year else ''}{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def _proof(path: Path, window_mm: Sequence[float] | None) -> dict[str, object]:
    """A proof PNG scaled down with its address window painted over, as a data: URI."""
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    full_w, full_h = image.size
    scale = full_w / A4_MM[0]  # pixels a millimetre
    if window_mm is None:
        left, top, width, height = ANY_WINDOW_MM
    else:
        left, top, width, height = window_mm
        left, top = max(0.0, left - MASK_MARGIN_MM), max(0.0, top - MASK_MARGIN_MM)
        width, height = width + 2 * MASK_MARGIN_MM, height + 2 * MASK_MARGIN_MM
    box = (round(left * scale), round(top * scale), round((left + width) * scale), round((top + height) * scale))
    ImageDraw.Draw(image).rectangle(box, fill=(226, 226, 226), outline=(150, 150, 150), width=2)
    if image.width > PROOF_WIDTH_PX:
        image = image.resize((PROOF_WIDTH_PX, round(image.height * PROOF_WIDTH_PX / image.width)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # Fast octree: a seventh of median cut's time (4 against 28 ms a proof) and 40 % smaller, its greys as even.
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    kind = path.stem
    return {
        "kind": kind,
        "label": kind_label(kind),
        "uri": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
        "width": image.width,
        "height": image.height,
        "mask": {"left": round(100 * box[0] / full_w, 2), "top": round(100 * box[1] / full_h, 2),
                 "width": round(100 * (box[2] - box[0]) / full_w, 2),
                 "height": round(100 * (box[3] - box[1]) / full_h, 2)},  # fmt: skip
    }


def _layout_proofs(paths: list[Path], pieces: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The proofs of the pieces mailed on a layout decision (proofs/layout-<piece_id>.png), with their manifest rows:
    listed, not shown, since what the operator checks there (the smaller name) is in the address window."""
    found = []
    for path in paths:
        row = pieces.get(path.stem.removeprefix(LAYOUT_PREFIX), {})
        found.append({"file": f"proofs/{path.name}", "piece_id": path.stem.removeprefix(LAYOUT_PREFIX),
                      "resident_id": row.get("resident_id", ""), "kind": row.get("kind", ""),
                      "pdf": row.get("pdf", ""), "first_page": row.get("first_page", "")})  # fmt: skip
    return found


def _nice_step(top: int) -> int:
    """A step of 1, 2 or 5 times a power of ten that gives four or five grid lines up to TOP."""
    raw = max(top, 1) / 4
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw)) or 1


def _kind_chart(by_kind: dict[str, int]) -> dict[str, object]:
    """Horizontal bars, one a kind."""
    top = max([*by_kind.values(), 1])
    rows = [{"kind": k, "label": kind_label(k), "count": n, "colour": kind_colour(k),
             "y": 8 + i * 30, "width": round(380 * n / top, 1)} for i, (k, n) in enumerate(by_kind.items())]  # fmt: skip
    return {"rows": rows, "height": 16 + 30 * len(rows)}


def _date_chart(counts: Counter[tuple[str, str]], kinds: Sequence[str]) -> dict[str, object]:
    """Vertical bars, one an expiry date, stacked by kind (COUNTS: pieces by expiry date and kind)."""
    days = sorted({day for day, _ in counts})
    totals = {day: sum(counts[day, k] for k in kinds) for day in days}
    step = _nice_step(max(totals.values(), default=1))
    top = step * math.ceil(max(max(totals.values(), default=1), 1) / step)
    plot_h = CHART_H - CHART_BOTTOM - 12
    slot = min(36.0, (CHART_W - CHART_LEFT - 8) / max(len(days), 1))
    bars, labels = [], []
    for i, day in enumerate(days):
        x, base = CHART_LEFT + i * slot + slot * 0.15, CHART_H - CHART_BOTTOM
        for kind in kinds:
            n = counts[day, kind]
            if n:
                h = plot_h * n / top
                base -= h
                bars.append({"x": round(x, 1), "y": round(base, 1), "w": round(slot * 0.7, 1), "h": round(h, 1),
                             "colour": kind_colour(kind),
                             "title": f"{day} {kind_label(kind)} {n}通"})  # fmt: skip
        labels.append({"x": round(x + slot * 0.35, 1), "text": day[5:].replace("-", "/"), "day": day,
                       "total": totals[day]})  # fmt: skip
    grid = [{"y": round(CHART_H - CHART_BOTTOM - plot_h * v / top, 1), "value": v} for v in range(0, top + 1, step)]
    return {"bars": bars, "labels": labels, "grid": grid, "width": CHART_W, "height": CHART_H,
            "right": round(CHART_LEFT + slot * len(days) + 4, 1),
            "left": CHART_LEFT, "base": CHART_H - CHART_BOTTOM, "days": days,
            "table": [[counts[day, k] for k in kinds] for day in days]}  # fmt: skip


def _checks(summary: dict[str, object], files: dict[str, list[dict[str, str]]], pieces: int) -> list[dict[str, object]]:
    """Each count of summary.json set against the file that lists the same residents."""
    lots_pieces = sum(int(row["pieces"]) for row in files["lots"] if row.get("pieces", "").isdigit())
    outcomes = sum(int(summary.get(k, 0)) for k in ("mailed", "held_for_review", "withheld", "already_notified",  # type: ignore[call-overload]
                                                     "not_mailed", "rejected"))  # fmt: skip
    pairs = [
        ("送付＋保留＋送らない判断＋送付済み＋対象外＋不備 ＝ 読み込んだ行数", summary["rows_read"], outcomes),
        ("送付 ＝ manifest.csv の行数", summary["mailed"], pieces),
        ("送付 ＝ lots.csv の通数の合計", summary["mailed"], lots_pieces),
        ("保留 ＝ review.csv の住民番号の数", summary["held_for_review"], len({r["resident_id"] for r in files["review"]})),
        ("送らない判断 ＝ withheld.csv の住民番号の数", summary.get("withheld", 0), len({r["resident_id"] for r in files["withheld"]})),
        ("不備 ＝ rejects.csv の行数", summary["rejected"], len(files["rejects"])),
        ("資格確認書の対象 ＝ lapsed.csv の行数", summary.get("lapsed", 0), len(files["lapsed"])),
    ]
    return [{"label": label, "expected": a, "found": b, "ok": a == b} for label, a, b in pairs]


class LatePiece(NamedTuple):
    """A piece that arrives later than the leaflet promises, as the report lists it."""

    piece_id: str
    resident_id: str
    kind: str
    expires_on: str
    pdf: str
    first_page: str
    promised_by: str


@dataclass
class Manifest:
    """What the report takes from manifest.csv, read a row at a time: counts, where the late pieces' rows are, the
    layout ones."""

    path: Path
    pieces: int = 0
    by_day: Counter[tuple[str, str]] = field(default_factory=Counter)  # pieces by expiry date and kind
    posting: posting.Tally = field(default_factory=posting.Tally)
    # The late pieces by (expiry, date promised): where their rows start in the file, in its order (8 bytes a
    # piece: a run of 100,000 pieces may have 30,000 late, which as objects would take more than the run's lots).
    late: dict[tuple[str, str], array[int]] = field(default_factory=dict)
    layout: dict[str, dict[str, str]] = field(default_factory=dict)  # the rows of the pieces with a layout proof

    def late_pieces(self) -> Iterator[LatePiece]:
        """The late pieces by expiry date, then piece ID (the file's order: lot by lot, each lot's in order),
        read back from the file one at a time (a single pass: the report lists them once)."""
        if not self.late:
            return
        with self.path.open("rb") as file:
            header = _cells(file.readline())
            for (_, by), starts in sorted(self.late.items()):
                for start in starts:
                    file.seek(start)
                    row = dict(zip(header, _cells(file.readline())))
                    yield LatePiece(row["piece_id"], row["resident_id"], row["kind"], row["expires_on"], row["pdf"],
                                    row["first_page"], by)  # fmt: skip


def _cells(line: bytes) -> list[str]:
    """The cells of one line of manifest.csv (written by the csv module: no cell of it spans lines)."""
    return next(csv.reader([line.decode("utf-8").removeprefix("\ufeff")]))


def _rows(file: BinaryIO) -> Iterator[tuple[int, dict[str, str]]]:
    """manifest.csv's rows as csv.DictReader reads them, each with where its line starts in the file (no cell
    spans lines: the reader has just taken the row's line when it gives the row)."""
    starts = [0, 0]  # the start of the line taken last, and of the next one

    def lines() -> Iterator[str]:
        for line in file:
            starts[0], starts[1] = starts[1], starts[1] + len(line)
            yield line.decode("utf-8").removeprefix("\ufeff")

    for row in csv.DictReader(lines()):
        yield starts[0], row


def read_manifest(path: Path, summary: dict[str, object], layout_ids: set[str]) -> Manifest:
    """manifest.csv's counts, its late pieces (summary.json's post.arrives_on; only the kinds counted in
    post.late_by_kind promise a date) and the rows of LAYOUT_IDS, without holding the other rows."""
    found, post = Manifest(path), summary.get("post")
    arrives, late = (date.fromisoformat(post["arrives_on"]), post["late_by_kind"]) if isinstance(post, dict) else (None, {})
    if not path.is_file():
        return found
    with path.open("rb") as file:
        for start, row in _rows(file):
            found.pieces += 1
            found.by_day[row["expires_on"], row["kind"]] += 1
            found.posting.add(row["pdf"], row["postal_code"])
            expires = date.fromisoformat(row["expires_on"])
            if arrives and row["kind"] in late and is_late(arrives, expires):
                found.late.setdefault((row["expires_on"], promised_by(expires).isoformat()), array("q")).append(start)
            if row["piece_id"] in layout_ids:
                found.layout[row["piece_id"]] = row
    return found


def _late(summary: dict[str, object], manifest: Manifest) -> dict[str, object]:
    """The pieces that arrive late, counted by expiry date and listed (read back as the report is written)."""
    found: dict[str, object] = {"pieces": iter(()), "count": 0, "by_expiry": []}
    post = summary.get("post")
    if not isinstance(post, dict):
        return found
    arrives = date.fromisoformat(post["arrives_on"])
    found["pieces"] = manifest.late_pieces()
    found["count"] = sum(len(starts) for starts in manifest.late.values())
    found["by_expiry"] = [{"expires_on": e, "promised_by": by, "days": (arrives - date.fromisoformat(by)).days,
                           "count": len(starts)} for (e, by), starts in sorted(manifest.late.items())]  # fmt: skip
    return found


def _review_groups(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """The review rows grouped by reason, in the order of review.REASONS, each with its action."""
    order = [*REASONS, *sorted({r["reason"] for r in rows} - set(REASONS))]
    groups = []
    for reason in order:
        members = [r for r in rows if r["reason"] == reason]
        if members:
            groups.append({"reason": reason, "label": wording.review_label(reason),
                           "action": wording.review_action(reason), "rows": members,
                           "residents": len({r["resident_id"] for r in members})})  # fmt: skip
    return groups


def _reject_reasons(by_reason: dict[str, int]) -> list[dict[str, object]]:
    """The reasons rows were rejected, with what to fix in the register export."""
    return [{"reason": reason, "label": wording.reject_label(reason), "fix": wording.reject_fix(reason),
             "count": n} for reason, n in by_reason.items()]  # fmt: skip


def report_context(folder: Path, window_mm: Sequence[float] | None = None,
                   unacknowledged: Sequence[Pending] = ()) -> dict[str, object]:  # fmt: skip
    """Everything report.html shows, read from the run folder, with the earlier folders not acknowledged."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    files = {name: read_rows(folder / f"{name}.csv") if (folder / f"{name}.csv").exists() else []
             for name in ("review", "withheld", "decisions", "rejects", "lapsed", "lots")}  # fmt: skip
    layout = sorted((folder / "proofs").glob(f"{LAYOUT_PREFIX}*.png"))
    manifest = read_manifest(folder / "manifest.csv", summary, {p.stem.removeprefix(LAYOUT_PREFIX) for p in layout})
    by_kind: dict[str, int] = summary["mailed_by_kind"]
    order = {kind: i for i, kind in enumerate(by_kind)}
    proof_paths = sorted((p for p in (folder / "proofs").glob("*.png") if not p.name.startswith(LAYOUT_PREFIX)),
                         key=lambda p: (order.get(p.stem, len(order)), p.stem))  # fmt: skip
    held_ids = Counter(r["resident_id"] for r in files["review"])
    return {
        "s": summary,
        "folder_name": folder.name.removeprefix(".building-"),  # rendered before the folder is sealed
        "kinds": list(by_kind),
        "not_mailed_labels": wording.NOT_MAILED_LABELS,
        "lapsed_labels": wording.LAPSED_LABELS,
        "checks": _checks(summary, files, manifest.pieces),
        "kind_chart": _kind_chart(by_kind),
        "date_chart": _date_chart(manifest.by_day, list(by_kind)),
        "review_groups": _review_groups(files["review"]),
        "multi_reason": sum(1 for n in held_ids.values() if n > 1),
        "withheld": files["withheld"],
        "mailed_on_decision": [d for d in files["decisions"] if d["decision"] != "withhold"],
        "rejects": files["rejects"],
        "reject_reasons": _reject_reasons(summary["rejected_by_reason"]),
        "lapsed_by": dict(Counter(r["lapsed"] for r in files["lapsed"])),
        "lots": files["lots"],
        "posting": manifest.posting.summary(),
        "late": _late(summary, manifest),
        "proofs": [_proof(p, window_mm) for p in proof_paths],
        "layout_proofs": _layout_proofs(layout, manifest.layout),
        "unacknowledged": [{"run_id": p.run_id, "folder": p.folder, "sealed_at": p.sealed_at[:16].replace("T", " "),
                            "lots": len(p.lots), "missing": ", ".join(p.missing)} for p in unacknowledged],  # fmt: skip
    }


def report_parts(folder: Path, templates_dir: Path, window_mm: Sequence[float] | None = None,
                 unacknowledged: Sequence[Pending] = (), compiled_in: Path | None = None) -> Iterator[str]:  # fmt: skip
    """report.html for the run folder FOLDER, from templates_dir/report.html, in the parts Jinja renders (to be
    written as they come: the list of late pieces may be long).

    WINDOW_MM is the envelope's address window (left, top, width, height in mm, as configured);
    without it the whole area where a window may be is painted over in the proofs. UNACKNOWLEDGED: the
    earlier folders handed off that the vendor has not acknowledged in time. COMPILED_IN: the layouts folder where the
    compiled template is kept (letters/layouts.py Compiled), if any.
    """
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)  # fmt: skip
    env.filters.update(num=lambda n: f"{int(n):,}", jdate=jdate, kind=kind_label, kind_colour=kind_colour,
                       review_label=wording.review_label, reject_label=wording.reject_label)  # fmt: skip
    env.bytecode_cache = Compiled(compiled_in, env)  # once the filters are in: its key holds how each is called
    return env.get_template("report.html").generate(report_context(folder, window_mm, unacknowledged))


def render_report(folder: Path, templates_dir: Path, window_mm: Sequence[float] | None = None,
                  unacknowledged: Sequence[Pending] = ()) -> str:  # fmt: skip
    """report.html for the run folder FOLDER, whole (see report_parts)."""
    return "".join(report_parts(folder, templates_dir, window_mm, unacknowledged))
