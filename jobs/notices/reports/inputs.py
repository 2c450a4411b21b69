"""Files an operator gives a command (returned mail, decisions, the vendor's receipts), read as text."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, NotFoundError


def read_text(path: Path, what: str, codecs: tuple[str, ...], fallback: str | None = None) -> str:
    """The file decoded by the first of CODECS that fits, else by FALLBACK with replacement characters if given.

    NotFoundError when the file cannot be read (naming WHAT it should be), InputError when no codec fits.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"{path}: cannot read {what}: {exc.strerror}") from None
    for codec in codecs:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    if fallback is not None:
        return data.decode(fallback, errors="replace")
    names = " nor ".join(c.upper().removesuffix("-SIG") for c in codecs)
    raise InputError(f"{path}: not {what}: {'neither ' if len(codecs) > 1 else 'not '}{names} text")
