"""The municipality's configuration: one TOML file, checked key by key."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .delivery.post import PostSettings
from .errors import ConfigError
from .gaiji import GaijiMap, load_map
from .tomlfile import Document, Table

DATE_STYLES = ("era_western", "era", "western")
FIRST_YEARS = ("元年", "1年")
LEAP_DAY_POLICIES = ("feb28", "mar1")
# The address window over the A4 sheet, in mm from its top-left corner (see config/municipality.toml).
WINDOW_DEFAULTS = {"window_left_mm": 20.0, "window_top_mm": 15.0, "window_width_mm": 90.0, "window_height_mm": 45.0}
A4_MM = (210.0, 297.0)
# The window must end this far down the sheet at most: within the top third of an A4 sheet folded in
# three (99 mm), and high enough that the cover letter still fits below it.
WINDOW_BOTTOM_MAX_MM = 75.0
MIN_WINDOW_MM = (86.0, 40.0)  # the customer barcode with its quiet zone is 83.8 mm wide; 60-character lines
SENDER_BLOCK_MM = 55.0  # room the sender block (date, sender, return address) needs right of the window
# What a whole resident ID must match unless [register] resident_id_pattern says otherwise: 1 to 20
# letters and digits, hyphens between them (RC-P01). Never a formula: it starts with a letter or digit.
RESIDENT_ID_PATTERN = "[0-9A-Za-z](?:[0-9A-Za-z-]{0,18}[0-9A-Za-z])?"
# [print]: what the vendor's machines take (the preflight checks every lot against it, delivery/preflight.py).
PRINT_MARGIN_MM = 5.0  # nothing printed nearer the sheet's edges; the page code ends 7.5 mm from the bottom edge
MAX_PRINT_MARGIN_MM = 7.0
MAX_PAGES_PER_PIECE = 10  # pages an envelope takes at most (the inserter's limit)
# The PDF/X variants WeasyPrint writes (weasyprint.pdf.pdfx.VARIANTS); "none" is a plain PDF, as ever.
PDF_VARIANTS = ("none", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")
# The output intent's profile when [print] output_profile is not set: Ghostscript's CMYK profile (libgs-common).
DEFAULT_OUTPUT_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def lg_code_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード (domain.md 3): weights 6..2, mod 11."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def is_lg_code(code: str) -> bool:
    """True for a 6-digit local government code with a correct check digit."""
    return bool(re.fullmatch(r"[0-9]{6}", code)) and lg_code_check_digit(code[:5]) == int(code[5])


@dataclass(frozen=True)
class Config:
    """Everything about the municipality that the letters and the run need."""

    source: str
    name: str
    prefecture: str
    local_government_code: str
    office_name: str
    office_postal_code: str
    office_address: str
    phone: str
    opening_hours: str
    sender: str
    application_url: str  # contains "{application_id}"
    lot_size: int
    date_style: str
    first_year: str
    leap_day: str
    mincho_font: str
    gothic_font: str
    foreign_hotline: str
    reminder_enabled: bool = True
    reminder_days: int = 30  # a grace reminder goes to expiries 1 to this many days before the run date
    lapsed_days: int = 30  # lapsed.csv lists grace periods that ended 1 to this many days before
    window_left_mm: float = WINDOW_DEFAULTS["window_left_mm"]
    window_top_mm: float = WINDOW_DEFAULTS["window_top_mm"]
    window_width_mm: float = WINDOW_DEFAULTS["window_width_mm"]
    window_height_mm: float = WINDOW_DEFAULTS["window_height_mm"]
    resident_id_pattern: str = RESIDENT_ID_PATTERN  # a regular expression a whole resident ID must match
    fallback_font: str = "IPAmj明朝"  # after the BIZ UD fonts: the 文字情報基盤 characters they lack (issue 13)
    gaiji: GaijiMap = GaijiMap()  # the agreed Unicode text of the vendor's private-use code points
    # Postal codes not checked against Japan Post's data, by their first digits (the sample town's 999).
    local_postal_codes: tuple[str, ...] = ()
    post: PostSettings = PostSettings()  # the vendor's cut-off and print days, the delivery days: when letters arrive
    ack_hours: int = 24  # a folder handed off and not acknowledged by the vendor this many hours on is reported
    print_margin_mm: float = PRINT_MARGIN_MM  # [print] margin_mm
    max_pages_per_piece: int = MAX_PAGES_PER_PIECE  # [print]
    pdf_variant: str = ""  # [print]: "" for a plain PDF, else one of PDF_VARIANTS
    output_profile: str = ""  # [print]: the ICC profile of a PDF/X variant's output intent (its path)

    def qr_payload(self, application_id: str) -> str:
        """The online-application address with the ID filled in."""
        return self.application_url.replace("{application_id}", application_id)


def _window(table: Table) -> dict[str, float]:
    """The envelope window, checked: large enough, on the sheet's top panel, room for the sender."""
    w = {key: table.millimetres(key, 0.0, A4_MM[0], default) for key, default in WINDOW_DEFAULTS.items()}
    if w["window_width_mm"] < MIN_WINDOW_MM[0]:
        raise table.fail("window_width_mm", f"must be at least {MIN_WINDOW_MM[0]:g} mm to show the customer "
                          "barcode with its quiet zone")  # fmt: skip
    if w["window_height_mm"] < MIN_WINDOW_MM[1]:
        raise table.fail("window_height_mm", f"must be at least {MIN_WINDOW_MM[1]:g} mm to show a full address")
    if w["window_top_mm"] + w["window_height_mm"] > WINDOW_BOTTOM_MAX_MM:
        raise table.fail("window_top_mm", f"the window must end within {WINDOW_BOTTOM_MAX_MM:g} mm of the sheet's "
                          "top edge (top + height), or the cover letter no longer fits below it")  # fmt: skip
    if w["window_left_mm"] + w["window_width_mm"] > A4_MM[0] - 20 - SENDER_BLOCK_MM:
        raise table.fail("window_left_mm", f"the window must end {20 + SENDER_BLOCK_MM:g} mm or more before the "
                          "right edge of the sheet, to leave room for the sender block")  # fmt: skip
    return w


