"""The posting summary: how a run's pieces stand against Japan Post's bulk-mail discounts.

From manifest.csv alone: pieces per lot PDF and per 郵便区番号 (the first three digits of the
postal code), how many pieces carry the customer barcode (カスタマバーコード; none is printed for
a representative postal code ending in 00, see barcode.encode), and whether the night's pieces
reach the thresholds of バーコード割引 (1,000 or more barcoded pieces in one posting) and of
区分郵便物 (2,000 or more pieces, sorted by 郵便区番号). Both discounts have further conditions
(same size and weight, prior arrangement with the post office) that the operator settles with
the office where the mail is handed in; this module only counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from ..letters.barcode import gets_barcode

BARCODE_THRESHOLD = 1000  # バーコード割引: barcoded pieces in one posting
SORTED_THRESHOLD = 2000  # 区分郵便物: pieces in one posting
POSTING_COLUMNS = ("zone", "pieces")
UNKNOWN_ZONE = "不明"
_POSTAL = re.compile(r"[0-9]{7}")


def zone(postal_code: str) -> str:
    """The 郵便区番号 (first three digits) of a 7-digit postal code; 不明 for anything else."""
    code = postal_code.replace("-", "").strip()
    return code[:3] if _POSTAL.fullmatch(code) else UNKNOWN_ZONE


def has_barcode(postal_code: str) -> bool:
    """True when the piece carries a customer barcode: a 7-digit code not ending in 00."""
    code = postal_code.replace("-", "").strip()
    return bool(_POSTAL.fullmatch(code)) and gets_barcode(code)


def _days_to_reach(threshold: int, per_day: int) -> int | None:
    """Nights of the same size it takes to reach THRESHOLD (None when a night has none)."""
    return math.ceil(threshold / per_day) if per_day else None


def _advice(pieces: int, barcoded: int, barcode_ok: bool, sorted_ok: bool) -> str:
    """One line for the operator: post today, or hold lots for a weekly posting."""
    if pieces == 0:
        return "本日分の郵便物はありません。"
    if barcode_ok and sorted_ok:
        return ("本日分だけでバーコード割引と区分郵便物の基準に届きます。"
                "郵便区番号ごとに区分して、本日分を差し出してください。")  # fmt: skip
    if barcode_ok or sorted_ok:
        got, other, short, per_day, threshold = (
            ("バーコード割引", "区分郵便物", SORTED_THRESHOLD - pieces, pieces, SORTED_THRESHOLD) if barcode_ok
            else ("区分郵便物", "バーコード割引", BARCODE_THRESHOLD - barcoded, barcoded, BARCODE_THRESHOLD))  # fmt: skip
        days = _days_to_reach(threshold, per_day)
        later = f"同じ規模なら約{days}日分で届きます" if days else "この内容では届きません"
        return (f"本日分は{got}の基準に届きます。{other}の基準（{threshold:,}通）には {short:,}通 足りません"
                f"（{later}）。本日分を差し出してください。")  # fmt: skip
    barcode_days = _days_to_reach(BARCODE_THRESHOLD, barcoded)
    sorted_days = _days_to_reach(SORTED_THRESHOLD, pieces)
    reach = []
    if barcode_days is not None and barcode_days <= 7:
        reach.append(f"約{barcode_days}日分でバーコード割引")
    if sorted_days is not None and sorted_days <= 7:
        reach.append(f"約{sorted_days}日分で区分郵便物")
    if reach:
        return (f"本日分は割引の基準に届きません。週ごとにまとめて差し出すと、同じ規模の日が続けば"
                f"{'、'.join(reach)}の基準に届きます。有効期限までの余裕を確かめ、毎日差し出すか、"
                "ロットを保管して週ごとに差し出すかを決めてください。")  # fmt: skip
    return ("本日分は割引の基準に届かず、週ごとにまとめても届かない見込みです"
            f"（バーコード付き {barcoded:,}通／{BARCODE_THRESHOLD:,}通、総数 {pieces:,}通／"
            f"{SORTED_THRESHOLD:,}通）。毎日差し出してください。")  # fmt: skip


class Tally:
    """The posting summary's counts, taken a piece at a time (as lots are written, or manifest.csv is read)."""

    def __init__(self) -> None:
        self.by_lot: Counter[str] = Counter()
        self.by_zone: Counter[str] = Counter()
        self.barcoded = 0

    def add(self, pdf: str, postal_code: str) -> None:
        """Count one piece of lot file PDF, to POSTAL_CODE."""
        self.by_lot[pdf] += 1
        self.by_zone[zone(postal_code)] += 1
        self.barcoded += has_barcode(postal_code)

    def summary(self) -> dict[str, object]:
        """Pieces per lot and per 郵便区番号, barcoded pieces, and the discount thresholds reached."""
        pieces, barcoded = sum(self.by_lot.values()), self.barcoded
        barcode_ok = barcoded >= BARCODE_THRESHOLD
        sorted_ok = pieces >= SORTED_THRESHOLD
        return {
            "pieces": pieces,
            "barcoded": barcoded,
            "no_barcode": pieces - barcoded,
            "by_lot": dict(sorted(self.by_lot.items())),
            "by_zone": dict(sorted(self.by_zone.items(), key=lambda item: (item[0] == UNKNOWN_ZONE, item[0]))),
            "zones": len(self.by_zone),
            "barcode_discount": {"threshold": BARCODE_THRESHOLD, "count": barcoded, "reached": barcode_ok,
                                 "short": max(0, BARCODE_THRESHOLD - barcoded),
                                 "days": _days_to_reach(BARCODE_THRESHOLD, barcoded)},  # fmt: skip
            "sorted_discount": {"threshold": SORTED_THRESHOLD, "count": pieces, "reached": sorted_ok,
                                "short": max(0, SORTED_THRESHOLD - pieces),
                                "days": _days_to_reach(SORTED_THRESHOLD, pieces)},  # fmt: skip
            "advice": _advice(pieces, barcoded, barcode_ok, sorted_ok),
        }


def posting_summary(manifest_rows: Iterable[dict[str, str]]) -> dict[str, object]:
    """Pieces per lot and per 郵便区番号, barcoded pieces, and the discount thresholds reached (see Tally)."""
    tally = Tally()
    for row in manifest_rows:
        tally.add(row["pdf"], row["postal_code"])
    return tally.summary()


def posting_rows(summary: dict[str, object]) -> list[tuple[str, int]]:
    """The rows of posting.csv (columns POSTING_COLUMNS): pieces per 郵便区番号, in zone order."""
    by_zone = summary["by_zone"]
    assert isinstance(by_zone, dict)
    return [(str(z), int(n)) for z, n in by_zone.items()]
