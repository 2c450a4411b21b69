"""When a run's letters reach residents: the vendor's cut-off, print days and delivery days on business days.

Dates only, pure functions: the run date and the time the run seals are arguments (never the wall clock), and
the calendar's holidays are a predicate passed in, jpholiday's by default. A piece is late when it reaches the
resident later than 2 months before its expiry, which is what the J-LIS leaflet promises (domain.md 2.3, 2.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import jpholiday
from dateutil.relativedelta import relativedelta

# The leaflet tells residents that the notice comes about 2 months before the expiry: later than that is late.
PROMISED_MONTHS = 2
# The closure of the offices at the turn of the year (行政機関の休日に関する法律: 12月29日から1月3日), which most
# print-and-mail vendors keep too: neither printing nor posting is counted on these days when year_end_closed.
YEAR_END = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))


@dataclass(frozen=True)
class PostSettings:
    """[post] in the configuration: the vendor's daily cut-off, its print days, the mail class's delivery days."""

    cutoff: time = time(15, 0)  # a folder sealed later than this (Asia/Tokyo) is taken on the next business day
    print_days: int = 2  # business days from the hand-off to the posting (printing, enclosing, handing in)
    delivery_days: int = 3  # business days from the posting to the letterbox, for the mail class
    year_end_closed: bool = True  # 12/29 to 1/3 are not business days


def is_japanese_holiday(day: date) -> bool:
    """True on a Japanese public holiday, 振替休日 and 国民の休日 included (jpholiday)."""
    return bool(jpholiday.is_holiday(day))


@dataclass(frozen=True)
class BusinessDays:
    """The days the vendor prints and posts and Japan Post delivers ordinary mail: Monday to Friday, no holiday.

    Since October 2021 Japan Post no longer delivers ordinary mail (普通郵便) on Saturdays, as on Sundays and public
    holidays (the 2020 amendment of the Postal Act): a letter posted on a Friday is not delivered before Monday.
    """

    year_end_closed: bool = True
    holiday: Callable[[date], bool] = field(default=is_japanese_holiday)

    def is_open(self, day: date) -> bool:
        """True for a business day: a weekday that is no public holiday (nor a year-end closure day, if kept)."""
        if day.weekday() >= 5 or self.holiday(day):
            return False
        return not (self.year_end_closed and (day.month, day.day) in YEAR_END)

    def on_or_after(self, day: date) -> date:
        """DAY if it is a business day, else the next one."""
        while not self.is_open(day):
            day += timedelta(days=1)
        return day

    def add(self, day: date, days: int) -> date:
        """The DAYS-th business day after DAY (DAY itself for 0)."""
        for _ in range(days):
            day = self.on_or_after(day + timedelta(days=1))
        return day


@dataclass(frozen=True)
class Arrival:
    """When a run's folder is handed off, its letters posted, and when they reach the residents."""

    sealed_at: time
    handed_off_on: date
    posted_on: date
    arrives_on: date

    def is_late(self, expires_on: date) -> bool:
        """True when a piece for this expiry arrives later than the leaflet promises."""
        return is_late(self.arrives_on, expires_on)


def handed_off_on(run_date: date, sealed_at: time, cutoff: time, calendar: BusinessDays) -> date:
    """The day the vendor takes the folder: the run date if a business day and sealed by the cut-off, else the next."""
    if sealed_at > cutoff:  # too late for today's collection: the vendor takes it on the next business day
        return calendar.on_or_after(run_date + timedelta(days=1))
    return calendar.on_or_after(run_date)


def arrival(run_date: date, sealed_at: time, settings: PostSettings, calendar: BusinessDays | None = None) -> Arrival:
    """The hand-off, posting and arrival dates of a run sealed at SEALED_AT (Asia/Tokyo) on its run date."""
    calendar = calendar or BusinessDays(settings.year_end_closed)
    handed = handed_off_on(run_date, sealed_at, settings.cutoff, calendar)
    posted = calendar.add(handed, settings.print_days)
    return Arrival(sealed_at, handed, posted, calendar.add(posted, settings.delivery_days))


def promised_by(expires_on: date) -> date:
    """The last day a notice may arrive: 2 months before the expiry, clamped at month end like the window."""
    return expires_on - relativedelta(months=PROMISED_MONTHS)


def is_late(arrives_on: date, expires_on: date) -> bool:
    """True when arriving on ARRIVES_ON is later than 2 months before EXPIRES_ON (exactly 2 months is on time)."""
    return arrives_on > promised_by(expires_on)
