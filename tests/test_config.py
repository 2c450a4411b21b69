"""The municipality's configuration: the sample loads, and every bad setting names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from notices.config import load_config
from notices.errors import ConfigError

SAMPLE = Path(__file__).parents[1] / "config" / "municipality.toml"


def test_sample_town_loads() -> None:
    c = load_config(SAMPLE)
    assert (c.name, c.local_government_code, c.lot_size, c.leap_day) == ("若葉町", "999997", 100, "feb28")
    assert c.qr_payload("1" * 23) == "https://app.example.jp/apply?id=" + "1" * 23


@pytest.mark.parametrize(("old", "new", "message"), [
    ('local_government_code = "999997"', 'local_government_code = "999998"', r"\[municipality\] local_government_code: .*check digit"),
    ('local_government_code = "999997"', 'local_government_code = "99999"', r"\[municipality\] local_government_code: .*form"),
    ('name = "若葉町"\n', "", r"\[municipality\] name: missing setting"),
    ("lot_size = 100", "lot_size = 0", r"\[output\] lot_size: must be a whole number"),
    ('style = "era_western"', 'style = "roman"', r"\[dates\] style: 'roman' is not one of"),
    ('leap_day = "feb28"', 'leap_day = "feb29"', r"\[dates\] leap_day"),
    ('online_url = "https://app.example.jp/apply?id={application_id}"', 'online_url = "https://x"', r"\[application\] online_url: must contain"),
    ("[fonts]", "[fontz]", r"missing table \[fonts\]"),
    ('name = "若葉町"', 'name = "若葉町', r"not valid TOML"),
    ("window_width_mm = 90", "window_width_mm = 80", r"\[envelope\] window_width_mm: must be at least 86 mm"),
    ("window_height_mm = 45", "window_height_mm = 30", r"\[envelope\] window_height_mm: must be at least 40"),
    ("window_top_mm = 15", "window_top_mm = 40", r"\[envelope\] window_top_mm: the window must end within 75 mm"),
    ("window_left_mm = 20", "window_left_mm = 60", r"\[envelope\] window_left_mm: the window must end 75 mm"),
    ("window_left_mm = 20", 'window_left_mm = "20"', r"\[envelope\] window_left_mm: must be a number of millimetres"),
    ("window_top_mm = 15", "window_top_mm = -1", r"\[envelope\] window_top_mm: must be a number of millimetres"),
    ('local_postal_codes = ["999"]', 'local_postal_codes = "999"', r"\[address\] local_postal_codes: must be a list of postal"),
    ('local_postal_codes = ["999"]', "local_postal_codes = [999]", r"\[address\] local_postal_codes: must be a list"),
    ('local_postal_codes = ["999"]', 'local_postal_codes = ["99-9"]', r"\[address\] local_postal_codes: must be a list"),
    ('local_postal_codes = ["999"]', 'local_postal_codes = [""]', r"\[address\] local_postal_codes: must be a list"),
    ('local_postal_codes = ["999"]', 'local_postal_codes = ["99900001"]', r"\[address\] local_postal_codes: must be"),
    ('local_postal_codes = ["999"]', 'local_postal_code = ["999"]',
     r"\[address\] local_postal_code: unknown key \(did you mean 'local_postal_codes'\?\)"),
    ('cutoff = "15:00"', 'cutoff = "3pm"', r'\[post\] cutoff: must be a time of day written HH:MM, such as "15:00"'),
    ('cutoff = "15:00"', 'cutoff = "24:00"', r"\[post\] cutoff: must be a time of day written HH:MM"),
    ('cutoff = "15:00"', 'cutoff = "9:30"', r"\[post\] cutoff: must be a time of day written HH:MM"),
    ('cutoff = "15:00"', "cutoff = 1500", r"\[post\] cutoff: must be a time of day written HH:MM"),
    ('cutoff = "15:00"', 'cut_off = "15:00"', r"\[post\] cut_off: unknown key \(did you mean 'cutoff'\?\)"),
    ("print_days = 2", "print_days = -1", r"\[post\] print_days: must be a whole number from 0 to 30"),
    ("print_days = 2", "print_days = 31", r"\[post\] print_days: must be a whole number from 0 to 30"),
    ("delivery_days = 3", "delivery_days = 0", r"\[post\] delivery_days: must be a whole number from 1 to 30"),
    ("delivery_days = 3", 'delivery_days = "3"', r"\[post\] delivery_days: must be a whole number"),
    ("delivery_days = 3", "delivery_days = 2.5", r"\[post\] delivery_days: must be a whole number"),
    ("year_end_closed = true", 'year_end_closed = "yes"', r"\[post\] year_end_closed: must be true or false"),
])  # fmt: skip
def test_bad_settings_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "town.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "none.toml")


def test_envelope_window_defaults_and_fractions(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    older = tmp_path / "older.toml"  # a file written before [envelope] existed
    older.write_text(text[: text.index("[envelope]")], encoding="utf-8")
    c = load_config(older)
    assert (c.window_left_mm, c.window_top_mm, c.window_width_mm, c.window_height_mm) == (20, 15, 90, 45)
    fraction = tmp_path / "fraction.toml"
    fraction.write_text(text.replace("window_top_mm = 15", "window_top_mm = 12.5"), encoding="utf-8")
    assert load_config(fraction).window_top_mm == 12.5


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    """The sample configuration with OLD replaced by NEW, written to a file named config.toml."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("reminder = true", "remindr = false",
     r"config\.toml: \[after_expiry\] remindr: unknown key \(did you mean 'reminder'\?\)$"),
    ("lot_size = 100", "lot_size = 100\nlotsize = 2",
     r"\[output\] lotsize: unknown key \(did you mean 'lot_size'\?\)$"),
    ('name = "若葉町"', 'name = "若葉町"\ncolour = "blue"', r"\[municipality\] colour: unknown key$"),
    ("[envelope]", "[envelop]", r"config\.toml: \[envelop\]: unknown table \(did you mean \[envelope\]\?\)$"),
    ("[fonts]", '[logging]\nlevel = "debug"\n\n[fonts]', r"\[logging\]: unknown table$"),
    ('first_year = "元年"', 'first_year = "元年"\n[dates.extra]\nx = 1',
     r"\[dates\] extra: unknown key"),
    ("# A fictitious town", "debug = true\n# A fictitious town",
     r"config\.toml: debug: unknown setting outside any table"),
])  # fmt: skip
def test_unknown_keys_and_tables_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_edited(tmp_path, old, new))


