"""Dates: the Extended Date/Time Format (EDTF, ISO 8601-2) levels 0 and 1, and timestamps.

We parse EDTF ourselves instead of using the `edtf` package because a build reads
tens of thousands of dates and `edtf` (pyparsing) takes ~11 ms a date, and because
its bounds drop the time of day. Parsing here is one regular expression per point
plus integer checks, a few microseconds a date. `edtf` stays the oracle of the tests.

What is accepted (see /work/shared/briefing-format.md, "Dates"):

  2025  2025-03  2025-03-18                 a year, a month, a day
  2025-03-18T14:00:00  ...T14:00            a date-time (hh:mm is not EDTF; accepted too)
  ...T14:00:00Z  ...T14:00:00-04:00  ...-04 with an offset, -12:00 to +14:00
  2018?  2025-02~  2004-06-11%              uncertain, approximate, both (at the end of a date)
  201X  20XX  2025-XX  2025-03-XX  2025-XX-XX   unspecified digits
  2025-21 .. 2025-24                        spring, summer, autumn, winter (a qualifier may follow)
  A/B  A/..  A/  ../B  /B                   intervals: ends are any of the above, '..' is an
                                            open end, an empty side an unknown one

Extensions beyond strict level 1, because the generator may accept more than the
contract: date-times and unspecified digits as interval ends (the latter is level 2),
a qualifier after a season, hh:mm without seconds, and the offsets +00:00/-00:00.

Rejected with a DateError whose message says what to change: anything else, including
EDTF forms that Python's datetime cannot hold (negative years '-0100', long years
'Y170000002', year 0, '000X'), level 2 forms (2XXX, 20X5, ?2025-03, lists), days that
the calendar does not have (2025-02-29), 24:00:00 and leap seconds, local times that
the site's zone skips (a DST gap), an interval that ends before it starts, and an
interval with neither a start nor an end.

Precision names, finest first (PRECISIONS): second, minute, day, month, season, year,
decade, century. Unspecified digits lower the precision: 2025-03-XX is a month,
2025-XX and 2025-XX-XX are years, 201X a decade, 20XX a century.

Bounds (`earliest`, `latest`) are aware datetimes in UTC, with microsecond
resolution: `latest` is the last microsecond of the period (2025-03 ->
2025-03-31T23:59:59.999999 in the zone). A date or a time written without an offset
is in the `tz` given to parse_edtf (the briefing's zone). Qualifiers do not move
the bounds. Seasons are the meteorological seasons of the northern hemisphere:
spring = March-May, summer = June-August, autumn = September-November,
winter = December of that year to February of the next. An open or unknown start
is MIN_INSTANT (datetime.min in UTC) and an open or unknown end is MAX_INSTANT
(datetime.max in UTC); don't convert those two to another zone, they would overflow.
Dates at the very ends of datetime's range are clamped to those two as well.

An interval is an error only when its end lies wholly before its start (the end's
latest instant before the start's earliest): '2025-03/2025-03' and
'2025-03-18/2025-03' (ending some time in March) are fine, '2025-03-18/2025-03-01'
is not. So for every EDTF, earliest <= latest.

display() writes English at the written precision: '18 March 2025', 'February 2025',
'Spring 2025', 'the 2010s' (201X), '2000–2099' (20XX: 'the 2000s' would read as a
decade), 'March 2025 (day unknown)', 'c. 2018 (uncertain)' for '%'. A time shows
its offset, also when the briefing's zone supplied it: '14:00 (UTC−04:00)', '14:00 UTC'.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import field
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from .model import value

__all__ = [
    "DateError",
    "EDTF",
    "MAX_INSTANT",
    "MIN_INSTANT",
    "PRECISIONS",
    "PRECISION_RANK",
    "format_timestamp",
    "parse_edtf",
    "parse_timestamp",
]

UTC = timezone.utc
MIN_INSTANT = datetime.min.replace(tzinfo=UTC)  # an open or unknown start
MAX_INSTANT = datetime.max.replace(tzinfo=UTC)  # an open or unknown end

# Finest first: the timeline puts a finer date before a coarser one starting at the same instant.
PRECISIONS = ("second", "minute", "day", "month", "season", "year", "decade", "century")
PRECISION_RANK = {name: rank for rank, name in enumerate(PRECISIONS)}

MONTHS = ("", "January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")
# season code -> (name, first month); each season is three months long.
SEASONS = {21: ("Spring", 3), 22: ("Summer", 6), 23: ("Autumn", 9), 24: ("Winter", 12)}

_EXAMPLES = "e.g. 2025, 2025-03, 2025-03-18, 2025-03-18T14:00:00Z, 2025-03-18/2025-04-17, 2018?, 201X, 2025-21"
_MICROSECOND = timedelta(microseconds=1)
_MINUS = "\u2212"  # a real minus sign for display: 'UTC−04:00'


class DateError(ValueError):
    """A date that cannot be read; str() is a message an author can act on."""


class _Problem(Exception):
    """Internal: why one point is wrong, a clause to be put into a DateError message."""


# ---------------------------------------------------------------------------
# One point: a date, a date-time, a season or a date with unspecified digits.
# The regular expression only checks the shape; ranges are checked in _Point.
# A string that does not have the shape goes to _explain() for a helpful message.

_POINT_RE = re.compile(
    r"(?P<y>\d{4}|\d{3}X|\d{2}XX)"
    r"(?:-(?P<m>\d{2}|XX)"
    r"(?:-(?P<d>\d{2}|XX)"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"(?P<z>Z|[+-]\d{2}(?::\d{2})?)?)?)?)?"
    r"(?P<q>[?~%])?"
)

# Fixed-offset zones by their text, so that 50,000 dates with '-04:00' share one object.
_OFFSETS: dict[str, timezone] = {"Z": UTC}


def _offset_zone(text: str) -> timezone:
    """The zone of a written offset: 'Z', '+hh', '+hh:mm' or (timestamps only) '+hhmm'."""
    zone = _OFFSETS.get(text)
    if zone is None:
        digits = text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if minutes > 59:
            raise _Problem(f"the offset {text} has {minutes} minutes (00–59)")
        delta = timedelta(hours=hours, minutes=minutes)
        if text[0] == "-":
            delta = -delta
        # The offsets in use on Earth run from -12:00 (Baker Island) to +14:00 (Kiribati).
        if not timedelta(hours=-12) <= delta <= timedelta(hours=14):
            raise _Problem(f"the offset {text} is out of range (−12:00 to +14:00)")
        zone = _OFFSETS[text] = UTC if not delta else timezone(delta)
    return zone


def _to_utc(zone: tzinfo, year: int, month: int, day: int,
            hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """A local time in `zone` as an aware UTC datetime, clamped to what datetime can hold.

    fold=0 (the default) makes a repeated local time (DST fall-back) its first
    occurrence and a skipped one (DST gap) the instant the clocks jumped, which is
    right for the start of a day: its first instant. (Positional arguments and no
    .replace(): keyword arguments make datetime() several times slower.)
    """
    local = datetime(year, month, day, hour, minute, second, micro, zone)
    if zone is UTC:
        return local
    try:
        return local.astimezone(UTC)
    except OverflowError:  # 0001-01-01 at +14:00 is in year 0; 9999-12-31 at -12:00 in year 10000
        return MIN_INSTANT if year == 1 else MAX_INSTANT


def _check_exists(local: datetime, zone: tzinfo) -> None:
    """Reject a wall-clock time that the zone skips (in a DST gap), which no instant has."""
    if isinstance(zone, timezone):  # fixed offsets have no gaps
        return
    aware = local.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        minutes = aware.utcoffset() // timedelta(minutes=1)  # the offset before the clocks jumped
        sign = "-" if minutes < 0 else "+"
        offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        raise _Problem(
            f"{local:%H:%M} on {_day_label(local.year, local.month, local.day)} does not exist in "
            f"{zone} (the clocks were put forward); correct the time or give its offset, "
            f"e.g. '{local:%Y-%m-%dT%H:%M:%S}{offset}'"
        )


def _year_start(year: int) -> tuple[int, int, int] | None:
    """1 January of `year`, or None past 9999 (datetime's last year)."""
    return (year, 1, 1) if year <= 9999 else None


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    # Not calendar.monthrange(): it also works out a weekday, which costs more than the rest.
    return 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month]


