"""The letters: one lot of mail pieces laid out as one PDF with Jinja2 and WeasyPrint."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import segno
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.document import Page
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import appid, envelope, i18n, pagecode, wareki
from .config import Config
from .errors import RenderError
from .models import Kind, Piece, Placement, Resident

# Sheets (pages) of the kind's own letter; a foreign resident's card or certificate notice gets one
# more, the insert in their language; every piece is then padded with blank sheets to an even count.
SHEETS = {Kind.CARD_RENEWAL: 3, Kind.CERT_RENEWAL: 2, Kind.RESIDENCE_EXTENSION: 2, Kind.GRACE_REMINDER: 1}
INSERT_KINDS = frozenset({Kind.CARD_RENEWAL, Kind.CERT_RENEWAL})
_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")
_PX_MM = 25.4 / 96  # WeasyPrint's CSS pixel in mm


@dataclass(frozen=True)
class RenderedLot:
    """A lot's PDF and where each of its pieces landed."""

    pdf: bytes
    placements: tuple[Placement, ...]
    page_count: int


class _LocalFetcher(URLFetcher):
    """Fetches data: URIs and files inside the templates folder; refuses everything else."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self._root = root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Serve URL if it is a data: URI or a file under the templates folder."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve()
            if parts.netloc in ("", "localhost") and path.is_relative_to(self._root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise ValueError(f"refused to fetch {url[:80]!r}: only data: URIs and template files")


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
    """(sheets with content, number of the insert sheet or 0, total sheets: always even) of PIECE."""
    content = SHEETS[piece.due.kind] + (piece.due.kind is Kind.GRACE_REMINDER and piece.due.has_form)
    insert = content + 1 if piece.due.resident.is_foreign and piece.due.kind in INSERT_KINDS else 0
    content = max(content, insert)
    return content, insert, content + content % 2


def qr_svg(payload: str) -> Markup:
    """The QR code of PAYLOAD (error correction M, quiet zone 4) as inline SVG; CSS sets its size."""
    code = segno.make_qr(payload, error="m", boost_error=False)
    return Markup(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qrcode", lineclass=None))


class Renderer:
    """Turns mail pieces into letters for one municipality's configuration."""

    def __init__(self, config: Config, templates_dir: Path) -> None:
        """Prepare the templates (loaded from TEMPLATES_DIR) and the URL fetcher."""
        self.config = config
        self.templates_dir = templates_dir.resolve()
        self._fetcher = _LocalFetcher(self.templates_dir)
        self._geometry = envelope.geometry(config)
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
        self._env = env
        self._lot = env.get_template("lot.html")

    def _jdate(self, day: date) -> str:
        return wareki.format_date(day, self.config.date_style, self.config.first_year)

    def _birth(self, resident: Resident) -> str:
        """Birth date: Western for foreign residents, the letter's date style otherwise."""
        if resident.birth_date is None:
            return ""
        if resident.is_foreign:
            return wareki.format_western(resident.birth_date)
        return self._jdate(resident.birth_date)

    def render_html(self, pieces: Sequence[Piece], letter_date: date) -> str:
        """The lot's HTML: one <section class="piece"> per piece, in input order, every sheet numbered."""
        items = []
        for piece in pieces:
            qr: Markup | str = ""
            if piece.due.has_form:
                if not piece.qr_payload or not piece.application_id:
                    raise RenderError(
                        f"piece {piece.piece_id}: an application form needs an application ID and a QR payload"
                    )
                qr = qr_svg(piece.qr_payload)
            content, insert, total = sheet_plan(piece)
            codes = {n: pagecode.markup(piece.lot, piece.piece_id, n, total) for n in range(1, total + 1)}
            items.append({"piece": piece, "qr": qr, "codes": codes, "insert": insert,
                          "padding": range(content + 1, total + 1),
                          "addr": envelope.address_block(piece.due.resident, self.config)})  # fmt: skip
        return self._lot.render(
            items=items,
            cfg=self.config,
            letter_date=letter_date,
            lot=pieces[0].lot if pieces else 0,
            geo=self._geometry,
            margin=envelope.PAGE_MARGIN_MM,
            fonts={"mincho": self.config.mincho_font, "gothic": self.config.gothic_font},
        )

    def render_lot(self, pieces: Sequence[Piece], letter_date: date) -> RenderedLot:
        """Render PIECES as one PDF; each piece starts on an odd page and has an even page count."""
        if not pieces:
            raise ValueError("a lot needs at least one piece")
        ids = [piece.piece_id for piece in pieces]
        if len(set(ids)) != len(ids):
            raise ValueError("piece IDs within a lot must be unique")
        if len({piece.lot for piece in pieces}) != 1:
            raise ValueError("the pieces of a lot must all carry its lot number")
        html = self.render_html(pieces, letter_date)
        document = HTML(
            string=html, base_url=self.templates_dir.as_uri() + "/", url_fetcher=self._fetcher
        ).render()
        pages = list(document.pages)
        firsts: list[int] = []
        for pid in ids:
            firsts.append(self._page_of(pages, f"piece-{pid}", firsts[-1] if firsts else 0))
        placements = []
        for i, piece in enumerate(pieces):
            end = firsts[i + 1] if i + 1 < len(pieces) else len(pages)
            self._check_fit(pages, i + 1, piece, firsts[i], end)
            placements.append(Placement(piece.piece_id, firsts[i] + 1, end - firsts[i]))
        return RenderedLot(pdf=document.write_pdf(), placements=tuple(placements), page_count=len(pages))

    @staticmethod
    def _page_of(pages: Sequence[Page], anchor: str, start: int) -> int:
        """Index of the first page at or after START whose anchors contain ANCHOR."""
        for index in range(start, len(pages)):
            if anchor in pages[index].anchors:
                return index
        raise RenderError(f"anchor {anchor!r} is missing from the rendered lot")

    def _check_fit(self, pages: Sequence[Page], seq: int, piece: Piece, first: int, end: int) -> None:
        """Raise RenderError unless every sheet of the SEQ-th piece sits on its own page, its count is
        even, and the cover letter's window and sender blocks hold their text."""
        total = sheet_plan(piece)[2]
        for number in range(1, total + 1):
            if self._page_of(pages, f"sheet-{seq}-{number}", first) != first + number - 1:
                raise RenderError(f"piece {piece.piece_id}: page {number - 1} of the letter runs over its page")
        if self._page_of(pages, f"end-{seq}", first) != first + total - 1 or end - first != total:
            raise RenderError(f"piece {piece.piece_id}: the letter does not fit on {total} pages")
        anchors = pages[first].anchors  # name: (left, top, right, bottom) in CSS pixels
        barcode = anchors.get(f"barcode-{seq}")
        limit = barcode[1] if barcode else anchors[f"window-{seq}"][3] - envelope.INSET_TOP_MM / _PX_MM
        if anchors[f"window-end-{seq}"][1] > limit + 0.5:  # the text would run into the barcode or the edge
            raise RenderError(f"piece {piece.piece_id}: the address does not fit the envelope window")
        if anchors[f"sender-end-{seq}"][1] > anchors[f"head-end-{seq}"][1] + 0.5:
            raise RenderError(f"piece {piece.piece_id}: the sender block runs into the letter")
