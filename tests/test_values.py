"""Values drawn without a layout (letters/values.py, drawn.py) against WeasyPrint's own layout of them."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from conftest import make_piece, make_resident
from weasyprint import HTML

from notices.config import Config
from notices.letters import drawn, values
from notices.letters.glyphs import PT_PER_PX
from notices.letters.render import Renderer
from notices.models import Kind

STYLE = "font-family: 'BIZ UDGothic', 'IPAmj明朝', sans-serif; font-size: 12pt; line-height: 1.5"
LETTER_DATE = date(2026, 11, 26)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def _laid(markup: str, width: float = 300, align: str = "left", style: str = STYLE) -> object:
    """MARKUP laid out by WeasyPrint in a box WIDTH px wide at the page's top-left corner: the box."""
    html = f'<html lang="ja"><style>@page {{ margin: 0 }} body {{ margin: 0 }}</style><div id="box" style="width: {width}px; ' \
           f'text-align: {align}; {style}">{markup}</div></html>'
    page = HTML(string=html).render().pages[0]
    return next(box for box in _walk(page._page_box) if getattr(box, "element", None) is not None
                and box.element.get("id") == "box")  # fmt: skip


def _walk(box: object):  # type: ignore[no-untyped-def]
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _learnt(markup: str, width: float = 300, align: str = "left") -> values.Shape:
    shape = values.learn(_laid(values.learning_markup(markup), width, align), (0.0, 0.0), markup)
    assert shape is not None
    return shape


def _weasyprint_texts(markup: str, width: float = 300, align: str = "left") -> list[tuple[str, float, float]]:
    return [(box.text, box.position_x, box.position_y + box.baseline) for box, _, _ in drawn.texts(_laid(markup, width, align))
            if box.text.strip()]  # fmt: skip


@pytest.mark.parametrize("align", ["left", "center", "right"])
@pytest.mark.parametrize("name", ["長谷川 花子", "林 一", "髙橋 﨑子"])
def test_a_value_is_placed_where_weasyprint_lays_it_out(name: str, align: str) -> None:
    """Learnt from one resident's name, placed for another's: each text where WeasyPrint puts it, 様 moved along."""
    shape = _learnt("山田 太郎<span style=\"margin-left: 0.6em\">様</span>", align=align)
    placed = values.place(shape, f"{name}<span style=\"margin-left: 0.6em\">様</span>")
    assert placed is not None
    want = _weasyprint_texts(f"{name}<span style=\"margin-left: 0.6em\">様</span>", align=align)
    assert [(d.shaped.text, pytest.approx(d.x, abs=0.01), pytest.approx(d.baseline, abs=0.01)) for d in placed] == want
    widths = [d.shaped.width / PT_PER_PX for d in placed]
    assert widths[0] > 0 and widths[1] > 0


def test_a_value_in_two_fonts_is_drawn_a_font_after_the_other() -> None:
    """A Japanese name with digits on a page whose font list starts with a Latin font (a foreign resident's
    letter): the kanji in BIZ UDGothic, the digits in Noto Sans, one after the other as Pango draws them."""
    style = "font-family: 'Noto Sans', 'BIZ UDGothic', sans-serif; font-size: 11pt"
    markup = "若葉 太郎12<span style=\"margin-left: 0.6em\">様</span>"
    shape = values.learn(_laid(values.learning_markup(markup), style=style), (0.0, 0.0), markup)
    assert shape is not None
    placed = values.place(shape, "長谷川 花子345<span style=\"margin-left: 0.6em\">様</span>")
    assert placed is not None and [d.shaped.text for d in placed] == ["長谷川 花子", "345", "様"]
    assert placed[0].shaped.face is not placed[1].shaped.face
    want = [(box.text, box.position_x, box.width) for box, _, _ in
            drawn.texts(_laid("長谷川 花子345<span style=\"margin-left: 0.6em\">様</span>", style=style))]  # fmt: skip
    assert placed[0].x == pytest.approx(want[0][1], abs=0.01)
    assert placed[1].x + placed[1].shaped.width / PT_PER_PX == pytest.approx(want[0][1] + want[0][2], abs=0.01)
    assert placed[2].x == pytest.approx(want[1][1], abs=0.01)