def _day_label(year: int, month: int, day: int) -> str:
    return f"{day} {MONTHS[month]} {year}"


def _zone_label(offset: timedelta | None) -> str:
    """' UTC', ' (UTC+13:00)', ' (UTC−04:00)', or '' for an unknown offset."""
    if offset is None:
        return ""
    if not offset:
        return " UTC"
    sign = "+" if offset > timedelta(0) else _MINUS
    minutes = abs(offset) // timedelta(minutes=1)
    return f" (UTC{sign}{minutes // 60:02d}:{minutes % 60:02d})"


class _Point:
    """One side of an interval, or the only point of a date. Immutable by convention."""

    __slots__ = ("text", "year", "month", "day", "season", "hour", "minute", "second",
                 "x_year", "x_month", "x_day", "qualifier", "zone", "written_offset",
                 "precision", "earliest", "latest")

    def __init__(self, text: str, tz: tzinfo):
        m = _POINT_RE.fullmatch(text)
        if m is None:
            raise _Problem(_explain(text))
        y, mo, d, hh, mm, ss, z, q = m.group("y", "m", "d", "H", "M", "S", "z", "q")
        self.text = text
        self.qualifier = q
        self.month = self.day = self.season = self.hour = self.minute = self.second = None
        self.x_month = self.x_day = False
        self.written_offset = z
        self.zone = tz
        if hh is not None and d == "XX":  # the shape allows it; the calendar does not
            raise _Problem("a time needs a full date before it, not one with unspecified digits (XX)")

        # The year, with 'X' for unspecified trailing digits (level 1: one or two of them).
        if y[3] == "X":
            self.x_year = y.count("X")
            self.year = int(y.replace("X", "0"))
            if self.year == 0:
                raise _Problem(f"{y} includes the year 0; years outside 1–9999 are not supported")
            if mo is not None:
                raise _Problem(f"a year with unspecified digits ({y}) cannot have a month or a day; "
                               f"write '{y}' alone")
            self.precision = "decade" if self.x_year == 1 else "century"
            self._bounds((self.year, 1, 1), _year_start(self.year + 10 ** self.x_year))
            return
        self.x_year = 0
        self.year = year = int(y)
        if year == 0:
            raise _Problem("there is no year 0; years outside 1–9999 are not supported")

        if mo is None:
            self.precision = "year"
            self._bounds((year, 1, 1), _year_start(year + 1))
            return

        if mo == "XX":
            self.x_month = True
            if d is not None and d != "XX":
                raise _Problem(f"a day cannot be given when the month is unspecified (XX); "
                               f"write '{y}-XX-XX' or give the month")
            self.x_day = d is not None
            self.precision = "year"
            self._bounds((year, 1, 1), _year_start(year + 1))
            return

        month = int(mo)
        if 21 <= month <= 24:
            if d is not None:
                raise _Problem(f"a season ({mo}) has no day; write '{y}-{mo}' alone")
            self.season = month
            first = SEASONS[month][1]
            self.precision = "season"
            if month == 24:  # winter runs from December into February of the next year
                if year == 9999:
                    raise _Problem("winter 9999 ends in the year 10000; years outside 1–9999 are not supported")
                after = (year + 1, 3, 1)
            else:
                after = (year, first + 3, 1)
            self._bounds((year, first, 1), after)
            return
        if not 1 <= month <= 12:
            raise _Problem(f"there is no month {mo} (months are 01–12; 21–24 are the seasons "
                           f"spring, summer, autumn and winter)")
        self.month = month

        if d is None or d == "XX":
            self.x_day = d is not None
            self.precision = "month"
            after = (year, month + 1, 1) if month < 12 else _year_start(year + 1)
            self._bounds((year, month, 1), after)
            return
        day = int(d)
        days = _days_in(year, month)
        if day == 0:
            raise _Problem("there is no day 00 (days start at 01)")
        if day > days:
            raise _Problem(f"{MONTHS[month]} {year} has {days} days")
        self.day = day

        if hh is None:
            self.precision = "day"
            if day < days:
                after = (year, month, day + 1)
            else:
                after = (year, month + 1, 1) if month < 12 else _year_start(year + 1)
            self._bounds((year, month, day), after)
            return

        # A date-time.
        if q is not None:
            raise _Problem(f"a qualifier ({q}) goes after a date, not after a date-time; "
                           f"write the date alone ('{y}-{mo}-{d}{q}') or drop the qualifier")
        hour, minute = int(hh), int(mm)
        second = int(ss) if ss is not None else 0
        if hour > 23:
            raise _Problem("hours are 00–23" + (" (write 00:00 of the next day instead of 24:00)"
                                                 if hour == 24 else f", not {hh}"))
        if minute > 59:
            raise _Problem(f"minutes are 00–59, not {mm}")
        if second > 59:
            raise _Problem(f"seconds are 00–59, not {ss}" + (" (leap seconds are not supported)"
                                                           if second == 60 else ""))
        self.hour, self.minute, self.second = hour, minute, second
        if z is not None:
            self.zone = _offset_zone(z)
        else:
            _check_exists(datetime(year, month, day, hour, minute, second), tz)
        self.precision = "second" if ss is not None else "minute"
        self.earliest = _to_utc(self.zone, year, month, day, hour, minute, second)
        # The last microsecond of the written minute or second (by UTC arithmetic, so a
        # repeated DST hour cannot make it jump).
        span = (timedelta(seconds=1) if ss is not None else timedelta(minutes=1)) - _MICROSECOND
        self.latest = self.earliest + span if self.earliest <= MAX_INSTANT - span else MAX_INSTANT

    def _bounds(self, start: tuple[int, int, int], after: tuple[int, int, int] | None) -> None:
        """Set earliest/latest for the period from the local date `start` to just before the
        local date `after` (None: past the end of 9999)."""
        zone = self.zone
        self.earliest = _to_utc(zone, *start)
        if after is None:
            self.latest = _to_utc(zone, 9999, 12, 31, 23, 59, 59, 999999)  # the last microsecond of 9999
        else:
            # The instant before the next period starts, not 23:59:59.999999 local:
            # that is right even when the next midnight is skipped or repeated by DST.
            self.latest = _to_utc(zone, *after) - _MICROSECOND

    # -- display -----------------------------------------------------------

    def label(self, year: bool = True) -> str:
        """The point at its precision, without qualifiers or notes; `year=False` leaves the year off."""
        if self.x_year:
            if self.x_year == 1:
                return f"the {self.year}s"
            return f"{self.year}–{self.year + 99}"
        suffix = f" {self.year}" if year else ""
        if self.season:
            return SEASONS[self.season][0] + suffix
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return MONTHS[self.month] + suffix
        text = f"{self.day} {MONTHS[self.month]}{suffix}"
        if self.hour is not None:
            text += f", {self.clock()}{self.zone_label()}"
        return text

    def clock(self) -> str:
        text = f"{self.hour:02d}:{self.minute:02d}"
        return text + f":{self.second:02d}" if self.second else text

    def zone_label(self) -> str:
        local = datetime(self.year, self.month, self.day, self.hour, self.minute, self.second)
        return _zone_label(self.zone.utcoffset(local))

    def notes(self) -> list[str]:
        notes = []
        if self.x_month:
            notes.append("month and day unknown" if self.x_day else "month unknown")
        elif self.x_day:
            notes.append("day unknown")
        if self.qualifier in ("?", "%"):
            notes.append("uncertain")
        return notes

    @property
    def plain(self) -> bool:
        """No qualifier and no unknown part: the point may share its year with the other end."""
        return self.qualifier is None and not (self.x_year or self.x_month or self.x_day)

    def display(self, year: bool = True) -> str:
        text = self.label(year)
        if self.qualifier in ("~", "%"):
            text = "c. " + text
        notes = self.notes()
        if notes:
            text += f" ({', '.join(notes)})"
        return text

    # -- ISO 8601 for schema.org -------------------------------------------

    def iso(self, end: bool) -> str:
        """The ISO 8601 (not EDTF) form at this precision; for a season or X digits, the first
        (or, for an end, the last) month or year they cover."""
        if self.x_year:
            return f"{self.year + (10 ** self.x_year - 1 if end else 0):04d}"
        if self.season:
            first = SEASONS[self.season][1]
            if not end:
                return f"{self.year:04d}-{first:02d}"
            if self.season == 24:
                return f"{self.year + 1:04d}-02"
            return f"{self.year:04d}-{first + 2:02d}"
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        text = f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.hour is None:
            return text
        text += f"T{self.hour:02d}:{self.minute:02d}"
        if self.precision == "second":
            text += f":{self.second:02d}"
        if self.written_offset == "Z":
            return text + "Z"
        # A time without an offset is in the briefing's zone: say which offset that was.
        local = datetime(self.year, self.month, self.day, self.hour, self.minute, self.second)
        minutes = self.zone.utcoffset(local) // timedelta(minutes=1)
        sign = "-" if minutes < 0 else "+"
        return text + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---------------------------------------------------------------------------
