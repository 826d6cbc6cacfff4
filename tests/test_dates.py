"""Tests of generator.dates: our EDTF (levels 0 and 1) parser, timestamps and their display.

Three kinds of test:
  * examples from the contract and the module's brief (display, bounds, errors);
  * property tests (hypothesis) with the `edtf` package as the oracle: for random
    valid EDTF strings of every supported form, edtf must accept them and its
    strict bounds must agree with ours; and a differential fuzz of near-valid
    strings where every disagreement on validity must be one we chose;
  * property tests of our own invariants (DST-proof day boundaries, order, ...).

edtf's known quirks, allowed for below:
  * lower_strict()/upper_strict() drop the time of day (and ignore the offset): we
    compare dates, in the offset as written; the instant itself is checked against
    datetime.fromisoformat();
  * winter (YYYY-24) is December only in edtf; ours is December to February;
  * an open end and an unknown one get no or made-up (+-10 years) bounds in edtf;
  * it crashes on 'YYYY-XX' as an interval end;
  * it accepts 29 February in any year, 24:00:00, year 0, negative and long years,
    2XXX, and offsets down to -14:00; we reject those.
"""

from __future__ import annotations

import calendar
import dataclasses
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import edtf as edtf_lib
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.dates import (
    EDTF,
    MAX_INSTANT,
    MIN_INSTANT,
    PRECISION_RANK,
    PRECISIONS,
    DateError,
    format_timestamp,
    parse_edtf,
    parse_timestamp,
    read_written,
    written_as,
)

UTC = timezone.utc
AUCKLAND = ZoneInfo("Pacific/Auckland")
NEW_YORK = ZoneInfo("America/New_York")
MINUS = "\u2212"

ORACLE = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------------------
# The oracle


# edtf reads some strings we reject at level 2 (or crashes on them); those are not level 1.
_EDTF_LEVEL2 = {"PartialUnspecified", "PartialUncertainOrApproximate", "Level2Season",
                "ExponentialYear", "OneOfASet", "MultipleDates", "Consecutives"}


def edtf_parse(text: str):
    """edtf's object for `text`, or None when it rejects it (or reads it as level 2 only)."""
    try:
        result = edtf_lib.parse_edtf(text, fail_silently=True)
    except Exception:  # edtf 5 raises AttributeError on some level 2 strings, e.g. '2025-0X'
        return None
    if result is None or type(result).__name__ in _EDTF_LEVEL2:
        return None
    return result


def _day(struct) -> date:
    return date(struct.tm_year, struct.tm_mon, struct.tm_mday)


def _winter_fix(upper: date, end_text: str) -> date:
    """edtf ends winter on 31 December; ours runs to the end of February."""
    core = end_text.rstrip("?~%")
    if len(core) == 7 and core.endswith("-24"):
        year = int(core[:4]) + 1
        return date(year, 2, calendar.monthrange(year, 2)[1])
    return upper


def oracle_days(text: str) -> tuple[date, date]:
    """edtf's strict bounds of one point, as dates (qualifiers dropped: they do not move bounds,
    and edtf rejects a qualified season on its own)."""
    parsed = edtf_parse(text.rstrip("?~%"))
    assert parsed is not None, f"edtf rejects {text!r}"
    return _day(parsed.lower_strict()), _winter_fix(_day(parsed.upper_strict()), text)


# ---------------------------------------------------------------------------
# Strategies: valid EDTF of every supported form


@st.composite
def full_dates(draw, min_year=1, max_year=9999) -> tuple[int, int, int]:
    year = draw(st.integers(min_year, max_year))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return year, month, day


@st.composite
def offsets(draw) -> str:
    """'Z' or ±hh:mm within -12:00..+14:00 (edtf rejects ±00:00, so that is tested apart)."""
    if draw(st.booleans()):
        return "Z"
    minutes = draw(st.integers(-12 * 60, 14 * 60).filter(bool))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def date_times(draw, offset=True) -> str:
    year, month, day = draw(full_dates(min_year=2, max_year=9998))  # clear of the clamped ends
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    zone = draw(offsets()) if offset and draw(st.booleans()) else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{zone}"


@st.composite
def plain_points(draw, seasons=True) -> str:
    """A year, month, day or season, without qualifier or unspecified digits."""
    kinds = ["year", "month", "day"] + (["season"] if seasons else [])
    kind = draw(st.sampled_from(kinds))
    year, month, day = draw(full_dates())
    if kind == "year":
        return f"{year:04d}"
    if kind == "month":
        return f"{year:04d}-{month:02d}"
    if kind == "day":
        return f"{year:04d}-{month:02d}-{day:02d}"
    season = draw(st.integers(21, 24))
    return f"{min(year, 9998):04d}-{season}"  # winter 9999 would end in 10000


@st.composite
def unspecified_points(draw, kinds=("decade", "century", "month", "day", "month-day")) -> str:
    kind = draw(st.sampled_from(kinds))
    if kind == "decade":
        return f"{draw(st.integers(1, 999)):03d}X"  # 000X would include the year 0
    if kind == "century":
        return f"{draw(st.integers(1, 99)):02d}XX"
    year, month, _ = draw(full_dates())
    return {"month": f"{year:04d}-XX", "day": f"{year:04d}-{month:02d}-XX",
            "month-day": f"{year:04d}-XX-XX"}[kind]


