"""A lot written as the PDF/X variant the print vendor asks for (`[print] pdf_variant`, issue 15).

WeasyPrint writes the variant (`write_pdf(pdf_variant="pdf/x-4")`): its version, the XMP metadata, Trapped, and a
TrimBox on every page. Two things it leaves to us: the output intent, which it takes only from a stylesheet's
`@color-profile device-cmyk`, is added here with the configured ICC profile (`[print] output_profile`); and the
XMP DocumentID and the file identifier, random in WeasyPrint, are made from the lot's pieces and date, with the
dates set to the letter's, so that a lot's bytes stay a function of its input (executors.py counts on it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

import pikepdf
from weasyprint.document import Document

from . import layers
from ..config import Config
from ..models import Piece

_COMPONENTS = {b"CMYK": 4, b"RGB ": 3, b"GRAY": 1}  # an ICC profile's colour space (header bytes 16-20)
_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-fA-F-]{36}")


def write(document: Document, config: Config, letter_date: date) -> bytes:
    """The document's PDF, written as the configured variant if there is one, dated as its letters."""
    if not config.pdf_variant:
        return document.write_pdf()
    document.metadata.created = document.metadata.modified = f"{letter_date.isoformat()}T00:00:00+09:00"
    return document.write_pdf(pdf_variant=config.pdf_variant)


def key(pieces: Sequence[Piece], letter_date: date) -> str:
    """What identifies a lot, for its document ID: its date, number and pieces."""
    return f"{letter_date.isoformat()}/{pieces[0].lot}/" + ",".join(p.piece_id for p in pieces)


def save(pdf: pikepdf.Pdf, config: Config, lot_key: str) -> bytes:
    """The lot's bytes (layers.save), finished as the configured variant if there is one."""
    if config.pdf_variant:
        finish(pdf, config.output_profile, lot_key)
    return layers.save(pdf)


@lru_cache(maxsize=4)
def _profile(path: str) -> bytes:
    return Path(path).read_bytes()


def finish(pdf: pikepdf.Pdf, profile_path: str, key: str) -> None:
    """Give PDF (written by WeasyPrint as a PDF/X variant) its output intent, the ICC profile at PROFILE_PATH, and
    an XMP DocumentID made from KEY (what identifies the lot: its pieces and date)."""
    data = _profile(profile_path)
    icc = pdf.make_stream(data)
    icc.N = _COMPONENTS[data[16:20]]
    name = pikepdf.String(Path(profile_path).stem)
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX, OutputConditionIdentifier=name, Info=name,
        DestOutputProfile=icc)])  # fmt: skip
    document = uuid.uuid5(uuid.NAMESPACE_URL, "notices:" + key)
    metadata = pdf.Root.get("/Metadata")
    if isinstance(metadata, pikepdf.Stream):
        metadata.write(_DOCUMENT_ID.sub(f"xmp.did:{document}".encode("ascii"), metadata.read_bytes()))
    # The file identifier's first half, which qpdf keeps as it is (WeasyPrint's differs each time), from the key too.
    pdf.trailer.ID = pikepdf.Array([pikepdf.String(document.bytes), pikepdf.String(document.bytes)])