# Messages for strings that do not even have the shape of a date. Only reached on
# error, so it may be slow; the checks go from the most specific to the generic.

_LOOSE_DATE = re.compile(r"(\d{1,4})-(\d{1,2})(?:-(\d{1,2}))?")
_PARTIAL_X = re.compile(r"\d{4}-(\d{2}|XX)-(X\d|\dX)|\d{4}-(X\d|\dX)(-.*)?")
_TIME_TAIL = re.compile(r"\d{4}-\d{2}-\d{2}T(.*)")


def _explain(text: str) -> str:
    if not text:
        return "it is empty"
    if any(c.isspace() for c in text):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}\s+\d{1,2}:.*", text):
            date_part, time_part = text.split(None, 1)
            return (f"write a 'T' between the date and the time, not a space "
                    f"('{date_part}T{time_part.strip()}')")
        return f"it contains white space; write one date as in EDTF ({_EXAMPLES})"
    if text.startswith("Y") or re.match(r"-\d", text):
        return "years outside 1–9999 (negative years, 'Y' long years) are not supported"
    if re.fullmatch(r"\d{5,}([-?~%].*)?", text):
        if re.fullmatch(r"\d{8}", text):
            return f"write a date with hyphens: '{text[:4]}-{text[4:6]}-{text[6:]}'"
        return "the year must have four digits; years outside 1–9999 are not supported"
    if "x" in text and re.fullmatch(r"[\dXx]{4}(-[\dXx]{2}){0,2}[?~%]?", text):
        return "write unspecified digits as an upper-case X (e.g. '201X', '2025-03-XX')"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt][\d:]+[Zz+-]?.*", text) and ("t" in text or "z" in text):
        return "write 'T' (before the time) and 'Z' (UTC) in upper case"
    if text[:1] in "[{" or "," in text:
        return "lists of dates (EDTF level 2) are not supported; give one date or an interval A/B"
    if ".." in text:
        return ("write an interval with '/', as in '2025-03-18/2025-04-17'; "
                "'..' marks an open end, as in '2025-03-18/..'")
    if "^" in text:
        return "qualified seasons (EDTF level 2) are not supported"
    marks = [c for c in text if c in "?~%"]
    if len(marks) > 1:
        return ("a date takes one qualifier, at its end: '?' (uncertain), '~' (approximate) "
                "or '%' (both)")
    if marks and not text.endswith(marks[0]):
        return ("a qualifier (?, ~ or %) goes at the end of the date, as in '2018?' or '2025-02~' "
                "(qualifying one part of a date is EDTF level 2, not supported)")
    bare = text.rstrip("?~%")
    year = re.match(r"[\dX]*", bare).group()
    if "X" in year and len(year) == 4:
        return ("only the last one or two digits of a year may be X, as in '201X' (the 2010s) "
                "or '20XX' (2000–2099)")
    if _PARTIAL_X.fullmatch(bare):
        return "a month or a day is either two digits or XX (unspecified)"
    loose = _LOOSE_DATE.fullmatch(bare)
    if loose:
        y, m, d = loose.groups()
        if len(y) < 4:
            return "the year must have four digits (e.g. '0800' for the year 800)"
        if len(m) < 2 or (d is not None and len(d) < 2):
            fixed = f"{y}-{int(m):02d}" + (f"-{int(d):02d}" if d is not None else "")
            return f"months and days must have two digits: write '{fixed}'"
    tail = _TIME_TAIL.fullmatch(bare)
    if tail:
        t = tail.group(1)
        if not t:
            return "a 'T' must be followed by a time, as in 'T14:00:00'"
        if re.match(r"\d{2}:\d{2}:\d{2}[.,]\d", t):
            return "fractions of a second are not supported"
        if re.match(r"\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}(:\d{2})?)?$", t) is None:
            if re.match(r"\d{2}:\d{2}(:\d{2})?([+-]|$)", t):
                return "the offset must be 'Z' or ±hh:mm, as in '2025-03-18T14:00:00-04:00'"
            return "the time must be hh:mm:ss (or hh:mm) with two digits each, as in 'T14:00:00'"
    if "T" in bare:
        return "a time needs a full date before it, as in '2025-03-18T14:00:00'"
    return f"it is not in the Extended Date/Time Format ({_EXAMPLES})"