qualifiers = st.sampled_from(["", "?", "~", "%"])


@st.composite
def oracle_points(draw) -> str:
    """Any point edtf also reads on its own."""
    kind = draw(st.sampled_from(["plain", "qualified", "unspecified", "datetime"]))
    if kind == "plain":
        return draw(plain_points())
    if kind == "qualified":  # edtf reads a qualifier after a date, not after a season alone
        return draw(plain_points(seasons=False)) + draw(qualifiers)
    if kind == "unspecified":
        return draw(unspecified_points()) + draw(qualifiers)
    return draw(date_times())


@st.composite
def oracle_intervals(draw) -> str:
    """Any interval edtf also reads: level 0 and 1, and unspecified digits (its level 2)."""
    kind = draw(st.sampled_from(["level1", "open-or-unknown", "unspecified"]))
    if kind == "unspecified":  # edtf takes X only in unqualified, closed intervals
        # ... and crashes (AttributeError) on 'YYYY-XX' in an interval: leave that one out.
        xs = unspecified_points(kinds=("decade", "century", "day", "month-day"))
        sides = [draw(st.one_of(xs, plain_points())) for _ in range(2)]
        assume(any("X" in side for side in sides))
        return "/".join(sides)
    ends = [draw(plain_points()) + draw(qualifiers) for _ in range(2)]
    if kind == "open-or-unknown":
        ends[draw(st.integers(0, 1))] = draw(st.sampled_from(["..", ""]))
    return "/".join(ends)


# ---------------------------------------------------------------------------
# Property tests against the oracle


@ORACLE
@given(oracle_points())
def test_points_agree_with_edtf(text):
    ours = parse_edtf(text)
    assert edtf_parse(text) is not None, f"edtf rejects {text!r}, which we accept"
    lower, upper = oracle_days(text)
    if "T" in text:
        # edtf drops the time of day: compare the date as written, and the instant with Python's
        # own ISO 8601 reader.
        written = datetime.fromisoformat(text)
        if written.tzinfo is None:
            written = written.replace(tzinfo=UTC)
        assert ours.earliest == written
        assert ours.earliest.astimezone(written.tzinfo).date() == lower == upper
        assert ours.latest == written + timedelta(seconds=1, microseconds=-1)
    else:
        assert ours.earliest.date() == lower
        assert ours.earliest.time() == datetime.min.time()
        assert ours.latest.date() == upper
        assert ours.latest.time() == datetime.max.time()
    assert ours.uncertain == (text[-1] in "?%")
    assert ours.approximate == (text[-1] in "~%")
    assert not ours.is_interval and ours.end_text is None and ours.start_text == text


@ORACLE
@given(oracle_intervals())
def test_intervals_agree_with_edtf(text):
    assert edtf_parse(text) is not None, f"edtf rejects {text!r}"
    start_text, end_text = text.split("/")
    start_known = start_text not in ("", "..")
    end_known = end_text not in ("", "..")
    start_days = oracle_days(start_text) if start_known else None
    end_days = oracle_days(end_text) if end_known else None
    if start_known and end_known and end_days[1] < start_days[0]:
        with pytest.raises(DateError, match="ends .* before it starts"):
            parse_edtf(text)
        return
    ours = parse_edtf(text)
    assert ours.is_interval
    if start_known:
        assert ours.earliest.date() == start_days[0]
        assert ours.start_text == start_text
    else:
        assert ours.earliest == MIN_INSTANT and ours.start_text is None
    if end_known:
        assert ours.latest.date() == end_days[1]
        assert ours.latest.time() == datetime.max.time()
        assert ours.end_text == end_text
    else:
        assert ours.latest == MAX_INSTANT and ours.end_text is None
    if start_known and end_known:
        # And the interval as a whole, as edtf bounds it.
        whole = edtf_parse(text)
        assert ours.earliest.date() == _day(whole.lower_strict())
        assert ours.latest.date() == _winter_fix(_day(whole.upper_strict()), end_text)
    assert ours.open_end == (end_text == "..") and ours.unknown_end == (end_text == "")
    assert ours.open_start == (start_text == "..") and ours.unknown_start == (start_text == "")
    marks = start_text[-1:] + end_text[-1:]
    assert ours.uncertain == ("?" in marks or "%" in marks)
    assert ours.approximate == ("~" in marks or "%" in marks)


# Near-valid strings built from parts, some valid and some not: every disagreement with
# edtf on validity must be one of the decisions listed in the module's docstring.
_YEARS = ["2025", "2024", "1900", "2000", "0001", "9999", "0000", "201X", "20XX", "2XXX", "000X", "X025",
          "202", "-2025"]
_MONTHS = [None, "01", "02", "04", "12", "13", "00", "2", "XX", "21", "24", "25", "0X"]
_DAYS = [None, "01", "28", "29", "30", "31", "00", "32", "1", "XX", "X1"]
_TIMES = [None, "T14:00:00", "T00:00:00", "T23:59:59", "T24:00:00", "T23:59:60", "T14:60:00", "T14:00",
          "T14:00:00Z", "T14:00:00+14:00", "T14:00:00+14:30", "T14:00:00+15:00", "T14:00:00-04:00",
          "T14:00:00+00:00", "T14:00:00-12:00", "T14:00:00-13:00", "T14:00:00+05", "T14:00:00+05:30",
          "T14:00:00+00:30", "T14:00:00.5Z", "T1400"]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_YEARS), st.sampled_from(_MONTHS), st.sampled_from(_DAYS),
       st.sampled_from(_TIMES), qualifiers)