def test_every_table_and_key_of_the_sample_is_known(tmp_path: Path) -> None:
    with_register = _edited(tmp_path, "[fonts]", '[register]\nresident_id_pattern = "[0-9]{11}"\n\n[fonts]')
    assert load_config(with_register).resident_id_pattern == "[0-9]{11}"


@pytest.mark.parametrize("url", [
    "javascript:alert(1)//{application_id}",
    "http://app.example.jp/apply?id={application_id}",
    "data:text/html,{application_id}",
    "https:///apply?id={application_id}",
    "ftp://app.example.jp/{application_id}",
    "//app.example.jp/apply?id={application_id}",
    "HTTPS://app.example.jp:99999/{application_id}",
])  # fmt: skip
def test_only_https_application_urls_are_accepted(tmp_path: Path, url: str) -> None:
    path = _edited(tmp_path, 'online_url = "https://app.example.jp/apply?id={application_id}"', f'online_url = "{url}"')
    with pytest.raises(ConfigError, match=r"\[application\] online_url: must be an https:// address"):
        load_config(path)


@pytest.mark.parametrize("url", [
    "https://app.example.jp/apply?id={application_id}",
    "https://app.example.jp:8443/m/{application_id}",
    "HTTPS://APP.example.jp/{application_id}",
])  # fmt: skip
def test_https_application_urls_are_accepted(tmp_path: Path, url: str) -> None:
    path = _edited(tmp_path, 'online_url = "https://app.example.jp/apply?id={application_id}"', f'online_url = "{url}"')
    assert load_config(path).qr_payload("1" * 23) == url.replace("{application_id}", "1" * 23)


def test_local_postal_codes(tmp_path: Path) -> None:
    assert load_config(SAMPLE).local_postal_codes == ("999",)  # the fictitious town's codes, in no data
    none = _edited(tmp_path, 'local_postal_codes = ["999"]\n', "")
    assert load_config(none).local_postal_codes == ()  # a real municipality: every code checked
    some = _edited(tmp_path, 'local_postal_codes = ["999"]', 'local_postal_codes = ["999-01", "9990123", "1"]')
    assert load_config(some).local_postal_codes == ("99901", "9990123", "1")


def test_resident_id_pattern_defaults_and_is_checked(tmp_path: Path) -> None:
    from notices.config import RESIDENT_ID_PATTERN

    import re

    fits = [bool(re.fullmatch(RESIDENT_ID_PATTERN, v)) for v in ("83958390130", "RC-P01", "R" * 20, "R" * 21, "=1", "-A1", "A1-")]
    assert fits == [True, True, True, False, False, False, False]
    assert load_config(SAMPLE).resident_id_pattern == RESIDENT_ID_PATTERN
    bad = _edited(tmp_path, "[fonts]", '[register]\nresident_id_pattern = "[0-9{11}"\n\n[fonts]')
    with pytest.raises(ConfigError, match=r"config\.toml: \[register\] resident_id_pattern: not a valid regular"):
        load_config(bad)
    empty = _edited(tmp_path, "[fonts]", '[register]\nresident_id_pattern = ""\n\n[fonts]')
    with pytest.raises(ConfigError, match=r"\[register\] resident_id_pattern: must be a non-empty string"):
        load_config(empty)


def test_post_defaults_and_settings(tmp_path: Path) -> None:
    from datetime import time

    from notices.delivery.post import PostSettings

    sample = load_config(SAMPLE).post
    assert (sample.cutoff, sample.print_days, sample.delivery_days, sample.year_end_closed) == (time(15), 2, 3, True)
    text = SAMPLE.read_text(encoding="utf-8")
    older = tmp_path / "older.toml"  # a file written before [post] existed: what a municipality would expect
    older.write_text(text[: text.index("[post]")], encoding="utf-8")
    assert load_config(older).post == PostSettings() == sample
    edited = _edited(tmp_path, 'cutoff = "15:00"\nprint_days = 2', 'cutoff = "09:30"\nprint_days = 0')
    assert (load_config(edited).post.cutoff, load_config(edited).post.print_days) == (time(9, 30), 0)
    toml_time = _edited(tmp_path, 'cutoff = "15:00"', "cutoff = 17:45:00")  # a TOML local time is a time of day too
    assert load_config(toml_time).post.cutoff == time(17, 45)
