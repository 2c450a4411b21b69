"""The fast path: a lot composed from what WeasyPrint lays out once, with the residents' values drawn into it.

Each shape of letter (its split-layer HTML, slots.py) is laid out once a renderer and kept as a background;
each paragraph that holds a date once per distinct content (paragraphs.py); each shape of box content once
(values.py). Backgrounds and paragraphs are kept on disk too, for the run's other workers and the nights
after (layouts.py). A lot is then written without a layout: every page draws its background as a form XObject and,
straight into its content stream, the paragraphs' and values' texts (in the lot's own subset fonts, pdftext.py)
and the codes (layers.py). A piece that cannot be drawn so (a value too long for its box, a font Pango would
mix within one text, a page that runs over) is laid out whole by the straightforward path instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import date

import jinja2
import pikepdf
from weasyprint.document import Document, Page

from . import drawn, layers, paragraphs, values, variant
from ..config import Config
from ..errors import RenderError
from ..models import Piece
from .layouts import Layouts
from .pdftext import TextWriter
from .slots import Field, Slots, with_heights

log = logging.getLogger("notices")

_A4_HEIGHT_PT = 297 / 25.4 * 72
_CACHE = 256  # backgrounds kept: a run has a few dozen shapes of letter

CheckFit = Callable[[Sequence[Page], int, Piece, int, int], None]
Paras = list[tuple[Field, paragraphs.Laid]]


class FastPath:
    """The fast path of one renderer, with what it has laid out so far."""

    def __init__(self, env: jinja2.Environment, config: Config, document: Callable[[str], Document],
                 context: Callable[[], dict[str, object]], check_fit: CheckFit, pages: Callable[[Piece], int],
                 layouts: Layouts) -> None:  # fmt: skip
        """ENV has the templates; DOCUMENT lays out HTML; CONTEXT gives what a page's head needs; CHECK_FIT
        raises RenderError for a piece whose sheets do not keep to their pages; PAGES gives a piece's page count;
        LAYOUTS keeps backgrounds and paragraphs across runs."""
        self.config, self._document, self._context, self._check_fit, self._pages = config, document, context, check_fit, pages
        self.layouts = layouts
        alone = env.get_template("slots.html")
        self.paragraphs = paragraphs.paragraphs(alone, document, context, layouts)
        self.shapes = values.shapes(alone, document, context)
        self._blank_template = env.from_string('<!DOCTYPE html><html lang="ja"><head>{% include "_head.html" %}</head>'
                                               "<body></body></html>")  # fmt: skip
        self._blank: dict[tuple[int, date], bytes] = {}
        self._backgrounds: dict[str, layers.Background] = {}
        self.backgrounds_laid_out = 0  # shapes of letter laid out so far (a background each)

    def compose(self, pieces: Sequence[Piece], letter_date: date, html: str,
                all_slots: Sequence[Slots]) -> tuple[pikepdf.Pdf, list[int], list[int]]:  # fmt: skip
        """The lot of PIECES from its split-layer HTML and their slots: the PDF, each piece's page count, and the
        pieces (by index) left for the straightforward path to lay out whole."""
        start, end = html.index("<section "), html.rindex("</section>") + len("</section>")
        sections = [html[:start] + section.strip() + "</section>" + html[end:]
                    for section in html[start:end].split("</section>")[:-1]]  # fmt: skip
        if len(sections) != len(pieces):
            raise RenderError(f"lot {pieces[0].lot}: {len(sections)} sections of letters for {len(pieces)} pieces")
        fields = [slots.fields for slots in all_slots]
        shapes: dict[str, list[int]] = {}  # each shape of letter and its pieces
        for i, section in enumerate(sections):
            shapes.setdefault(section, []).append(i)
        if pieces[0].lot % 2 == 0:  # a run's two workers begin with lots 1 and 2 at once: laying out their shapes
            shapes = dict(reversed(shapes.items()))  # from either end, each finds about half kept by the other
        laid_out = {}
        for section, i in shapes.items():
            for n in i[:2]:  # a second resident's need keeps it for the other worker and the next night (Layouts.offer)
                laid_out[section] = self.background(pieces[n], section)
        backgrounds = [laid_out[section] for section in sections]
        wanted = [(piece.due.resident.resident_id, background.boxes[f.slot], f) for piece, background, piece_fields in
                  zip(pieces, backgrounds, fields) for f in piece_fields if f.para]  # fmt: skip
        try:
            laid = self.paragraphs.get([(box, f) for _, box, f in wanted], [resident for resident, _, _ in wanted])
        except (KeyError, ValueError) as exc:
            raise RenderError(f"lot {pieces[0].lot}: paragraph slots: {exc}") from None
        laid.reverse()
        paras = [[(f, laid.pop()) for f in piece_fields if f.para] for piece_fields in fields]
        for i, (section, placed) in enumerate(zip(sections, paras)):
            html = self._refitted(section, backgrounds[i], placed)
            backgrounds[i] = self._fitted(pieces[i], backgrounds[i] if html is None else self.background(pieces[i], html),
                                          placed)  # fmt: skip
            if backgrounds[i].problem:
                paras[i] = []
        writer = TextWriter()
        contents, misfit = self._contents(backgrounds, fields, paras, writer)
        plan = [(background, number) for background in backgrounds for number in range(background.page_count)]
        pdf = layers.compose(self._blank_page(pieces[0].lot, letter_date), plan, contents, writer.embed)
        return pdf, [background.page_count for background in backgrounds], misfit

    @staticmethod
    def _refitted(section: str, background: layers.Background, paras: Paras) -> str | None:
        """The shape of letter with the heights of the piece's paragraphs that are not those of its background (it may
        fit with them where it ran over with the widest dates), or None if all are."""
        # Not as high as with the widest dates (a line fewer): the shape with these heights. Only those: a paragraph
        # as high as its sizer keeps it, and with it its width where that is the sizer's (the foreign page's date,
        # in a box as wide as its content: emptied, the box shrank to the sender's name and the date ran over).
        heights = {f.slot: lay.height for f, lay in paras if abs(lay.height - background.boxes[f.slot].height) > 0.001}
        return with_heights(section, heights) if heights else None

    def _fitted(self, piece: Piece, background: layers.Background, paras: Paras) -> layers.Background:
        """The background (with the heights of the piece's paragraphs), or an empty one (a problem said) if the
        piece is to be laid out whole."""
        problem = background.problem or ("a paragraph not drawn here" if any(lay.texts is None for _, lay in paras) else "")
        if problem:  # the straightforward path says whether it fits
            log.info("piece %s: laid out whole (%s)", piece.piece_id, problem)
            return layers.Background(b"", self._pages(piece), {}, problem)
        return background

    def background(self, piece: Piece, html: str) -> layers.Background:
        """The background of the piece's shape of letter (its split-layer HTML), laid out once (and kept across runs
        once two residents have needed it: Layouts.offer)."""
        key = hashlib.sha256(html.encode("utf-8")).hexdigest()
        found = self._backgrounds.get(key)
        if found is None and len(self._backgrounds) >= _CACHE:
            self._backgrounds.clear()
        if found is None and (kept := self.layouts.get("background", key)) is not None:
            found = self._backgrounds[key] = layers.Background.decode(kept)
        if found is None:
            document = self._document(html)
            pages = list(document.pages)
            problem = ""
            try:
                self._check_fit(pages, 1, piece, 0, len(pages))
            except RenderError as exc:  # with its paragraphs' real heights it may fit (_fitted)
                problem = str(exc)
            self.backgrounds_laid_out += 1
            found = self._backgrounds[key] = layers.Background(b"" if problem else document.write_pdf(), len(pages),
                                                               layers.slot_boxes(document), problem)  # fmt: skip
        if not found.problem:  # a problem names its piece: said again for each piece of the shape
            self.layouts.offer("background", key, piece.due.resident.resident_id, found.encode)
        return found

    def _contents(self, backgrounds: Sequence[layers.Background], fields: Sequence[Sequence[Field]],
                  paras: Sequence[Paras], writer: TextWriter) -> tuple[list[layers.PageContent], list[int]]:  # fmt: skip
        """What each page of the lot draws over its background, and the pieces whose values do not fit."""
        boxes = [(background.boxes[f.slot], f) for background, piece_fields in zip(backgrounds, fields)
                 if not background.problem for f in piece_fields if not f.para]  # fmt: skip
        shapes = iter(self.shapes.get(boxes))
        contents: list[layers.PageContent] = []
        misfit = []
        para_ops: dict[tuple[int, layers.Box], bytes] = {}
        for i, (background, piece_fields, placed) in enumerate(zip(backgrounds, fields, paras, strict=True)):
            first = len(contents)
            contents += [layers.PageContent([], []) for _ in range(background.page_count)]
            if background.problem:
                misfit.append(i)
                continue
            for f, lay in placed:  # the same paragraph in the same place draws the same operators all through the lot
                box = background.boxes[f.slot]
                ops = para_ops.get((id(lay), box))
                if ops is None:
                    ops = para_ops[(id(lay), box)] = drawn.ops(lay.texts or (), box, _A4_HEIGHT_PT, writer.show)
                contents[first + box.page].text.append(ops)
            fits = True
            for f in piece_fields:
                if f.para:
                    continue
                box, shape = background.boxes[f.slot], next(shapes)
                texts = values.place(shape, f.html) if shape is not None else None
                if texts is None:
                    fits = False
                    continue
                page = contents[first + box.page]
                page.text.append(drawn.ops(texts, box, _A4_HEIGHT_PT, writer.show))
                if f.drawing:
                    page.codes.append((box, f.drawing))
            if not fits:
                misfit.append(i)
        return contents, misfit

    def _blank_page(self, lot: int, letter_date: date) -> bytes:
        """A blank page written as the lot's PDF is (its title, the PDF variant's metadata and boxes), for compose."""
        key = (lot, letter_date)
        found = self._blank.get(key)
        if found is None:
            if len(self._blank) >= _CACHE:
                self._blank.clear()
            html = self._blank_template.render(**(self._context() | {"lot": lot, "page_only": True}))
            found = self._blank[key] = variant.write(self._document(html), self.config, letter_date)
        return found
