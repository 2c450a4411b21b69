"""Shared test helpers: the package and the project's tools on sys.path, and hand-built register rows and pieces."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "jobs") not in sys.path:
    sys.path.insert(0, str(ROOT / "jobs"))
if str(ROOT) not in sys.path:  # `import tools` (the benchmark, the synthetic town): not part of the package
    sys.path.append(str(ROOT))

import pytest  # noqa: E402

from notices.config import Config, load_config  # noqa: E402
from notices.models import CardState, Due, Kind, Piece, Resident, Status  # noqa: E402
from notices.letters.render import Renderer  # noqa: E402


@pytest.fixture(scope="module")
def config() -> Config:
    """The sample town's configuration."""
    return load_config(ROOT / "config" / "municipality.toml")


@pytest.fixture(scope="module")
def renderer(config: Config) -> Renderer:
    """A renderer of the project's templates for the sample town."""
    return Renderer(config, ROOT / "templates")


def make_resident(**overrides: Any) -> Resident:
    """A usable resident with a card; any field can be overridden by keyword."""
    fields: dict[str, Any] = {
        "line": 2,
        "resident_id": "R0000000001",
        "household_id": "H0001",
        "name": "山田 太郎",
        "name_kana": "ヤマダ タロウ",
        "birth_date": date(1985, 2, 10),
        "sex": "男",
        "postal_code": "9990012",
        "address": "架空県若葉町緑町二丁目3番4号",
        "address_extra": "若葉ハイツ101号室",
        "status": Status.RESIDENT,
        "nationality": "",
        "residence_status": "",
        "residence_expires_on": None,
        "card_issued_on": date(2017, 1, 20),
        "card_expires_on": date(2027, 2, 10),
        "card_state": CardState.ACTIVE,
        "cert_issued_on": date(2022, 1, 20),
        "cert_expires_on": date(2027, 2, 10),
        "support_measure": False,
        "support_measure_unclear": False,
        "application_id": "",
        "language": "",
        "card_applied_on": None,
        "card_residence_expires_on": None,
    }
    unknown = set(overrides) - set(fields)
    if unknown:
        raise TypeError(f"make_resident: unknown fields {sorted(unknown)}")
    fields.update(overrides)
    return Resident(**fields)


def make_piece(
    kind: Kind,
    resident: Resident | None = None,
    *,
    piece_id: str = "P000001",
    expires_on: date = date(2027, 2, 10),
    renewal_from: date = date(2026, 11, 11),
    grace_end: date = date(2027, 5, 31),
    application_id: str = "99999712345678901234567",
    url: str = "https://app.example.jp/apply?id={application_id}",
) -> Piece:
    """A mail piece of KIND for RESIDENT (a default one if omitted)."""
    resident = resident or make_resident()
    due = Due(
        resident=resident,
        kind=kind,
        expires_on=expires_on,
        renewal_from=renewal_from,
        grace_end=grace_end,
        card_expires_on=resident.card_expires_on,
        cert_expires_on=resident.cert_expires_on,
    )
    with_form = kind is Kind.CARD_RENEWAL
    return Piece(
        piece_id=piece_id,
        lot=1,
        due=due,
        application_id=application_id if with_form else "",
        qr_payload=url.replace("{application_id}", application_id) if with_form else "",
    )
