"""End to end: `notices run` on a small register, as an operator or cron runs it."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from notices import pipeline

from notices.letters import appid
from notices.cli import today_in_tokyo
from notices.config import load_config
from notices.delivery.handoff import verify

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
CONFIG = ROOT / "config" / "municipality.toml"
AS_OF = "2026-11-26"


def notices(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "jobs")}
    return subprocess.run([sys.executable, "-m", "notices", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def run(tmp: Path, register: Path = MINI, as_of: str = AS_OF, *extra: str) -> subprocess.CompletedProcess[str]:
    return notices("run", "--register", str(register), "--as-of", as_of, "--allow-date", "--config", str(CONFIG),
                   "--out", str(tmp / "out"), "--ledger", str(tmp / "var" / "ledger.sqlite3"), "-v", *extra, cwd=tmp)  # fmt: skip


def folder_of(result: subprocess.CompletedProcess[str]) -> Path:
    match = re.search(r"^folder: (.+)$", result.stdout, re.MULTILINE)
    assert match, result.stdout + result.stderr
    return Path(match[1].strip())


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def my_numbers(register: Path) -> list[str]:
    return [r["my_number"] for r in rows(register) if r.get("my_number")]


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("mini")
    result = run(tmp)
    assert result.returncode == 0, result.stderr
    return tmp, result


def test_exact_outcome(first: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, result = first
    folder = folder_of(result)
    manifest = rows(folder / "manifest.csv")
    assert [(m["resident_id"], m["kind"], m["expires_on"], m["postal_code"], m["first_page"], m["page_count"])
            for m in manifest] == [
        ("10000000001", "card_renewal", "2027-02-01", "9990001", "1", "4"),
        ("10000000002", "cert_renewal", "2027-02-05", "9990002", "5", "2"),
        ("10000000003", "residence_extension", "2027-02-01", "9990003", "7", "2"),
        ("10000000008", "card_renewal", "2027-02-20", "9990008", "9", "4"),
        ("10000000010", "card_renewal", "2027-02-10", "9990010", "13", "4"),
    ]  # fmt: skip
    assert {m["pdf"] for m in manifest} == {"lot-0001.pdf"}
    assert manifest[4]["application_id"] == "99999700000000000000017"  # supplied: used verbatim
    assert all(appid.is_valid(m["application_id"]) for m in (manifest[0], manifest[3]))
    assert manifest[1]["application_id"] == manifest[2]["application_id"] == ""
    assert [(r["resident_id"], r["reason"]) for r in rows(folder / "review.csv")] == [
        ("10000000004", "support_measure"), ("10000000005", "support_measure"),
        ("10000000007", "address"), ("10000000009", "application_id"),
    ]  # fmt: skip
    assert [(r["line"], r["reason"]) for r in rows(folder / "rejects.csv")] == [
        ("12", "missing_resident_id"), ("13", "bad_date"), ("14", "unknown_status")]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["rows_read"], summary["mailed"], summary["held_for_review"], summary["already_notified"],
            summary["not_mailed"], summary["rejected"]) == (14, 5, 4, 0, 2, 3)  # fmt: skip
    assert summary["not_mailed_by_reason"]["moved_out"] == summary["not_mailed_by_reason"]["no_card"] == 1
    assert summary["reconciled"] is True
    assert len(pdfium.PdfDocument(folder / "lot-0001.pdf")) == 16


def test_folder_is_sealed_and_owner_only(first: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp, result = first
    folder = folder_of(result)
    assert folder.parent == (tmp / "out").resolve() and (folder / "READY").is_file()
    assert {"report.html", "posting.csv", "lapsed.csv", "lots.csv"} <= {p.name for p in folder.iterdir()}
    assert verify(folder) == []
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not any(p.name.startswith(".building") for p in (tmp / "out").iterdir())


def test_qr_codes_decode_to_the_manifest_ids(first: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    folder = folder_of(first[1])
    pdf = pdfium.PdfDocument(folder / "lot-0001.pdf")
    config = load_config(CONFIG)
    for m in rows(folder / "manifest.csv"):
        if m["kind"] != "card_renewal":
            continue
        form = pdf[int(m["first_page"]) - 1 + 2]  # the application form is the piece's third page
        found = zxingcpp.read_barcodes(form.render(scale=300 / 72).to_pil())
        assert [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode] == [config.qr_payload(m["application_id"])]
        assert appid.grouped(m["application_id"]) in form.get_textpage().get_text_range()


def test_my_number_appears_nowhere(first: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp, result = first
    secrets_ = my_numbers(MINI)
    assert len(secrets_) == 14
    texts = [result.stdout, result.stderr]
    for path in [*(tmp / "out").rglob("*"), *(tmp / "var").rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            texts.append(data.decode("latin-1"))
            if path.suffix == ".pdf":
                texts += [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data)]
            else:
                texts.append(data.decode("utf-8", errors="replace"))
    for number in secrets_:
        assert not any(number in text for text in texts)
    # Logs name residents by resident ID alone: no name or address reaches stdout or stderr.
    for row in rows(MINI):
        assert row["name"] not in result.stderr and row["address"] not in result.stderr + result.stdout


def test_rerun_mails_nothing_and_lists_the_held_again(first: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp, _ = first
    result = run(tmp)
    assert result.returncode == 0, result.stderr
    folder = folder_of(result)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["mailed"], summary["already_notified"], summary["held_for_review"], summary["lots"]) == (0, 5, 4, 0)
    assert rows(folder / "manifest.csv") == [] and len(rows(folder / "review.csv")) == 4
    assert not list(folder.glob("*.pdf"))


def test_next_night_mails_only_the_new_entrants(tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    text = MINI.read_text(encoding="utf-8")
    # expires 2027-02-27: outside the window on 2026-11-26, inside on 2026-11-27
    register.write_text(text + "10000000099,H99,森 新入,モリ シンニュウ,1980-02-27,2,9990099,架空県若葉町北1-1,,resident,"
                        ",,,2017-03-01,,,,,,,,\n", encoding="utf-8")  # fmt: skip
    assert run(tmp_path, register).returncode == 0
    second = run(tmp_path, register, "2026-11-27")
    assert second.returncode == 0, second.stderr
    manifest = rows(folder_of(second) / "manifest.csv")
    assert [(m["resident_id"], m["expires_on"]) for m in manifest] == [("10000000099", "2027-02-27")]


def test_cp932_register_gives_the_same_outcome(tmp_path: Path) -> None:
    register = tmp_path / "register-cp932.csv"
    register.write_bytes(MINI.read_text(encoding="utf-8").encode("cp932"))
    result = run(tmp_path, register)
    assert result.returncode == 0, result.stderr
    manifest = rows(folder_of(result) / "manifest.csv")
    assert [m["resident_id"] for m in manifest] == ["10000000001", "10000000002", "10000000003", "10000000008", "10000000010"]
    assert json.loads((folder_of(result) / "summary.json").read_text())["register"]["encoding"] == "cp932"


def test_golden_manifest(tmp_path: Path) -> None:
    """Same register, same random source: the same manifest, byte for byte."""
    result = pipeline.run(MINI, date(2026, 11, 26), load_config(CONFIG), tmp_path / "out", tmp_path / "l.sqlite3",
                          ROOT / "templates", randbelow=random.Random(20261126).randrange)  # fmt: skip
    golden = ROOT / "tests" / "golden" / "mini-manifest.csv"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes((result.folder / "manifest.csv").read_bytes())
    assert (result.folder / "manifest.csv").read_bytes() == golden.read_bytes()


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--register", "missing.csv"), 4, r"missing\.csv: cannot read the register"),
    (("--register", str(MINI), "--config", "none.toml"), 3, r"none\.toml: configuration file not found"),
    (("--register", str(MINI), "--as-of", "2026-13-01"), 2, r"2026-13-01"),
    (("--register", str(MINI), "--ledger", "out/ledger.sqlite3"), 2, r"must live outside --out"),
])  # fmt: skip
def test_errors_are_clear_and_have_their_exit_code(tmp_path: Path, args: tuple[str, ...], code: int, message: str) -> None:
    base = ("run", "--out", "out") if "--config" in args else ("run", "--out", "out", "--config", str(CONFIG))
    result = notices(*base, *args, cwd=tmp_path)
    assert result.returncode == code
    assert re.search(message, result.stderr.replace("\n", "")), result.stderr
    assert "Traceback" not in result.stderr


def test_default_config_works_from_any_folder(tmp_path: Path) -> None:
    result = notices("run", "--register", str(MINI), "--as-of", AS_OF, "--allow-date", "--out", str(tmp_path / "out"),
                     "--ledger", str(tmp_path / "l.sqlite3"), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(rows(folder_of(result) / "manifest.csv")) == 5


def test_unwritable_output_counts_nothing_as_mailed(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the output folder should be")
    failed = notices("run", "--register", str(MINI), "--as-of", AS_OF, "--allow-date", "--config", str(CONFIG),
                     "--out", str(tmp_path / "blocked" / "out"), "--ledger", str(tmp_path / "l.sqlite3"), cwd=tmp_path)  # fmt: skip
    assert failed.returncode == 6, failed.stderr
    fixed = notices("run", "--register", str(MINI), "--as-of", AS_OF, "--allow-date", "--config", str(CONFIG),
                    "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "l.sqlite3"), cwd=tmp_path)  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert len(rows(folder_of(fixed) / "manifest.csv")) == 5


def test_barcode_command_prints_characters_and_bars(tmp_path: Path) -> None:
    address = "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室"
    chars = notices("barcode", "100-0013", address, cwd=tmp_path)
    assert chars.returncode == 0 and chars.stdout.strip() == "1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9"
    bars = notices("barcode", "1000013", address, "--bars", cwd=tmp_path).stdout.strip()
    assert len(bars) == 67 and bars.startswith("FDFFTFTT") and bars.endswith("TFFDF")
    assert notices("barcode", "100-0000", address, cwd=tmp_path).returncode == 1
    assert notices("barcode", "12-345", address, cwd=tmp_path).returncode == 2


def test_preview_renders_one_resident_and_records_only_the_look(tmp_path: Path) -> None:
    result = notices("preview", "--register", str(MINI), "--resident-id", "10000000001", "--as-of", AS_OF,
                     "--out", str(tmp_path / "preview"), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = [Path(line) for line in result.stdout.split()]
    assert [p.name for p in written] == ["line2-card_renewal.pdf"] + [  # named by the register line, never the ID
        f"line2-card_renewal-page{n}.png" for n in (1, 2, 3, 4)]
    assert all(p.parent == tmp_path / "preview" for p in written)
    pdf = pdfium.PdfDocument(written[0])
    assert "山田" in pdf[0].get_textpage().get_text_range()
    specimen = appid.specimen("999997")
    assert appid.grouped(specimen) in pdf[2].get_textpage().get_text_range()
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written[1:])
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:  # the look, and nothing issued or mailed
        assert [r[2:] for r in db.execute("SELECT * FROM access_log")] == [("preview", "10000000001")]
        assert db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM application_ids").fetchone()[0] == 0
    moved = notices("preview", "--register", str(MINI), "--resident-id", "10000000006", "--as-of", AS_OF,
                    "--out", str(tmp_path / "preview"), cwd=tmp_path)  # fmt: skip
    assert moved.returncode == 11 and "moved_out" in moved.stderr
    missing = notices("preview", "--register", str(MINI), "--resident-id", "nobody", "--as-of", AS_OF, cwd=tmp_path)
    assert missing.returncode == 11 and "not in the register" in missing.stderr


def test_a_run_date_far_from_today_needs_allow_date(tmp_path: Path) -> None:
    """A year typed wrong would mail grace reminders to cards that have not expired, and record them."""
    today = today_in_tokyo()
    typo = today.replace(year=today.year + 1).isoformat()
    refused = notices("run", "--register", str(MINI), "--as-of", typo, "--config", str(CONFIG), "--out", "out",
                      "--ledger", "var/ledger.sqlite3", cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2 and "--allow-date" in refused.stderr.replace("\n", "")
    assert not (tmp_path / "var").exists() and not (tmp_path / "out").exists()
    for free in ("plan", "preview"):  # they record nothing: any date
        args = ("--resident-id", "10000000001", "--kind", "card_renewal") if free == "preview" else ()
        result = notices(free, "--register", str(MINI), "--as-of", typo, "--out", free, *args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert run(tmp_path, MINI, typo).returncode == 0  # with --allow-date


@pytest.mark.parametrize("args", [
    ("run", "--register", str(MINI), "--as-of", "9999-10-01", "--allow-date"),
    ("plan", "--register", str(MINI), "--as-of", "0001-01-01"),
    ("status", "--runs", "100000000000000000000"),
    ("status", "--runs", "1e20"),
])  # fmt: skip
def test_an_impossible_argument_is_a_usage_error_not_an_internal_one(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = notices(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_preview_without_kind_shows_the_reminder_the_run_would_send(tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text("resident_id,name,birth_date,postal_code,address,status,card_issued_on,card_expires_on\n"
                        "10000000001,若葉 一郎,1980-05-01,9990001,架空県若葉町中央1-1,resident,2016-11-10,2026-11-10\n",
                        encoding="utf-8")  # fmt: skip
    written = pipeline.preview(register, "10000000001", date.fromisoformat(AS_OF), load_config(CONFIG), tmp_path,
                               ROOT / "templates")  # fmt: skip
    assert written[0].name == "line2-grace_reminder.pdf"  # the card expired 16 days before the run date
    assert "有効期限が過ぎています" in pdfium.PdfDocument(written[0])[0].get_textpage().get_text_range()


def test_preview_never_makes_a_path_of_the_resident_id(tmp_path: Path) -> None:
    """Even where the configured ID shape lets "../" and "/" through, the files stay inside --out."""
    config = tmp_path / "town.toml"
    config.write_text(CONFIG.read_text(encoding="utf-8") + '\n[register]\nresident_id_pattern = "[-./_0-9A-Za-z]{1,200}"\n',
                      encoding="utf-8")  # fmt: skip
    lines = MINI.read_text(encoding="utf-8").splitlines()
    for given in ("../../escaped", f"{tmp_path}/abs/escaped"):
        register = tmp_path / "register.csv"
        register.write_text("\n".join([lines[0], lines[1].replace("10000000001", given, 1)]) + "\n", encoding="utf-8")
        result = notices("preview", "--register", str(register), "--resident-id", given, "--as-of", AS_OF,
                         "--config", str(config), "--out", str(tmp_path / "deep" / "preview"), cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stderr
        written = [Path(line) for line in result.stdout.split()]
        assert written and all(p.parent == tmp_path / "deep" / "preview" and p.is_file() for p in written)
    assert not list(tmp_path.rglob("escaped*"))
