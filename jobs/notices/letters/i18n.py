"""Letters in the resident's language: which language, its sentences, its date form and its fonts.

The sentences live in ``templates/lang/{code}.toml``, one file per language, as TOML tables whose
dotted keys (``insert.card.title``) the templates ask for with ``tr(lang, key, **values)``. They
are plain text with ``str.format`` named placeholders (``{date}``, ``{office}``); the text and the
values are HTML-escaped, except values the template marks up itself (``strong(...)``).
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from babel.dates import format_date as _babel_format_date
from markupsafe import Markup, escape

from . import fonts
from ..errors import FontError, RenderError
from ..models import Resident

# English first: the fallback for every other language.
SUPPORTED = ("en", "zh", "ko", "vi", "pt", "es", "tl", "ne")
FALLBACK = "en"

# The register's spellings that are not the code itself: ISO 639-2/3 codes and old names.
_ALIASES = {
    "fil": "tl", "tgl": "tl",
    "zho": "zh", "chi": "zh", "cmn": "zh",
    "kor": "ko", "vie": "vi", "por": "pt", "spa": "es", "nep": "ne", "npi": "ne", "eng": "en",
}

# The babel locale whose long date form each language's pages use.
LOCALES = {
    "en": "en", "zh": "zh_Hans_CN", "ko": "ko", "vi": "vi", "pt": "pt_BR", "es": "es",
    "tl": "fil", "ne": "ne_NP",
}

# Font families for the text of each language, first choice first (Debian packages:
# fonts-noto-core for Noto Sans / Noto Sans Devanagari, fonts-noto-cjk for Noto Sans CJK SC/KR).
# The letter's Japanese font is appended as the last family: the Japanese words, the office
# and the resident's name and address are drawn by it when the first families lack a character.
FONTS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "en": ("Noto Sans",),
    "zh": ("Noto Sans CJK SC",),
    "ko": ("Noto Sans CJK KR",),
    "vi": ("Noto Sans",),
    "pt": ("Noto Sans",),
    "es": ("Noto Sans",),
    "tl": ("Noto Sans",),
    "ne": ("Noto Sans Devanagari", "Noto Sans"),
})
JAPANESE_FONT = "BIZ UDGothic"
# The Debian package of each font (also in the Makefile's DEBS).
PACKAGES = MappingProxyType({
    "Noto Sans": "fonts-noto-core", "Noto Sans Devanagari": "fonts-noto-core",
    "Noto Sans CJK SC": "fonts-noto-cjk", "Noto Sans CJK KR": "fonts-noto-cjk",
})

# Body text size of the language's pages: Devanagari looks small next to Latin at the same size.
TEXT_SIZE = MappingProxyType({"ne": "10.5pt"})
DEFAULT_TEXT_SIZE = "10pt"

# Languages whose words must not be broken at a line end. Korean separates words with spaces, but
# Unicode line breaking (and WeasyPrint, which has no `word-break: keep-all`) breaks between any two
# Hangul syllables, so each word with Hangul in it is kept on one line.
KEEP_WORDS = frozenset({"ko"})
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_SPACES = re.compile(r"( +)")
# Japanese words in the text of a language written with spaces ("(マイナンバーカード)") are kept on
# one line too: a line may otherwise end between any two kana. Not in Chinese, all of it Han.
_JAPANESE_RUN = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]{2,20}")
SPACED = frozenset({"en", "ko", "vi", "pt", "es", "tl", "ne"})
_NOWRAP = Markup('<span style="white-space: nowrap">{}</span>')

LANG_DIR = Path(__file__).resolve().parents[3] / "templates" / "lang"

_FORMATTER = string.Formatter()


def _code(language: str) -> str:
    """The supported code for a language tag, or "" when it is not supported."""
    tag = language.strip().replace("_", "-").lower()
    primary = tag.split("-")[0]
    primary = _ALIASES.get(primary, primary)
    return primary if primary in SUPPORTED else ""


def normalise(language: str) -> str:
    """The code of the pages for a language tag ("zh-CN", "pt_BR", "fil"): supported or English.

    Every Chinese tag gets the simplified-Chinese pages, traditional ones included: they are
    the only Chinese we print, and a reader of traditional characters reads them better than
    English.
    """
    return _code(language) or FALLBACK


def language_for(resident: Resident) -> str:
    """The language of a foreign resident's pages: theirs when supported, else English."""
    return normalise(resident.language)


def format_date(day: date, code: str) -> str:
    """DAY as the language writes a date in full ("February 10, 2027", "2027년 2월 10일")."""
    return _babel_format_date(day, format="long", locale=LOCALES[normalise(code)])


def placeholders(text: str) -> set[str]:
    """The names of the ``{name}`` placeholders in TEXT; ValueError for any other kind of field."""
    names = set()
    for _literal, field, spec, conversion in _FORMATTER.parse(text):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{field}}} must be a plain {{name}}")
        names.add(field)
    return names


