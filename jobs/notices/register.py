"""Reading the register CSV (domain.md 5.1): encoding, headers, cells, and the reasons a row is unusable."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jaconv

from .appid import normalise as normalise_app_id
from .csvfile import Record, read_records
from .errors import RegisterError
from .models import CardState, QualityNote, Reject, Resident, Status
from .privacy import quote
from .wareki import parse_date

log = logging.getLogger("notices")

ALIASES: dict[str, tuple[str, ...]] = {
    "resident_id": ("住民票コード", "住民コード", "住民id", "住民番号", "宛名番号", "宛名コード", "個人コード"),
    "household_id": ("世帯番号", "世帯コード", "世帯id"),
    "name": ("氏名", "名前", "氏名(漢字)", "漢字氏名"),
    "name_kana": ("フリガナ", "ふりがな", "氏名カナ", "カナ氏名", "氏名フリガナ", "氏名(カナ)", "よみ"),
    "birth_date": ("生年月日",),
    "sex": ("性別",),
    "postal_code": ("郵便番号",),
    "address": ("住所",),
    "address_extra": ("方書", "方書き"),
    "status": ("住民状態", "状態", "住民区分", "異動区分"),
    "nationality": ("国籍",),
    "residence_status": ("在留資格",),
    "residence_expires_on": ("在留期間満了日", "在留期間の満了日", "在留期限"),
    "card_issued_on": ("カード発行日", "カード交付日", "マイナンバーカード発行日", "発行日"),
    "card_expires_on": ("カード有効期限", "マイナンバーカード有効期限", "有効期限"),
    "card_state": ("カード状態", "カード状況"),
    "cert_issued_on": ("電子証明書発行日", "利用者証明用電子証明書発行日"),
    "cert_expires_on": ("電子証明書有効期限", "利用者証明用電子証明書有効期限"),
    "support_measure": ("支援措置", "支援措置対象", "支援措置有無", "dv等支援措置", "dv支援措置", "dv等支援措置対象"),
    "application_id": ("申請書id", "交付申請書id"),
    "language": ("言語", "使用言語"),
    "my_number": ("個人番号", "マイナンバー"),
}
REQUIRED = ("resident_id", "name", "birth_date", "postal_code", "address", "status")
DATE_COLUMNS = ("birth_date", "residence_expires_on", "card_issued_on", "card_expires_on", "cert_issued_on", "cert_expires_on")

STATUSES = {
    "resident": Status.RESIDENT, "住民": Status.RESIDENT, "住登者": Status.RESIDENT,
    "moved_out": Status.MOVED_OUT, "転出": Status.MOVED_OUT,
    "deceased": Status.DECEASED, "死亡": Status.DECEASED,
    "removed": Status.REMOVED, "消除": Status.REMOVED, "職権消除": Status.REMOVED,
    "abroad": Status.ABROAD, "国外転出": Status.ABROAD,
}  # fmt: skip
CARD_STATES = {
    "": CardState.ACTIVE, "active": CardState.ACTIVE, "有効": CardState.ACTIVE,
    "suspended": CardState.SUSPENDED, "一時停止": CardState.SUSPENDED, "停止": CardState.SUSPENDED,
    "revoked": CardState.REVOKED, "廃止": CardState.REVOKED, "失効": CardState.REVOKED,
    "returned": CardState.RETURNED, "返納": CardState.RETURNED,
}  # fmt: skip
FLAG_TRUE = {"1", "true", "yes", "y", "有", "有り", "あり", "○", "◯", "対象"}
FLAG_FALSE = {"", "0", "false", "no", "n", "無", "無し", "なし", "×", "対象外"}
SEXES = {"1": "男", "男": "男", "m": "男", "male": "男", "2": "女", "女": "女", "f": "女", "female": "女"}
# Dates outside these are typing errors; they would also break the date arithmetic of the rules.
EARLIEST, LATEST = date(1868, 1, 25), date(2199, 12, 31)
JAPANESE_NATIONALITY = {"", "jp", "jpn", "japan", "日本", "日本国"}


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", header).lower())


_CANONICAL = {_key(alias): col for col, aliases in ALIASES.items() for alias in (col, *aliases)}


@dataclass(frozen=True)
class RegisterRead:
    """What reading a register gave: usable residents, rejected rows, and the households to protect."""

    path: str
    encoding: str
    sha256: str
    rows_read: int
    residents: tuple[Resident, ...]
    rejects: tuple[Reject, ...]
    protected_households: frozenset[str]
    quality: tuple[QualityNote, ...]


class _RowError(Exception):
    def __init__(self, reason: str, column: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.column, self.detail = reason, column, detail


def _columns(header: list[str], source: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        canonical = _CANONICAL.get(_key(name))
        if canonical is None:
            if any(word in _key(name) for word in ("支援", "dv")):
                # A protection flag we cannot read would protect nobody: stop rather than guess.
                raise RegisterError(f"{source}: line 1, column {index + 1}: {quote(name)} looks like a support-measure "
                                    "flag but is not a known column name: name it support_measure")  # fmt: skip
            log.warning("%s: line 1, column %d: column %s is not used", source, index + 1, quote(name))
            continue
        if canonical in columns:
            raise RegisterError(
                f"{source}: line 1: column {canonical!r} appears twice (columns {columns[canonical] + 1} and {index + 1})"
            )
        columns[canonical] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RegisterError(f"{source}: line 1: required column {missing[0]!r} is missing")
    if "card_issued_on" not in columns and "card_expires_on" not in columns:
        raise RegisterError(f"{source}: line 1: required column 'card_issued_on' is missing")
    return columns


def read_register(path: Path, encoding: str | None = None) -> RegisterRead:
    """Read a register file; raise RegisterError only when the file cannot be read at all."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegisterError(f"{source}: cannot read the register: {exc.strerror}") from None
    used, header, records = read_records(data, source, encoding)
    columns = _columns(header, source)
    parsed: list[tuple[int, Resident | Reject]] = []
    flags: list[tuple[str, bool]] = []  # (household_id, flagged) of every row, rejected or not
    quality: list[QualityNote] = []
    for record in records:
        if not any(c.strip() for c in record.cells) and not record.problem:
            continue  # a blank line holds no one
        parsed.append((record.line, _parse_row(record, columns, len(header), flags, quality)))
    return _finish(source, used, hashlib.sha256(data).hexdigest(), parsed, flags, quality)


