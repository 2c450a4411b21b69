"""The configuration file's reader: its TOML tables handed out key by key, each value checked as it is read
and every error naming the file, the table and the key; then any table or key no reader asked for refused
(a misspelt one would silently be a default)."""

from __future__ import annotations

import difflib
import re
import urllib.parse
from datetime import time
from pathlib import Path
from typing import Any

from .errors import ConfigError

POSTAL_PREFIX = "[0-9]{1,3}|[0-9]{3}-?[0-9]{0,4}"  # a postal code or its first digits: "999", "999-01", "9990123"


class Table:
    """Reads one [table] of the TOML file and names the key in every error."""

    def __init__(self, source: str, doc: dict[str, Any], table: str, optional: bool = False) -> None:
        self.source = source
        self.table = table
        value = doc.get(table, {} if optional else None)
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: missing table [{table}]")
        self.values = value
        self.asked: list[str] = []  # every key read, present or not: what this table may hold

    def fail(self, key: str, message: str) -> ConfigError:
        """The error for KEY of this table, naming the file, the table and the key."""
        return ConfigError(f"{self.source}: [{self.table}] {key}: {message}")

    def _get(self, key: str, default: Any) -> Any:
        self.asked.append(key)
        return self.values.get(key, default)

    def check_no_other_keys(self) -> None:
        """Raise ConfigError for the first key of the table that no reader asked for (a misspelt one)."""
        for key in self.values:
            if key not in self.asked:
                raise self.fail(key, "unknown key" + _did_you_mean(key, self.asked, "'{}'"))

    def text(self, key: str, pattern: str | None = None, default: str | None = None) -> str:
        """A non-empty string (matching PATTERN whole, if given); missing without a DEFAULT is an error."""
        value = self._get(key, default)
        if value is None:
            raise self.fail(key, "missing setting")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        if pattern and not re.fullmatch(pattern, value):
            raise self.fail(key, f"{value!r} is not of the form {pattern}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        """One of CHOICES."""
        value = self.text(key, default=default)
        if value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, key: str, low: int, high: int, default: int) -> int:
        """A whole number from LOW to HIGH (not a boolean)."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"must be a whole number from {low} to {high}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def millimetres(self, key: str, low: float, high: float, default: float) -> float:
        """A length in millimetres from LOW to HIGH."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(key, f"must be a number of millimetres from {low:g} to {high:g}")
        return float(value)

    def file(self, key: str, folder: Path) -> Path | None:
        """The file named by KEY, relative to FOLDER (the configuration's); None when the key is not set."""
        if self._get(key, None) is None:
            return None
        return folder / self.text(key)

    def clock_time(self, key: str, default: time) -> time:
        """A time of day written "HH:MM" (00:00 to 23:59), or as a TOML local time (15:00:00)."""
        value = self._get(key, default)
        if isinstance(value, time):
            return value
        match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value) if isinstance(value, str) else None
        if not match:
            raise self.fail(key, f'must be a time of day written HH:MM, such as "15:00", not {value!r}')
        return time(int(match[1]), int(match[2]))

    def https_url(self, key: str) -> str:
        """An https:// address with a host; anything else (javascript:, data:, http:) would reach the QR codes."""
        value = self.text(key)
        if not is_https_url(value):
            raise self.fail(key, f"must be an https:// address with a host name, not {value!r}")
        return value

    def postal_prefixes(self, key: str) -> tuple[str, ...]:
        """A list of postal codes or their first digits (1 to 7; a hyphen after the third is dropped)."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and re.fullmatch(POSTAL_PREFIX, v) for v in value):
            raise self.fail(key, f'must be a list of postal codes or their first 1 to 7 digits, such as ["999"], '
                             f"not {value!r}")  # fmt: skip
        return tuple(v.replace("-", "") for v in value)

    def regular_expression(self, key: str, default: str) -> str:
        """A Python regular expression, checked to compile."""
        value = self.text(key, default=default)
        try:
            re.compile(value)
        except re.error as exc:
            raise self.fail(key, f"not a valid regular expression: {value!r} ({exc})") from None
        return value


class Document:
    """The parsed TOML file: hands out its tables, then refuses whatever no reader asked for."""

    def __init__(self, source: str, doc: dict[str, Any]) -> None:
        self.source = source
        self.doc = doc
        self.tables: dict[str, Table] = {}

    def table(self, name: str, optional: bool = False) -> Table:
        """The reader of table [NAME]; ConfigError if it is required and missing."""
        self.tables[name] = Table(self.source, self.doc, name, optional)
        return self.tables[name]

    def check_no_other_settings(self) -> None:
        """Raise ConfigError for an unknown table or key: a misspelt one would silently be a default."""
        for name, value in self.doc.items():
            if name not in self.tables:
                hint = _did_you_mean(name, list(self.tables), "[{}]")
                if isinstance(value, dict):
                    raise ConfigError(f"{self.source}: [{name}]: unknown table{hint}")
                raise ConfigError(f"{self.source}: {name}: unknown setting outside any table{hint}")
        for table in self.tables.values():
            table.check_no_other_keys()


def is_https_url(value: str) -> bool:
    """True for an https:// address with a host name, nothing unprintable or blank in it and a valid port."""
    if any(c.isspace() or not c.isprintable() for c in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port  # ValueError when out of range
    except ValueError:  # also a malformed [IPv6] host
        return False
    return parts.scheme.lower() == "https" and bool(parts.hostname) and port != 0


def _did_you_mean(name: str, known: list[str], form: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {form.format(close[0])}?)" if close else ""
