"""The fast path's layers: the background of a letter's shape, laid out once, and over it what is the
resident's, composed into the lot's PDF here.

A background is a rendered WeasyPrint document of one piece in the split layer (slots.py): its
slots are empty boxes, whose place and text style are read off the laid-out boxes here. Each page of
the lot draws its background page as a form XObject, embedded once a lot however many pieces use it
(what print vendors ask of variable-data PDFs), then its paragraphs (paragraphs.py, form XObjects too),
its values (values.py, text drawn straight into the content stream) and its codes (rectangles).
"""

from __future__ import annotations

import io
import json
from functools import partial
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import pikepdf
from jinja2 import Template
from weasyprint.document import Document

from .i18n import css_string
from .layouts import Layouts
from .slots import Drawing, Field

_GENERIC = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"})  # never quoted
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
    problem: str = ""  # why it cannot be printed (a page runs over), if so: then its pdf is empty

    def encode(self) -> bytes:
        """As kept on disk (layouts.py): its pages and slots as a JSON line, then its PDF."""
        boxes = {n: [b.page, b.left, b.top, b.width, b.height, b.css, b.classes, b.lang] for n, b in self.boxes.items()}
        head = json.dumps({"pages": self.page_count, "boxes": boxes, "problem": self.problem}, ensure_ascii=False)
        return head.encode("utf-8") + b"\n" + self.pdf

    @classmethod
    def decode(cls, data: bytes) -> Background:
        """A background as encode() kept it."""
        head, _, pdf = data.partition(b"\n")
        fields = json.loads(head)
        boxes = {int(n): Box(*values) for n, values in fields["boxes"].items()}
        return cls(pdf, fields["pages"], boxes, fields["problem"])


def walk(box: object) -> Iterator[object]:
    """BOX and every box inside it, in document order."""
    yield box
    for child in getattr(box, "children", ()):
        yield from walk(child)


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
        f"text-indent: {_length(style['text_indent'])}", f"word-spacing: {_length(style['word_spacing'])}",
        f"hyphens: {style['hyphens']}", f"text-transform: {style['text_transform']}",
    ))  # fmt: skip


def slot_boxes(document: Document) -> dict[int, Box]:
    """Every slot of a laid-out background (elements with id="slot-N"), by number."""
    boxes: dict[int, Box] = {}
    for index, page in enumerate(document.pages):
        for box in walk(page._page_box):
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


T = TypeVar("T")
_ALONE_CACHE = 4096  # slots kept by a renderer: a night has about 31 distinct dates a kind
Code = tuple[Box, Drawing]  # a code drawn at its box's top-left corner


def _codes(codes: Sequence[Code], page_height_pt: float) -> bytes:
    """A content stream that fills each code's black rectangles, as one path or a path each as its SVG image
    does in the natural layer (so that both are rasterised alike), in PDF points, origin bottom-left; a QR code's
    in whole modules from its top-left corner (a third of the bytes, and of the time to write and to read)."""
    ops = []
    for box, drawing in codes:
        left, top = box.left * _PT_PX, box.top * _PT_PX
        if drawing.module_mm:
            unit = drawing.module_mm
            cells = [f"{round(x / unit)} {round(y / unit)} {round(width / unit)} {round(height / unit)} re"
                     for x, y, width, height in drawing.rects]  # fmt: skip
            scale = unit * _PT_MM
            ops.append(f"q {scale:.6f} 0 0 {-scale:.6f} {left:.3f} {page_height_pt - top:.3f} cm " + " ".join(cells) + " f Q")
            continue
        paths = [f"{left + x * _PT_MM:.3f} {page_height_pt - top - (y + height) * _PT_MM:.3f} "
                 f"{width * _PT_MM:.3f} {height * _PT_MM:.3f} re" for x, y, width, height in drawing.rects]  # fmt: skip
        ops.append(" ".join(paths) + " f" if drawing.joined else " f\n".join(paths) + " f")
    return ("q 0 g\n" + "\n".join(ops) + "\nQ\n").encode("ascii") if ops else b""


@dataclass(frozen=True)
class PageContent:
    """What a page of a lot draws over its background: texts (content-stream operators) and codes."""

    text: list[bytes]
    codes: list[Code]