def _finish(
    source: str, encoding: str, sha256: str, parsed: list[tuple[int, Resident | Reject]],
    flags: list[tuple[str, bool]], quality: list[QualityNote],
) -> RegisterRead:  # fmt: skip
    ids = Counter(item.resident_id for _, item in parsed if item.resident_id)
    residents: list[Resident] = []
    rejects: list[Reject] = []
    for line, item in parsed:
        if isinstance(item, Reject):
            rejects.append(item)
        elif ids[item.resident_id] > 1:
            # Every row of a duplicated ID is rejected: nobody can tell which is right (domain.md 2.6).
            rejects.append(Reject(line, item.resident_id, "duplicate_resident_id", "resident_id",
                                  f"resident_id appears on {ids[item.resident_id]} rows"))  # fmt: skip
        else:
            residents.append(item)
    protected = frozenset(household for household, flagged in flags if flagged and household)
    return RegisterRead(source, encoding, sha256, len(parsed), tuple(residents), tuple(rejects), protected, tuple(quality))


def _flag(value: str) -> bool | None:
    v = unicodedata.normalize("NFKC", value).strip().lower()
    return True if v in FLAG_TRUE else False if v in FLAG_FALSE else None


def _parse_row(
    record: Record, columns: dict[str, int], width: int, flags: list[tuple[str, bool]], quality: list[QualityNote],
) -> Resident | Reject:  # fmt: skip
    cells, line = record.cells, record.line

    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    resident_id = unicodedata.normalize("NFKC", cell("resident_id"))
    household_id = unicodedata.normalize("NFKC", cell("household_id"))
    flag = _flag(cell("support_measure"))
    sound = not record.problem and len(cells) == width
    # Read the protection flag first, from every row: a rejected row still protects its household,
    # and a row whose cells cannot be trusted protects it whatever its flag cell says.
    flags.append((household_id, flag is not False or not sound))
    if record.problem:
        return Reject(line, resident_id, "malformed_row", "", record.problem)
    if not sound:
        return Reject(line, resident_id, "malformed_row", "", f"expected {width} fields, found {len(cells)}")
    try:
        return _resident(cell, line, resident_id, household_id, flag, quality)
    except _RowError as exc:
        return Reject(line, resident_id, exc.reason, exc.column, exc.detail)