def test_validity_agrees_with_edtf_but_for_our_decisions(year, month, day, clock, qualifier):
    assume(month is not None or (day is None and clock is None))
    assume(day is not None or clock is None)
    text = year + (f"-{month}" if month else "") + (f"-{day}" if day else "") + (clock or "") + qualifier
    try:
        parse_edtf(text)
        ours = True
    except DateError:
        ours = False
    theirs = edtf_parse(text) is not None
    if ours == theirs:
        return
    if theirs:  # edtf accepts, we reject: only for these reasons
        reasons = {
            "no 29 February that year": month == "02" and day == "29" and year.isdigit()
            and not calendar.isleap(int(year)),
            "year 0 or outside 1-9999": year in ("0000", "000X", "-2025"),
            "2XXX is level 2 in the standard": year == "2XXX",
            "24:00 rejected": clock is not None and clock.startswith("T24"),
            "offset below -12:00": clock is not None and clock.endswith("-13:00"),
            "winter 9999 ends in 10000": year == "9999" and month == "24",
        }
    else:  # we accept, edtf rejects: only our documented extensions
        reasons = {
            "hh:mm without seconds": clock == "T14:00",
            "+00:00 offset": clock == "T14:00:00+00:00",
            "qualified season": month in ("21", "24") and qualifier != "",
        }
    assert any(reasons.values()), f"{text!r}: ours={ours}, edtf={theirs}, no documented reason"


# ---------------------------------------------------------------------------
# Our own invariants


@st.composite
def any_valid(draw, tz) -> str:
    """Every form we accept in `tz`, including the extensions edtf does not read."""

    def point(strategy) -> str:
        text = draw(strategy)
        try:
            parse_edtf(text, tz)
        except DateError:  # a local time the zone skips (DST): rightly rejected, tested elsewhere
            assume(False)
        return text

    points = st.one_of(plain_points(), unspecified_points(), date_times(), date_times().map(lambda t: t[:16]))
    kind = draw(st.sampled_from(["point", "qualified", "interval", "half-open"]))
    if kind == "point":
        return point(points)
    if kind == "qualified":
        return point(st.one_of(plain_points(), unspecified_points())) + draw(st.sampled_from("?~%"))
    if kind == "half-open":
        side = point(plain_points()) + draw(qualifiers)
        bound = draw(st.sampled_from(["..", ""]))
        return f"{side}/{bound}" if draw(st.booleans()) else f"{bound}/{side}"
    a, b = point(points), point(points)
    if parse_edtf(b, tz).latest < parse_edtf(a, tz).earliest:
        a, b = b, a
    return f"{a}/{b}"


