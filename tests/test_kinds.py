"""The kinds of notice: each described once, in the registry of kinds.py, and everything else asks it."""

from __future__ import annotations

import csv
import json
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from conftest import make_piece, make_resident
from notices import kinds, pipeline
from notices.rules import engine
from notices.config import load_config
from notices.kinds import FORM_INSERTS, Kind, KindSpec, colour, has_form, label
from notices.letters.render import sheet_plan

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 26)  # the window: 2027-01-26 to 2027-02-26


def test_every_kind_has_its_spec_and_template() -> None:
    assert [k.value for k in kinds.every()] == ["card_renewal", "residence_extension", "cert_renewal", "grace_reminder"]
    for kind in kinds.every():
        assert (ROOT / "templates" / kind.spec.template).is_file(), kind.spec.template
    assert len({kind.spec.colour for kind in kinds.every()}) == len(kinds.every())  # told apart in the report's chart
    assert {rule.kind for rule in engine.RULES} == set(kinds.every())  # each has its rule


def test_a_kind_is_one_object_for_its_code() -> None:
    assert Kind("cert_renewal") is Kind.CERT_RENEWAL and Kind.CERT_RENEWAL == "cert_renewal"
    assert pickle.loads(pickle.dumps(Kind.GRACE_REMINDER)) is Kind.GRACE_REMINDER  # as a worker process gets it
    assert json.dumps({"kind": Kind.CARD_RENEWAL}) == '{"kind": "card_renewal"}'
    with pytest.raises(ValueError, match="'card' is not a kind of notice"):
        Kind("card")
    with pytest.raises(ValueError, match="registered already"):
        kinds.register("card_renewal", Kind.CARD_RENEWAL.spec)


@pytest.mark.parametrize(("kind", "lapsing", "form"), [
    (Kind.CARD_RENEWAL, "", True), (Kind.CERT_RENEWAL, "", False), (Kind.RESIDENCE_EXTENSION, "", False),
    (Kind.GRACE_REMINDER, "card", True), (Kind.GRACE_REMINDER, "cert", False),
])  # fmt: skip
def test_a_new_card_needs_an_application_form(kind: Kind, lapsing: str, form: bool) -> None:
    assert has_form(kind, lapsing) is form
    piece = make_piece(kind)
    piece = replace(piece, due=replace(piece.due, lapsing=lapsing))
    assert piece.due.has_form is form


@pytest.mark.parametrize(("kind", "lapsing", "foreign", "plan"), [
    (Kind.CARD_RENEWAL, "", False, (3, 0, 4)), (Kind.CARD_RENEWAL, "", True, (4, 4, 4)),
    (Kind.CERT_RENEWAL, "", False, (2, 0, 2)), (Kind.CERT_RENEWAL, "", True, (3, 3, 4)),
    (Kind.RESIDENCE_EXTENSION, "", True, (2, 0, 2)),  # in Japanese and the resident's language already
    (Kind.GRACE_REMINDER, "cert", False, (1, 0, 2)), (Kind.GRACE_REMINDER, "card", False, (2, 0, 2)),
    # A foreign resident's grace reminder gets the insert too (its texts by what lapsed): after the form.
    (Kind.GRACE_REMINDER, "cert", True, (2, 2, 2)), (Kind.GRACE_REMINDER, "card", True, (3, 3, 4)),
])  # fmt: skip
def test_sheets_come_from_the_kinds_spec(kind: Kind, lapsing: str, foreign: bool, plan: tuple[int, int, int]) -> None:
    resident = make_resident(nationality="VN", language="vi") if foreign else make_resident()
    piece = make_piece(kind, resident)
    if lapsing:
        piece = replace(piece, due=replace(piece.due, lapsing=lapsing))
    assert sheet_plan(piece) == plan


def test_the_report_names_and_colours_every_kind() -> None:
    assert label("card_renewal") == "カードの更新" and label("unknown") == "unknown"
    assert colour("grace_reminder") == Kind.GRACE_REMINDER.spec.colour and colour("unknown") == "#777"
    assert FORM_INSERTS == ("return_envelope",)