def test_a_korean_sentence_with_japanese_words_is_drawn_as_pango_shapes_it() -> None:
    """Pango shapes a Han run of a Korean page without the page's language (its table has Korean in Hangul only):
    each text of the laid-out paragraph, drawn here, is as wide as WeasyPrint made it (drawn.fixed checks)."""
    style = "font-family: 'Noto Sans CJK KR', 'BIZ UDGothic', sans-serif; font-size: 10pt; line-height: 1.4"
    html = (f'<html lang="ko"><style>@page {{ margin: 0 }} body {{ margin: 0 }}</style><div id="box" lang="ko" '
            f'style="width: 400px; {style}">새 재류카드(在留カード)를 받으면 若葉町役場 住民課 마이넘버카드係의 창구에 '
            f'<strong>2027년 2월 8일</strong>까지 오십시오.</div></html>')  # fmt: skip
    page = HTML(string=html).render().pages[0]
    box = next(b for b in _walk(page._page_box) if getattr(b, "element", None) is not None and b.element.get("id") == "box")
    texts = drawn.fixed(box, (0.0, 0.0))
    assert texts is not None
    assert "".join(d.shaped.text for d in texts).replace(" ", "") == "".join(
        t.text for t, _, _ in drawn.texts(box)).replace(" ", "")


def test_a_value_too_long_for_its_line_is_not_placed() -> None:
    shape = _learnt("山田 太郎", width=100)
    assert values.place(shape, "山田 太郎") is not None
    assert values.place(shape, "長谷川長谷川長谷川 花子") is None  # WeasyPrint would break it over two lines


def test_a_value_in_another_font_is_not_placed() -> None:
    """𠮷 is not in BIZ UDGothic: Pango draws it in IPAmj明朝, so the text is left to WeasyPrint."""
    shape = _learnt("山田 太郎")
    assert values.place(shape, "𠮷田 太郎") is None


def test_the_shape_of_content_is_its_tags_and_which_texts_are_blank() -> None:
    signature, texts = values.tokens("<p>〒999-0012</p>\n  <p class=\"wrap\">若葉町&amp;1</p>")
    assert signature == (("<p>", "</p>", '<p class="wrap">', "</p>"), (False, True, False, True, False))
    assert texts == ["", "〒999-0012", " ", "若葉町&1", ""]
    assert values.tokens("<p>x</p>")[0] != values.tokens("<p></p>")[0]


def test_a_sentence_in_two_scripts_is_cut_where_pango_changes_font() -> None:
    families = ("Noto Sans", "BIZ UDGothic", "IPAmj明朝")
    runs = drawn.segments(families, False, "Your card (マイナンバーカード) is")
    assert [text for _, text in runs] == ["Your card (", "マイナンバーカード", ") is"]
    assert runs[0][0] is runs[2][0] and runs[1][0] is not runs[0][0]
    assert drawn.segments(families, False, "\U000f0000") is None  # in no font


def test_a_lot_is_the_same_bytes_whatever_was_rendered_before(config: Config) -> None:
    """Dask may render a lot again on another worker: what a renderer laid out for earlier lots (backgrounds,
    paragraphs, shapes of values) must not change a lot's bytes."""
    pieces = [make_piece(Kind.CARD_RENEWAL, make_resident(resident_id=f"R{n}", name=name), piece_id=f"P{n}",
                         expires_on=date(2027, 2, 1 + n)) for n, name in enumerate(("若葉 一郎", "長谷川 花子", "林 一"))]  # fmt: skip
    other = [make_piece(Kind.CERT_RENEWAL, make_resident(resident_id="R9", name="緑川 二郎"), piece_id="Q1",
                        expires_on=date(2027, 2, 3))]  # fmt: skip
    warm = Renderer(config, TEMPLATES)
    warm.render_lot(other, LETTER_DATE)
    warm.render_lot([dataclasses.replace(p, piece_id=p.piece_id + "x") for p in reversed(pieces)], LETTER_DATE)
    assert warm.render_lot(pieces, LETTER_DATE).pdf == Renderer(config, TEMPLATES).render_lot(pieces, LETTER_DATE).pdf

