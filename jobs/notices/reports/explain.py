"""notices explain: one resident's whole story, told from the one engine that decides and from the ledger.

Who the register says they are (as the envelope would print them; the My Number never, only whether
the register has one), each expiry and where it comes from, tonight's outcome and why (the same
selection a run makes, on the rows that decide about this resident), and what the ledger remembers:
every piece, returned mail, holds and decisions, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from . import wording
from ..config import Config
from ..delivery.ledger import Ledger
from ..errors import InvalidIdError, NotFoundError
from ..letters import appid
from ..models import Resident
from ..register.read import RegisterRead
from ..register.subset import read_about
from ..rules import arrays, dates, sorting
from ..rules.possible import UNDECIDED, Possible, Possibles
from ..rules.selection import select

Story = dict[str, object]  # JSON-ready: what --json prints, and what the text is made of


@dataclass(frozen=True)
class Subject:
    """A resident's row in the small register read for them, and the read."""

    read: RegisterRead
    position: int
    resident: Resident


def explain(register: Path | None, resident_id: str, as_of: date, config: Config, ledger: Ledger,
            encoding: str | None = None) -> Story:  # fmt: skip
    """The story of one resident: the register's part (when a register is given) and the ledger's."""
    story: Story = {"resident_id": resident_id, "as_of": as_of.isoformat()}
    if register is not None:
        read = read_about(register, resident_id, encoding, config.resident_id_pattern, config.gaiji)
        story["in_register"] = _register_part(read, resident_id, as_of, config, ledger, story)
    story["history"] = history(ledger, resident_id)
    return story


def resident_of(ledger: Ledger, application_id: str | None, piece: str | None) -> str:
    """The resident behind an application ID or a piece ID, from the ledger alone; an application ID is checked
    first, so that a digit typed wrong is told apart from a valid ID this ledger never issued."""
    if piece is not None:
        owner = ledger.piece_owner(piece.strip())
        if owner is None:
            raise NotFoundError(f"piece {piece.strip()!r} was not handed off by any run of this ledger")
        return owner
    digits = appid.normalise(application_id or "")
    owner = ledger.application_id_owner(digits) if len(digits) == appid.LENGTH else None
    if owner is not None:
        return owner  # a J-LIS-supplied ID need not have our check digit
    if not appid.is_valid(digits):
        raise InvalidIdError("not a valid application ID (23 digits, this municipality's code, a check digit that "
                             "matches): a digit typed wrong?")  # fmt: skip
    raise NotFoundError(f"{appid.grouped(digits)} is a valid application ID, but not issued here (no run of this "
                        "ledger issued it)")  # fmt: skip


def _register_part(read: RegisterRead, resident_id: str, as_of: date, config: Config, ledger: Ledger,
                   story: Story) -> bool:  # fmt: skip
    """Fill in who, the expiries and tonight's outcome; False when the register has no row with this ID."""
    rejected = [j for j in read.rejects if j.resident_id == resident_id]
    positions = read.table.positions_of({resident_id})
    if not len(positions):
        if rejected:
            story["outcome"] = {"outcome": "rejected", "rows": [{"line": j.line, "reason": j.reason,
                                "label": wording.reject_label(j.reason), "detail": j.detail} for j in rejected]}  # fmt: skip
        return bool(rejected)
    subject = Subject(read, int(positions[0]), read.table.residents(positions)[0])
    story["who"] = who(subject.resident)
    story["expiries"] = expiries(subject, config)
    story["outcome"] = outcome(subject, as_of, config, ledger)
    return True


def who(r: Resident) -> Story:
    """Name, reading, the address block as the envelope prints it, household, language."""
    return {"line": r.line, "name": r.name, "name_kana": r.name_kana, "household_id": r.household_id,
            "language": r.language, "address_block": [_postal(r.postal_code), r.address,
                                                      *([r.address_extra] if r.address_extra else []), f"{r.name} 様"]}  # fmt: skip


def _postal(code: str) -> str:
    return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else f"〒{code} (not 7 digits)"


