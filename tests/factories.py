"""Test data builders: a resident with sensible defaults, any field overridden."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from notices.models import CardState, Resident, Status

BASE = Resident(
    line=2,
    resident_id="10000000001",
    household_id="H0001",
    name="山田 太郎",
    name_kana="ヤマダ タロウ",
    birth_date=date(1980, 4, 1),
    sex="男",
    postal_code="9990001",
    address="架空県若葉町中央一丁目2番3号",
    address_extra="",
    status=Status.RESIDENT,
    nationality="",
    residence_status="",
    residence_expires_on=None,
    card_issued_on=date(2017, 2, 1),
    card_expires_on=None,
    card_state=CardState.ACTIVE,
    cert_issued_on=None,
    cert_expires_on=None,
    support_measure=False,
    support_measure_unclear=False,
    application_id="",
    language="",
)


def resident(**overrides: object) -> Resident:
    """A resident of the fictitious town, with the given fields changed."""
    return replace(BASE, **overrides)  # type: ignore[arg-type]
