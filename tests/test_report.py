"""The run report (report.html) and the posting summary (posting.csv)."""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import re
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from notices import pipeline
from notices.config import load_config
from notices.delivery.lots import MANIFEST_COLUMNS
from notices.reports import posting, wording
from notices.reports.report import read_manifest
from notices.rules.review import REASONS

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
CONFIG = ROOT / "config" / "municipality.toml"
CHROMIUM = Path("/usr/bin/chromium")
WINDOW_MM = (20.0, 15.0, 90.0, 45.0)  # config/municipality.toml [envelope]
# Beyond mini.csv: a piece whose postal code ends in 00 (no barcode), and rows whose cells a
# spreadsheet or a browser would run. Columns as mini.csv.
EXTRA_ROWS = [
    "10000000101,H101,森 百子,モリ モモコ,1980-02-20,2,999-0100,架空県若葉町本町5-7,,resident,,,,2017-02-25,,,,,,,,482917365101",
    "=SUM(1+1),H102,林 一美,ハヤシ カズミ,1980-02-20,2,9990102,架空県若葉町本町6-1,,<script>alert(1)</script>,,,,2017-02-25,,,,,,,,482917365102",
    "10000000104,H104,林 二美,ハヤシ フタミ,1980-02-20,2,9990104,架空県若葉町本町6-2,,<script>alert(1)</script>,,,,2017-02-25,,,,,,,,482917365104",
    '10000000103,H103,"<img src=x onerror=alert(2)>",イケダ,1980-02-20,2,9990103,架空県若葉町本町7-1,,resident,,,,2017-02-25,,,,,,bad-date,,482917365103',
]


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("register") / "register.csv"
    path.write_text(MINI.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(EXTRA_ROWS) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(register: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sealed run folder."""
    tmp = tmp_path_factory.mktemp("run")
    result = pipeline.run(register, date(2026, 11, 26), load_config(CONFIG), tmp / "out", tmp / "l.sqlite3",
                          ROOT / "templates", randbelow=random.Random(6).randrange)  # fmt: skip
    return result.folder


@pytest.fixture(scope="module")
def report_file(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from notices.reports.report import render_report

    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(folder, ROOT / "templates", window_mm=WINDOW_MM), encoding="utf-8")
    return path


def summary_of(folder: Path) -> dict[str, object]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


class _Counts(HTMLParser):
    """The title, and the text of every element with a data-count or data-posting attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.counts: dict[str, list[str]] = {}
        self.posting: dict[str, list[str]] = {}
        self._open: list[tuple[str, dict[str, list[str]], str]] = []  # (tag, target, name)
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._in_title = tag == "title" and not self.title  # the document's, not an SVG tooltip
        for attr, target in (("data-count", self.counts), ("data-posting", self.posting)):
            if found.get(attr) is not None:
                self._open.append((tag, target, str(found[attr])))
                target.setdefault(str(found[attr]), []).append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        for _, target, name in self._open:
            target[name][-1] += data


def parse(html: str) -> _Counts:
    parser = _Counts()
    parser.feed(html)
    return parser


def expected_count(summary: dict[str, object], name: str) -> int:
    """The summary.json value a data-count name stands for."""
    tables = {"mailed": "mailed_by_kind", "not_mailed": "not_mailed_by_reason", "rejected": "rejected_by_reason",
              "review": "review_by_reason"}  # fmt: skip
    if ":" in name:
        prefix, key = name.split(":", 1)
        return int(summary[tables[prefix]][key])  # type: ignore[index]
    return int(summary[name])  # type: ignore[call-overload]


def check_counts(parsed: _Counts, summary: dict[str, object], manifest: list[dict[str, str]]) -> None:
    """Every data-count equals summary.json, every data-posting the posting summary of the manifest."""
    required = {"rows_read", "mailed", "held_for_review", "already_notified", "not_mailed", "rejected", "lapsed",
                "lots", "pages", "quality_notes"}  # fmt: skip
    required |= {f"mailed:{k}" for k in summary["mailed_by_kind"]}  # type: ignore[attr-defined]
    required |= {f"not_mailed:{k}" for k in summary["not_mailed_by_reason"]}  # type: ignore[attr-defined]
    required |= {f"rejected:{k}" for k in summary["rejected_by_reason"]}  # type: ignore[attr-defined]
    required |= {f"review:{k}" for k in summary["review_by_reason"]}  # type: ignore[attr-defined]
    assert required <= set(parsed.counts), required - set(parsed.counts)
    for name, texts in parsed.counts.items():
        for text in texts:
            assert int(text.strip().replace(",", "")) == expected_count(summary, name), name
    post = posting.posting_summary(manifest)
    assert {"pieces", "barcoded", "no_barcode", "zones"} <= set(parsed.posting)
    for name, texts in parsed.posting.items():
        prefix, _, key = name.partition(":")
        want = {"lot": post["by_lot"], "zone": post["by_zone"]}[prefix][key] if key else post[name]  # type: ignore[index]
        assert all(int(t.strip().replace(",", "")) == want for t in texts), name


def test_counts_match_summary(folder: Path, report_file: Path) -> None:
    parsed = parse(report_file.read_text(encoding="utf-8"))
    summary = summary_of(folder)
    assert parsed.title == "発送レポート 2026-11-26 第1回"
    check_counts(parsed, summary, csv_rows(folder / "manifest.csv"))
    assert summary["mailed"] == 6 and summary["held_for_review"] and summary["rejected"] >= 3  # the run is not trivial


def test_self_contained(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z0-9]", re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html), re.IGNORECASE)
    for attr, value in re.findall(r"""\b(src|href|srcset|action|poster|data|xlink:href)\s*=\s*["']?([^"'\s>]*)""", html, re.IGNORECASE):
        if attr.lower() == "data":
            continue
        assert value.startswith(("data:image/png;base64,", "#")), (attr, value[:60])
    for forbidden in ("<script", "<link", "<iframe", "<object", "<embed", "@import", "url(", "@font-face"):
        assert forbidden not in html.lower(), forbidden


def test_no_personal_data_and_hostile_cells_shown_as_written(register: Path, folder: Path, report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    for row in csv_rows(register):
        for column in ("name", "name_kana", "address", "my_number"):
            if len(row.get(column) or "") >= 4 and "<" not in row[column]:
                assert row[column] not in html, (column, row[column])
    rejects = csv_rows(folder / "rejects.csv")
    formula = next(r for r in rejects if r["line"] == "17")  # a formula is not of the shape of an ID
    assert formula["reason"] == "bad_resident_id" and formula["resident_id"] == ""
    assert "SUM(1+1)" not in (folder / "rejects.csv").read_text(encoding="utf-8-sig") and "SUM(1+1)" not in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    for reject in rejects:
        assert f'<td class="n">{reject["line"]}</td>' in html


def test_every_review_reason_has_an_action(folder: Path, report_file: Path) -> None:
    assert set(REASONS) <= set(wording.REVIEW_GUIDE)
    html = report_file.read_text(encoding="utf-8")
    review = csv_rows(folder / "review.csv")
    assert review
    for row in review:
        assert row["resident_id"] in html
        assert wording.review_action(row["reason"]) in html
    assert "支援措置の担当課と協議し" in html


def test_proofs_embedded_with_the_address_window_painted_over(folder: Path, report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    kinds = sorted(p.stem for p in (folder / "proofs").glob("*.png"))
    assert len(images) == len(kinds) >= 2
    for data in images:
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        assert image.width <= 640
        px = image.width / 210
        left, top, width, height = WINDOW_MM
        inside = image.crop((round((left + 1) * px), round((top + 1) * px),
                             round((left + width - 1) * px), round((top + height - 1) * px)))  # fmt: skip
        assert len(inside.getcolors(maxcolors=1 << 16) or ()) == 1  # one flat colour: nothing of the address is left


def test_report_of_a_run_with_nothing_mailed(folder: Path, tmp_path: Path) -> None:
    from notices.reports.report import render_report

    empty = tmp_path / "run"
    (empty / "proofs").mkdir(parents=True)
    summary = summary_of(folder)
    summary.update(mailed=0, mailed_by_kind={k: 0 for k in summary["mailed_by_kind"]}, lots=0, pages=0,  # type: ignore[attr-defined]
                   not_mailed=int(summary["not_mailed"]) + int(summary["mailed"]), run_id=None)  # type: ignore[call-overload]
    (empty / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    for name in ("review", "rejects", "lapsed"):
        (empty / f"{name}.csv").write_bytes((folder / f"{name}.csv").read_bytes())
    html = render_report(empty, ROOT / "templates")
    assert "本日の郵便物はありません" in html or "本日分の郵便物はありません" in html
    assert "校正用画像はありません" in html


def test_a_header_only_register_is_a_warning_in_the_log_and_the_report(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    register = tmp_path / "header-only.csv"
    register.write_text(MINI.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = pipeline.run(register, date(2026, 11, 26), load_config(CONFIG), tmp_path / "out", tmp_path / "l.sqlite3",
                          ROOT / "templates")  # fmt: skip
    assert result.summary.rows_read == 0 and (result.folder / "READY").is_file()
    assert [r.message for r in caplog.records if r.levelname == "WARNING" and "holds no rows" in r.message]
    html = (result.folder / "report.html").read_text(encoding="utf-8")
    assert 'data-warning="empty_register"' in html and "名簿に住民の行が1行もありません" in html


# --- Chromium: the report as the operator sees it ---------------------------------------------

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")  # fmt: skip


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (Debian package chromium; `make setup` installs it)")
def test_report_in_chromium(folder: Path, report_file: Path, tmp_path: Path) -> None:
    dumped = chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    parsed = parse(dumped.stdout)
    assert parsed.title == "発送レポート 2026-11-26 第1回", dumped.stdout[:500]
    check_counts(parsed, summary_of(folder), csv_rows(folder / "manifest.csv"))
    shot = tmp_path / "report.png"
    taken = chromium(tmp_path, "--window-size=1200,3000", f"--screenshot={shot}", report_file.as_uri())
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1200, 3000)
        dark = sum(image.convert("L").histogram()[:128])
        assert dark > 20_000  # text and charts were laid out: not an empty or error page


# --- posting_summary -------------------------------------------------------------------------


def manifest(*codes: tuple[str, int], pdf: str = "lot-0001.pdf") -> list[dict[str, str]]:
    return [{"pdf": pdf, "postal_code": code} for code, n in codes for _ in range(n)]


def test_barcode_threshold() -> None:
    below = posting.posting_summary(manifest(("9990001", 999), ("9990000", 5)))
    assert below["barcoded"] == 999 and below["no_barcode"] == 5
    assert below["barcode_discount"] == {"threshold": 1000, "count": 999, "reached": False, "short": 1, "days": 2}
    at = posting.posting_summary(manifest(("9990001", 1000), ("9990000", 5)))
    assert at["barcode_discount"]["reached"] and at["barcode_discount"]["short"] == 0  # type: ignore[index]
    assert not at["sorted_discount"]["reached"]  # type: ignore[index]
    assert "バーコード割引の基準に届きます" in str(at["advice"]) and "995通 足りません" in str(at["advice"])


def test_sorted_threshold() -> None:
    below = posting.posting_summary(manifest(("1000001", 1999)))
    assert not below["sorted_discount"]["reached"] and below["sorted_discount"]["short"] == 1  # type: ignore[index]
    at = posting.posting_summary(manifest(("1000000", 1001), ("1000001", 999)))
    assert at["pieces"] == 2000 and at["barcoded"] == 999
    assert at["sorted_discount"]["reached"] and not at["barcode_discount"]["reached"]  # type: ignore[index]
    assert str(at["advice"]).startswith("本日分は区分郵便物の基準に届きます")
    both = posting.posting_summary(manifest(("1000001", 2000)))
    assert "バーコード割引と区分郵便物の基準に届きます" in str(both["advice"])


def test_zones_lots_and_00_codes() -> None:
    rows = manifest(("9990001", 3), ("9990100", 2)) + manifest(("1000000", 1), ("100-0005", 4), pdf="lot-0002.pdf")
    rows.append({"pdf": "lot-0002.pdf", "postal_code": "12345"})
    s = posting.posting_summary(rows)
    assert s["by_lot"] == {"lot-0001.pdf": 5, "lot-0002.pdf": 6}
    assert s["by_zone"] == {"100": 5, "999": 5, "不明": 1}
    assert (s["pieces"], s["barcoded"], s["no_barcode"], s["zones"]) == (11, 7, 4, 3)
    assert posting.posting_rows(s) == [("100", 5), ("999", 5), ("不明", 1)]
    assert posting.has_barcode("9990001") and not posting.has_barcode("9990100") and not posting.has_barcode("99900")


def test_advice_below_thresholds() -> None:
    weekly = posting.posting_summary(manifest(("9990001", 197)))
    assert str(weekly["advice"]).startswith("本日分は割引の基準に届きません。週ごとにまとめて差し出すと")
    assert "約6日分でバーコード割引" in str(weekly["advice"])
    small = posting.posting_summary(manifest(("9990001", 5)))
    assert "週ごとにまとめても届かない" in str(small["advice"])
    assert posting.posting_summary([])["advice"] == "本日分の郵便物はありません。"


def test_the_late_pieces_are_read_back_from_the_manifest_by_expiry_then_piece(tmp_path: Path) -> None:
    # Three lots in postal order, so the expiries interleave; arriving on 2026-12-09, 2027-02-09 and later
    # expiries are on time (promised by 12-09 and later).
    expiries = ["2027-02-05", "2027-02-01", "2027-02-20", "2027-02-01", "2027-02-05", "2027-02-09", "2027-02-01"]
    rows = [{column: "" for column in MANIFEST_COLUMNS} | {
        "piece_id": f"{lot:05d}-{seq:06d}", "resident_id": f"1000000{n:04d}", "kind": "card_renewal",
        "expires_on": expires, "postal_code": "9990001", "pdf": f"lot-{lot:04d}.pdf", "first_page": str(2 * seq - 1)}
        for n, (expires, (lot, seq)) in enumerate(zip(expiries, [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1), (3, 2)]))]  # fmt: skip
    path = tmp_path / "manifest.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, MANIFEST_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    summary = {"post": {"arrives_on": "2026-12-09", "late_by_kind": {"card_renewal": 4}}}
    manifest = read_manifest(path, summary, {"00002-000001"})
    assert manifest.pieces == 7 and set(manifest.layout) == {"00002-000001"}
    late = [(p.expires_on, p.piece_id, p.resident_id, p.pdf, p.first_page, p.promised_by) for p in manifest.late_pieces()]
    assert late == [("2027-02-01", "00001-000002", "10000000001", "lot-0001.pdf", "3", "2026-12-01"),
                    ("2027-02-01", "00002-000001", "10000000003", "lot-0002.pdf", "1", "2026-12-01"),
                    ("2027-02-01", "00003-000002", "10000000006", "lot-0003.pdf", "3", "2026-12-01"),
                    ("2027-02-05", "00001-000001", "10000000000", "lot-0001.pdf", "1", "2026-12-05"),
                    ("2027-02-05", "00002-000002", "10000000004", "lot-0002.pdf", "3", "2026-12-05")]  # fmt: skip