def _day(values: np.ndarray, row: int) -> date | None:
    return None if np.isnat(values[row]) else values[row].astype(object)  # type: ignore[no-any-return]


def _possible(p: Possibles, row: int) -> Possible | None:
    low, high = _day(p.low, row), _day(p.high, row)
    return None if low is None or high is None else Possible.of(low, high, bool(p.span[row]), UNDECIDED[p.missing[row]])


def expiries(s: Subject, config: Config) -> Story:
    """The card's and the certificate's expiry, where each comes from, and the dates a letter gives with it."""
    table, r = s.read.table, s.resident
    row = int(table.rows[s.position])
    e = sorting.expiries(table, config.leap_day)
    found: Story = {}
    for subject, decided, computed, recorded in (("card", e.card, e.card_computed, r.card_expires_on),
                                                  ("cert", e.cert, e.cert_computed, r.cert_expires_on)):  # fmt: skip
        day, possible = _day(decided, row), _possible(computed, row)
        if day is None and possible is None:
            continue
        entry: Story = {"expires_on": day.isoformat() if day else None}
        if recorded is not None:
            entry["source"] = f"recorded in the register ({subject}_expires_on)"
            if possible is not None and recorded not in possible:
                entry["note"] = f"computed {possible}: the recorded date is used (quality.csv)"
        elif day is None:
            entry["source"] = possible.detail("certificate" if subject == "cert" else "card")  # type: ignore[union-attr]
        else:
            entry["source"] = _rule(r, subject, day, config)
        if day is not None:
            cert = _day(e.cert, row)
            entry["renewal_from"] = dates.renewal_from(day).isoformat()
            entry["grace_end"] = dates.insurance_grace_end(day, cert).isoformat()
        if subject == "card" and bool(e.stay_capped[row]):
            entry["ends_with_the_period_of_stay"] = True
        found[subject] = entry
    return found


def _rule(r: Resident, subject: str, day: date, config: Config) -> str:
    """The engine's computed expiry in words: which birthday after which issue date, or which stay's end."""
    issued = r.card_issued_on if subject == "card" else r.cert_issued_on
    assert issued is not None and r.birth_date is not None
    birth, when = arrays.Births(_col(r.birth_date), config.leap_day), _col(issued)
    age = int(arrays.age_on(_col(r.birth_date), when)[0])
    for n in (5, 6, 10):
        if births_after(birth, when, n) == day:
            applied = f", applied for on {r.card_applied_on}" if subject == "card" and r.card_applied_on else ""
            return f"computed: the {n}th birthday after the issue date {issued}, holder aged {age} on that day{applied}"
    if subject == "card":
        return f"computed: the end of the period of stay the card was issued under, {day} (before the birthday rule's)"
    return f"computed: never past the card: the card's expiry {day}"


def _col(day: date) -> np.ndarray:
    return np.array([day], dtype="datetime64[D]")


def births_after(births: arrays.Births, issued: np.ndarray, n: int) -> date | None:
    """The n-th birthday after an issue date, as the engine counts it."""
    return _day(births.nth_after(issued, n), 0)


