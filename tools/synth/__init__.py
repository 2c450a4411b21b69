"""Synthetic resident registers of the fictitious town 架空県若葉町, with intended outcomes.

generate() builds a register deterministically (one seeded random.Random for the
content, one for the cell formats; never the global random nor the clock): ordinary
households, most of them not due, plus residents built for every rule case, notice
kind, review reason, not-mailed reason and reject reason. Each row carries the outcome
the generator meant, computed by the oracle module's own reading of domain.md 2 (not
the rules module), so that the end-to-end test compares two independent readings.
Every name, address, My Number and ID is invented.

model: columns and the resident as meant; oracle: the rules as the generator reads them;
people and town: invented names, places and residents; cases: the residents built on
purpose; rows: generate(); files: the CSV files and data/README.md.
"""

from __future__ import annotations

from .cases import RULE_CASES
from .files import write_expectations, write_register, write_sample
from .model import COLUMNS, DATE_COLUMNS, JAPANESE_HEADERS, STATUS_JA, Person
from .oracle import birthday, card_expiry, nth_birthday_after, outcome, window
from .rows import SampleRow, generate


__all__ = [
    "COLUMNS", "DATE_COLUMNS", "JAPANESE_HEADERS", "RULE_CASES", "STATUS_JA", "Person", "SampleRow",
    "birthday", "card_expiry", "generate", "nth_birthday_after", "outcome", "window",
    "write_expectations", "write_register", "write_sample",
]