def _icc_profile(table: Table, path: Path, key: str) -> str:
    """PATH, checked to be an ICC profile of a printing condition (CMYK, RGB or grey), as a string."""
    try:
        head = path.read_bytes()[:40]
    except OSError as exc:
        raise table.fail(key, f"{path}: cannot read the ICC profile ({exc.strerror})") from None
    if len(head) < 40 or head[36:40] != b"acsp" or head[16:20] not in (b"CMYK", b"RGB ", b"GRAY"):
        raise table.fail(key, f"{path}: not an ICC profile of CMYK, RGB or grey")
    return str(path)


def _print(table: Table, folder: Path) -> dict[str, Any]:
    """The [print] settings: margins, pages a piece, the PDF variant and its output intent's profile."""
    variant = table.choice("pdf_variant", PDF_VARIANTS, "none")
    profile = table.file("output_profile", folder)
    if profile is not None and variant == "none":
        raise table.fail("output_profile", "only for a PDF/X pdf_variant (the profile of its output intent)")
    if variant != "none":
        profile = _icc_profile(table, profile or DEFAULT_OUTPUT_PROFILE,
                               "output_profile" if profile else "pdf_variant")  # fmt: skip
    return {"print_margin_mm": table.millimetres("margin_mm", 0.0, MAX_PRINT_MARGIN_MM, PRINT_MARGIN_MM),
            "max_pages_per_piece": table.integer("max_pages_per_piece", 2, 1000, MAX_PAGES_PER_PIECE),
            "pdf_variant": "" if variant == "none" else variant, "output_profile": str(profile or "")}  # fmt: skip


def load_config(path: Path) -> Config:
    """Read and check the configuration file; raise ConfigError naming the bad key."""
    source = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None

    tables = Document(source, doc)
    town = tables.table("municipality")
    code = town.text("local_government_code", r"[0-9]{6}")
    if not is_lg_code(code):
        raise town.fail("local_government_code", f"{code!r} has a wrong check digit")
    app = tables.table("application")
    url = app.https_url("online_url")
    if "{application_id}" not in url:
        raise app.fail("online_url", "must contain {application_id}")
    output = tables.table("output")
    dates = tables.table("dates")
    fonts = tables.table("fonts")
    gaiji_file = fonts.file("gaiji_map", path.parent)
    window = _window(tables.table("envelope", optional=True))
    printing = _print(tables.table("print", optional=True), path.parent)
    after = tables.table("after_expiry", optional=True)
    register = tables.table("register", optional=True)
    addresses = tables.table("address", optional=True)
    post = tables.table("post", optional=True)
    defaults = PostSettings()
    vendor = tables.table("vendor", optional=True)
    config = Config(
        source=source,
        name=town.text("name"),
        prefecture=town.text("prefecture"),
        local_government_code=code,
        office_name=town.text("office_name"),
        office_postal_code=town.text("office_postal_code", r"[0-9]{3}-?[0-9]{4}").replace("-", ""),
        office_address=town.text("office_address"),
        phone=town.text("phone"),
        opening_hours=town.text("opening_hours"),
        sender=town.text("sender"),
        application_url=url,
        lot_size=output.integer("lot_size", 1, 100_000, 500),
        date_style=dates.choice("style", DATE_STYLES, "era_western"),
        first_year=dates.choice("first_year", FIRST_YEARS, "元年"),
        leap_day=dates.choice("leap_day", LEAP_DAY_POLICIES, "feb28"),
        mincho_font=fonts.text("mincho", default="BIZ UDMincho"),
        gothic_font=fonts.text("gothic", default="BIZ UDGothic"),
        fallback_font=fonts.text("fallback", default="IPAmj明朝"),
        gaiji=load_map(gaiji_file) if gaiji_file else GaijiMap(),
        foreign_hotline=town.text("foreign_hotline", default="0120-0178-27"),
        reminder_enabled=after.boolean("reminder", True),
        reminder_days=after.integer("reminder_days", 1, 90, 30),
        lapsed_days=after.integer("lapsed_days", 1, 366, 30),
        resident_id_pattern=register.regular_expression("resident_id_pattern", RESIDENT_ID_PATTERN),
        local_postal_codes=addresses.postal_prefixes("local_postal_codes"),
        post=PostSettings(cutoff=post.clock_time("cutoff", defaults.cutoff),
                          print_days=post.integer("print_days", 0, 30, defaults.print_days),
                          delivery_days=post.integer("delivery_days", 1, 30, defaults.delivery_days),
                          year_end_closed=post.boolean("year_end_closed", defaults.year_end_closed)),
        ack_hours=vendor.integer("ack_hours", 1, 24 * 366, 24),
        **window,
        **printing,
    )
    tables.check_no_other_settings()  # last: only now has every reader asked for its keys
    return config