# ---------------------------------------------------------------------------


@value
class EDTF:
    """A parsed EDTF date: a point or an interval. Build it with parse_edtf()."""

    text: str  # as written (surrounding white space removed)
    is_interval: bool
    precision: str  # of the start; of the end when the start is open or unknown; see PRECISIONS
    uncertain: bool  # '?' or '%' anywhere
    approximate: bool  # '~' or '%' anywhere
    earliest: datetime  # aware, UTC; MIN_INSTANT for an open or unknown start
    latest: datetime  # aware, UTC; MAX_INSTANT for an open or unknown end
    start_text: str | None  # the start as written; None when open ('..') or unknown ('')
    end_text: str | None  # the end as written; None for a point, or when open or unknown
    open_end: bool  # 'A/..'
    unknown_end: bool  # 'A/'
    open_start: bool = False  # '../B'
    unknown_start: bool = False  # '/B'
    _start: _Point | None = field(default=None, repr=False, compare=False)
    _end: _Point | None = field(default=None, repr=False, compare=False)

    def display(self) -> str:
        """English, at the precision written: '18 March 2025', 'c. February 2025', '18–20 March 2025'."""
        start, end = self._start, self._end
        if not self.is_interval:
            return start.display()
        if start is None:
            return f"until {end.display()} ({'open-ended' if self.open_start else 'start unknown'})"
        if end is None:
            return f"from {start.display()} ({'open-ended' if self.open_end else 'end unknown'})"
        return _span(start, end)

    def sort_key(self) -> tuple:
        """The timeline's order before 'what': earliest instant, then finer precision first."""
        return (self.earliest, PRECISION_RANK[self.precision])

    def iso_start(self) -> str | None:
        """ISO 8601 for schema.org startDate at the written precision ('2025-02', '2025-03-18',
        '2025-03-18T14:00:00-04:00'); a season or X digits give their first month or year."""
        return self._start.iso(end=False) if self._start is not None else None

    def iso_end(self) -> str | None:
        """ISO 8601 for schema.org endDate: an interval's end (its last month or year for a
        season or X digits); None for a point and for an open or unknown end."""
        return self._end.iso(end=True) if self._end is not None else None

    def __str__(self) -> str:
        return self.text


