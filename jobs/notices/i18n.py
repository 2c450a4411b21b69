"""Letters in the resident's language: which language, its strings and its date form. (Stub.)"""

from __future__ import annotations

from datetime import date

import jinja2

from .models import Resident

SUPPORTED = ("en", "zh", "ko", "vi", "pt", "es", "tl", "ne")


def language_for(resident: Resident) -> str:
    """The language of a foreign resident's pages: theirs when supported, else English."""
    code = resident.language.split("-")[0].split("_")[0].lower()
    return code if code in SUPPORTED else "en"


def format_date(day: date, code: str) -> str:
    """A date as written in the language (stub: English)."""
    return f"{day.day} {day:%B} {day.year}"


def install(env: jinja2.Environment) -> None:
    """Give the templates the `ldate` filter and the `language_for` global."""
    env.filters["ldate"] = format_date
    env.globals["language_for"] = language_for