zones = st.sampled_from([UTC, AUCKLAND, NEW_YORK, ZoneInfo("America/Santiago"), ZoneInfo("America/Havana"),
                         ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Europe/London")])


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_invariants(data):
    tz = data.draw(zones)
    text = data.draw(any_valid(tz))
    ours = parse_edtf(text, tz)
    assert ours.text == text
    assert ours.earliest.tzinfo is UTC and ours.latest.tzinfo is UTC
    assert ours.earliest <= ours.latest
    assert ours.precision in PRECISIONS
    assert ours.sort_key() == (ours.earliest, PRECISION_RANK[ours.precision])
    shown = ours.display()
    assert shown and shown == shown.strip() and "  " not in shown
    assert ours == parse_edtf(text, tz)  # deterministic, and comparable
    hash(ours)
    if not ours.is_interval and ours.precision == "month":
        assert not shown.removeprefix("c. ")[0].isdigit(), shown  # never '1 February 2025'


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_date_stored_as_written_reads_back_the_same_in_every_part(data):
    """The build cache stores a parse's dates as written_as() gives them (article_cache.py)."""
    tz = data.draw(zones)
    date = parse_edtf(data.draw(any_valid(tz)), tz)
    written = written_as(date)
    if written is None:  # only a date read in a named zone is stored by the zone's name
        offsets = [point.written_offset for point in (date._start, date._end) if point is not None]
        assert not isinstance(tz, ZoneInfo) or any(offsets), date
        return
    again = read_written(written)
    assert again == date
    assert again.display() == date.display() and again.iso_start() == date.iso_start() \
        and again.iso_end() == date.iso_end() and again.sort_key() == date.sort_key()


def test_a_date_not_made_by_parsing_its_text_is_not_stored_as_written():
    date = parse_edtf("2025-03-18", NEW_YORK)
    assert written_as(date) == "America/New_York\x002025-03-18"
    assert written_as(dataclasses.replace(date, precision="month")) is None
    assert written_as(dataclasses.replace(date, text="2025-03-19")) is None


@settings(max_examples=300, deadline=None)
@given(full_dates(min_year=2, max_year=9998), zones)
def test_consecutive_days_meet_exactly_even_across_dst(ymd, tz):
    """A day ends one microsecond before the next begins, whatever the clocks did at midnight."""
    day = date(*ymd)
    today, tomorrow = parse_edtf(day.isoformat(), tz), parse_edtf((day + timedelta(days=1)).isoformat(), tz)
    assert today.latest + timedelta(microseconds=1) == tomorrow.earliest
    # A day starts at its first instant: midnight, or the moment midnight was skipped to.
    local = today.earliest.astimezone(tz)
    assert local.date() == day and local.time() < datetime.min.time().replace(hour=2)
    # Months and years start with their first day and end with their last.
    month = parse_edtf(day.isoformat()[:7], tz)
    assert month.earliest <= today.earliest <= today.latest <= month.latest
    if day.day == 1:
        assert month.earliest == today.earliest
    if (day + timedelta(days=1)).day == 1:
        assert month.latest == today.latest


# ---------------------------------------------------------------------------
# Examples


@pytest.mark.parametrize("text, shown", [
    ("2025-03-18", "18 March 2025"),
    ("2025-02", "February 2025"),
    ("2025-02-01", "1 February 2025"),
    ("2025", "2025"),
    ("2025-21", "Spring 2025"),
    ("2025-22", "Summer 2025"),
    ("2025-23", "Autumn 2025"),
    ("2025-24", "Winter 2025"),
    ("2018?", "2018 (uncertain)"),
    ("2025-02~", "c. February 2025"),
    ("2018%", "c. 2018 (uncertain)"),
    ("2004-06-11%", "c. 11 June 2004 (uncertain)"),
    ("201X", "the 2010s"),
    ("20XX", "2000–2099"),
    ("2025-XX", "2025 (month unknown)"),
    ("2025-XX-XX", "2025 (month and day unknown)"),
    ("2025-03-XX", "March 2025 (day unknown)"),
    ("2025-03-XX?", "March 2025 (day unknown, uncertain)"),
    ("201X~", "c. the 2010s"),
    ("2025-21?", "Spring 2025 (uncertain)"),
    ("2025-03-18T14:00:00-04:00", f"18 March 2025, 14:00 (UTC{MINUS}04:00)"),
    ("2025-03-18T14:00:00+05:30", "18 March 2025, 14:00 (UTC+05:30)"),
    ("2025-03-18T14:00:00Z", "18 March 2025, 14:00 UTC"),
    ("2025-03-18T14:00:30Z", "18 March 2025, 14:00:30 UTC"),
    ("2025-03-18T14:00Z", "18 March 2025, 14:00 UTC"),
    ("2025-03-18T14:00:00", "18 March 2025, 14:00 UTC"),
    ("2025-03-18/2025-04-17", "18 March – 17 April 2025"),
    ("2025-03-18/2026-04-17", "18 March 2025 – 17 April 2026"),
    ("2025-03-18/2025-03-20", "18–20 March 2025"),
    ("2025-03/2025-05", "March – May 2025"),
    ("2024/2025", "2024–2025"),
    ("2025-03/2025-03", "March 2025"),
    ("2025-21/2025-23", "Spring – Autumn 2025"),
    ("2025-03-18/2025-03", "18 March 2025 – March 2025"),
    ("2025-03-18?/2025-04-17", "18 March 2025 (uncertain) – 17 April 2025"),
    ("1984~/2004-06", "c. 1984 – June 2004"),
    ("201X/2025", "the 2010s – 2025"),
    ("2025-03-18T14:00:00Z/2025-03-18T16:00:00Z", "18 March 2025, 14:00–16:00 UTC"),
    ("2025-03-18T22:00:00Z/2025-03-19T02:00:00Z", "18 March 2025, 22:00 UTC – 19 March 2025, 02:00 UTC"),
    ("2025-03-18T14:00:00Z/2025-03-20", "18 March 2025, 14:00 UTC – 20 March 2025"),
    ("2025-03-18/..", "from 18 March 2025 (open-ended)"),
    ("2025-03-18/", "from 18 March 2025 (end unknown)"),
    ("/2025", "until 2025 (start unknown)"),
    ("../2025", "until 2025 (open-ended)"),
    ("2025-02~/..", "from c. February 2025 (open-ended)"),
    ("0800", "800"),
])
def test_display(text, shown):
    assert parse_edtf(text).display() == shown


def test_display_of_a_time_without_offset_names_the_briefings_offset():
    assert parse_edtf("2025-03-18T14:00:00", AUCKLAND).display() == "18 March 2025, 14:00 (UTC+13:00)"
    assert parse_edtf("2025-07-18T14:00", AUCKLAND).display() == "18 July 2025, 14:00 (UTC+12:00)"
    assert parse_edtf("2025-07-18T14:00:00Z", AUCKLAND).display() == "18 July 2025, 14:00 UTC"


@pytest.mark.parametrize("text, precision", [
    ("2025", "year"), ("2025-03", "month"), ("2025-03-18", "day"), ("2025-21", "season"),
    ("2025-03-18T14:00:00Z", "second"), ("2025-03-18T14:00", "minute"), ("201X", "decade"),
    ("20XX", "century"), ("2025-XX", "year"), ("2025-XX-XX", "year"), ("2025-03-XX", "month"),
    ("2018?", "year"), ("2025-03-18/2025-04", "day"), ("/2025-04", "month"), ("../2025", "year"),
    ("2025-03/..", "month"),
])
def test_precision(text, precision):
    assert parse_edtf(text).precision == precision


@pytest.mark.parametrize("text, tz, earliest, latest", [
    ("2025", UTC, utc(2025, 1, 1), utc(2025, 12, 31, 23, 59, 59, 999999)),
    ("2025-03", UTC, utc(2025, 3, 1), utc(2025, 3, 31, 23, 59, 59, 999999)),
    ("2025-02", UTC, utc(2025, 2, 1), utc(2025, 2, 28, 23, 59, 59, 999999)),
    ("2024-02-29", UTC, utc(2024, 2, 29), utc(2024, 2, 29, 23, 59, 59, 999999)),
    ("2025-12-31", UTC, utc(2025, 12, 31), utc(2025, 12, 31, 23, 59, 59, 999999)),
    # Auckland is UTC+13:00 in March (daylight time) and UTC+12:00 in July.
    ("2025-03-18", AUCKLAND, utc(2025, 3, 17, 11), utc(2025, 3, 18, 10, 59, 59, 999999)),
    ("2025-07", AUCKLAND, utc(2025, 6, 30, 12), utc(2025, 7, 31, 11, 59, 59, 999999)),
    ("2025-03-18T14:00:00-04:00", AUCKLAND, utc(2025, 3, 18, 18), utc(2025, 3, 18, 18, 0, 0, 999999)),
    ("2025-03-18T14:00:00", AUCKLAND, utc(2025, 3, 18, 1), utc(2025, 3, 18, 1, 0, 0, 999999)),
    ("2025-03-18T14:00", AUCKLAND, utc(2025, 3, 18, 1), utc(2025, 3, 18, 1, 0, 59, 999999)),
    ("2025-03-18T14:00:00Z", AUCKLAND, utc(2025, 3, 18, 14), utc(2025, 3, 18, 14, 0, 0, 999999)),
    ("2025-03-18T14:00:00+14:00", UTC, utc(2025, 3, 18), utc(2025, 3, 18, 0, 0, 0, 999999)),
    ("2025-03-18T14:00:00-12:00", UTC, utc(2025, 3, 19, 2), utc(2025, 3, 19, 2, 0, 0, 999999)),
    ("2025-03-18T14:00:00-00:00", UTC, utc(2025, 3, 18, 14), utc(2025, 3, 18, 14, 0, 0, 999999)),
    ("2025-03-18T14:00:00+05", UTC, utc(2025, 3, 18, 9), utc(2025, 3, 18, 9, 0, 0, 999999)),
    # Seasons: meteorological, northern; winter runs into February of the next year.
    ("2025-21", UTC, utc(2025, 3, 1), utc(2025, 5, 31, 23, 59, 59, 999999)),
    ("2025-22", UTC, utc(2025, 6, 1), utc(2025, 8, 31, 23, 59, 59, 999999)),
    ("2025-23", UTC, utc(2025, 9, 1), utc(2025, 11, 30, 23, 59, 59, 999999)),
    ("2025-24", UTC, utc(2025, 12, 1), utc(2026, 2, 28, 23, 59, 59, 999999)),
    ("2023-24", UTC, utc(2023, 12, 1), utc(2024, 2, 29, 23, 59, 59, 999999)),
    ("201X", UTC, utc(2010, 1, 1), utc(2019, 12, 31, 23, 59, 59, 999999)),
    ("20XX", UTC, utc(2000, 1, 1), utc(2099, 12, 31, 23, 59, 59, 999999)),
    ("2025-XX-XX", UTC, utc(2025, 1, 1), utc(2025, 12, 31, 23, 59, 59, 999999)),
    ("2024-02-XX", UTC, utc(2024, 2, 1), utc(2024, 2, 29, 23, 59, 59, 999999)),
    ("2018?", UTC, utc(2018, 1, 1), utc(2018, 12, 31, 23, 59, 59, 999999)),  # ? does not move bounds
    ("2025-03-18/2025-04-17", UTC, utc(2025, 3, 18), utc(2025, 4, 17, 23, 59, 59, 999999)),
    ("2025-03-18/..", UTC, utc(2025, 3, 18), MAX_INSTANT),
    ("2025-03-18/", UTC, utc(2025, 3, 18), MAX_INSTANT),
    ("../2025", UTC, MIN_INSTANT, utc(2025, 12, 31, 23, 59, 59, 999999)),
    ("/2025", UTC, MIN_INSTANT, utc(2025, 12, 31, 23, 59, 59, 999999)),
    # The ends of datetime's range are clamped instead of overflowing.
    ("0001", AUCKLAND, MIN_INSTANT, None),
    ("9999", UTC, utc(9999, 1, 1), MAX_INSTANT),
    ("9999-12-31", ZoneInfo("Etc/GMT+12"), utc(9999, 12, 31, 12), MAX_INSTANT),
    ("999X", UTC, utc(9990, 1, 1), MAX_INSTANT),
])
def test_bounds(text, tz, earliest, latest):
    parsed = parse_edtf(text, tz)
    assert parsed.earliest == earliest
    if latest is not None:
        assert parsed.latest == latest


def test_day_boundaries_where_midnight_is_skipped_or_repeated():
    # Chile put its clocks forward at midnight on 8 September 2024: the day began at 01:00 (-03:00).
    santiago = ZoneInfo("America/Santiago")
    assert parse_edtf("2024-09-08", santiago).earliest == utc(2024, 9, 8, 4)
    assert parse_edtf("2024-09-07", santiago).latest == utc(2024, 9, 8, 3, 59, 59, 999999)
    # Cuba put them back from 01:00 to 00:00 on 3 November 2024: the day began at the first 00:00.
    havana = ZoneInfo("America/Havana")
    assert parse_edtf("2024-11-03", havana).earliest == utc(2024, 11, 3, 4)
    assert parse_edtf("2024-11-02", havana).latest == utc(2024, 11, 3, 3, 59, 59, 999999)


def test_a_repeated_local_time_is_its_first_occurrence():
    # New York repeated 01:00-01:59 on 2 November 2025 (EDT, then EST).
    assert parse_edtf("2025-11-02T01:30:00", NEW_YORK).earliest == utc(2025, 11, 2, 5, 30)


def test_sort_key_orders_the_timeline():
    texts = ["2025-03-18T14:00:00Z", "2025-03", "2025-03-18", "2025", "201X", "2025-21", "2025-03-01",
             "../2024", "2025-03-01T00:00:00Z", "2025-03-01T00:00Z", "20XX", "2025-02-28/2025-03-02",
             "2025-03-18?", "2024-12-31/.."]
    ordered = sorted((parse_edtf(t) for t in texts), key=EDTF.sort_key)
    assert [e.text for e in ordered] == [
        "../2024",  # an open start is the earliest of all
        "20XX", "201X", "2024-12-31/..", "2025", "2025-02-28/2025-03-02",  # an interval by its start
        # the same instant: finer precision first
        "2025-03-01T00:00:00Z", "2025-03-01T00:00Z", "2025-03-01", "2025-03", "2025-21",
        "2025-03-18", "2025-03-18?",  # ? does not move a date: a tie, left to 'what'
        "2025-03-18T14:00:00Z",
    ]
    assert parse_edtf("2025-03-18?").sort_key() == parse_edtf("2025-03-18").sort_key()
    assert parse_edtf("2025-03-18~").sort_key() == parse_edtf("2025-03-18").sort_key()
    assert parse_edtf("2025-03-18/2025-04-17").sort_key() == parse_edtf("2025-03-18").sort_key()


def test_sort_key_order_of_precisions():
    assert list(PRECISIONS) == ["second", "minute", "day", "month", "season", "year", "decade", "century"]
    assert [PRECISION_RANK[p] for p in PRECISIONS] == sorted(PRECISION_RANK.values())


@pytest.mark.parametrize("text, start, end", [
    ("2025", "2025", None),
    ("2025-02", "2025-02", None),
    ("2025-03-18", "2025-03-18", None),
    ("2018?", "2018", None),
    ("2025-02~", "2025-02", None),
    ("2025-03-18T14:00:00-04:00", "2025-03-18T14:00:00-04:00", None),
    ("2025-03-18T14:00:00-04", "2025-03-18T14:00:00-04:00", None),
    ("2025-03-18T14:00:00Z", "2025-03-18T14:00:00Z", None),
    ("2025-03-18T14:00", "2025-03-18T14:00+00:00", None),
    ("2025-21", "2025-03", None),
    ("201X", "2010", None),
    ("2025-03-XX", "2025-03", None),
    ("2025-XX-XX", "2025", None),
    ("2025-03-18/2025-04-17", "2025-03-18", "2025-04-17"),
    ("2025-21/2025-24", "2025-03", "2026-02"),
    ("2025-22/2025-23", "2025-06", "2025-11"),
    ("201X/20XX", "2010", "2099"),
    ("2025-03-18/..", "2025-03-18", None),
    ("2025-03-18/", "2025-03-18", None),
    ("/2025", None, "2025"),
    ("../2025-04~", None, "2025-04"),
])
def test_iso(text, start, end):
    parsed = parse_edtf(text)
    assert parsed.iso_start() == start
    assert parsed.iso_end() == end


def test_iso_of_a_time_without_offset_uses_the_briefings_offset():
    assert parse_edtf("2025-03-18T14:00:00", AUCKLAND).iso_start() == "2025-03-18T14:00:00+13:00"
    assert parse_edtf("2025-03-18T14:00:00", NEW_YORK).iso_start() == "2025-03-18T14:00:00-04:00"


def test_fields_of_a_point_and_of_intervals():
    point = parse_edtf("2004-06-11%")
    assert (point.text, point.is_interval, point.uncertain, point.approximate) == ("2004-06-11%", False, True, True)
    assert (point.start_text, point.end_text, point.open_end, point.unknown_end) == ("2004-06-11%", None, False, False)

    closed = parse_edtf("1984?/2004-06~")
    assert (closed.start_text, closed.end_text) == ("1984?", "2004-06~")
    assert closed.uncertain and closed.approximate and closed.is_interval
    assert not (closed.open_end or closed.unknown_end or closed.open_start or closed.unknown_start)

    open_end, unknown_end = parse_edtf("2025-03-18/.."), parse_edtf("2025-03-18/")
    assert open_end.open_end and not open_end.unknown_end and open_end.end_text is None
    assert unknown_end.unknown_end and not unknown_end.open_end and unknown_end.end_text is None
    open_start, unknown_start = parse_edtf("../2025"), parse_edtf("/2025")
    assert open_start.open_start and open_start.start_text is None and open_start.end_text == "2025"
    assert unknown_start.unknown_start and unknown_start.start_text is None
    assert parse_edtf("  2025-03-18 ").text == "2025-03-18"


def test_edtf_is_frozen():
    parsed = parse_edtf("2025")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.text = "2026"
    assert str(parsed) == "2025"


def test_intervals_ending_within_or_at_their_start_are_fine():
    for text in ["2025-03/2025-03", "2025-03-18/2025-03-18", "2025-03-18/2025-03", "2025/2025-01",
                 "2025-03-18T14:00:00Z/2025-03-18", "2025-06/2025-22", "2025-03-18T14:00:00Z/2025-03-18T14:00:00Z",
                 "2025-24/2026-01"]:
        parsed = parse_edtf(text)
        assert parsed.earliest <= parsed.latest


@pytest.mark.parametrize("text, message", [
    ("2025-02-30", "'2025-02-30' is not a valid date: February 2025 has 28 days"),
    ("2025-02-29", "February 2025 has 28 days"),
    ("1900-02-29", "February 1900 has 28 days"),
    ("2025-04-31", "April 2025 has 30 days"),
    ("2025-03-32", "March 2025 has 31 days"),
    ("2025-03-00", "there is no day 00"),
    ("2025-13", "there is no month 13 (months are 01–12; 21–24 are the seasons"),
    ("2025-00", "there is no month 00"),
    ("2025-25", "there is no month 25"),
    ("2025-03-18/2025-03-01",
     "'2025-03-18/2025-03-01' is not a valid date: the interval ends (1 March 2025) before it starts (18 March 2025)"),
    ("2026/2025", "the interval ends (2025) before it starts (2026)"),
    ("2025-03-18T14:00:00Z/2025-03-18T13:59:59Z", "ends"),
    ("2025-3-1", "months and days must have two digits: write '2025-03-01'"),
    ("2025-3", "write '2025-03'"),
    ("25-03-01", "the year must have four digits"),
    ("", "'' is not a valid date: it is empty"),
    ("   ", "it is empty"),
    ("-0100", "years outside 1–9999"),
    ("Y170000002", "years outside 1–9999"),
    ("12025", "years outside 1–9999"),
    ("0000", "there is no year 0"),
    ("000X", "includes the year 0"),
    ("2XXX", "only the last one or two digits of a year may be X"),
    ("20X5", "only the last one or two digits of a year may be X"),
    ("201x", "upper-case X"),
    ("201X-03", "cannot have a month"),
    ("2025-XX-05", "a day cannot be given when the month is unspecified"),
    ("2025-0X", "either two digits or XX"),
    ("2025-03-XXT14:00:00", "a time needs a full date"),
    ("2025-21-05", "a season (21) has no day"),
    ("2025-03-18T24:00:00", "hours are 00–23 (write 00:00 of the next day instead of 24:00)"),
    ("2025-03-18T25:00:00", "hours are 00–23"),
    ("2025-03-18T14:60:00", "minutes are 00–59"),
    ("2025-03-18T23:59:60Z", "leap seconds are not supported"),
    ("2025-03-18T14:00:00+15:00", "the offset +15:00 is out of range (−12:00 to +14:00)"),
    ("2025-03-18T14:00:00-13:00", "out of range"),
    ("2025-03-18T14:00:00+05:60", "60 minutes"),
    ("2025-03-18T14:00:00+0500", "the offset must be 'Z' or ±hh:mm"),
    ("2025-03-18T14:00:00.5Z", "fractions of a second are not supported"),
    ("2025-03-18T14:00:00Z?", "goes after a date, not after a date-time"),
    ("2025-03-18T", "must be followed by a time"),
    ("2025-03-18T1:00", "hh:mm:ss"),
    ("2025T14:00", "a time needs a full date"),
    ("2025-03-18 14:00:00", "write a 'T' between the date and the time, not a space ('2025-03-18T14:00:00')"),
    ("2025-03-18t14:00:00z", "upper case"),
    ("?2018", "goes at the end of the date"),
    ("2018-?03", "goes at the end of the date"),
    ("2018?~", "one qualifier"),
    ("20250318", "write a date with hyphens: '2025-03-18'"),
    ("2025/2026/2027", "exactly one '/'"),
    ("../..", "an interval needs a start or an end"),
    ("/", "an interval needs a start or an end"),
    ("/..", "an interval needs a start or an end"),
    ("2025-03-18/2025-02-30", "its end '2025-02-30' is wrong: February 2025 has 28 days"),
    ("2025-13/2026", "its start '2025-13' is wrong: there is no month 13"),
    ("{2025,2026}", "lists of dates (EDTF level 2) are not supported"),
    ("2025..2026", "write an interval with '/'"),
    ("2025-21^x", "level 2"),
    ("9999-24", "years outside 1–9999"),
    ("March 2025", "white space"),
    ("yesterday", "not in the Extended Date/Time Format"),
])
def test_invalid(text, message):
    with pytest.raises(DateError) as caught:
        parse_edtf(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{text.strip()!r} is not a valid date")
    assert isinstance(caught.value, ValueError)


def test_a_local_time_skipped_by_dst_is_an_error():
    # New York's clocks went from 02:00 to 03:00 on 9 March 2025.
    with pytest.raises(DateError, match=r"02:30 on 9 March 2025 does not exist in America/New_York.*"
                                        r"'2025-03-09T02:30:00-05:00'"):
        parse_edtf("2025-03-09T02:30:00", NEW_YORK)
    # With an offset, or as a date, it is fine.
    assert parse_edtf("2025-03-09T02:30:00-05:00", NEW_YORK).earliest == utc(2025, 3, 9, 7, 30)
    assert parse_edtf("2025-03-09", NEW_YORK).earliest == utc(2025, 3, 9, 5)


def test_yaml_scalars_read_as_written():
    loaded = yaml.safe_load("a: 2014\nb: 2025-03-18\nc: 2025-03\nd: 2018?\ne: 2025-03-18T14:00:00Z\nf: 0800")
    assert parse_edtf(loaded["a"]).display() == "2014"
    assert parse_edtf(loaded["b"]).display() == "18 March 2025"
    assert parse_edtf(loaded["c"]).display() == "March 2025"
    assert parse_edtf(loaded["d"]).display() == "2018 (uncertain)"
    assert parse_edtf(loaded["e"]).earliest == utc(2025, 3, 18, 14)
    assert parse_edtf(800).text == "0800"
    for value in (None, True, 3.5, [2025]):
        with pytest.raises(DateError, match="is not a valid date"):
            parse_edtf(value)


# ---------------------------------------------------------------------------
# Timestamps


@pytest.mark.parametrize("text, expected", [
    ("2025-03-19", datetime(2025, 3, 19, tzinfo=AUCKLAND)),
    ("2025-03-19T10:30:00", datetime(2025, 3, 19, 10, 30, tzinfo=AUCKLAND)),
    ("2025-03-19 10:30:00", datetime(2025, 3, 19, 10, 30, tzinfo=AUCKLAND)),
    ("2025-03-19T10:30", datetime(2025, 3, 19, 10, 30, tzinfo=AUCKLAND)),
    ("2025-03-19T10:30:00+13:00", datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=13)))),
    ("2025-03-19T10:30:00-04:00", datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=-4)))),
    ("2025-03-19T10:30:00Z", datetime(2025, 3, 19, 10, 30, tzinfo=UTC)),
    ("2025-03-19 10:30:00 +0530", datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    ("2025-03-19T10:30:00.250Z", datetime(2025, 3, 19, 10, 30, 0, 250000, tzinfo=UTC)),
])
def test_parse_timestamp(text, expected):
    parsed = parse_timestamp(text, AUCKLAND)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()  # the written offset is kept for display


