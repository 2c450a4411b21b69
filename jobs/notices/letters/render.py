"""The letters: one lot of mail pieces as one PDF, from Jinja2 templates laid out by WeasyPrint.

Two paths give the same pages. The straightforward one lays out the whole lot as one document. The
fast one (the default, fast.py) lays out each shape of letter once, its resident's values left as empty
slots (slots.py), keeps it as a background, and draws the values straight into each lot's pages. A piece
it cannot draw (a value too long for its slot, say) takes the straightforward path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import jinja2
from PIL import ImageFont
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.document import Document, Page

from . import appid, envelope, fast, fit, fonts, i18n, layers, layouts, pagecode, variant
from ..register import wareki
from .fetcher import LocalFetcher
from ..config import Config
from ..errors import FontError, RenderError
from ..models import Piece, Placement, RenderedLot, Resident
from .slots import NATURAL, SPLIT, Drawing, Slots, ems, widest

log = logging.getLogger("notices")

_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")
QR_MM = 30.0  # the application form's QR code, quiet zone included


def format_postal(code: str) -> str:
    """A 7-digit postal code as 123-4567 (anything else as given)."""
    return f"{code[:3]}-{code[3:]}" if len(code) == 7 and code.isdigit() else code


def format_english(day: date) -> str:
    """A date for the English page: 10 February 2027."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def css_string(value: str) -> Markup:
    """VALUE as a quoted CSS string that cannot end the string or the style element."""
    return Markup(i18n.css_string(value))


def sheet_plan(piece: Piece) -> tuple[int, int, int]:
    """(sheets with content, number of the insert sheet or 0, total sheets: always even) of PIECE.

    The kind's sheets (its KindSpec), the application form's if it has one, the insert in a foreign resident's
    language if the kind has one; then blank sheets to an even count."""
    spec = piece.due.kind.spec
    content = spec.sheets + piece.due.has_form
    insert = content + 1 if piece.due.resident.is_foreign and spec.insert else 0
    content = max(content, insert)
    return content, insert, content + content % 2


def qr_drawing(payload: str) -> Drawing:
    """The QR code of PAYLOAD (error correction M, quiet zone 4), QR_MM square."""
    code = pagecode.encode(payload, micro=False)
    return pagecode.qr_drawing(code, QR_MM / (len(code.modules) + 8), 4, "qrcode")


class _Codes:
    """The page codes of a piece as slots, looked up by sheet number from the templates."""

    def __init__(self, slots: Slots, piece: Piece, total: int) -> None:
        self._slots, self._piece, self._total = slots, piece, total

    def __getitem__(self, number: int) -> Markup:
        drawing, text = pagecode.markup(self._piece.lot, self._piece.piece_id, number, self._total)
        return self._slots.code("pagecode", drawing, text)