def written_as(date: EDTF) -> str | None:
    """The date as the name of the zone it was read in and its text, NUL between
    ('Europe/Berlin\x002025-03-18'), when read_written() makes this very date of them again (every
    part of it alike); else None. A cached
    parse is stored with its dates so (article_cache.py): at 10,000 articles they are ~65,000 dates,
    most of them the same few days, and unpickling them whole took ~40% of loading the parses."""
    point = date._start or date._end
    zone = getattr(point, "zone", None)
    if not isinstance(zone, ZoneInfo) or not zone.key or "\0" in zone.key:  # ZoneInfo.from_file has no key
        return None
    written = f"{zone.key}\0{date.text}"
    try:
        again = _read_again(written)
    except (DateError, ValueError, OSError):
        return None
    if again != date or any(_values(a) != _values(b) for a, b in ((again._start, date._start), (again._end, date._end))):
        return None
    return written


def read_written(written: str) -> EDTF:
    """The date written_as() gave `written` for."""
    zone, _, text = written.partition("\0")
    return parse_edtf(text, ZoneInfo(zone))


# written_as reads each date again to compare; the same few days recur across a briefing's articles,
# and reading them again was a third of storing a parse. (A date is an immutable value.)
_read_again = functools.lru_cache(maxsize=4096)(read_written)