def test_parse_timestamp_defaults_to_utc_and_takes_yaml_values():
    assert parse_timestamp("2025-03-19") == utc(2025, 3, 19)
    loaded = yaml.safe_load("a: 2025-03-19T10:30:00+13:00\nb: 2025-03-19\nc: 2025-03-19 10:30:00")
    assert parse_timestamp(loaded["a"], AUCKLAND) == utc(2025, 3, 18, 21, 30)
    assert parse_timestamp(loaded["b"], AUCKLAND) == utc(2025, 3, 18, 11)
    assert parse_timestamp(loaded["c"], AUCKLAND) == utc(2025, 3, 18, 21, 30)


def test_parse_timestamp_of_a_day_whose_midnight_was_skipped_is_its_first_instant():
    assert parse_timestamp("2024-09-08", ZoneInfo("America/Santiago")) == utc(2024, 9, 8, 4)


@pytest.mark.parametrize("text, message", [
    ("2025-02-30", "February 2025 has 28 days"),
    ("2025-13-01", "there is no month 13"),
    ("2025-03-19T24:00:00", "hours are 00–23"),
    ("2025-03-19T10:60:00", "00–59"),
    ("2025-03-19T10:30:00+15:00", "out of range"),
    ("2025-03-19T10:30:00/2025-03-20", "not an interval"),
    ("2025-03", "not a valid date or date-time"),
    ("19 March 2025", "not a valid date or date-time"),
    ("", "it is empty"),
    ("2025-3-19", "write '2025-03-19'"),
])
def test_parse_timestamp_errors(text, message):
    with pytest.raises(DateError) as caught:
        parse_timestamp(text)
    assert message in str(caught.value)


