"""The vendor's acknowledgements (notices ack), and the folders handed off but not acknowledged in time.

An acknowledgement file is what the vendor sends back, in UTF-8: a line a lot file received, as SHA256SUMS
has it (`<sha256>  lot-0001.pdf`, the name perhaps after its run folder's, `2026-11-26_run00001/lot-0001.pdf`),
or a header-less CSV line of the two in either order (`lot-0001.pdf,<sha256>`), with the run folder's name
as a third cell if wanted. Blank lines and lines starting with # are skipped. The name and the checksum
identify the run: each line is matched against the SHA256SUMS the ledger recorded when it sealed each run.
All or nothing: one line naming a file no run handed off, or with a checksum that differs, and nothing of
the file is recorded. A line naming another file of a folder (manifest.csv, … : the vendor may send the
whole SHA256SUMS back) is checked the same way and not recorded: lots are what is acknowledged.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .inputs import read_text
from ..delivery.handoff import LOT_NAME
from ..delivery.journal import RUN_FOLDER
from ..delivery.ledger import Ledger
from ..errors import InputError
from ..privacy import quote

HEX = re.compile(r"[0-9a-fA-F]{64}")
SUMS_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")  # sha256sum's text and binary forms
HEADER_CELL = re.compile(r"[A-Za-z0-9_ -]+")


@dataclass(frozen=True)
class AckLine:
    """One line of an acknowledgement file: the file the vendor received and its SHA-256."""

    number: int
    sha256: str
    name: str
    folder: str  # the run folder's name, when the line gives it


@dataclass(frozen=True)
class Pending:
    """A run handed off whose lots are not all acknowledged."""

    run_id: int
    folder: str
    sealed_at: str  # when the run was completed (UTC), empty while it is unsettled
    lots: tuple[str, ...]
    acked: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """The lots not acknowledged yet."""
        return tuple(lot for lot in self.lots if lot not in self.acked)


def _parse(line: str) -> tuple[str, str, str] | None:
    """(SHA-256, file name, run folder or "") of a SHA256SUMS or CSV line; None if it is neither."""
    if found := SUMS_LINE.fullmatch(line):
        digest, rest = found[1], [found[2].strip()]
    else:
        try:
            cells = [c.strip() for c in next(csv.reader([line]))]
        except csv.Error:
            return None
        digests, rest = [c for c in cells if HEX.fullmatch(c)], [c for c in cells if c and not HEX.fullmatch(c)]
        if len(digests) != 1 or not 1 <= len(rest) <= 2:
            return None
        digest = digests[0]
    folder = ""
    if len(rest) == 2:
        folders = [c for c in rest if RUN_FOLDER.fullmatch(c)]
        if len(folders) != 1:
            return None
        rest.remove(folder := folders[0])
    parts = rest[0].replace("\\", "/").split("/")  # a path through the run folder: its name, then the file's
    inside = [i for i, part in enumerate(parts) if RUN_FOLDER.fullmatch(part)]
    if inside:
        folder, parts = folder or parts[inside[-1]], parts[inside[-1] + 1 :]
    return (digest.lower(), "/".join(parts), folder) if any(parts) else None


def read_acks(path: Path) -> list[AckLine]:
    """The lines of an acknowledgement file; InputError naming every line that is not one."""
    text = read_text(path, "an acknowledgement file", ("utf-8-sig",))
    found, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parsed = _parse(line)
        if parsed is None and not found and not problems and all(HEADER_CELL.fullmatch(c) for c in line.split(",")):
            continue  # a header line after all (sha256,lot)
        if parsed is None:
            problems.append(f"line {number}: neither '<sha256>  <lot file>' nor a CSV line of a lot file and its "
                            f"SHA-256: {quote(line)}")  # fmt: skip
        else:
            found.append(AckLine(number, *parsed))
    if problems:
        raise InputError(f"{path}: nothing recorded; fix these lines and give the file again:\n  " + "\n  ".join(problems))
    if not found:
        raise InputError(f"{path}: names no lot file: not an acknowledgement file")
    return found


def _sums(sums: str) -> list[tuple[str, str]]:
    """(SHA-256, file name) of each line of a SHA256SUMS text."""
    return [(line[:64], line[66:]) for line in sums.splitlines() if len(line) > 66]


def match(ledger: Ledger, lines: list[AckLine], path: Path) -> list[tuple[int, str, str]]:
    """The lots the lines acknowledge, (run, lot file, SHA-256); InputError naming every line that matches no file
    handed off, or a lot of a folder recalled whole."""
    handed: dict[str, list[tuple[int, str, str]]] = {}
    for run_id, folder, sums, _ in ledger.handed_off_runs():
        for digest, name in _sums(sums):
            handed.setdefault(name, []).append((run_id, folder, digest))
    recalled = ledger.wholly_recalled()
    found: dict[tuple[int, str], str] = {}
    problems = []
    for a in lines:
        named = [h for h in handed.get(a.name, []) if not a.folder or h[1] == a.folder]
        hits = [h for h in named if h[2] == a.sha256]
        what = f"line {a.number}: {quote(a.name)}" + (f" of {a.folder}" if a.folder else "")
        if not named:
            problems.append(f"{what} is in no run folder this ledger handed off")
        elif not hits:
            problems.append(f"{what}: checksum {a.sha256[:16]}… differs from that handed off ("
                            + "; ".join(f"run {r} {f}: {d[:16]}…" for r, f, d in named[-3:]) + ")")
        elif not LOT_NAME.fullmatch(a.name):
            continue  # another file of the folder: checked, not recorded
        elif len(hits) > 1:
            problems.append(f"{what} is in runs {', '.join(str(h[0]) for h in hits)} alike: give its folder's name")
        elif hits[0][0] in recalled:
            problems.append(f"{what} is of {hits[0][1]}, recalled: the vendor has a folder it must not print; call them")
        else:
            found[hits[0][0], a.name] = a.sha256
    if problems:
        raise InputError(f"{path}: nothing recorded; fix these lines and give the file again:\n  " + "\n  ".join(problems))
    return [(run_id, lot, digest) for (run_id, lot), digest in found.items()]


def record(ledger: Ledger, acks: list[tuple[int, str, str]], source: str, operator: str) -> tuple[int, int]:
    """Record the lots received: (recorded now, recorded before). The same file twice records nothing new."""
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with ledger.transaction():
        new = ledger.record_acks(acks, at, operator, source)
    return new, len(acks) - new


def pending(ledger: Ledger) -> list[Pending]:
    """The runs handed off whose lots are not all acknowledged, oldest first (not the runs sealed before
    acknowledgements were kept, nor those recalled whole, nor those that mailed nothing)."""
    first, acked, recalled = ledger.acks_from_run(), ledger.acked_lots(), ledger.wholly_recalled()
    found = []
    for run_id, folder, sums, finished in ledger.handed_off_runs():
        lots = tuple(name for _, name in _sums(sums) if LOT_NAME.fullmatch(name))
        got = acked.get(run_id, {})
        if run_id >= first and run_id not in recalled and not set(lots) <= set(got):
            found.append(Pending(run_id, folder, finished or "", lots, tuple(lot for lot in lots if lot in got)))
    return found


def overdue(ledger: Ledger, ack_hours: int, now: datetime | None = None) -> list[Pending]:
    """The runs completed more than ACK_HOURS ago whose lots are not all acknowledged."""
    limit = (now or datetime.now(timezone.utc)) - timedelta(hours=ack_hours)
    return [p for p in pending(ledger) if p.sealed_at and datetime.fromisoformat(p.sealed_at) <= limit]


def overdue_lines(late: list[Pending], ack_hours: int) -> list[str]:
    """`notices status`'s lines for the runs not acknowledged in time."""
    lines = [f"handed off, not acknowledged after {ack_hours} h: {len(late)}"]
    lines += [f"  run {p.run_id}  {p.folder}  sealed {p.sealed_at[:16].replace('T', ' ')} UTC  acknowledged "
              f"{len(p.acked)} of {len(p.lots)} lot(s); missing {', '.join(p.missing)}" for p in late]  # fmt: skip
    return lines