def compose(base_pdf: bytes, plan: Sequence[tuple[Background, int]], contents: Sequence[PageContent],
            fonts: Callable[[pikepdf.Pdf], dict[pikepdf.Name, pikepdf.Object]]) -> pikepdf.Pdf:  # fmt: skip
    """A PDF of BASE_PDF's first page (blank: its boxes and the document's metadata) repeated for each page:
    page `plan[i][1]` of background `plan[i][0]` as a form XObject (none for a background without a PDF),
    then `contents[i]`; FONTS embeds the texts' fonts once and gives them by resource name."""
    out = open_pdf(base_pdf)
    blank = {key: value for key, value in out.pages[0].obj.items() if key not in ("/Contents", "/Resources", "/Parent")}
    del out.pages[0]
    sources: dict[int, pikepdf.Pdf] = {}
    forms: dict[tuple[int, int], tuple[pikepdf.Name, pikepdf.Object]] = {}
    streams = []
    for (background, number), content in zip(plan, contents, strict=True):
        ops = []
        if background.pdf:  # none: the piece is laid out whole (replace_pieces)
            key = (id(background), number)
            if key not in forms:
                if id(background) not in sources:
                    sources[id(background)] = open_pdf(background.pdf)
                xobject = out.copy_foreign(sources[id(background)].pages[number].as_form_xobject())
                # Named by number, not by pikepdf's generated names, which differ each run.
                forms[key] = (pikepdf.Name(f"/NoticesBackground{len(forms) + 1}"), xobject)
            ops.append(b"q " + forms[key][0].unparse() + b" Do Q\n")
        streams.append(b"".join(ops) + b"".join(content.text) + _codes(content.codes, float(blank["/MediaBox"][3])))
    resources = out.make_indirect(pikepdf.Dictionary(
        Font=pikepdf.Dictionary({str(name): font for name, font in fonts(out).items()}),
        XObject=pikepdf.Dictionary({str(name): xobject for name, xobject in forms.values()})))
    for stream in streams:
        page = pikepdf.Dictionary({**blank, "/Type": pikepdf.Name.Page, "/Resources": resources,
                                   "/Contents": pikepdf.Stream(out, stream)})
        out.pages.append(pikepdf.Page(page))
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


def alone(template: Template, document: Callable[[str], Document], context: dict[str, object],
          items: Sequence[tuple[Box, str]], fixed: bool) -> tuple[Document, list[tuple[int, object]]]:  # fmt: skip
    """ITEMS (a slot's box, its content) laid out by TEMPLATE, each alone in a block at its box's width (and
    height, if FIXED): the document, and the page and laid-out box of each."""
    laid_out = document(template.render(items=items, fixed=fixed, **context))
    found: dict[str, tuple[int, object]] = {}
    pages: dict[str, set[int]] = {}
    for index, page in enumerate(laid_out.pages):
        for laid in walk(page._page_box):
            element = getattr(laid, "element", None)
            ident = element.get("id", "") if element is not None else ""
            if ident.startswith("alone-"):
                found.setdefault(ident, (index, laid))
                pages.setdefault(ident, set()).add(index)
    if len(found) != len(items) or any(len(on) > 1 for on in pages.values()):
        raise ValueError(f"{len(items)} slots laid out alone: {len(found)} found, some split over pages")
    return laid_out, [found[f"alone-{n}"] for n in range(1, len(items) + 1)]


@dataclass(frozen=True)
class Kept(Generic[T]):
    """Where Alone keeps what it makes across runs (layouts.py), as KIND, and how it is written and read."""

    layouts: Layouts
    kind: str
    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


class Alone(Generic[T]):
    """Slots laid out alone, each distinct one once a renderer (the new ones of a lot in one document by TEMPLATE),
    and what MAKE makes of each: MAKE(laid-out box, its top-left corner, slot box, field), kept by KEY(box, field)."""

    def __init__(self, template: Template, document: Callable[[str], Document], context: Callable[[], dict[str, object]],
                 key: Callable[[Box, Field], Hashable], markup: Callable[[Field], str], fixed: bool,
                 make: Callable[[object, tuple[float, float], Box, Field], T], kept: Kept[T] | None = None) -> None:  # fmt: skip
        """DOCUMENT lays out HTML; CONTEXT gives what TEMPLATE needs besides the slots; MARKUP is a field's content
        as laid out; FIXED: at the slot's height too (a box), else as high as its content (a paragraph); KEPT: where
        what is made is also kept across runs, by the repr of its key."""
        self._template, self._document, self._context = template, document, context
        self._key, self._markup, self._fixed, self._make, self._store = key, markup, fixed, make, kept
        self._kept: dict[Hashable, T] = {}
        self.laid_out = 0  # slots laid out so far

    def get(self, wanted: Sequence[tuple[Box, Field]], residents: Sequence[str] = ()) -> list[T]:
        """What is made of each wanted slot, in order. RESIDENTS: whose each slot is, for what is kept across runs
        (Layouts.offer: what two residents have needed)."""
        keys = [self._key(box, field) for box, field in wanted]
        new: dict[Hashable, tuple[Box, Field]] = {}
        for k, item in zip(keys, wanted):
            if k not in self._kept:
                new.setdefault(k, item)
        if new and len(self._kept) + len(new) > _ALONE_CACHE:
            self._kept.clear()  # and all of this lot's made again: none it held is lost
            new = {}
            for k, item in zip(keys, wanted):
                new.setdefault(k, item)
        store = self._store
        for k in list(new) if store else ():
            data = store.layouts.get(store.kind, repr(k))
            if data is not None:
                self._kept[k] = store.decode(data)
                del new[k]
        if new:
            items = [(box, self._markup(field)) for box, field in new.values()]
            _, found = alone(self._template, self._document, self._context(), items, fixed=self._fixed)
            for k, (box, field), (_, laid) in zip(new, new.values(), found):
                origin = (laid.border_box_x(), laid.border_box_y())  # type: ignore[attr-defined]
                self._kept[k] = self._make(laid, origin, box, field)
            self.laid_out += len(new)
        for k, resident in zip(keys, residents) if store else ():
            store.layouts.offer(store.kind, repr(k), resident, partial(store.encode, self._kept[k]))
        return [self._kept[k] for k in keys]
