"""The date arithmetic of dates.py over whole columns: numpy datetime64[D] arrays in (NaT for no date), arrays out.

tests/test_rules_vec.py holds each function to its scalar twin in dates.py, date by date.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from . import dates

Days = np.ndarray  # datetime64[D]; NaT where there is no date
NAT = np.datetime64("NaT", "D")
_FILLER = np.datetime64("2000-01-01", "D")  # stands in for NaT while computing; masked out after


def _civil(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers (days since 1970-01-01; H. Hinnant's civil_from_days)."""
    z = z + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1


# Year, month and day of every day from 1800 to 2399, packed in one integer: a look-up is cheaper than dividing.
_FIRST = int(np.datetime64("1800-01-01", "D").view(np.int64))
_Y, _M, _D = _civil(np.arange(_FIRST, int(np.datetime64("2400-01-01", "D").view(np.int64))))
_PACKED = ((_Y << 9) | (_M << 5) | _D).astype(np.int32)


def _ymd(day: Days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = day.view(np.int64) - _FIRST
    if len(z) and (z.min() < 0 or z.max() >= len(_PACKED)):
        return _civil(day.view(np.int64))
    packed = _PACKED[z]
    return packed >> 9, (packed >> 5) & 15, packed & 31


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers of years, months and days (H. Hinnant's days_from_civil)."""
    year = year - (month <= 2)
    era = year // 400
    yoe = year - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468  # type: ignore[no-any-return]


# The day number of the first of every month from 1800 to 2399 (and of January 2400): looked up, not computed.
_MONTH_START = _days_from_civil(np.repeat(np.arange(1800, 2401), 12)[: 600 * 12 + 1],
                                np.tile(np.arange(1, 13), 601)[: 600 * 12 + 1], 1).astype(np.int32)  # fmt: skip


def _month_index(year: np.ndarray, month: np.ndarray) -> np.ndarray | None:
    index = (year - 1800) * 12 + (month - 1)
    return index if not len(index) or (index.min() >= 0 and index.max() < len(_MONTH_START) - 1) else None


def _date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> Days:
    """The dates of years, months and days."""
    index = _month_index(year, month)
    found = _days_from_civil(year, month, day) if index is None else _MONTH_START[index] + (day - 1)
    return found.astype(np.int64).view("datetime64[D]")  # type: ignore[no-any-return]


def _month_length(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    index = _month_index(year, month)
    if index is None:
        return np.where(month == 2, 28 + _is_leap(year), 30 + ((month + (month > 7)) % 2))  # type: ignore[no-any-return]
    return _MONTH_START[index + 1] - _MONTH_START[index]  # type: ignore[no-any-return]


def _is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))  # type: ignore[no-any-return]


def _filled(day: Days) -> Days:
    return np.where(np.isnat(day), _FILLER, day)


class Births:
    """Dates of birth taken apart once, for the birthdays of many years."""

    def __init__(self, birth: Days, leap_day: str) -> None:
        self.known, self.leap_day = ~np.isnat(birth), leap_day
        self.year, self.month, self.day = _ymd(_filled(birth))
        self.feb29 = (self.month == 2) & (self.day == 29)

    def _moved(self, year: np.ndarray) -> np.ndarray:
        """Where the birthday is 29 Feb and the year a common one (few: worked out for those only)."""
        moved = np.zeros(len(year), bool)
        at = np.flatnonzero(self.feb29)
        moved[at] = ~_is_leap(year[at])
        return moved

    def on(self, year: np.ndarray) -> Days:
        """The birthday in each year; meaningless where the birth date is NaT."""
        moved = self._moved(year)
        if self.leap_day == "mar1":
            return _date(year, np.where(moved, 3, self.month), np.where(moved, 1, self.day))
        return _date(year, self.month, np.where(moved, 28, self.day))

    def around(self, issued: Days) -> tuple[np.ndarray, Days]:
        """The year of each issue date, and the birthday in it."""
        year = _ymd(_filled(issued))[0]
        return year, self.on(year)

    def nth_after(self, issued: Days, n: np.ndarray | int, around: tuple[np.ndarray, Days] | None = None) -> Days:
        """The n-th birthday strictly after each issue date; NaT where a date is missing."""
        year, birthday = around or self.around(issued)
        found = self.on(np.where(birthday > issued, year, year + 1) + n - 1)
        return np.where(self.known & ~np.isnat(issued), found, NAT)

    def age_on(self, day: Days) -> np.ndarray:
        """Age on each day: one born on 29 Feb is older from 1 Mar in a common year (dates.age_on)."""
        year = _ymd(_filled(day))[0]
        moved = self._moved(year)
        return year - self.year - (day < _date(year, np.where(moved, 3, self.month), np.where(moved, 1, self.day)))

    def is_birthday(self, day: Days) -> np.ndarray:
        """True where a day is a birthday under either leap-day policy (dates.on_a_birthday); False where NaT."""
        year, month, dom = _ymd(_filled(day))
        moved = self._moved(year)
        plain = (month == self.month) & (dom == self.day)
        found = plain | (moved & (((month == 2) & (dom == 28)) | ((month == 3) & (dom == 1))))
        return self.known & ~np.isnat(day) & found  # type: ignore[no-any-return]

    def card_expiry(self, issued: Days, applied: Days | None = None) -> Days:
        """The card's expiry by the birthday rule: 10 years, 5 for a minor (18; 20 if applied for before 2022-04-01)."""
        around = self.around(issued)
        age = self.age_on(issued)
        keyed = issued if applied is None else np.where(np.isnat(applied), issued, applied)
        adult_age = np.where(keyed < np.datetime64(dates.ADULT_AGE_SWITCH, "D"), 20, 18)
        return self.nth_after(issued, np.where(age < adult_age, 5, 10), around)


def birthday_in(birth: Days, year: np.ndarray, leap_day: str = "feb28") -> Days:
    """The birthday in each year; 29 Feb falls on 28 Feb or 1 Mar in common years (dates.birthday_in)."""
    return np.where(np.isnat(birth), NAT, Births(birth, leap_day).on(year))


def age_on(birth: Days, day: Days) -> np.ndarray:
    """Age on each day, one year older from the birthday on (dates.age_on); meaningless where a date is NaT."""
    return Births(birth, "feb28").age_on(day)


def nth_birthday_after(birth: Days, issued: Days, n: np.ndarray | int, leap_day: str = "feb28") -> Days:
    """The n-th birthday strictly after each issue date (dates.nth_birthday_after)."""
    return Births(birth, leap_day).nth_after(issued, n)


def card_expiry_by_birthday(birth: Days, issued: Days, leap_day: str = "feb28", applied: Days | None = None) -> Days:
    """The card's expiry by the birthday rule alone: 10 years, 5 for a minor (dates.card_expiry_by_birthday)."""
    return Births(birth, leap_day).card_expiry(issued, applied)


def stay_caps_card(foreign: np.ndarray, uncapped: np.ndarray, residence_expires_on: Days) -> np.ndarray:
    """True where a foreign resident's period of stay can end the card early (dates.stay_caps_card)."""
    return foreign & ~np.isnat(residence_expires_on) & ~uncapped


def add_months(day: Days, months: int) -> Days:
    """Each day moved by whole months, clamped at month end (relativedelta(months=...))."""
    year, month, dom = _ymd(_filled(day))
    total = year * 12 + month - 1 + months
    year, month = total // 12, total % 12 + 1
    return np.where(np.isnat(day), NAT, _date(year, month, np.minimum(dom, _month_length(year, month))))


def renewal_from(expires_on: Days) -> Days:
    """First day renewal is possible: the day after expiry minus 3 months (dates.renewal_from)."""
    return add_months(expires_on, -3) + np.timedelta64(1, "D")


def grace_end(expires_on: Days) -> Days:
    """End of the 3rd month after the month of expiry (dates.grace_end)."""
    year, month, _ = _ymd(_filled(expires_on))
    total = year * 12 + month + 2
    year, month = total // 12, total % 12 + 1
    return np.where(np.isnat(expires_on), NAT, _date(year, month, _month_length(year, month)))


def insurance_grace_end(expires_on: Days, cert_expires_on: Days) -> Days:
    """The grace end a notice gives: that of the certificate's expiry where it comes first (dates.insurance_grace_end)."""
    return grace_end(np.where(cert_expires_on < expires_on, cert_expires_on, expires_on))


def in_window(day: Days, run_date: date) -> np.ndarray:
    """True where a date falls in the run date's notice window (dates.in_window)."""
    low, high = (np.datetime64(d, "D") for d in dates.window(run_date))
    return (day >= low) & (day <= high)


def days_before(day: Days, run_date: date, days: int) -> np.ndarray:
    """True where run date - days <= day < run date."""
    run = np.datetime64(run_date, "D")
    return (day >= run - np.timedelta64(days, "D")) & (day < run)