def _values(point: _Point | None) -> tuple | None:
    return None if point is None else tuple(getattr(point, name) for name in _Point.__slots__)


def _span(start: _Point, end: _Point) -> str:
    """Both ends of an interval, sharing what they have in common as English does."""
    a, b = start.display(), end.display()
    if a == b:  # '2025-03/2025-03': all of March
        return a
    if start.plain and end.plain and start.year == end.year:
        if start.hour is not None and end.hour is not None:
            # '18 March 2025, 14:00–16:00 UTC' when the day and the zone are the same.
            if (start.month, start.day) == (end.month, end.day) and start.zone_label() == end.zone_label():
                day = _day_label(start.year, start.month, start.day)
                return f"{day}, {start.clock()}–{end.clock()}{start.zone_label()}"
        elif start.hour is None and end.hour is None:
            if start.precision == end.precision == "day" and start.month == end.month:
                return f"{start.day}–{end.day} {MONTHS[end.month]} {end.year}"
            # Only between like ends: '18 March – March 2025' would read oddly.
            if start.precision == end.precision and start.precision in ("day", "month", "season"):
                return f"{start.label(year=False)} – {end.label()}"
    # An en dash between simple items ('2024–2025'), spaced when either has spaces.
    dash = " – " if " " in a or " " in b else "–"
    return f"{a}{dash}{b}"


