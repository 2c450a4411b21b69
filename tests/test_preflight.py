"""The preflight (issue 15): a clean run passes; lots broken on purpose are refused, naming lot, page and piece;
a run whose lot fails seals nothing and records nothing; the PDF/X-4 variant carries its output intent."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import make_piece, make_resident
from typer.testing import CliRunner

from notices import pipeline
from notices.cli import app
from notices.config import Config, DEFAULT_OUTPUT_PROFILE, load_config
from notices.delivery import preflight, raster
from notices.delivery.executors import Serial
from notices.errors import ConfigError
from notices.letters import barcode
from notices.letters.render import Renderer
from notices.models import Kind
from notices.reports.report import read_rows

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "registers" / "mini.csv"
TEMPLATES = ROOT / "templates"
AS_OF = date(2026, 11, 26)
MM = 72 / 25.4


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Path:
    """A run of the mini register, sealed: it passed the preflight on the way."""
    tmp = tmp_path_factory.mktemp("preflight")
    result = pipeline.run(MINI, AS_OF, config, tmp / "out", tmp / "ledger.sqlite3", TEMPLATES, executor=Serial())
    assert (result.folder / "READY").is_file()
    return result.folder


@pytest.fixture
def broken(sealed: Path, tmp_path: Path) -> Path:
    """A copy of the sealed folder's manifest and lot PDFs, to break."""
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in [sealed / "manifest.csv", *sealed.glob("lot-*.pdf")]:
        shutil.copy(path, folder / path.name)
    return folder


def _piece(folder: Path, kind: str) -> dict[str, str]:
    """The first manifest row of a piece of KIND."""
    return next(r for r in read_rows(folder / "manifest.csv") if r["kind"] == kind)


def _edit(folder: Path, name: str, change: Callable[[pikepdf.Pdf], None]) -> None:
    """Open lot NAME of FOLDER with pikepdf, let CHANGE alter it, save it back."""
    with pikepdf.open(folder / name, allow_overwriting_input=True) as pdf:
        change(pdf)
        pdf.save(folder / name)


def _draw(pdf: pikepdf.Pdf, number: int, operators: str) -> None:
    """Paint OPERATORS over page NUMBER, in default user space (points from the bottom-left corner)."""
    page = pdf.pages[number - 1]
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, f"Q\nq {operators} Q\n".encode("ascii")))


def _refused(folder: Path, config: Config, piece_id: str, page: int, what: str) -> list[preflight.Problem]:
    problems = preflight.check_folder(folder, config)
    assert any(p.piece_id == piece_id and p.page == page and re.search(what, p.what) for p in problems), problems
    return problems


def test_a_clean_run_passes_its_preflight(sealed: Path, config: Config) -> None:
    assert preflight.check_folder(sealed, config) == []
    result = CliRunner().invoke(app, ["preflight", str(sealed)])
    assert result.exit_code == 0 and "every lot passes the preflight" in result.output


def test_a_value_drawn_outside_the_margin_is_refused(broken: Path, config: Config) -> None:
    row = _piece(broken, "cert_renewal")
    page = int(row["first_page"]) + 1  # the notice, its second page
    _edit(broken, row["pdf"], lambda pdf: _draw(pdf, page, f"0 g {2 * MM:.2f} {150 * MM:.2f} 20 8 re f"))
    problems = _refused(broken, config, row["piece_id"], page, r"ink outside the printable area .*margin_mm = 5")
    assert str(problems[0]).startswith(f"{row['pdf']} page {page} (piece {row['piece_id']}): ink outside")
    result = CliRunner().invoke(app, ["preflight", str(broken)])
    assert result.exit_code == 15 and f"(piece {row['piece_id']})" in result.output


