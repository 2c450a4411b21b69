"""One register cell and what it means (domain.md 5.1): the rules every reader of the register shares.

Each function takes a cell as read, spaces around it stripped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import jaconv
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..letters.appid import normalise as normalise_app_id
from ..config import RESIDENT_ID_PATTERN
from ..errors import ConfigError
from ..models import CardState, Status
from ..privacy import SEPARATOR_SYMBOLS, quote
from .wareki import parse_date

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
    "card_applied_on": ("カード申請日", "交付申請日", "マイナンバーカード申請日", "申請日"),
    "card_expires_on": ("カード有効期限", "マイナンバーカード有効期限", "有効期限"),
    "card_state": ("カード状態", "カード状況"),
    "cert_issued_on": ("電子証明書発行日", "利用者証明用電子証明書発行日"),
    "cert_expires_on": ("電子証明書有効期限", "利用者証明用電子証明書有効期限"),
    "card_residence_expires_on": ("カード記載在留期間満了日", "カード発行時在留期間満了日", "カード在留期間満了日"),
    "support_measure": ("支援措置", "支援措置対象", "支援措置有無", "dv等支援措置", "dv支援措置", "dv等支援措置対象"),
    "application_id": ("申請書id", "交付申請書id"),
    "language": ("言語", "使用言語"),
    "my_number": ("個人番号", "マイナンバー"),
}
REQUIRED = ("resident_id", "name", "birth_date", "postal_code", "address", "status")
DATE_COLUMNS = ("birth_date", "residence_expires_on", "card_issued_on", "card_expires_on", "cert_issued_on", "cert_expires_on",
                "card_applied_on", "card_residence_expires_on")  # fmt: skip

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
# str.strip()'s whitespace: every c with c.isspace() (tests/test_register_fast.py checks it), for utf8_trim.
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
# Dates outside these are typing errors; they would also break the date arithmetic of the rules.
EARLIEST, LATEST = date(1868, 1, 25), date(2199, 12, 31)
JAPANESE_NATIONALITY = {"", "jp", "jpn", "japan", "日本", "日本国"}
HOUSEHOLD_ID_PATTERN = RESIDENT_ID_PATTERN  # not configurable: the resident ID's pattern may be narrower
# Never an ID, whatever the pattern: a My Number as it is written (12 digits, spaces and one separator mark
# at most between two, as privacy.mask sees one), or a control or format character.
_NEVER_AN_ID = rf"^[0-9](?:\s*(?:[{SEPARATOR_SYMBOLS}]\s*)?[0-9]){{11}}$|[\p{{Cc}}\p{{Cf}}]"
_FEW = 10_000  # values asked of RE2 as they are; more are first sorted by cheaper kernels


class IdShape:
    """Which IDs have the register's shape: the pattern matched in full, and never anything like a My Number.

    Both reads ask whole batches of values, of pyarrow (RE2), so that they agree on every value; a
    pattern RE2 cannot compile (a lookaround, a backreference) is matched by Python's re, by both.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern, self.anchored = pattern, f"^(?:{pattern})$"
        self.python: re.Pattern[str] | None = None
        try:
            pc.match_substring_regex(pa.array([""], pa.string()), self.anchored)
        except pa.ArrowInvalid:
            try:
                self.python = re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"resident_id_pattern: {pattern!r} is not a regular expression ({exc})") from None

    def fits(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """For each value (a text array), whether it has the shape of an ID."""
        if len(values) < _FEW and self.python is None:  # the shortcuts' own calls would cost more
            return _regex_where(values, self.anchored) & ~_regex_where(values, _NEVER_AN_ID)  # type: ignore[no-any-return]
        return self._matched(values) & ~_never_an_id(values)  # type: ignore[no-any-return]

    def fitting(self, values: list[str]) -> list[bool]:
        """For each value, whether it has the shape of an ID."""
        return self.fits(pa.array(values, pa.string())).tolist()  # type: ignore[no-any-return]

    def _matched(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        if self.python is not None:
            encoded = pc.dictionary_encode(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
            found = [self.python.fullmatch(v) is not None for v in encoded.dictionary.to_pylist()]
            return np.array(found, bool).reshape(len(found))[encoded.indices.to_numpy(zero_copy_only=False)]
        if self.pattern != RESIDENT_ID_PATTERN:
            return _regex_where(values, self.anchored)
        # 1 to 20 letters and digits match the default pattern for certain: RE2 is asked of the others only.
        sure = pc.and_(pc.ascii_is_alnum(values), pc.less_equal(pc.binary_length(values), 20))
        return sure.to_numpy(zero_copy_only=False) | _regex_where(values, self.anchored, pc.invert(sure))


def _never_an_id(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Where a value matches _NEVER_AN_ID, the expression asked only of the values that might."""
    size = pc.binary_length(values)
    # Printable ASCII holds no control or format character; a My Number is 12 digits, or more characters
    # that are not all digits.
    shaped = pc.or_(pc.equal(size, 12), pc.and_(pc.greater(size, 12), pc.invert(pc.ascii_is_decimal(values))))
    return _regex_where(values, _NEVER_AN_ID, pc.or_(pc.invert(pc.ascii_is_printable(values)), shaped))


def _regex_where(values: pa.Array | pa.ChunkedArray, pattern: str,
                 where: pa.BooleanArray | pa.ChunkedArray | None = None) -> np.ndarray:  # fmt: skip
    """Whether each value matches the pattern (RE2), asked only where `where` is true (all: None); False elsewhere."""
    if where is None:
        return pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]
    found, mask = np.zeros(len(values), bool), where.to_numpy(zero_copy_only=False)
    if mask.any():
        found[mask] = pc.match_substring_regex(pc.filter(values, where), pattern).to_numpy(zero_copy_only=False)
    return found


@dataclass(frozen=True)
class Shapes:
    """The shapes of the register's IDs: the resident's (the caller's pattern), the household's, the default one."""

    resident: IdShape
    household: IdShape
    default: IdShape  # RESIDENT_ID_PATTERN's, whatever the caller's pattern

    @classmethod
    def of(cls, resident_id_pattern: str) -> Shapes:
        """The shapes for a resident ID pattern."""
        default = IdShape(RESIDENT_ID_PATTERN)
        household = default if HOUSEHOLD_ID_PATTERN == RESIDENT_ID_PATTERN else IdShape(HOUSEHOLD_ID_PATTERN)
        resident = default if resident_id_pattern == RESIDENT_ID_PATTERN else IdShape(resident_id_pattern)
        return cls(resident, household, default)



def identifier(cell: str) -> str:
    """A resident or household ID: full-width digits and letters made plain."""
    return unicodedata.normalize("NFKC", cell)


def status(cell: str) -> Status | None:
    """The resident's status, None when the value is not known."""
    return STATUSES.get(cell.lower())


def card_state(cell: str) -> CardState | None:
    """The card's state (empty: active), None when the value is not known."""
    return CARD_STATES.get(cell.lower())


def flag(cell: str) -> bool | None:
    """A support-measure flag: True, False, or None when it cannot be read."""
    v = unicodedata.normalize("NFKC", cell).strip().lower()
    return True if v in FLAG_TRUE else False if v in FLAG_FALSE else None


def read_date(cell: str) -> date:
    """A date in any form of domain.md 5.1, within the plausible range; ValueError otherwise."""
    day = parse_date(cell)
    if not EARLIEST <= day <= LATEST:
        raise ValueError("out of range")
    return day


def sex(cell: str) -> str:
    """男 or 女; empty when not known."""
    return SEXES.get(unicodedata.normalize("NFKC", cell).lower(), "")


def sex_note(cell: str) -> str:
    """The data-quality note for a sex value that is given but not known; empty otherwise."""
    return f"sex: unknown value {quote(cell)}, left blank" if cell and not sex(cell) else ""


def kana(cell: str) -> str:
    """The reading, half-width katakana widened."""
    return jaconv.h2z(cell, kana=True, ascii=False, digit=False)


def postal_code(cell: str) -> str:
    """The postal code's digits as given, 〒 and hyphens removed."""
    return re.sub(r"[〒\-‐－ー\s]", "", unicodedata.normalize("NFKC", cell))


def nationality(cell: str) -> str:
    """The nationality in upper case; empty for a Japanese national."""
    value = unicodedata.normalize("NFKC", cell)
    return "" if value.lower() in JAPANESE_NATIONALITY else value.upper()


def residence_status(cell: str) -> str:
    """The status of residence, full-width letters and digits made plain, spaces removed."""
    return unicodedata.normalize("NFKC", cell).replace(" ", "")


def application_id(cell: str) -> str:
    """A supplied application ID, the spaces and hyphens of its printed groups removed."""
    return normalise_app_id(cell)


def language(cell: str) -> str:
    """The preferred language's code, lower case."""
    return cell.lower()