def _date(cell_value: str, column: str, needed: bool) -> date | None:
    if not cell_value:
        return None
    try:
        day = parse_date(cell_value)
        if not EARLIEST <= day <= LATEST:
            raise ValueError("out of range")
        return day
    except ValueError:
        if needed:
            raise _RowError("bad_date", column, f"{column}: cannot read {quote(cell_value)} as a date") from None
        return None


def _resident(cell: Callable[[str], str], line: int, resident_id: str, household_id: str, flag: bool | None,
              quality: list[QualityNote]) -> Resident:  # fmt: skip
    if not resident_id:
        raise _RowError("missing_resident_id", "resident_id", "resident_id is empty")
    status = STATUSES.get(cell("status").lower())
    if status is None:
        raise _RowError("unknown_status", "status", f"status: unknown value {quote(cell('status'))}")
    has_card = bool(cell("card_issued_on") or cell("card_expires_on"))
    card_state = CARD_STATES.get(cell("card_state").lower()) if has_card else None
    if status is Status.RESIDENT and has_card and card_state is None:
        raise _RowError("unknown_card_state", "card_state", f"card_state: unknown value {quote(cell('card_state'))}")
    # Dates matter only for a resident with an active card; others are not mailed whatever their dates say.
    needed = status is Status.RESIDENT and card_state is CardState.ACTIVE
    if needed:
        for column in ("name", "birth_date"):
            if not cell(column):
                raise _RowError("missing_value", column, f"{column} is empty")
    dates = {column: _date(cell(column), column, needed) for column in DATE_COLUMNS}
    if needed and dates["card_issued_on"] is None and dates["card_expires_on"] is None:
        raise _RowError("missing_value", "card_issued_on", "card_issued_on is empty")
    sex = SEXES.get(unicodedata.normalize("NFKC", cell("sex")).lower(), "")
    if cell("sex") and not sex:
        quality.append(QualityNote(line, resident_id, "sex", f"sex: unknown value {quote(cell('sex'))}, left blank"))
    nationality = unicodedata.normalize("NFKC", cell("nationality"))
    return Resident(
        line=line,
        resident_id=resident_id,
        household_id=household_id,
        name=cell("name"),
        name_kana=jaconv.h2z(cell("name_kana"), kana=True, ascii=False, digit=False),
        birth_date=dates["birth_date"],
        sex=sex,
        postal_code=re.sub(r"[〒\-‐－ー\s]", "", unicodedata.normalize("NFKC", cell("postal_code"))),
        address=cell("address"),
        address_extra=cell("address_extra"),
        status=status,
        nationality="" if nationality.lower() in JAPANESE_NATIONALITY else nationality.upper(),
        residence_status=unicodedata.normalize("NFKC", cell("residence_status")).replace(" ", ""),
        residence_expires_on=dates["residence_expires_on"],
        card_issued_on=dates["card_issued_on"],
        card_expires_on=dates["card_expires_on"],
        card_state=card_state if has_card else None,
        cert_issued_on=dates["cert_issued_on"],
        cert_expires_on=dates["cert_expires_on"],
        support_measure=flag is not False,
        support_measure_unclear=flag is None,
        application_id=normalise_app_id(cell("application_id")),
        language=cell("language").lower(),
    )
