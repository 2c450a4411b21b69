"""The fast path's two layers: the background of a letter's shape, laid out once, and the overlay of
the resident's values, laid out per piece into the background's empty slots and merged under it.

A background is a rendered WeasyPrint document of one piece in the split layer (slots.py): its
slots are empty boxes, whose place and text style are read off the laid-out boxes here. The overlay
is one HTML document a lot, a page for each background page, each value in an absolutely placed box
with that style; pikepdf then puts each background page under its overlay page as a form XObject,
embedded once a lot however many pieces use it (what print vendors ask of variable-data PDFs).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pikepdf
from markupsafe import Markup
from weasyprint.document import Document

from .i18n import css_string
from .slots import Field

_GENERIC = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"})  # never quoted
_TOLERANCE = 0.5  # CSS pixels a value may pass its box's edge by (rounding)
_PT_PX, _PT_MM = 0.75, 72 / 25.4  # PDF points in a CSS pixel and in a millimetre


@dataclass(frozen=True)
class Box:
    """Where a slot of a background is, in CSS pixels from the page's top-left corner, and its style."""

    page: int  # page index within the piece
    left: float
    top: float
    width: float
    height: float
    css: str  # the text style at the slot (font, size, line height, colour…), as CSS declarations
    classes: str  # the slot's own classes, for the rules of letters.css that style its content
    lang: str


@dataclass(frozen=True)
class Background:
    """A letter's shape laid out once: the PDF of its pages and its slots by number."""

    pdf: bytes
    page_count: int
    boxes: dict[int, Box]


def _walk(box: object) -> Iterator[object]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _length(value: object) -> str:
    if isinstance(value, (int, float)):
        return f"{value}px"
    number, unit = value  # type: ignore[misc]
    return f"{number}{unit or ''}"


def _style_css(style: dict[str, object]) -> str:
    """The inherited text properties of a computed style, as CSS declarations."""
    red, green, blue = (round(c * 255) for c in style["color"].to("srgb").coordinates)  # type: ignore[attr-defined]
    line = style["line_height"]
    spacing = style["letter_spacing"]
    return "; ".join((
        "font-family: " + ", ".join(f if f in _GENERIC else css_string(f)
                                    for f in style["font_family"]),  # type: ignore[attr-defined]
        f"font-size: {style['font_size']}px", f"font-weight: {style['font_weight']}",
        f"font-style: {style['font_style']}", f"color: rgba({red}, {green}, {blue}, {style['color'].alpha})",  # type: ignore[attr-defined]
        f"line-height: {line if isinstance(line, (str, int, float)) else _length(line)}",
        f"letter-spacing: {spacing if isinstance(spacing, str) else _length(spacing)}",
        f"text-align: {style['text_align_all']}", f"white-space: {style['white_space']}",
        f"overflow-wrap: {style['overflow_wrap']}", f"word-break: {style['word_break']}",
    ))  # fmt: skip


def slot_boxes(document: Document) -> dict[int, Box]:
    """Every slot of a laid-out background (elements with id="slot-N"), by number."""
    boxes: dict[int, Box] = {}
    for index, page in enumerate(document.pages):
        for box in _walk(page._page_box):
            element = getattr(box, "element", None)
            ident = element.get("id", "") if element is not None else ""
            if not ident.startswith("slot-") or box.element_tag in ("html", "body"):  # type: ignore[attr-defined]
                continue
            number = int(ident[5:])
            if number in boxes:
                continue  # a slot is one box; its children carry the same element
            classes = " ".join(c for c in element.get("class", "").split() if c not in ("slot", "fixed"))
            left, top = box.border_box_x(), box.border_box_y()  # type: ignore[attr-defined]
            width, height = box.border_width(), box.border_height()  # type: ignore[attr-defined]
            style = box.style  # type: ignore[attr-defined]
            boxes[number] = Box(index, left, top, width, height, _style_css(style), classes, style["lang"] or "")
    return boxes


@dataclass(frozen=True)
class OverlayBox:
    """One value placed for the overlay: its box, its content and the anchor that shows its extent."""

    box: Box
    field: Field
    anchor: str


def overlay_pages(backgrounds: Sequence[Background], fields: Sequence[Sequence[Field]]) -> list[list[OverlayBox]]:
    """The overlay's pages, piece after piece: the values of each piece placed in its background's slots."""
    pages: list[list[OverlayBox]] = []
    for index, (background, values) in enumerate(zip(backgrounds, fields, strict=True)):
        first = len(pages)
        pages += [[] for _ in range(background.page_count)]
        for field in values:
            box = background.boxes.get(field.slot)
            if box is None:
                raise ValueError(f"slot {field.slot} is not laid out in the letter's background (hidden?)")
            pages[first + box.page].append(OverlayBox(box, field, f"v{index}-{field.slot}"))
    return pages


def _extent(box: object) -> tuple[float, float]:
    """How far right and down the content of a laid-out box reaches (its own size aside)."""
    right = bottom = 0.0
    for child in getattr(box, "children", ()):
        if getattr(child, "width", None) is None:
            continue
        inner_right, inner_bottom = _extent(child)
        right = max(right, child.position_x + child.margin_width(), inner_right)  # type: ignore[attr-defined]
        bottom = max(bottom, child.position_y + child.margin_height(), inner_bottom)  # type: ignore[attr-defined]
    return right, bottom


