"""Layouts kept on disk (letters/layouts.py): found only under the fingerprint they were kept with, never when damaged,
written only once two pieces needed them, and a renderer that finds them makes the very same lot."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
from datetime import date, timedelta
from pathlib import Path

import jinja2
import pypdfium2 as pdfium
from conftest import make_piece, make_resident

from notices.config import Config
from notices.letters import fonts, layers, layouts, paragraphs
from notices.letters.layers import Background
from notices.letters.layouts import Layouts
from notices.letters.render import Renderer
from notices.models import Kind, Piece

ROOT = Path(__file__).resolve().parents[1]
LETTER_DATE = date(2026, 11, 26)


def _entries(folder: Path) -> list[Path]:
    """The layouts kept in FOLDER, not the compiled templates kept there too (their code begins with Jinja's "j2")."""
    return sorted(p for p in folder.glob("*/*") if not p.name.startswith(".tmp-")
                  and not p.read_bytes().split(b"\n", 2)[2].startswith(b"j2"))  # fmt: skip


def pdftext(data: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def _lot(lot: int = 1, names: tuple[str, ...] = ("若葉 一郎", "緑川 二郎", "青山 三郎", "赤坂 四郎")) -> list[Piece]:
    """Pieces of two kinds, two expiry dates each, so that every shape and paragraph is needed by two pieces."""
    kinds = (Kind.CERT_RENEWAL, Kind.CARD_RENEWAL)
    return [dataclasses.replace(make_piece(kinds[n % 2], make_resident(resident_id=f"R{lot}{n}", name=name),
                                           piece_id=f"P{lot}{n}", expires_on=date(2027, 2, 1 + n // 2)), lot=lot)
            for n, name in enumerate(names)]  # fmt: skip


def test_an_entry_is_found_under_its_fingerprint_only(tmp_path: Path) -> None:
    kept = Layouts(tmp_path, "night-one")
    kept.put("background", "k", b"\x00pdf bytes\n")
    assert kept.get("background", "k") == b"\x00pdf bytes\n"
    assert kept.get("paragraph", "k") is None and kept.get("background", "other") is None
    assert Layouts(tmp_path, "fonts-changed").get("background", "k") is None
    assert Layouts(None, "night-one").get("background", "k") is None  # no folder: nothing kept
    (entry,) = _entries(tmp_path)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600 and stat.S_IMODE(entry.parent.stat().st_mode) == 0o700


def test_a_damaged_or_torn_entry_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    kept = Layouts(tmp_path, "f")
    for n, damage in enumerate((lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]), lambda raw: raw[: len(raw) // 2],
                                lambda raw: b"")):  # fmt: skip
        kept.put("paragraph", str(n), b'{"height": 18.5, "texts": null}')
        (entry,) = _entries(tmp_path)
        entry.write_bytes(damage(entry.read_bytes()))
        assert kept.get("paragraph", str(n)) is None
        assert not entry.exists()


def test_a_layout_is_written_once_a_second_piece_needs_it(tmp_path: Path) -> None:
    kept = Layouts(tmp_path, "f")
    made = []
    data = lambda: made.append(1) or b"laid out"  # noqa: E731
    kept.offer("background", "k", "P1", data)
    kept.offer("background", "k", "P1", data)  # the same piece again (two slots of one letter)
    assert _entries(tmp_path) == [] and made == []
    kept.offer("background", "k", "P2", data)
    kept.offer("background", "k", "P3", data)
    assert len(_entries(tmp_path)) == 1 and made == [1]
    assert Layouts(tmp_path, "f").get("background", "k") == b"laid out"


def test_a_write_that_fails_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    kept = Layouts(tmp_path, "f")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    kept.put("background", "k", b"data" * 1000)
    assert kept.get("background", "k") is None and kept.kept == 0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no half-written temporary file


def test_a_folder_that_cannot_be_written_keeps_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    kept = Layouts(blocked, "f")
    kept.put("background", "k", b"data")
    assert kept.get("background", "k") is None and kept.kept == 0


def test_entries_not_used_for_two_months_are_pruned(tmp_path: Path) -> None:
    kept = Layouts(tmp_path, "f")
    for key in ("old", "used", "new"):
        kept.put("paragraph", key, key.encode())
    now = 1_800_000_000.0
    old, used, new = (kept._path("paragraph", key) for key in ("old", "used", "new"))
    for path in (old, used):
        os.utime(path, (now - 61 * 86400, now - 61 * 86400))
    os.utime(new, (now - 59 * 86400, now - 59 * 86400))
    stale = old.parent / ".tmp-crashed"
    stale.write_bytes(b"half")
    os.utime(stale, (now - 2 * 86400, now - 2 * 86400))
    foreign = old.parent / "notes.txt"  # not an entry: left alone, however old
    foreign.write_text("an operator's")
    os.utime(foreign, (now - 99 * 86400, now - 99 * 86400))
    assert kept.get("paragraph", "used") == b"used"  # read: its time is now
    tmp_path.chmod(0o755)  # as an earlier version left it
    assert layouts.prune(tmp_path, now=now) == 2
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert not old.exists() and not stale.exists() and new.exists() and used.exists() and foreign.exists()


def test_the_fingerprint_changes_with_a_template_and_names_the_fonts(tmp_path: Path, config: Config) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    before = layouts.fingerprint.__wrapped__(templates)
    assert layouts.fingerprint.__wrapped__(templates) == before
    css = templates / "letters.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.issuer { margin-top: 5mm; }\n", encoding="utf-8")
    assert layouts.fingerprint.__wrapped__(templates) != before
    assert str(fonts.font_file(config.mincho_font)) in layouts._font_files()  # a font replaced in place changes it
    assert any(Path(lib).name.startswith("libharfbuzz.so") for lib in layouts._libraries())  # and the system's HarfBuzz


def test_nothing_is_kept_where_the_fonts_cannot_be_told(config: Config, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(layouts, "_font_files", lambda: None)  # fc-list missing or failing
    assert layouts.fingerprint.__wrapped__(ROOT / "templates") == ""
    monkeypatch.setattr(layouts, "fingerprint", lambda templates: "")
    folder = tmp_path / "layouts"
    Renderer(config, ROOT / "templates", folder).render_lot(_lot(), LETTER_DATE)
    assert not folder.exists()


def test_a_background_and_a_paragraph_come_back_as_they_were_kept(renderer: Renderer) -> None:
    pieces = _lot()
    renderer.render_lot(pieces, LETTER_DATE)
    backgrounds = list(renderer._fast._backgrounds.values())
    assert backgrounds and all(Background.decode(b.encode()) == b for b in backgrounds)
    laid = list(renderer._fast.paragraphs._kept.values())
    assert laid and any(lay.texts for lay in laid)
    assert all(paragraphs.decode(paragraphs.encode(lay)) == lay for lay in laid)


def test_the_next_night_lays_out_no_background_and_makes_the_same_lot(config: Config, tmp_path: Path) -> None:
    """The letter's date is drawn like the residents' values: the backgrounds kept the night before serve the next;
    a fresh renderer with them (a worker the next night) makes the same bytes as one that lays everything out."""
    folder = tmp_path / "layouts"
    Renderer(config, ROOT / "templates", folder).render_lot(_lot(), LETTER_DATE - timedelta(days=1))
    assert _entries(folder)
    pieces = _lot(2)
    warm = Renderer(config, ROOT / "templates", folder)
    kept = warm.render_lot(pieces, LETTER_DATE)
    assert warm.backgrounds_laid_out == 0
    cold = Renderer(config, ROOT / "templates")
    assert kept.pdf == cold.render_lot(pieces, LETTER_DATE).pdf
    assert cold.backgrounds_laid_out > 0


def test_a_paragraph_kept_under_another_configuration_is_not_used(config: Config, tmp_path: Path) -> None:
    """The dates are printed in the configured gothic font, which the paragraph's key does not hold: a night after
    the font was changed makes the letters a renderer without kept layouts makes (nothing kept is used)."""
    folder = tmp_path / "layouts"
    Renderer(config, ROOT / "templates", folder).render_lot(_lot(), LETTER_DATE)
    other = dataclasses.replace(config, gothic_font="BIZ UDPGothic")
    warm = Renderer(other, ROOT / "templates", folder)
    pieces = _lot(2)
    assert warm.render_lot(pieces, LETTER_DATE).pdf == Renderer(other, ROOT / "templates").render_lot(pieces, LETTER_DATE).pdf
    assert warm._fast.layouts.found == 0


def test_one_resident_s_own_shape_is_never_written_down(config: Config, tmp_path: Path) -> None:
    """A template that prints the name outside a slot makes a background a resident: laid out, drawn, never kept."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    notice = templates / "expiry_notice.html"
    notice.write_text(notice.read_text(encoding="utf-8").replace("<h2>ご案内</h2>", "<h2>{{ r.name }}様へのご案内</h2>"),
                      encoding="utf-8")  # fmt: skip
    folder = tmp_path / "layouts"
    pieces = [dataclasses.replace(p, due=dataclasses.replace(p.due, kind=Kind.CERT_RENEWAL)) for p in _lot()]
    first = Renderer(config, templates, folder)
    first.render_lot(pieces, LETTER_DATE)
    assert first.backgrounds_laid_out == len(pieces) and first._fast.layouts.kept > 0  # the shared paragraphs
    again = Renderer(config, templates, folder)
    again.render_lot([dataclasses.replace(p, lot=2) for p in pieces], LETTER_DATE)
    assert again.backgrounds_laid_out == len(pieces)  # each resident's own, laid out again: none was written
    assert again._fast.paragraphs.laid_out == 0


def test_one_resident_on_many_nights_is_still_one_resident(config: Config, tmp_path: Path) -> None:
    """A process that renders night after night (a Dask worker) meets the same resident under a new piece ID each
    night: still one resident, whose own layouts are not written down."""
    folder = tmp_path / "layouts"
    renderer = Renderer(config, ROOT / "templates", folder)
    (piece,) = _lot(names=("若葉 一郎",))
    for night in range(3):
        renderer.render_lot([dataclasses.replace(piece, piece_id=f"{night + 1:05d}-000001")], LETTER_DATE)
    assert _entries(folder) == []


def test_a_full_cache_lays_out_again_what_it_let_go(config: Config, monkeypatch) -> None:
    """When the paragraphs kept in memory reach their bound, they are let go and the lot's own laid out again (a lot
    that needed one of them used to fail); the lot is the same as with room for all."""
    pieces = _lot()
    want = Renderer(config, ROOT / "templates").render_lot(pieces, LETTER_DATE).pdf
    monkeypatch.setattr(layers, "_ALONE_CACHE", 4)
    small = Renderer(config, ROOT / "templates")
    small.render_lot(pieces[:2], LETTER_DATE)  # some of the lot's paragraphs kept, then the bound passed
    assert small.render_lot(pieces, LETTER_DATE).pdf == want


def test_templates_are_compiled_once_and_again_when_they_change(config: Config, tmp_path: Path, monkeypatch) -> None:
    """Jinja's compiled templates are kept with the layouts: a renderer of the next night compiles none of them, one
    whose template changed compiles it again and prints the change, and an environment of other settings (whose
    code differs) finds none."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    folder = tmp_path / "layouts"
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, name=None, *args, **kwargs: (name and compiled.append(name)) or compile_(
                            self, source, name, *args, **kwargs))  # fmt: skip (a string's template has no name: not kept)
    pieces = [p for p in _lot() if p.due.kind is Kind.CERT_RENEWAL]
    Renderer(config, templates, folder).render_lot(pieces, LETTER_DATE)
    assert "lot.html" in compiled and "cert_renewal.html" in compiled
    compiled.clear()
    before = Renderer(config, templates, folder).render_lot(pieces, LETTER_DATE)
    assert compiled == []
    notice = templates / "expiry_notice.html"
    notice.write_text(notice.read_text(encoding="utf-8").replace("<h2>ご案内</h2>", "<h2>ご案内（再）</h2>"), encoding="utf-8")
    after = Renderer(config, templates, folder).render_lot(pieces, LETTER_DATE)
    assert compiled == ["expiry_notice.html"]
    assert "ご案内（再）" in pdftext(after.pdf) and "ご案内（再）" not in pdftext(before.pdf)
    compiled.clear()
    other = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=False)
    other.bytecode_cache = layouts.Compiled(folder, other)
    other.get_template("lot.html")
    assert compiled == ["lot.html"]


def test_an_entry_another_could_have_written_is_not_used(tmp_path: Path) -> None:
    """What is kept is drawn into letters and compiled templates are code: an entry, or a folder of it, that is not
    this user's own or that others may write is passed over (and left where it is)."""
    kept = Layouts(tmp_path / "layouts", "f")
    kept.put("background", "k", b"data")
    (entry,) = _entries(tmp_path / "layouts")
    for place, mode in ((entry, 0o620), (entry.parent, 0o770), (tmp_path / "layouts", 0o707)):
        before = stat.S_IMODE(place.stat().st_mode)
        place.chmod(mode)
        assert kept.get("background", "k") is None and entry.exists()
        place.chmod(before)
    assert kept.get("background", "k") == b"data"
    copy = entry.with_name("copy")
    shutil.copy(entry, copy)
    entry.unlink()
    entry.symlink_to(copy)  # a link put in its place: not followed
    assert kept.get("background", "k") is None
    entry.unlink()
    copy.rename(entry)
    assert kept.get("background", "k") == b"data"
    if os.geteuid() == 0:  # another user's entry (root can give it away)
        os.chown(entry, 65534, 65534)
        assert kept.get("background", "k") is None


def test_a_compiled_template_is_not_used_once_a_filter_is_passed_otherwise(tmp_path: Path, monkeypatch) -> None:
    """Jinja compiles a call of a @pass_context filter otherwise: the code compiled for a plain one is not used."""
    (tmp_path / "t.html").write_text("{{ 'x'|mark }}", encoding="utf-8")
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, name=None, *args, **kwargs: (name and compiled.append(name)) or compile_(
                            self, source, name, *args, **kwargs))  # fmt: skip

    def environment(mark: object) -> jinja2.Environment:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path))
        env.filters["mark"] = mark
        env.bytecode_cache = layouts.Compiled(tmp_path / "layouts", env)
        return env

    assert environment(lambda value: f"[{value}]").get_template("t.html").render() == "[x]"
    assert environment(lambda value: f"[{value}]").get_template("t.html").render() == "[x]"
    assert compiled == ["t.html"]  # the second environment found it
    context_mark = jinja2.pass_context(lambda context, value: f"<{value}>")
    assert environment(context_mark).get_template("t.html").render() == "<x>"
    assert compiled == ["t.html", "t.html"]


def test_a_compiled_template_is_not_used_once_this_package_s_code_changed(tmp_path: Path, monkeypatch) -> None:
    """Jinja's optimiser runs a filter on a constant as it compiles (`{{ "layout"|review_label }}` is compiled to
    its label): compiled code is kept under a digest of this package's code, and not used once it changed."""
    (tmp_path / "t.html").write_text("{{ 'x'|mark }}", encoding="utf-8")
    label = {"x": "old"}

    def render() -> str:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path))
        env.filters["mark"] = lambda value: label[value]
        env.bytecode_cache = layouts.Compiled(tmp_path / "layouts", env)
        return env.get_template("t.html").render()

    assert render() == "old"
    label["x"] = "new"  # the filter's code changed: what was folded into the kept code is stale
    assert render() == "old"  # (the same package code: kept as compiled)
    monkeypatch.setattr(layouts, "_package_code", lambda: "a release later")
    assert render() == "new"