def parse_edtf(text: str, tz: tzinfo = UTC) -> EDTF:
    """Read an EDTF date (levels 0 and 1, see the module's docstring); raise DateError if it is not one.

    A date or a time without an offset is in `tz`, the briefing's zone (a zoneinfo.ZoneInfo).
    YAML scalars are accepted too: an int 2014 reads as '2014', a date as its ISO form.
    """
    if not isinstance(text, str):
        text = _scalar_text(text)
    if tz is None:  # a naive datetime would be read in the machine's zone, which no briefing means
        tz = UTC
    text = text.strip()
    if "/" not in text:
        try:
            point = _Point(text, tz)
        except _Problem as problem:
            raise DateError(f"{text!r} is not a valid date: {problem}") from None
        q = point.qualifier
        return EDTF(text, False, point.precision, q == "?" or q == "%", q == "~" or q == "%",
                    point.earliest, point.latest, text, None, False, False, False, False, point, None)

    sides = text.split("/")
    if len(sides) != 2:
        raise DateError(f"{text!r} is not a valid date: an interval has exactly one '/', "
                        f"as in '2025-03-18/2025-04-17'")
    points: list[_Point | None] = []
    for side, name in zip(sides, ("start", "end")):
        if side == "" or side == "..":
            points.append(None)
            continue
        try:
            points.append(_Point(side, tz))
        except _Problem as problem:
            raise DateError(f"{text!r} is not a valid date: its {name} {side!r} is wrong: {problem}") from None
    start, end = points
    if start is None and end is None:
        raise DateError(f"{text!r} is not a valid date: an interval needs a start or an end")
    if start is not None and end is not None and end.latest < start.earliest:
        # An end that may fall within the start's period ('2025-03-18/2025-03') is fine:
        # only an end wholly before the start is impossible.
        raise DateError(f"{text!r} is not a valid date: the interval ends ({end.display()}) "
                        f"before it starts ({start.display()})")
    marks = sides[0][-1:] + sides[1][-1:]
    return EDTF(
        text=text,
        is_interval=True,
        precision=(start or end).precision,
        uncertain="?" in marks or "%" in marks,
        approximate="~" in marks or "%" in marks,
        earliest=start.earliest if start is not None else MIN_INSTANT,
        latest=end.latest if end is not None else MAX_INSTANT,
        start_text=sides[0] if start is not None else None,
        end_text=sides[1] if end is not None else None,
        open_end=sides[1] == "..",
        unknown_end=sides[1] == "",
        open_start=sides[0] == "..",
        unknown_start=sides[0] == "",
        _start=start,
        _end=end,
    )