class Renderer:
    """Turns mail pieces into letters for one municipality's configuration."""

    def __init__(self, config: Config, templates_dir: Path, layouts_dir: Path | None = None) -> None:
        """Prepare the templates (loaded from TEMPLATES_DIR) and the URL fetcher; the fast path's layouts are kept
        in LAYOUTS_DIR across runs, if given (layouts.py)."""
        self.config = config
        self.templates_dir = templates_dir.resolve()
        fingerprint = layouts.fingerprint(self.templates_dir) if layouts_dir else ""
        kept = layouts.Layouts(layouts_dir if fingerprint else None, fingerprint)
        self._fetcher = LocalFetcher(self.templates_dir)
        self._font_config = FontConfiguration()
        self._geometry = envelope.geometry(config)
        # Each BIZ UD font with the fallback right after it: Pango draws a character the first lacks with the
        # fallback (issue 13), and fonts.missing_in_stacks checks names and addresses against these same lists.
        self._fonts = {"mincho": config.mincho_font, "gothic": config.gothic_font, "fallback": config.fallback_font,
                       "mincho_stack": Markup(i18n.font_list((config.mincho_font, config.fallback_font), "serif")),
                       "gothic_stack": Markup(i18n.font_list((config.gothic_font, config.fallback_font), "sans-serif"))}
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        env.filters.update(
            jdate=self._jdate,
            wdate=wareki.format_western,
            edate=format_english,
            birth=self._birth,
            appid=appid.grouped,
            postal=format_postal,
            css_string=css_string,
        )
        i18n.install(env)
        env.globals["fit_box"] = fit.CSS
        env.bytecode_cache = layouts.Compiled(layouts_dir if fingerprint else None, env)
        self._env = env
        self._lot = env.get_template("lot.html")
        self._fast = fast.FastPath(env, config, self._document, self._alone_context, self._check_fit,
                                   lambda piece: sheet_plan(piece)[2], kept)  # fmt: skip
        self._widest: dict[tuple[str, str | None, int], str] = {}

    @property
    def backgrounds_laid_out(self) -> int:
        """Shapes of letter laid out so far by the fast path (a background each)."""
        return self._fast.backgrounds_laid_out

    def _alone_context(self) -> dict[str, object]:
        return {"cfg": self.config, "lot": 0, "geo": self._geometry, "margin": envelope.PAGE_MARGIN_MM, "fonts": self._fonts}

    def _jdate(self, day: date) -> str:
        return wareki.format_date(day, self.config.date_style, self.config.first_year)

    def _birth(self, resident: Resident) -> str:
        """Birth date: Western for foreign residents, the letter's date style otherwise."""
        if resident.birth_date is None:
            return ""
        if resident.is_foreign:
            return wareki.format_western(resident.birth_date)
        return self._jdate(resident.birth_date)

    def _text_width(self, lang: str | None) -> Callable[[str], float]:
        """How wide a text is in the language's first font (its width in ems if that cannot be read):
        dates of the same length differ in width (Nobyembre, Setyembre), and a slot fits the widest."""
        family = i18n.families(lang, self.config.gothic_font)[0] if lang else self.config.gothic_font
        try:
            return ImageFont.truetype(str(fonts.font_file(family)), 100).getlength
        except (OSError, FontError):
            return ems

    def _slots(self, layer: str, seq: int, letter_date: date) -> Slots:
        filters = self._env.filters

        def widest_date(fmt: str, lang: str | None) -> str:
            # A date in a sentence (renewal from, expiry, grace end) falls within a year of the letter;
            # one that does not (a preview of a far date) only makes its piece be laid out whole.
            key = (fmt, lang, letter_date.year)
            if key not in self._widest:
                years = range(letter_date.year - 1, letter_date.year + 2)
                self._widest[key] = widest(filters[fmt], years, lang, self._text_width(lang))
            return self._widest[key]

        return Slots(layer, seq, filters, widest_date)

    def render_html(self, pieces: Sequence[Piece], letter_date: date) -> str:
        """The lot's HTML: one <section class="piece"> per piece, in input order, every sheet numbered."""
        return self._html(pieces, letter_date, NATURAL)[0]

    def _html(self, pieces: Sequence[Piece], letter_date: date, layer: str,
              lot: int | None = None) -> tuple[str, list[Slots]]:  # fmt: skip
        """The lot's HTML in LAYER and the slots of its pieces."""
        items, all_slots = [], []
        for seq, piece in enumerate(pieces, start=1):
            qr: Drawing | None = None
            if piece.due.has_form:
                if not piece.qr_payload or not piece.application_id:
                    raise RenderError(
                        f"piece {piece.piece_id}: an application form needs an application ID and a QR payload"
                    )
                qr = qr_drawing(piece.qr_payload)
            content, insert, total = sheet_plan(piece)
            # In the split layer every piece is numbered 1, so that its HTML is that of its shape alone.
            seq = seq if layer == NATURAL else 1
            slots = self._slots(layer, seq, letter_date)
            all_slots.append(slots)
            # Mailed on a layout decision: the long values printed smaller, in boxes of their own (fit.py).
            fitted = fit.plan(piece.due, self.config) if piece.due.fit else None
            addr = fitted.window if fitted else envelope.address_block(piece.due.addressee, self.config)
            items.append({"piece": piece, "template": piece.due.kind.spec.template, "qr": qr,
                          "codes": _Codes(slots, piece, total), "insert": insert, "addr": addr, "fit": fitted,
                          "padding": range(content + 1, total + 1), "slots": slots, "seq": seq})  # fmt: skip
        html = self._lot.render(
            items=items,
            cfg=self.config,
            letter_date=letter_date,
            lot=(pieces[0].lot if pieces else 0) if lot is None else lot,
            geo=self._geometry,
            margin=envelope.PAGE_MARGIN_MM,
            fonts=self._fonts,
        )
        return html, all_slots

    def render_lot(self, pieces: Sequence[Piece], letter_date: date, fast: bool = True) -> RenderedLot:
        """Render PIECES as one PDF; each piece starts on an odd page and has an even page count.
        FAST lays out each shape of letter once (the default); the result has the same pages."""
        if not pieces:
            raise ValueError("a lot needs at least one piece")
        ids = [piece.piece_id for piece in pieces]
        if len(set(ids)) != len(ids):
            raise ValueError("piece IDs within a lot must be unique")
        if len({piece.lot for piece in pieces}) != 1:
            raise ValueError("the pieces of a lot must all carry its lot number")
        return self._render_fast(pieces, letter_date) if fast else self._render_natural(pieces, letter_date)

    def _document(self, html: str) -> Document:
        # One font configuration for all of them: each document's own would load fontconfig and the fonts again (6 ms).
        html_document = HTML(string=html, base_url=self.templates_dir.as_uri() + "/", url_fetcher=self._fetcher)
        return html_document.render(font_config=self._font_config)

    def _render_natural(self, pieces: Sequence[Piece], letter_date: date) -> RenderedLot:
        """The straightforward path: the whole lot laid out as one document."""
        html, all_slots = self._html(pieces, letter_date, NATURAL)
        document = self._document(html)
        pages = list(document.pages)
        firsts: list[int] = []
        for seq in range(1, len(pieces) + 1):
            firsts.append(self._page_of(pages, f"piece-{seq}", firsts[-1] if firsts else 0))
        placements = []
        for i, piece in enumerate(pieces):
            end = firsts[i + 1] if i + 1 < len(pieces) else len(pages)
            self._check_fit(pages, i + 1, piece, firsts[i], end)
            self._check_slots(pages[firsts[i]:end], piece, all_slots[i])
            placements.append(Placement(piece.piece_id, firsts[i] + 1, end - firsts[i]))
        data = variant.write(document, self.config, letter_date)
        if self.config.pdf_variant:  # what the variant needs besides what WeasyPrint wrote
            data = variant.save(layers.open_pdf(data), self.config, variant.key(pieces, letter_date))
        return RenderedLot(pdf=data, placements=tuple(placements), page_count=len(pages))

    def _render_fast(self, pieces: Sequence[Piece], letter_date: date) -> RenderedLot:
        """The fast path (fast.py); the pieces it cannot draw laid out whole by the straightforward one."""
        pdf, page_counts, misfit = self._fast.compose(pieces, letter_date, *self._html(pieces, letter_date, SPLIT, lot=0))
        if misfit:
            log.info("lot %d: %d pieces laid out whole (the fast path could not draw them: see above or the README)",
                     pieces[0].lot, len(misfit))
            whole = self._render_natural([pieces[i] for i in misfit], letter_date).pdf
            layers.replace_pieces(pdf, page_counts, misfit, whole)
        placements, first = [], 1
        for piece, count in zip(pieces, page_counts):
            placements.append(Placement(piece.piece_id, first, count))
            first += count
        data = variant.save(pdf, self.config, variant.key(pieces, letter_date))
        return RenderedLot(pdf=data, placements=tuple(placements), page_count=first - 1)

    @staticmethod
    def _page_of(pages: Sequence[Page], anchor: str, start: int) -> int:
        """Index of the first page at or after START whose anchors contain ANCHOR."""
        for index in range(start, len(pages)):
            if anchor in pages[index].anchors:
                return index
        raise RenderError(f"anchor {anchor!r} is missing from the rendered lot")

    def _check_fit(self, pages: Sequence[Page], seq: int, piece: Piece, first: int, end: int) -> None:
        """Raise RenderError unless every sheet of the SEQ-th piece sits on its own page, its count is
        even, and the cover letter's sender block keeps above the letter."""
        total = sheet_plan(piece)[2]
        for number in range(1, total + 1):
            if self._page_of(pages, f"sheet-{seq}-{number}", first) != first + number - 1:
                raise RenderError(f"piece {piece.piece_id}: page {number - 1} of the letter runs over its page")
        if self._page_of(pages, f"end-{seq}", first) != first + total - 1 or end - first != total:
            raise RenderError(f"piece {piece.piece_id}: the letter does not fit on {total} pages")
        anchors = pages[first].anchors  # name: (left, top, right, bottom) in CSS pixels
        if anchors[f"sender-end-{seq}"][1] > anchors[f"head-end-{seq}"][1] + 0.5:
            raise RenderError(f"piece {piece.piece_id}: the sender block runs into the letter")

    @staticmethod
    def _check_slots(pages: Sequence[Page], piece: Piece, slots: Slots) -> None:
        """Raise RenderError if a box of fixed size (the address window, a code) does not hold its value."""
        anchors = {name: where for page in pages for name, where in page.anchors.items()}
        for number, cls in slots.blocks.items():
            box, end = anchors.get(f"box-{slots.seq}-{number}"), anchors.get(f"end-{slots.seq}-{number}")
            if box is None or end is None or end[1] <= box[3] + 0.5:
                continue
            if "window-text" in cls:
                raise RenderError(f"piece {piece.piece_id}: the address does not fit the envelope window")
            raise RenderError(f"piece {piece.piece_id}: a value does not fit its box ({cls})")