def _flatten(table: Mapping[str, Any], prefix: str, out: dict[str, str], source: Path) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, name + ".", out, source)
        elif isinstance(value, str):
            out[name] = value
        else:
            raise RenderError(f"{source}: {name} must be a string")


def load_strings(path: Path) -> Mapping[str, str]:
    """The sentences of one language file, by dotted key."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RenderError(f"{path}: language file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RenderError(f"{path}: cannot read: {exc}") from None
    out: dict[str, str] = {}
    _flatten(doc, "", out, path)
    for key, text in out.items():
        try:
            placeholders(text)
        except ValueError as exc:
            raise RenderError(f"{path}: {key}: {exc}") from None
    return MappingProxyType(out)


@functools.cache
def _strings(code: str, lang_dir: Path) -> Mapping[str, str]:
    own = load_strings(lang_dir / f"{code}.toml")
    if code == FALLBACK:
        return own
    # A sentence missing in a language is printed in English rather than not at all
    # (tests/test_i18n.py makes sure that no language file misses one).
    return MappingProxyType({**_strings(FALLBACK, lang_dir), **own})


def strings(code: str, lang_dir: Path = LANG_DIR) -> Mapping[str, str]:
    """The sentences of language CODE (English for a missing one), loaded once."""
    return _strings(normalise(code), lang_dir.resolve())


def translate(code: str, key: str, lang_dir: Path = LANG_DIR, **values: Any) -> Markup:
    """Sentence KEY in language CODE with VALUES put in, as HTML: text and values escaped,
    except values that are Markup already."""
    table = strings(code, lang_dir)
    try:
        text = table[key]
    except KeyError:
        raise RenderError(f"no sentence {key!r} in the language files") from None
    wanted = placeholders(text)
    if wanted - values.keys():
        raise RenderError(f"sentence {key!r} needs {sorted(wanted - values.keys())}")
    html = escape(text)
    if normalise(code) in KEEP_WORDS:
        html = Markup("").join(
            _NOWRAP.format(Markup(part)) if _HANGUL.search(part) else Markup(part)
            for part in _SPACES.split(html)
        )
    elif normalise(code) in SPACED:
        html = Markup(_JAPANESE_RUN.sub(lambda m: _NOWRAP.format(m.group()), html))
    return Markup(html).format(**{name: values[name] for name in wanted})


def strong(value: Any) -> Markup:
    """VALUE in bold and kept on one line (a date or number inside a sentence)."""
    return Markup('<strong style="white-space: nowrap">{}</strong>').format(value)


def text_size(code: str) -> str:
    """The CSS font size of body text in language CODE."""
    return TEXT_SIZE.get(normalise(code), DEFAULT_TEXT_SIZE)


def families(code: str, japanese: str = JAPANESE_FONT, fallback: str = "") -> tuple[str, ...]:
    """The font families that draw text in language CODE, first choice first (the Japanese font, then FALLBACK)."""
    own = FONTS[normalise(code)]
    return own + ((japanese,) if japanese not in own else ()) + ((fallback,) if fallback else ())


def css_string(value: str) -> str:
    """VALUE as a quoted CSS string that cannot end the string or the style element."""
    out = []
    for char in value:
        if char in "\"'\\<>&" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def font_list(families: Sequence[str], generic: str) -> str:
    """A CSS font-family list: FAMILIES quoted, then the GENERIC family."""
    return ", ".join([css_string(f) for f in families] + [generic])


def font_family(code: str, japanese: str = JAPANESE_FONT, fallback: str = "") -> str:
    """The CSS font-family list for text in language CODE."""
    return font_list(families(code, japanese, fallback), "sans-serif")


def check_fonts() -> None:
    """Raise FontError unless every language's fonts are installed: fontconfig would otherwise
    put in whatever font it finds, or blank boxes, without a word."""
    for code, own in FONTS.items():
        for family in own:
            try:
                fonts.font_file(family)
            except FontError:
                package = PACKAGES.get(family, "the package that has it")
                raise FontError(
                    f"font {family!r} for the letters in {code!r} is not installed "
                    f"(Debian: apt-get install {package})"
                ) from None


def install(env: jinja2.Environment, lang_dir: Path | None = None) -> None:
    """Give the templates the `ldate` filter and the `language_for`, `tr`, `strong`, `font_family`
    and `text_size` globals. Every language file is read and every language font looked for now,
    so that a broken file or a missing font stops the run before any letter is laid out."""
    check_fonts()
    if lang_dir is None:
        loader = env.loader
        paths = loader.searchpath if isinstance(loader, jinja2.FileSystemLoader) else []
        found = [Path(p) / "lang" for p in paths if (Path(p) / "lang").is_dir()]
        lang_dir = found[0] if found else LANG_DIR
    for code in SUPPORTED:
        strings(code, lang_dir)

    def tr(code: str, key: str, **values: Any) -> Markup:
        return translate(code, key, lang_dir, **values)

    env.filters["ldate"] = format_date
    env.globals.update(
        language_for=language_for, tr=tr, strong=strong, font_family=font_family, text_size=text_size
    )
