"""Log lines for people and for machines: plain text by default, JSON lines on request."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from .privacy import mask


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message (masked like every message)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        return json.dumps({
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }, ensure_ascii=False)  # fmt: skip


class Plain(logging.Formatter):
    """time level logger: message, the message masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        """The plain line, with any My-Number-like digits masked."""
        return mask(super().formatMessage(record))


def setup(verbose: bool, fmt: str = "plain") -> None:
    """Send the program's log to stderr: INFO and up with --verbose, else WARNING and up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else Plain())
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h.formatter, JsonLines | Plain)] + [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its progress lines are noise at night
    logging.getLogger("fontTools").setLevel(logging.ERROR)
