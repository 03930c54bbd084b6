"""Periods in the admin's words ("2 years", "6 weeks") and their encodings.

Certificate templates store validity and renewal periods as an 8-byte little-endian FILETIME interval: the
negative number of 100-nanosecond ticks (MS-CRTD 2.16 pKIExpirationPeriod, 2.17 pKIOverlapPeriod). The
Certificate Templates console counts a year as 365 days and a week as 7; it offers hours, days, weeks, months
and years but a month has no fixed length in a FILETIME, so months are not accepted here for templates.
Intune SCEP profiles store a value and a scale (days, months, years).
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

TICKS_PER_DAY = 864_000_000_000  # 100 ns ticks
UNIT_DAYS = {"day": 1, "week": 7, "year": 365}
UNITS = ("hour", "day", "week", "month", "year")
_PATTERN = re.compile(r"^\s*(\d+)\s*([a-zA-Z]+?)s?\s*$")
UNIT_HOURS = {"hour": 1, "day": 24, "week": 7 * 24, "month": 30 * 24, "year": 365 * 24}
"""Approximate length of each unit in hours (a month as 30 days), to compare and to bound periods."""
MAX_YEARS = 100
"""No certificate period is longer; a bigger number (e.g. 99999999999999 years) would overflow a FILETIME."""


@dataclass(frozen=True, order=True)
class Period:
    value: int
    unit: str  # one of UNITS, singular

    def __str__(self) -> str:
        return f"{self.value} {self.unit}{'' if self.value == 1 else 's'}"

    @property
    def days(self) -> int:
        if self.unit not in UNIT_DAYS:
            raise ValueError(f"a period in {self.unit}s has no fixed number of days")
        return self.value * UNIT_DAYS[self.unit]

    @property
    def hours(self) -> int:
        """Length in hours (exact except for months, counted as 30 days): compares periods of any unit."""
        return self.value * UNIT_HOURS[self.unit]


def parse_period(text: str | int, *, allowed: tuple[str, ...] = UNITS) -> Period:
    """Parse "2 years", "6 weeks", "1 year", "90days". Raises ValueError with a readable reason."""
    if isinstance(text, int):
        raise ValueError(f"give a period with its unit, e.g. '{text} days'")
    m = _PATTERN.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a period: write a number and a unit, e.g. '2 years' or '6 weeks'")
    value, unit = int(m.group(1)), m.group(2).lower()
    if unit.endswith("s") and unit[:-1] in UNITS:
        unit = unit[:-1]
    if unit not in UNITS:
        raise ValueError(f"'{text}': unknown unit '{unit}', use one of {', '.join(u + 's' for u in allowed)}")
    if unit not in allowed:
        raise ValueError(f"'{text}': {unit}s are not accepted here, use one of {', '.join(u + 's' for u in allowed)}")
    if value <= 0:
        raise ValueError(f"'{text}': a period must be longer than zero")
    if value * UNIT_HOURS[unit] > MAX_YEARS * UNIT_HOURS["year"]:
        raise ValueError(f"'{text}' is longer than {MAX_YEARS} years: no certificate period is that long")
    return Period(value, unit)


def to_filetime_interval(period: Period) -> bytes:
    """The 8-byte pKIExpirationPeriod / pKIOverlapPeriod encoding of a period."""
    if period.unit == "hour":
        ticks = period.value * TICKS_PER_DAY // 24
    else:
        ticks = period.days * TICKS_PER_DAY
    return struct.pack("<q", -ticks)


def from_filetime_interval(raw: bytes) -> Period:
    """Map an 8-byte FILETIME interval back to words: years, weeks or days where exact, else hours."""
    if len(raw) != 8:
        raise ValueError(f"a FILETIME interval has 8 bytes, got {len(raw)}")
    ticks = -struct.unpack("<q", raw)[0]
    if ticks <= 0:
        raise ValueError("a FILETIME interval must be negative")
    if ticks % TICKS_PER_DAY:
        return Period(ticks * 24 // TICKS_PER_DAY, "hour")
    days = ticks // TICKS_PER_DAY
    for unit in ("year", "week"):
        if days % UNIT_DAYS[unit] == 0:
            return Period(days // UNIT_DAYS[unit], unit)
    return Period(days, "day")