def outcome(s: Subject, as_of: date, config: Config, ledger: Ledger) -> Story:
    """Tonight's outcome, as a run on this date decides it, and why."""
    sel = select(s.read, as_of, config, ledger)
    line, rid = s.resident.line, s.resident.resident_id
    _, _, kind_of, kind, expires_on, why = next(o for o in sel.outcomes if o[0] == line)
    found: Story = {"outcome": kind_of, "kind": kind, "expires_on": expires_on}
    if kind_of == "mail":
        found["window"] = [d.isoformat() for d in dates.window(as_of)]
        found["decisions"] = why
    elif kind_of in ("review", "withheld"):
        decided = {d.reason: d for d in ledger.decisions(rid)}
        holds = [v for v in sel.reviews if v.resident_id == rid] or [h for w in sel.withheld for h in w.holds
                                                                         if h.resident_id == rid]  # fmt: skip
        since = _held_since(ledger, rid)
        found["holds"] = [{"reason": v.reason, "label": wording.review_label(v.reason), "detail": v.detail,
                           "since": since.get(v.reason), "what_to_do": wording.review_action(v.reason),
                           "decision": _decision_text(decided.get(v.reason))} for v in holds]  # fmt: skip
    elif kind_of == "already_notified":
        recalled = {piece for _, piece, *_ in ledger.recalls_of(rid)}
        sent = [p for p in ledger.pieces_of(rid) if p[6] == kind and p[7] == expires_on and p[9] is None
                and p[5] not in recalled]  # fmt: skip
        found["notified_by"] = {"run": sent[-1][0], "run_date": sent[-1][1]} if sent else None
    elif kind_of == "not_mailed":
        found["reason"] = why
        found["label"] = wording.NOT_MAILED_LABELS.get(why, why)
        if why == "not_due":
            later = sorting.first_due(s.read.table, s.position, as_of, config)
            found["first_due"] = None if later is None else {
                "run_date": later[0].isoformat(), "kind": later[1].kind.value, "expires_on": later[1].expires_on.isoformat(),
                "held": "expiry_unknown" if later[1].unknown else ""}  # fmt: skip
    return found


def _held_since(ledger: Ledger, resident_id: str) -> dict[str, str]:
    """For each reason, the run (and its date) since which the runs have held the resident for it without a break."""
    since: dict[str, str] = {}
    last_run: dict[str, int] = {}
    for run, as_of, reason, *_ in ledger.holds_of(resident_id):
        if reason not in last_run or last_run[reason] != run - 1:
            since[reason] = f"run {run} ({as_of})"
        last_run[reason] = run
    return since


def _decision_text(d: object) -> str:
    if d is None:
        return ""
    until = f" until {d.until}" if d.until else ""  # type: ignore[attr-defined]
    return f"{d.decision}{until} by {d.decided_by} {d.decided_at[:10]}: {d.note}"  # type: ignore[attr-defined]


def history(ledger: Ledger, resident_id: str) -> list[Story]:
    """What the ledger remembers of a resident, in the order it happened: pieces, recalls, returned mail, holds,
    decisions."""
    events: list[tuple[str, int, Story]] = []  # (when, in the wall clock's UTC; order on a tie; the event)
    for run, as_of, folder, pdf, page, piece, kind, expires_on, app_id, returned_at, started in ledger.pieces_of(resident_id):
        events.append((started, 1, {"event": "mailed", "run": run, "run_date": as_of, "folder": Path(folder).name,
                                    "lot": pdf, "first_page": page, "piece_id": piece, "kind": kind,
                                    "expires_on": expires_on, "application_id": app_id or ""}))  # fmt: skip
        if returned_at:
            events.append((returned_at, 2, {"event": "returned", "date": returned_at[:10], "piece_id": piece}))
    for at, piece, run, folder, scope, by, reason in ledger.recalls_of(resident_id):
        events.append((at, 2, {"event": "recalled", "date": at[:10], "piece_id": piece, "run": run,
                               "folder": Path(folder).name, "scope": scope, "by": by, "reason": reason}))  # fmt: skip
    runs: dict[tuple[str, int], list[int]] = {}
    for run, as_of, reason, _detail, _kind, _expires, withheld, started in ledger.holds_of(resident_id):
        runs.setdefault((reason, withheld), []).append(run)
        if len(runs[reason, withheld]) == 1 or runs[reason, withheld][-2] != run - 1:  # the first of a series
            events.append((started, 0, {"event": "withheld" if withheld else "held", "run": run, "run_date": as_of,
                                        "reason": reason, "label": wording.review_label(reason)}))  # fmt: skip
    for d in ledger.decisions_made(resident_id):
        events.append((d.decided_at, 3, {"event": "decided", "date": d.decided_at[:10], "reason": d.reason,
                                         "decision": _decision_text(d)}))  # fmt: skip
    return [event for _, _, event in sorted(events, key=lambda e: (e[0], e[1]))]