def misfits(document: Document, pages: Sequence[Sequence[OverlayBox]]) -> set[str]:
    """The anchors of the values that run out of their boxes in the laid-out overlay.

    Read off the laid-out boxes rather than from markers after each value: a marker is one more
    element to style and lay out for every value of every piece."""
    if len(document.pages) != len(pages):
        raise ValueError(f"the overlay has {len(document.pages)} pages for {len(pages)} background pages")
    out = set()
    for page, placed in zip(document.pages, pages):
        wanted = {item.anchor: item for item in placed if not item.field.rects}  # codes have a fixed size
        for laid in _walk(page._page_box):
            element = getattr(laid, "element", None)
            item = wanted.pop(element.get("id", ""), None) if element is not None else None
            if item is None:
                continue
            right, bottom = _extent(laid)
            box = item.box
            if right > box.left + box.width + _TOLERANCE or bottom > box.top + box.height + _TOLERANCE:
                out.add(item.anchor)
        if wanted:
            raise ValueError(f"values {sorted(wanted)} are missing from the laid-out overlay")
    return out


def _codes(placed: Sequence[OverlayBox], page_height_pt: float) -> bytes:
    """A content stream that fills the codes' black rectangles, each a path of its own as in the
    SVG drawing (PDF points, origin bottom-left)."""
    ops = []
    for item in placed:
        left, top = item.box.left * _PT_PX, item.box.top * _PT_PX
        for x, y, width, height in item.field.rects:
            ops.append(f"{left + x * _PT_MM:.3f} {page_height_pt - top - (y + height) * _PT_MM:.3f} "
                       f"{width * _PT_MM:.3f} {height * _PT_MM:.3f} re f")  # fmt: skip
    return ("q 0 g\n" + "\n".join(ops) + "\nQ\n").encode("ascii") if ops else b""


def compose(overlay_pdf: bytes, plan: Sequence[tuple[Background, int]],
            pages: Sequence[Sequence[OverlayBox]]) -> pikepdf.Pdf:  # fmt: skip
    """The overlay with page `plan[i][1]` of background `plan[i][0]` under its page i, and the codes
    of its values (`pages[i]`) drawn over it."""
    out = open_pdf(overlay_pdf)
    sources: dict[int, pikepdf.Pdf] = {}
    forms: dict[tuple[int, int], tuple[pikepdf.Name, pikepdf.Object]] = {}
    for page, (background, number), placed in zip(out.pages, plan, pages, strict=True):
        key = (id(background), number)
        if key not in forms:
            if id(background) not in sources:
                sources[id(background)] = open_pdf(background.pdf)
            form = out.copy_foreign(sources[id(background)].pages[number].as_form_xobject())
            # Named by number, not by pikepdf's generated names, which differ each run; the pages
            # may share one resource dictionary, so every background page needs a name of its own.
            forms[key] = (pikepdf.Name(f"/NoticesBackground{len(forms) + 1}"), form)
        name, form = forms[key]
        page.add_resource(form, pikepdf.Name.XObject, name=name)
        # The overlay's own content is wrapped in q…Q, so that the codes are drawn in default space.
        page.contents_add(pikepdf.Stream(out, b"q " + name.unparse() + b" Do Q\nq\n"), prepend=True)
        page.contents_add(pikepdf.Stream(out, b"Q\n" + _codes(placed, float(page.mediabox[3]))))
    return out


def replace_pieces(pdf: pikepdf.Pdf, page_counts: Sequence[int], indexes: Sequence[int], whole: bytes) -> None:
    """Put the pages of WHOLE (the pieces at INDEXES, laid out whole, in order) in place of theirs in
    PDF, whose pieces have PAGE_COUNTS pages each."""
    replacement = open_pdf(whole)
    taken = 0
    for index in indexes:
        first = sum(page_counts[:index])
        for n in range(page_counts[index]):
            pdf.pages[first + n] = replacement.pages[taken + n]
        taken += page_counts[index]


def open_pdf(data: bytes) -> pikepdf.Pdf:
    """A PDF from its bytes, for composing."""
    return pikepdf.open(io.BytesIO(data))


def save(pdf: pikepdf.Pdf) -> bytes:
    """PDF bytes that depend on the content only (the same lot gives the same bytes)."""
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)  # fmt: skip
    return buffer.getvalue()


def overlay_styles(pages: Sequence[Sequence[OverlayBox]]) -> tuple[Markup, dict[Box, str]]:
    """A CSS rule for each distinct slot box of the overlay, and the class name of each box: the
    boxes of one background recur in every piece of its shape, and one rule costs less than many
    style attributes."""
    names: dict[Box, str] = {}
    rules = []
    for placed in pages:
        for item in placed:
            box = item.box
            if box not in names:
                names[box] = f"b{len(names) + 1}"
                rules.append(f".{names[box]} {{ left: {box.left:.3f}px; top: {box.top:.3f}px; width: {box.width:.3f}px; "
                             f"height: {box.height:.3f}px; {box.css} }}")  # fmt: skip
    return Markup("\n".join(rules)), names


def overlay_markup(item: OverlayBox, name: str) -> Markup:
    """One placed value as HTML: an absolutely placed box of class NAME (its place and style)."""
    box = item.box
    lang = Markup(' lang="{}"').format(box.lang) if box.lang != "ja" else ""  # the overlay's own is ja
    return Markup('<div class="ov {} {}" id="{}"{}>{}</div>').format(
        name, box.classes, item.anchor, lang, item.field.html
    )
