"""Residents built on purpose: every rule case, notice kind, window edge, review, not-mailed and reject reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from .model import Person
from .oracle import INACTIVE, PERMANENT, birthday, due_kind, nth_birthday_after, outcome, window
from .people import FOREIGN, SURNAMES, VARIANT_SURNAMES
from .town import Town, ymd

# /work/shared/spec/rule-cases.csv: case, kind, birth, issued, nationality,
# residence status, end of stay, expected expiry, why.
RULE_CASES = (
    ("P01", "card", "1985-10-10", "2020-05-15", "", "", "", "2029-10-10", "10th birthday after issue"),
    ("P02", "card", "1985-10-10", "2020-10-10", "", "", "", "2030-10-10", "issued on the birthday"),
    ("P03", "cert", "1985-10-10", "2020-05-15", "", "", "", "2024-10-10", "cert: 5th birthday after issue"),
    ("P04", "card", "1990-07-01", "2021-06-30", "", "", "", "2030-07-01", "issued the day before the birthday"),
    ("P05", "card", "2008-03-03", "2022-09-01", "", "", "", "2027-03-03", "under 18 on the issue date"),
    ("P06", "card", "2004-09-01", "2022-09-01", "", "", "", "2032-09-01", "18th birthday on the issue date"),
    ("P07", "card", "2004-09-02", "2022-09-01", "", "", "", "2026-09-02", "18 tomorrow: still a minor"),
    ("P08", "card", "2002-06-15", "2021-08-01", "", "", "", "2026-06-15", "before 2022-04-01 at 19: minor"),
    ("P09", "card", "2002-06-15", "2022-08-01", "", "", "", "2032-06-15", "after 2022-04-01 at 20"),
    ("P10", "card", "2003-06-15", "2022-08-01", "", "", "", "2032-06-15", "after 2022-04-01 at 19: adult"),
    ("P11", "card", "1996-02-29", "2019-03-01", "", "", "", "2029-02-28", "leap-day birthday, common year"),
    ("P12", "cert", "2000-02-29", "2023-04-10", "", "", "", "2028-02-29", "leap-day birthday, leap year"),
    ("P13", "card", "1990-12-01", "2024-04-01", "US", "留学", "2026-03-31", "2026-03-31", "stay ends first"),
    ("P14", "card", "1990-12-01", "2024-04-01", "KR", "特別永住者", "2026-03-31", "2033-12-01", "no cap"),
    ("P15", "card", "1990-12-01", "2024-04-01", "CN", "永住者", "", "2033-12-01", "permanent resident"),
    ("P16", "card", "1990-12-01", "2024-04-01", "VN", "技能実習", "2040-01-01", "2033-12-01", "stay ends later"),
)
BAD_DATES = {  # column: (cell in a canonical file, cell in a legacy CP932 file), all unreadable
    "birth_date": ("1985-02-30", "昭和60年2月30日"), "card_issued_on": ("yesterday", "昨日"),
    "card_expires_on": ("2027-02-30", "令和9年2月30日"), "cert_issued_on": ("2021-13-01", "R3.13.1"),
    "residence_expires_on": ("20270231", "20270231"),
}
DAY = timedelta(days=1)


class _Units:
    """The built households in the order they were drawn; most hold a single resident."""

    def __init__(self) -> None:
        self.households: list[list[Person]] = []

    def add(self, p: Person, note: str, intent: str | None = None, **changes: object) -> Person:
        """Change the resident, note what it was built for, and add it as a household of one."""
        for name, value in changes.items():
            setattr(p, name, value)
        p.note, p.intent = note, p.intent if intent is None else intent
        self.households.append([p])
        return p


def _expiry(town: Town, p: Person) -> date:
    """The date a resident drawn as due is due on."""
    return due_kind(p, town.as_of)[1]  # type: ignore[index]


def special_units(town: Town, residents: int) -> list[list[Person]]:
    """Residents built for each rule case, kind, review, not-mailed and reject reason."""
    units = _Units()
    # The order is part of the output: every section draws from the same random.Random.
    _rule_cases(town, units)
    _due(town, units, residents)
    _stays_and_names(town, units)
    _window_edges(town, units)
    _recorded_dates(town, units)
    _undecided(town, units)
    _support_measure(town, units)
    _reviews(town, units)
    _not_mailed(town, units)
    _rejects(town, units)
    return units.households


def _rule_cases(town: Town, units: _Units) -> None:
    for case, kind, born, issued, nat, stay, ends, _, why in RULE_CASES:
        p = town.person(0, nationality=nat, born=date.fromisoformat(born))
        p.res_status, p.res_exp = stay, date.fromisoformat(ends) if ends else None
        p.card_issued = date.fromisoformat(issued)
        p.card_stay = p.res_exp if stay not in PERMANENT else None  # the stay the card was issued under
        units.add(p, f"rule case {case} ({kind}): {why}", rid=f"RC-{case}",
                  cert_issued=p.card_issued if kind == "cert" else None)


def _due(town: Town, units: _Units, residents: int) -> None:
    n, foreign = max(6, residents // 50), list(FOREIGN)
    for i in range(n):
        p = town.due("card_renewal", minor=i % 7 == 3, nationality=foreign[i % 8] if i % 10 == 9 else "")
        note = "due: card_renewal" + (" (5-year card of a minor)" if i % 7 == 3 else "")
        if i % 5 == 1:
            p.card_exp, note = _expiry(town, p), note + ", recorded expiry equal to the computed one"
        if i % 4 == 2:
            p.app_id, note = town.application_id(), note + ", supplied 23-digit application ID"
        units.add(p, note)
        p = town.due("cert_renewal", nationality=foreign[i % 8] if i % 10 == 4 else "")
        if i % 5 == 2:
            p.cert_exp = _expiry(town, p)
        units.add(p, "due: cert_renewal" + (", recorded expiry equal to the computed one" if p.cert_exp else ""))
    for i in range(max(3, residents // 300)):
        units.add(town.due("residence_extension", nationality=foreign[i % 8]), "due: period of stay ends in the window")


def _stays_and_names(town: Town, units: _Units) -> None:
    hi = window(town.as_of)[1]
    p = town.due("card_renewal", nationality="KR")
    units.add(p, "特別永住者 with a stay date before the birthday rule: birthday rule", "mail:card_renewal",
              res_status="特別永住者", res_exp=_expiry(town, p) - 100 * DAY)
    p = town.due("card_renewal", nationality="US")
    units.add(p, "高度専門職2号 with a stay date before the birthday rule: birthday rule", "mail:card_renewal",
              res_status="高度専門職2号", res_exp=_expiry(town, p) - 30 * DAY)
    p = town.due("card_renewal", nationality="CN")
    units.add(p, "永住者: birthday rule", "mail:card_renewal", res_status="永住者", res_exp=None)
    p = town.due("card_renewal", nationality="VN")
    units.add(p, "留学, stay ends after the birthday rule: card_renewal", "mail:card_renewal",
              res_status="留学", res_exp=_expiry(town, p) + 200 * DAY, card_stay=_expiry(town, p) + 200 * DAY)
    units.add(town.due("residence_extension", target=hi + DAY, expect="not_mailed:not_due"),
              "period of stay ends the day after the window")
    for s in VARIANT_SURNAMES:
        units.add(town.due("card_renewal", surname=s), f"due: card_renewal, variant kanji in the name ({s[0]})")


def _window_edges(town: Town, units: _Units) -> None:
    lo, hi = window(town.as_of)
    for kind, end, expect in (("card_renewal", lo, ""), ("card_renewal", hi, ""), ("cert_renewal", lo, ""),
                              ("cert_renewal", hi, ""), ("residence_extension", lo, ""),
                              ("card_renewal", lo - DAY, "not_mailed:not_due"),
                              ("card_renewal", hi + DAY, "not_mailed:not_due"),
                              ("cert_renewal", lo - DAY, "not_mailed:not_due")):
        units.add(town.due(kind, target=end, expect=expect), f"window edge: {kind} date {end}")
    feb = lo.year if lo <= date(lo.year, 2, 28) else lo.year + 1
    for kind in ("card_renewal", "cert_renewal"):
        end = birthday(date(2000, 2, 29), feb)
        units.add(town.due(kind, target=end, expect="*", leap=True),
                  f"born 29 Feb: {kind.split('_')[0]} expires {end}")


def _recorded_dates(town: Town, units: _Units) -> None:
    rng = town.rng
    lo, hi = window(town.as_of)
    p = town.due("card_renewal")
    units.add(p, "card and certificate both expire in the window: card notice", "mail:card_renewal",
              cert_issued=birthday(p.born, _expiry(town, p).year - 4) - 20 * DAY, cert_exp=None)
    units.add(town.due("card_renewal"), "card and recorded certificate date both in the window: card notice",
              "mail:card_renewal", cert_exp=lo + rng.randint(0, (hi - lo).days) * DAY)
    p = town.due("card_renewal")
    units.add(p, "recorded card expiry in the window, computed one 2 years later: recorded wins",
              "mail:card_renewal", card_exp=_expiry(town, p), card_issued=p.card_issued + 730 * DAY,
              cert_issued=None)
    p = town.due("card_renewal")
    units.add(p, "computed card expiry in the window, recorded one 5 years later: recorded wins",
              "not_mailed:not_due", card_exp=_expiry(town, p) + relativedelta(years=5), cert_issued=None)
    p = town.due("cert_renewal")
    renewed = birthday(p.born, _expiry(town, p).year - 5) - rng.randint(1, 85) * DAY
    units.add(p, "certificate renewed early (6th birthday), recorded expiry in the window: recorded wins",
              "mail:cert_renewal", cert_exp=_expiry(town, p), cert_issued=renewed,
              card_issued=renewed - rng.randint(0, 900) * DAY)
    p = town.due("cert_renewal")
    units.add(p, "computed certificate expiry in the window, recorded one a year later: recorded wins",
              "not_mailed:not_due", cert_exp=_expiry(town, p) + relativedelta(years=1))


def _undecided(town: Town, units: _Units) -> None:
    """Expiries the register leaves open (issue 12), held; and the same residents decided by a recorded column."""
    rng, (lo, hi) = town.rng, window(town.as_of)
    open_ = "review:expiry_unknown"
    # 18 or 19 on an issue date just after 2022-04-01, no application date: a 5-year card in the window, or a
    # 10-year one. Only a window from 2026 to mid-2027 holds such 5-year expiries.
    for _ in range(200):
        end = lo + rng.randint(0, (hi - lo).days) * DAY
        issued = date(2022, 4, 1) + rng.randint(0, 90) * DAY
        born = ymd(issued.year - rng.choice((18, 19)) - ((end.month, end.day) > (issued.month, issued.day)),
                    end.month, end.day)  # fmt: skip
        p = town.person(0, born=born)
        p.card_issued = p.cert_issued = issued
        if outcome(p, town.as_of) == open_:
            units.add(p, "card issued just after 2022-04-01 at 18 or 19, no application date: 5 or 10 years", open_)
            for note, intent, changes in (
                ("applied for before 2022-04-01: a 5-year card", "mail:card_renewal", {"card_applied": date(2022, 3, 20)}),
                ("applied for on or after 2022-04-01: a 10-year card, its certificate still ends then",
                 "mail:cert_renewal", {"card_applied": date(2022, 4, 1)}),
                ("its 5-year expiry recorded", "mail:card_renewal", {"card_exp": nth_birthday_after(born, issued, 5)}),
            ):  # fmt: skip
                units.add(replace(p, rid=town.unique(11), my_number=town.my_number(), **changes),
                          f"the same card, {note}", intent)
            break
    # A foreign resident's stay, extended after the card was issued.
    for recorded, intent, note in ((None, open_, "the stay at issue not recorded: any day up to the new stay's end"),
                                   ("card_stay", "mail:residence_extension", "the stay at issue recorded"),
                                   ("card_exp", "mail:residence_extension", "the card's expiry recorded")):
        p = town.due("residence_extension")
        end = p.res_exp
        p.card_stay, p.res_exp = None, end + rng.randint(300, 1100) * DAY  # type: ignore[operator]
        if recorded:
            setattr(p, recorded, end)
        units.add(p, f"period of stay extended after the card was issued, {note}", intent)
    p = town.due("residence_extension")
    units.add(p, "today's stay ends in the window, the one at issue not recorded: maybe earlier", open_, card_stay=None)
    # A certificate issued in the last 3 months of the card's first one: a renewal to the 6th birthday, maybe.
    for recorded, intent, note in ((None, open_, "not recorded: the 5th or the 6th birthday"),
                                   (0, "mail:cert_renewal", "recorded to its 5th birthday"),
                                   (1, "not_mailed:not_due", "recorded to its 6th birthday (renewed)")):
        end = lo + rng.randint(0, (hi - lo).days) * DAY
        born = ymd(end.year - rng.randint(30, 70), end.month, end.day)
        p = town.person(0, born=born)
        first_expiry = birthday(born, end.year - 4)  # the card's first certificate ended here; renewed before
        p.card_issued = birthday(born, end.year - 8) - rng.randint(1, 300) * DAY  # its 5th birthday after: the same
        p.cert_issued = first_expiry - rng.randint(1, 85) * DAY
        if recorded is not None:
            p.cert_exp = birthday(born, end.year + recorded)
        units.add(p, f"certificate renewed in its last 3 months, {note}", intent)


def _support_measure(town: Town, units: _Units) -> None:
    """Households with a resident under a support measure: everyone due in them goes to review."""
    rng = town.rng
    sm, nd = "review:support_measure", "not_mailed:not_due"
    for members, postal in (
        ([(town.due("card_renewal"), True, sm), (town.due("cert_renewal"), False, sm),
          (town.due("card_renewal", minor=True), False, sm), (town.not_due(50), False, nd)], None),
        ([(town.not_due(40), True, nd), (town.due("card_renewal"), False, sm),
          (town.due("cert_renewal"), False, sm)], "999-002"),
        ([(town.due("card_renewal"), True, "not_mailed:moved_out"), (town.due("cert_renewal"), False, sm),
          (town.due("card_renewal"), False, sm)], None),
        ([(town.due("cert_renewal"), True, sm)], None),
    ):
        hh, (code, address, extra), surname = town.household(), town.home(), rng.choice(SURNAMES)
        for p, flagged, intent in members:
            given, reading = p.name.split("　")[1], p.kana.split("　")[1]
            p.hh, p.postal, p.address, p.extra = hh, postal or code, address, extra
            p.support, p.intent = flagged, intent
            p.name, p.kana = f"{surname[0]}　{given}", f"{surname[1]}　{reading}"
            p.status = "moved_out" if intent == "not_mailed:moved_out" else "resident"
            p.note = ("support measure on this resident" if flagged else "household of a support-measure resident"
                      ) + {sm: ", due", nd: ", not due", "not_mailed:moved_out": ", moved out"}[intent] + (
                          "" if postal is None else ", and a 6-digit postal code")
        units.households.append([p for p, _, _ in members])


def _reviews(town: Town, units: _Units) -> None:
    rng = town.rng
    for kind, postal, what in (("card_renewal", "999-001", "6-digit postal code"),
                               ("cert_renewal", "99900123", "8-digit postal code"),
                               ("card_renewal", "", "empty postal code"), ("cert_renewal", None, "empty address")):
        p = units.add(town.due(kind), f"review: {what}", "review:address")
        if postal is None:
            p.address = p.extra = ""
        else:
            p.postal = postal
    for kind, gaiji in (("card_renewal", "\ue03a"), ("cert_renewal", "\ue1b2")):
        p = town.due(kind)
        units.add(p, "review: 外字 (private-use character) in the name", "review:glyph", name=gaiji + p.name[1:])
    units.add(town.due("card_renewal"), "review: 外字 in the address", "review:glyph", postal="9991102", extra="",
              address=f"架空県若葉町字南\ue0c5{rng.randint(1, 900)}番地")
    for bad, what in ((lambda a: a[:-1], "22 digits"), (lambda a: a + "0", "24 digits"),
                      (lambda a: a[:20] + "ABC", "letters")):
        units.add(town.due("card_renewal"), f"review: supplied application ID of {what}", "review:application_id",
                  app_id=bad(town.application_id()))
    p = town.due("card_renewal")
    units.add(p, "review: empty postal code and 外字 in the name: address first", "review:address",
              postal="", name="\ue04d" + p.name[1:])
    p = town.due("card_renewal")
    units.add(p, "review: 外字 in the name and a 22-digit application ID: glyph first", "review:glyph",
              name="\ue05e" + p.name[1:], app_id=town.application_id()[:-1])


def _not_mailed(town: Town, units: _Units) -> None:
    for status, kinds in (("moved_out", "card cert card"), ("deceased", "card cert card"),
                          ("removed", "card cert"), ("abroad", "card cert card")):
        for k in kinds.split():
            units.add(town.due(f"{k}_renewal"), f"{status}, otherwise due ({k})", f"not_mailed:{status}",
                      status=status)
    for state in INACTIVE:
        units.add(town.due("card_renewal"), f"card {state}, otherwise due", "not_mailed:card_inactive",
                  card_state=state)
    units.add(town.not_due(40), "card suspended, not due either", "not_mailed:card_inactive", card_state="suspended")
    for age in (34, 3):
        units.add(town.person(age), "no card", "not_mailed:no_card")


def _rejects(town: Town, units: _Units) -> None:
    for kind in ("card_renewal", "cert_renewal"):
        units.add(town.due(kind), "resident ID missing", "reject:missing_resident_id", rid="")
    first, other, twin = town.due("card_renewal"), town.not_due(45), town.due("cert_renewal")
    triple = [town.not_due(30 + i) for i in range(3)]
    other.rid = first.rid
    triple[1].rid = triple[2].rid = triple[0].rid
    for p, note in ((first, "due"), (other, "another resident, not due"), (twin, "due"),
                    (replace(twin), "the same row twice"), *((p, "one of three") for p in triple)):
        units.add(p, f"duplicated resident ID: {note}", "reject:duplicate_resident_id")
    for status in ("転居", "unknown", "pending"):
        units.add(town.due("card_renewal"), f"unknown status {status!r}", "reject:unknown_status", status=status)
    for column, kind in (("birth_date", "card_renewal"), ("card_issued_on", "card_renewal"),
                         ("card_expires_on", "card_renewal"), ("cert_issued_on", "cert_renewal"),
                         ("residence_expires_on", "residence_extension")):
        units.add(town.due(kind), f"unreadable {column}", "reject:bad_date", reject="bad_date",
                  raw={column: BAD_DATES[column]})
    units.add(town.due("card_renewal"), "name empty", "reject:missing_value", reject="missing_value", name="")
    units.add(town.due("cert_renewal"), "birth date empty", "reject:missing_value", reject="missing_value",
              raw={"birth_date": ""})
    units.add(town.not_due(70), "name empty, not due either", "reject:missing_value", reject="missing_value",
              name="")
    units.add(town.due("card_renewal"), "row cut short after the address (8 fields)", "reject:malformed_row",
              reject="malformed_row", width=8)
    units.add(town.not_due(60), "row with one field too many", "reject:malformed_row", reject="malformed_row",
              raw={"overflow": "余分な列"})