# A kind of the test's own: a card renewal addressed to a minor's guardians, with one cover sheet and
# the application form. Adding it takes its registration, its template and its rule, nothing else.
GUARDIAN_TEMPLATE = """{% import "_macros.html" as m %}
<div class="sheet cover" id="sheet-{{ seq }}-1">
  {{ codes[1] }}
  {{ m.envelope_head(r, cfg, letter_date, addr, seq, S) }}
  <h1 class="title">保護者の方へ：お子さまのカードの更新</h1>
  <p class="lead">お子さまのマイナンバーカードは、{{ S.date(due.expires_on, "wdate", "em date") }}に有効期限を迎えます。</p>
  {{ m.contact(cfg) }}
</div>
{%- set form_sheet = 2 %}
{% include "application_form.html" %}
"""


def _guardians(f: engine.Facts) -> engine.Found:
    minor = f.holders.birth_date >= np.datetime64("2010-01-01")
    return engine.Found(engine.in_window(f.expiries.card, f.run_date) & minor, f.expiries.card)


@pytest.fixture
def guardian_kind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Kind, Path]]:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "guardian_renewal.html").write_text(GUARDIAN_TEMPLATE, encoding="utf-8")
    kind = kinds.register("guardian_renewal", KindSpec("guardian_renewal.html", 1, "always", "insert.card.", True,
                                                       "保護者あての更新", "#7a4fb0"))  # fmt: skip
    monkeypatch.setattr(engine, "RULES", (engine.Rule(kind, _guardians), *engine.RULES))
    yield kind, templates
    kinds.unregister(kind)


def test_a_kind_added_with_its_registration_template_and_rule(guardian_kind: tuple[Kind, Path], tmp_path: Path) -> None:
    kind, templates = guardian_kind
    header = "resident_id,household_id,name,birth_date,postal_code,address,status,card_issued_on,card_expires_on\n"
    rows = ["10000000001,H1,若葉 太郎,1980-02-01,9990001,架空県若葉町中央1-1,resident,2017-02-10,2027-02-10",
            "10000000002,H2,若葉 次郎,2012-05-01,9990002,架空県若葉町中央2-2,resident,2022-02-10,2027-02-10",
            "10000000003,H3,若葉 三郎,2013-05-01,9990003,架空県若葉町中央3-3,resident,2022-02-10,2027-06-10"]
    register = tmp_path / "register.csv"
    register.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    config = load_config(ROOT / "config" / "municipality.toml")

    result = pipeline.run(register, AS_OF, config, tmp_path / "out", tmp_path / "ledger.sqlite3", templates)

    manifest = list(csv.DictReader((result.folder / "manifest.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [(row["resident_id"], row["kind"]) for row in manifest] == [
        ("10000000001", "card_renewal"), ("10000000002", "guardian_renewal")]  # the third is not due yet
    guardian = manifest[1]
    assert guardian["application_id"] and guardian["expires_on"] == "2027-02-10"
    summary = json.loads((result.folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["mailed_by_kind"] == {"card_renewal": 1, "residence_extension": 0, "cert_renewal": 0,
                                         "grace_reminder": 0, "guardian_renewal": 1}  # fmt: skip
    assert "保護者あての更新" in (result.folder / "report.html").read_text(encoding="utf-8")
    pdf = pdfium.PdfDocument(next(result.folder.glob("*.pdf")))
    texts = [page.get_textpage().get_text_range() for page in pdf]
    guardian_pages = [n for n, text in enumerate(texts) if "保護者の方へ" in text]
    assert len(guardian_pages) == 1 and "若葉 次郎" in texts[guardian_pages[0]]
    # Its sheet plan from its spec: the cover, then the application form with the resident's ID on it.
    assert guardian["application_id"] in texts[guardian_pages[0] + 1].replace(" ", "")
    assert len(texts) == 4 + 2  # the card renewal's four pages, the guardians' cover and form