def test_parse_timestamp_rejects_a_time_skipped_by_dst():
    with pytest.raises(DateError, match="does not exist in America/New_York"):
        parse_timestamp("2025-03-09T02:30:00", NEW_YORK)


@pytest.mark.parametrize("dt, shown", [
    (datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=13))), "19 March 2025, 10:30 (UTC+13:00)"),
    (datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=-4))), f"19 March 2025, 10:30 (UTC{MINUS}04:00)"),
    (datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=5, minutes=45))), "19 March 2025, 10:30 (UTC+05:45)"),
    (datetime(2025, 3, 19, 10, 30, tzinfo=UTC), "19 March 2025, 10:30 UTC"),
    (datetime(2025, 3, 19, 10, 30, 15, tzinfo=UTC), "19 March 2025, 10:30:15 UTC"),
    (datetime(2025, 3, 1, 9, 5, tzinfo=AUCKLAND), "1 March 2025, 09:05 (UTC+13:00)"),
    (datetime(2025, 3, 1, 9, 5), "1 March 2025, 09:05"),
])
def test_format_timestamp(dt, shown):
    assert format_timestamp(dt) == shown


def test_format_timestamp_of_a_parsed_timestamp():
    assert format_timestamp(parse_timestamp("2025-03-19T10:30:00+13:00")) == "19 March 2025, 10:30 (UTC+13:00)"
    assert format_timestamp(parse_timestamp("2025-03-19T10:30:00", AUCKLAND)) == "19 March 2025, 10:30 (UTC+13:00)"