def test_an_unembedded_font_is_refused(broken: Path, config: Config) -> None:
    row = read_rows(broken / "manifest.csv")[0]

    def strip(pdf: pikepdf.Pdf) -> None:
        descriptor = next(o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/FontFile2" in o)
        del descriptor["/FontFile2"]

    _edit(broken, row["pdf"], strip)
    problems = [p for p in preflight.check_folder(broken, config) if "is not embedded" in p.what]
    assert len(problems) == 1 and problems[0].page and problems[0].piece_id, problems
    assert re.fullmatch(r"font [A-Z]{6}\+\S+ is not embedded", problems[0].what)


@pytest.mark.parametrize("nth", [0, 1], ids=["first form of its kind in the lot", "a later one (read where the first had it)"])
def test_an_undecodable_qr_code_is_refused(broken: Path, config: Config, nth: int) -> None:
    first = _piece(broken, "card_renewal")
    row = [r for r in read_rows(broken / "manifest.csv") if r["kind"] == "card_renewal" and r["pdf"] == first["pdf"]][nth]
    form = int(row["first_page"]) + Kind.CARD_RENEWAL.spec.sheets  # the application form's page
    with pdfium.PdfDocument(broken / row["pdf"]) as document:
        page = document[form - 1]
        height = page.get_size()[1]
        (left, top, right, bottom), = [where for _, micro, where in raster.found_codes(raster.render(page, 300)) if not micro]
    box = f"1 g {left * MM:.2f} {height - bottom * MM:.2f} {(right - left) * MM:.2f} {(bottom - top) * MM / 2:.2f} re f"
    _edit(broken, row["pdf"], lambda pdf: _draw(pdf, form, box))  # its lower half painted over
    _refused(broken, config, row["piece_id"], form, r"QR code does not read https://app\.example\.jp/apply\?id=\d{23}")


def test_a_lot_s_later_forms_are_read_where_its_first_form_had_its_code(broken: Path, config: Config,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    searched: list[int] = []  # the whole-page searches for a QR code
    whole_page = raster.qr_codes
    monkeypatch.setattr(raster, "qr_codes", lambda *args: searched.append(1) or whole_page(*args))
    forms = [r for r in read_rows(broken / "manifest.csv") if r["application_id"]]
    firsts = {(r["pdf"], r["kind"]) for r in forms}
    assert preflight.check_folder(broken, config) == []
    assert len(forms) > len(firsts) and len(searched) == len(firsts)  # the first form of each kind in each lot

    # A later form whose code stands 3 mm from where the first had it: searched whole, and still read.
    first = _piece(broken, "card_renewal")
    row = [r for r in forms if r["kind"] == "card_renewal" and r["pdf"] == first["pdf"]][1]
    form = int(row["first_page"]) + Kind.CARD_RENEWAL.spec.sheets

    def shift(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[form - 1]
        page.contents_add(pikepdf.Stream(pdf, f"q 1 0 0 1 0 {-3 * MM:.3f} cm\n".encode("ascii")), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, b"\nQ\n"))

    _edit(broken, row["pdf"], shift)
    searched.clear()
    problems = preflight.check_folder(broken, config)
    assert not [p for p in problems if "QR code" in p.what] and len(searched) == len(firsts) + 1, problems


def test_a_piece_over_the_vendors_page_limit_is_refused(sealed: Path, config: Config) -> None:
    row = _piece(sealed, "card_renewal")
    problems = _refused(sealed, dataclasses.replace(config, max_pages_per_piece=3), row["piece_id"],
                        int(row["first_page"]), r"4 pages, more than the 3 an envelope takes")  # fmt: skip
    assert all("max_pages_per_piece" in p.what for p in problems)


def test_an_address_outside_the_window_and_a_barcode_that_does_not_read_are_refused(broken: Path, config: Config) -> None:
    row = _piece(broken, "cert_renewal")
    first = int(row["first_page"])
    right = (config.window_left_mm + config.window_width_mm + 1) * MM  # 1 mm right of the window
    bars = (config.window_top_mm + config.window_height_mm - 4.4) * MM  # across the barcode's lower half

    def change(pdf: pikepdf.Pdf) -> None:
        height = float(pdf.pages[first - 1].mediabox[3])
        _draw(pdf, first, f"0 g {right:.2f} {height - 30 * MM:.2f} 3 3 re f "
                                    f"1 g 0 {height - bars - 2 * MM:.2f} {120 * MM:.2f} {2 * MM:.2f} re f")  # fmt: skip

    _edit(broken, row["pdf"], change)
    _refused(broken, config, row["piece_id"], first, r"the address block runs outside the envelope window")
    _refused(broken, config, row["piece_id"], first, rf"the customer barcode reads .*, not the postal code {row['postal_code']}")


def test_the_barcode_is_held_to_the_pieces_address_in_the_run(renderer: Renderer, config: Config) -> None:
    piece = make_piece(Kind.CERT_RENEWAL, piece_id="00001-000001")
    lot = renderer.render_lot([piece], AS_OF)
    assert preflight.checked(lot, [piece], config).problems == ()
    elsewhere = dataclasses.replace(piece.due, resident=make_resident(address="架空県若葉町緑町二丁目3番5号"))
    wrong = preflight.checked(lot, [dataclasses.replace(piece, due=elsewhere)], config).problems
    assert len(wrong) == 1 and re.fullmatch(r"lot-0001\.pdf page 1 \(piece 00001-000001\): the customer barcode reads "
                                            r"9 9 9 0 0 1 2 2 - 3 - 4 .*, not 9 9 9 0 0 1 2 2 - 3 - 5 .*", wrong[0])  # fmt: skip


def test_a_page_not_a4_and_a_manifest_not_matching_the_pdf_are_refused(broken: Path, config: Config) -> None:
    rows = read_rows(broken / "manifest.csv")
    last = rows[-1]
    _edit(broken, last["pdf"], lambda pdf: setattr(pdf.pages[0], "mediabox", pikepdf.Array([0, 0, 612, 792])))
    problems = preflight.check_folder(broken, config)
    assert any(p.page == 1 and p.piece_id == rows[0]["piece_id"] and "MediaBox 215.9 x 279.4 mm, not A4" in p.what
               for p in problems), problems  # fmt: skip
    (broken / "manifest.csv").write_text((broken / "manifest.csv").read_text(encoding="utf-8-sig").rsplit("\n", 2)[0] + "\n",
                                         encoding="utf-8-sig")  # the last piece left out  # fmt: skip
    assert any(p.page is None and "the manifest's pieces take" in p.what for p in preflight.check_folder(broken, config))


def test_a_failing_lot_stops_the_run_before_anything_is_sealed_or_recorded(tmp_path: Path) -> None:
    town = tmp_path / "town.toml"
    text = (ROOT / "config" / "municipality.toml").read_text(encoding="utf-8")
    town.write_text(text.replace("max_pages_per_piece = 10", "max_pages_per_piece = 2"), encoding="utf-8")
    args = ["run", "--register", str(MINI), "--as-of", AS_OF.isoformat(), "--allow-date", "--config", str(town),
            "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "ledger.sqlite3"), "--executor", "serial"]  # fmt: skip
    failed = CliRunner().invoke(app, args)
    assert failed.exit_code == 15, failed.output
    assert re.search(r"lot-0001\.pdf fails the preflight.*\nlot-0001\.pdf page 1 \(piece 00001-000001\): 4 pages, more "
                     r"than the 2 an envelope takes", failed.output), failed.output  # fmt: skip
    assert [d for d in (tmp_path / "out").iterdir() if d.is_dir() and d.name != ".journal"] == []  # no folder, no READY
    assert not list((tmp_path / "out").glob(".journal/run-*.json"))
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as ledger:
        assert ledger.execute("SELECT COUNT(*) FROM notices").fetchone() == (0,)
    town.write_text(text, encoding="utf-8")
    passed = CliRunner().invoke(app, args)  # fixed: the next run mails everyone
    assert passed.exit_code == 0, passed.output
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as ledger:
        assert ledger.execute("SELECT COUNT(*) FROM notices").fetchone()[0] > 0


@pytest.mark.parametrize("fast", [True, False])
def test_a_pdf_x4_lot_has_its_output_intent_and_passes(config: Config, fast: bool) -> None:
    x4 = dataclasses.replace(config, pdf_variant="pdf/x-4", output_profile=str(DEFAULT_OUTPUT_PROFILE))
    pieces = [make_piece(Kind.CARD_RENEWAL, piece_id="00001-000001"),
              make_piece(Kind.CERT_RENEWAL, make_resident(resident_id="R2"), piece_id="00001-000002")]
    lot = Renderer(x4, TEMPLATES).render_lot(pieces, AS_OF, fast=fast)
    with pikepdf.open(io.BytesIO(lot.pdf)) as pdf:
        assert pdf.pdf_version == "1.6" and pdf.docinfo["/Trapped"] == "/False"
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and intent.DestOutputProfile.N == 4
        assert intent.DestOutputProfile.read_bytes() == DEFAULT_OUTPUT_PROFILE.read_bytes()
        assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4<" in pdf.Root.Metadata.read_bytes()
        assert all("/TrimBox" in page.obj for page in pdf.pages)
    assert preflight.checked(lot, pieces, x4).problems == ()
    assert Renderer(x4, TEMPLATES).render_lot(pieces, AS_OF, fast=fast).pdf == lot.pdf  # the same bytes again
    plain = Renderer(config, TEMPLATES).render_lot(pieces, AS_OF, fast=fast)  # checked as PDF/X, a plain one fails
    assert [p.split(": ", 1)[1] for p in preflight.checked(plain, pieces, x4).problems] == [
        "pdf/x-4: no output intent (OutputIntents with a GTS_PDFX profile)",
        "pdf/x-4: the metadata do not give the version PDF/X-4", "pdf/x-4: no Trapped key in the document information"]


def test_print_settings_are_checked_key_by_key(tmp_path: Path) -> None:
    text = (ROOT / "config" / "municipality.toml").read_text(encoding="utf-8")
    default = load_config(ROOT / "config" / "municipality.toml")
    assert (default.print_margin_mm, default.max_pages_per_piece, default.pdf_variant) == (5.0, 10, "")
    (tmp_path / "plain.icc").write_bytes(b"not a profile" * 10)
    for setting, message in [('pdf_variant = "pdf/x-9"', r"\[print\] pdf_variant: 'pdf/x-9' is not one of none"),
                             ("margin_mm = 8", r"\[print\] margin_mm: must be a number of millimetres from 0 to 7"),
                             ("max_pages_per_piece = 1", r"\[print\] max_pages_per_piece: must be a whole number"),
                             ('pdf_variant = "pdf/x-4"\noutput_profile = "plain.icc"',
                              r"\[print\] output_profile: .*plain\.icc: not an ICC profile"),
                             ('output_profile = "plain.icc"', r"\[print\] output_profile: only for a PDF/X pdf_variant"),
                             ("bleed_mm = 3", r"\[print\] bleed_mm: unknown key")]:  # fmt: skip
        body = re.sub(r"\n\[print\][^\[]*", "\n", text) + "\n[print]\n" + setting + "\n"
        (tmp_path / "town.toml").write_text(body, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(tmp_path / "town.toml")
    (tmp_path / "town.toml").write_text(text.replace('pdf_variant = "none"', 'pdf_variant = "pdf/x-4"'), encoding="utf-8")
    assert load_config(tmp_path / "town.toml").output_profile == str(DEFAULT_OUTPUT_PROFILE)


def test_bars_decode_back_to_their_characters() -> None:
    code = barcode.encode("9990012", "架空県若葉町緑町二丁目3番4号 若葉ハイツ101号室")
    assert code is not None and barcode.decode(code.bars) == code.characters
    assert barcode.decode(code.bars[:5] + "FFT" + code.bars[8:]) is None  # one character changed: the check digit fails
    assert barcode.decode(code.bars[:-1]) is None and barcode.decode("") is None