def text(story: Story) -> list[str]:
    """The story as an operator reads it, in the report's words."""
    out = [f"resident {story['resident_id']}  (as of {story['as_of']})"]
    who_ = story.get("who")
    if isinstance(who_, dict):
        out += [f"  line {who_['line']} of the register; household {who_['household_id'] or '-'}; language "
                f"{who_['language'] or '-'}; reading {who_['name_kana'] or '-'}", "  address as printed:"]
        out += [f"    {part}" for part in who_["address_block"]]
    for subject, entry in dict(story.get("expiries", {})).items():  # type: ignore[call-overload]
        label = {"card": "card", "cert": "certificate"}[subject]
        out.append(f"  {label}: expires {entry['expires_on'] or 'undecided'}: {entry['source']}")
        if entry.get("renewal_from"):
            out.append(f"    renewal from {entry['renewal_from']}; insurance grace to {entry['grace_end']}"
                       + ("; ends with the period of stay" if entry.get("ends_with_the_period_of_stay") else ""))
        if entry.get("note"):
            out.append(f"    note: {entry['note']}")
    if story.get("history"):
        out.append("  history (oldest first):")
        out += [f"    {_event_text(e)}" for e in story["history"]]  # type: ignore[attr-defined]
    elif "history" in story:
        out.append("  history: nothing in the ledger")
    if "outcome" in story:
        out += _outcome_text(story["outcome"])  # type: ignore[arg-type]
    elif story.get("in_register") is False:
        out.append("  tonight: not in the register")
    return out


def _event_text(e: Story) -> str:
    if e["event"] == "mailed":
        return (f"{e['run_date']}  mailed  run {e['run']} ({e['folder']}), {e['lot']} page {e['first_page']}, "
                f"piece {e['piece_id']}: {e['kind']} for {e['expires_on']}"
                + (f", application ID {e['application_id']}" if e["application_id"] else ""))
    if e["event"] == "recalled":
        return (f"{e['date']}  recalled before print: piece {e['piece_id']} of run {e['run']} ({e['folder']}"
                + (", the whole folder" if e["scope"] == "folder" else "") + f") by {e['by']}: {e['reason']}")
    if e["event"] == "returned":
        return f"{e['date']}  returned undelivered: piece {e['piece_id']}"
    if e["event"] in ("held", "withheld"):
        return f"{e['run_date']}  {e['event']} by run {e['run']}: {e['reason']} ({e['label']})"
    return f"{e['date']}  decided on {e['reason']}: {e['decision']}"


def _outcome_text(o: Story) -> list[str]:
    head = f"  tonight: {o['outcome']}"
    if o["outcome"] == "rejected":
        return [head] + [f"    line {j['line']}: {j['reason']} ({j['label']}) {j['detail']}" for j in o["rows"]]  # type: ignore[attr-defined]
    if o["outcome"] == "mail":
        window = o["window"]
        return [f"{head}: due, {o['kind']} for {o['expires_on']} (window {window[0]} to {window[1]})"  # type: ignore[index]
                + (f", on decisions {o['decisions']}" if o.get("decisions") else "")]
    if o["outcome"] == "already_notified":
        by = o.get("notified_by") or {}
        return [f"{head}: {o['kind']} for {o['expires_on']} was mailed by run {by.get('run')} on {by.get('run_date')}"]  # type: ignore[union-attr]
    if o["outcome"] in ("review", "withheld"):
        lines = [f"{head}: {o['kind']} for {o['expires_on']}"]
        for h in o["holds"]:  # type: ignore[attr-defined]
            lines.append(f"    {h['reason']} ({h['label']}) since {h['since'] or 'tonight'}: {h['detail']}")
            if h["decision"]:
                lines.append(f"      decision: {h['decision']}")
            lines.append(f"      what to do: {h['what_to_do']}")
        return lines
    first = o.get("first_due")
    lines = [f"{head}: {o['reason']} ({o['label']})"]
    if o.get("reason") == "not_due":
        lines.append("    not due on any night in the years its expiries allow" if not first else
                     f"    first due on {first['run_date']}: {first['kind']} for {first['expires_on']}"  # type: ignore[index]
                     + (" (held then: expiry_unknown)" if first["held"] else ""))  # type: ignore[index]
    return lines
