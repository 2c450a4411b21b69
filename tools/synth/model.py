"""The register's columns and the resident as the generator means them, before any cell is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

COLUMNS: tuple[str, ...] = (
    "resident_id", "household_id", "name", "name_kana", "birth_date", "sex",
    "postal_code", "address", "address_extra", "status", "nationality", "residence_status",
    "residence_expires_on", "card_issued_on", "card_expires_on", "card_state",
    "cert_issued_on", "cert_expires_on", "support_measure", "application_id", "language",
    "card_applied_on", "card_residence_expires_on", "my_number",
)
JAPANESE_HEADERS: dict[str, str] = dict(zip(COLUMNS, (
    "住民票コード", "世帯番号", "氏名", "フリガナ", "生年月日", "性別", "郵便番号", "住所", "方書",
    "住民状態", "国籍", "在留資格", "在留期間満了日", "カード発行日", "カード有効期限", "カード状態",
    "電子証明書発行日", "電子証明書有効期限", "支援措置", "申請書ID", "言語", "交付申請日",
    "カード記載在留期間満了日", "個人番号",
), strict=True))
DATE_COLUMNS = ("birth_date", "residence_expires_on", "card_issued_on", "card_expires_on",
                "cert_issued_on", "cert_expires_on", "card_applied_on", "card_residence_expires_on")
STATUS_JA = {"resident": "住民", "moved_out": "転出", "deceased": "死亡", "removed": "消除",
             "abroad": "国外転出"}


@dataclass
class Person:
    """A resident as the generator means them; rendered to cells at the end."""

    rid: str
    hh: str
    name: str
    kana: str
    born: date | None
    sex: str  # "1" or "2"
    postal: str
    address: str
    extra: str
    my_number: str
    status: str = "resident"
    nationality: str = ""
    res_status: str = ""
    res_exp: date | None = None
    card_issued: date | None = None
    card_exp: date | None = None  # recorded
    card_state: str = ""
    cert_issued: date | None = None
    cert_exp: date | None = None  # recorded
    card_applied: date | None = None  # recorded application date (申請日)
    card_stay: date | None = None  # recorded end of the period of stay the card was issued under
    support: bool = False
    app_id: str = ""
    language: str = ""
    raw: dict[str, str | tuple[str, str]] = field(default_factory=dict)  # cells as written (or
    # (canonical, legacy) pairs); keys outside COLUMNS become extra fields
    reject: str = ""  # bad_date, missing_value or malformed_row, built in
    width: int = len(COLUMNS)  # fewer: the row is written short (malformed)
    intent: str = ""  # the outcome the row was built for; generate() checks it
    note: str = ""
