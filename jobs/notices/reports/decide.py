"""The review loop's files: review.csv and withheld.csv out, the operator's decision file in (notices decide).

A decision file is review.csv handed back with its `decision` column filled in (or any CSV with the
columns `resident_id, decision`, and optionally `reason, note, mail_to_postal_code, mail_to_address,
mail_to_name, until`), in UTF-8 (with or without BOM) or CP932. It is applied all or nothing: one bad
line and nothing of the file is recorded, and every bad line is named.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ..delivery.ledger import Ledger, address_hash, now as ledger_now
from ..errors import InputError
from ..models import Decision, Resident
from .inputs import read_text
from ..privacy import quote
from ..register import cells
from ..rules.decisions import DECISIONS, admits
from ..rules.review import MAX_CHARS
from ..rules.selection import Selection

DECIDED = ("decision", "note", "mail_to_postal_code", "mail_to_address", "mail_to_name", "until")
REVIEW_COLUMNS = ("resident_id", "reason", "detail", "kind", "expires_on", *DECIDED)
WITHHELD_COLUMNS = ("resident_id", "reason", "detail", "kind", "expires_on", "note", "until", "decided_at", "decided_by")
APPLIED_COLUMNS = ("resident_id", "reason", "decision", "mail_to_postal_code", "mail_to_address", "mail_to_name", "note",
                   "until", "decided_at", "decided_by")  # fmt: skip
REQUIRED = ("resident_id", "decision")
MAX_TEXT = 200  # characters of a note, a name or an address


def _digest(r: Resident) -> str:
    return address_hash(r.postal_code, r.address, r.address_extra)


def held_rows(sel: Selection) -> list[tuple[str, str, str, str, date, str, bool]]:
    """What the ledger keeps of a run's holds: each hold, the registered address's fingerprint, withheld or not."""
    at = {due.resident.resident_id: _digest(due.resident) for due in sel.held}
    rows = [(v.resident_id, v.reason, v.detail, v.kind.value, v.expires_on, at[v.resident_id], False) for v in sel.reviews]
    for w in sel.withheld:
        rows += [(v.resident_id, v.reason, v.detail, v.kind.value, v.expires_on, _digest(w.due.resident), True)
                 for v in w.holds]  # fmt: skip
    return rows


def withheld_rows(sel: Selection) -> list[tuple[str, ...]]:
    """withheld.csv: each hold of a withheld resident, with the decision that withholds it."""
    rows = []
    for w in sel.withheld:
        said = {d.reason: d for d in w.decisions}
        for v in w.holds:
            d = said.get(v.reason)
            rows.append((v.resident_id, v.reason, v.detail, v.kind.value, v.expires_on.isoformat(),
                         d.note if d else "", d.until.isoformat() if d and d.until else "",
                         d.decided_at if d else "", d.decided_by if d else ""))  # fmt: skip
    return rows


def applied_rows(sel: Selection) -> list[tuple[str, ...]]:
    """decisions.csv: every decision a run acted on (mailed, elsewhere perhaps, or withheld), resident by resident."""
    said = [d for _, decided in sel.by_decision for d in decided] + [d for w in sel.withheld for d in w.decisions]
    return [(d.resident_id, d.reason, d.decision, d.mail_to_postal_code, d.mail_to_address, d.mail_to_name, d.note,
             d.until.isoformat() if d.until else "", d.decided_at, d.decided_by) for d in said]  # fmt: skip


@dataclass(frozen=True)
class _Line:
    number: int
    cells: dict[str, str]


def _lines(path: Path) -> list[_Line]:
    text = read_text(path, "a decision file", ("utf-8-sig", "cp932"))  # a spreadsheet saves in one or the other
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [(name or "").strip().lstrip("\ufeff") for name in (reader.fieldnames or [])]
        missing = [column for column in REQUIRED if column not in header]
        if missing:
            raise InputError(f"{path}: line 1: not a decision file: no column {', '.join(missing)}"
                             f" (review.csv with its decision column filled in is one)")  # fmt: skip
        reader.fieldnames = header
        return [_Line(reader.line_num, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)})
                for row in reader]  # fmt: skip
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: not a CSV file ({exc})") from None


def read_decisions(path: Path, ledger: Ledger, today: date, operator: str) -> list[Decision]:
    """The decisions of a file, each answering a hold of the latest complete run; InputError naming every bad line."""
    holds, problems, found = ledger.latest_holds(), [], {}
    decided_at = ledger_now()
    for line in _lines(path):
        c = line.cells
        if not c.get("decision"):
            continue  # left undecided: nothing to record
        bad = _problems(c, holds, today, ledger)
        problems += [f"line {line.number}, column {column}: {message}" for column, message in bad]
        if bad:
            continue
        rid, reasons = c["resident_id"], [c["reason"]] if c.get("reason") else [h[0] for h in holds[c["resident_id"]]]
        for reason, detail, digest in holds[rid]:
            if reason not in reasons:
                continue
            d = Decision(rid, reason, c["decision"], c.get("note", ""), cells.postal_code(c.get("mail_to_postal_code", "")),
                         c.get("mail_to_address", ""), c.get("mail_to_name", ""), _until(c), detail, digest or "",
                         decided_at, operator)  # fmt: skip
            if found.setdefault((rid, reason), (line.number, d))[1] != d:
                problems.append(f"line {line.number}, column decision: resident {rid} ({reason}) is decided "
                                f"differently on line {found[rid, reason][0]}")  # fmt: skip
    if problems:
        raise InputError(f"{path}: nothing recorded; fix these lines and give the file again:\n  " + "\n  ".join(problems))
    return [d for _, d in found.values()]


def _until(c: dict[str, str]) -> date | None:
    return cells.read_date(c["until"]) if c.get("until") else None


def _problems(c: dict[str, str], holds: dict[str, list[tuple[str, str, str | None]]], today: date,
              ledger: Ledger) -> list[tuple[str, str]]:  # fmt: skip
    """What is wrong with one line of a decision file: (column, message) pairs."""
    rid, decision, reason = c.get("resident_id", ""), c["decision"], c.get("reason", "")
    if rid not in holds:
        known = bool(rid) and ledger.knows_resident(rid)
        return [("resident_id", f"resident {quote(rid)} is not held in the latest run" if known
                 else f"resident {quote(rid)} is not known to the ledger")]  # fmt: skip
    problems = []
    if decision not in DECISIONS:
        problems.append(("decision", f"{quote(decision)} is not a decision ({', '.join(DECISIONS)})"))
    held = [h[0] for h in holds[rid]]
    if reason and reason not in held:
        problems.append(("reason", f"resident {rid} is not held for {quote(reason)} (held for: {', '.join(held)})"))
    for hold, detail, _ in holds[rid]:
        admitted = admits(hold, detail)
        if (not reason or hold == reason) and decision in DECISIONS and decision not in admitted:
            problems.append(("decision", f"a hold for {hold} admits {' or '.join(admitted)}, not {decision}"))
    if any(h[2] is None for h in holds[rid]):
        problems.append(("resident_id", "the latest run was made before decisions were kept: decide after the next run"))
    problems += _mail_to_problems(c, decision)
    try:
        until = _until(c)
        if until is not None and until < today:
            problems.append(("until", f"{until} is in the past"))
    except ValueError:
        problems.append(("until", f"{quote(c['until'])} is not a date"))
    return problems + [(k, f"longer than {MAX_TEXT} characters") for k in DECIDED if len(c.get(k, "")) > MAX_TEXT]


def _mail_to_problems(c: dict[str, str], decision: str) -> list[tuple[str, str]]:
    given = [k for k in ("mail_to_postal_code", "mail_to_address", "mail_to_name") if c.get(k)]
    if decision != "mail_to":
        return [(k, f"an address to mail to is given, but the decision is {decision}") for k in given]
    problems = []
    if not re.fullmatch(r"[0-9]{7}", cells.postal_code(c.get("mail_to_postal_code", ""))):
        problems.append(("mail_to_postal_code", "mail_to needs a 7-digit postal code"))
    if not c.get("mail_to_address"):
        problems.append(("mail_to_address", "mail_to needs the address to mail to"))
    # What fits the envelope window as a registered address does (review.MAX_CHARS), the name with 「　気付」.
    for column, most in (("mail_to_address", MAX_CHARS["address"]), ("mail_to_name", MAX_CHARS["address_extra"] - 3)):
        if len(c.get(column, "")) > most:
            problems.append((column, f"longer than the {most} characters the envelope window holds"))
    return problems


def record(ledger: Ledger, decisions: list[Decision], source: str) -> tuple[int, int]:
    """Record decisions not already in force as they are: (recorded, unchanged). The same file twice changes nothing."""
    with ledger.transaction():
        current = {(d.resident_id, d.reason): d for rid in {d.resident_id for d in decisions} for d in ledger.decisions(rid)}
        new = [d for d in decisions if _as_decided(current.get((d.resident_id, d.reason))) != _as_decided(d)]
        ledger.record_decisions(new, source)
    return len(new), len(decisions) - len(new)


def _as_decided(d: Decision | None) -> Decision | None:
    """A decision without when and by whom: what makes two the same."""
    return replace(d, decided_at="", decided_by="") if d else None
