"""The kinds of notice: each described once, in kinds.SPECS, and everything else asks it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import make_piece, make_resident
from notices.kinds import FORM_INSERTS, SPECS, Kind, colour, has_form, label
from notices.render import sheet_plan

ROOT = Path(__file__).resolve().parents[1]


def test_every_kind_has_its_spec_and_template() -> None:
    assert set(SPECS) == set(Kind)
    for spec in SPECS.values():
        assert (ROOT / "templates" / spec.template).is_file(), spec.template
    assert len({spec.colour for spec in SPECS.values()}) == len(SPECS)  # told apart in the report's chart


@pytest.mark.parametrize(("kind", "lapsing", "form"), [
    (Kind.CARD_RENEWAL, "", True), (Kind.CERT_RENEWAL, "", False), (Kind.RESIDENCE_EXTENSION, "", False),
    (Kind.GRACE_REMINDER, "card", True), (Kind.GRACE_REMINDER, "cert", False),
])  # fmt: skip
def test_a_new_card_needs_an_application_form(kind: Kind, lapsing: str, form: bool) -> None:
    assert has_form(kind, lapsing) is form
    piece = make_piece(kind)
    piece = replace(piece, due=replace(piece.due, lapsing=lapsing))
    assert piece.due.has_form is form


@pytest.mark.parametrize(("kind", "foreign", "plan"), [
    (Kind.CARD_RENEWAL, False, (3, 0, 4)), (Kind.CARD_RENEWAL, True, (4, 4, 4)),
    (Kind.CERT_RENEWAL, False, (2, 0, 2)), (Kind.CERT_RENEWAL, True, (3, 3, 4)),
    (Kind.RESIDENCE_EXTENSION, True, (2, 0, 2)),  # in Japanese and the resident's language already
    (Kind.GRACE_REMINDER, False, (1, 0, 2)),
])  # fmt: skip
def test_sheets_come_from_the_kinds_spec(kind: Kind, foreign: bool, plan: tuple[int, int, int]) -> None:
    resident = make_resident(nationality="VN", language="vi") if foreign else make_resident()
    assert sheet_plan(make_piece(kind, resident)) == plan


def test_the_report_names_and_colours_every_kind() -> None:
    assert label("card_renewal") == "カードの更新" and label("unknown") == "unknown"
    assert colour("grace_reminder") == SPECS[Kind.GRACE_REMINDER].colour and colour("unknown") == "#777"
    assert FORM_INSERTS == ("return_envelope",)