def _scalar_text(value) -> str:
    """The EDTF text of a YAML scalar that was not a string: 2014, date(2025, 3, 18), a datetime."""
    if isinstance(value, bool) or value is None:
        raise DateError(f"{value!r} is not a valid date: expected a date such as 2025-03-18")
    if isinstance(value, int):
        return f"{value:04d}" if value >= 0 else str(value)
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    raise DateError(f"{value!r} is not a valid date: expected a date such as 2025-03-18, "
                    f"not {type(value).__name__}")


# ---------------------------------------------------------------------------
# Timestamps: an article's `published` and `updated`.

_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
    r" ?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_timestamp(text: str, tz: tzinfo = UTC) -> datetime:
    """Read a date or a date-time (ISO 8601, or YAML's space for 'T') as an aware datetime.

    The written offset is kept as the tzinfo, so it can be displayed; a time without an
    offset is in `tz`; a date alone is its first instant in `tz` (midnight, or the end of
    a DST gap). Fractions of a second are kept. Raises DateError.
    """
    if isinstance(text, datetime):
        if text.tzinfo is None:
            text = text.isoformat()
        else:
            return text
    elif isinstance(text, date):
        text = text.isoformat()
    if not isinstance(text, str):
        raise DateError(f"{text!r} is not a valid date or date-time: expected e.g. 2025-03-19T10:30:00+13:00")
    if tz is None:
        tz = UTC
    text = text.strip()
    m = _TIMESTAMP_RE.fullmatch(text)
    try:
        if m is None:
            if "/" in text:
                raise _Problem("a timestamp is one date or date-time, not an interval")
            if _POINT_RE.fullmatch(text):  # EDTF, but not a full date: '2025-03', '2018?'
                raise _Problem("a timestamp is a full date (2025-03-19), optionally with a time")
            raise _Problem(_explain(text))
        y, mo, d, hh, mm, ss, frac, z = m.groups()
        year, month, day = int(y), int(mo), int(d)
        if year == 0:
            raise _Problem("there is no year 0")
        if not 1 <= month <= 12:
            raise _Problem(f"there is no month {mo} (months are 01–12)")
        days = _days_in(year, month)
        if not 1 <= day <= days:
            raise _Problem(f"{MONTHS[month]} {year} has {days} days" if day else "there is no day 00")
        if hh is None:
            return _to_utc(tz, year, month, day).astimezone(tz)
        hour, minute, second = int(hh), int(mm), int(ss or 0)
        if hour > 23:
            raise _Problem(f"hours are 00–23, not {hh}")
        if minute > 59 or second > 59:
            raise _Problem("minutes and seconds are 00–59")
        local = datetime(year, month, day, hour, minute, second, int((frac or "0").ljust(6, "0")))
        if z is None:
            _check_exists(local, tz)
            return local.replace(tzinfo=tz)
        return local.replace(tzinfo=_offset_zone(z.upper()))
    except _Problem as problem:
        raise DateError(f"{text!r} is not a valid date or date-time: {problem}") from None


def format_timestamp(dt: datetime) -> str:
    """'19 March 2025, 10:30 (UTC+13:00)', '19 March 2025, 10:30 UTC'; seconds only when not zero."""
    clock = f"{dt.hour:02d}:{dt.minute:02d}" + (f":{dt.second:02d}" if dt.second else "")
    return f"{_day_label(dt.year, dt.month, dt.day)}, {clock}{_zone_label(dt.utcoffset())}"
