"""The timeline's overview: an SVG drawn at build time, one lane per leader.

What it shows: a time axis with ticks; one lane per leader who appears in an
event (most events first; past MAX_LANES leaders the least active share the
last lane), and one lane for events that name no leader; a
point for each event (events of the same date in a lane share one point,
with their count); a whisker across the period of a date known only to the
month, season or year; a bar for each interval, fading to the right edge
when the interval is open-ended (or to the left for an unknown start).

The time scale. A briefing's events cluster around the news (here: days in
March 2025) but reach years back (2018, 2022). A linear axis would squash
the cluster into a few pixels, so the axis is logarithmic in the distance
from a pivot, the median of the events' dates:

    u(t) = sign(t − pivot) · ln(1 + |t − pivot| / τ)        τ = 1 day

The pivot is noon of the median event's day. Near it a day is wide; further
away each step of the same width covers more time (a week, a month, a year).
Labels go, in this order and each only where it does not collide with one
already placed: the pivot's day, the years that have events, the months
that have events, the days near the pivot that have events; other years
and months get an unlabelled tick.

Two drawings are made: names in a column beside the lanes (wide screens) and
names above each lane's track (phones, where the plot then has the whole
width and the text stays legible at 390 px); the stylesheet shows one.

The SVG is made with xml.etree (every text escaped), styled only by classes
(the site's CSP forbids inline styles; colours come from style.css, so the
drawing follows the light and dark schemes), and is an image to assistive
technology: role="img" with a <title> and a <desc> that states what it shows;
the timeline's list below it holds every event as text.
"""

from __future__ import annotations

import math
import statistics
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .dates import MAX_INSTANT, MIN_INSTANT, MONTHS, DateError, parse_edtf
from .model import Briefing, Event
from .streamed import MarkupParts

TAU_DAYS = 1.0
MAX_LANES = 16
_EPOCH = datetime(1970, 1, 1)
_COARSE = {"month", "season", "year", "decade", "century"}
_SHORT_MONTHS = [m[:3] for m in MONTHS]


@dataclass(frozen=True)
class Layout:
    """The geometry of one variant, in viewBox units."""

    name: str
    width: int
    plot_left: float
    plot_right: float
    lane_height: float
    track: float  # the marks' line, from the top of a lane
    label_x: float
    label_y: float  # the lane name's baseline, from the top of a lane
    label_gap: float  # the least distance between two tick labels
    top: float = 10
    axis_height: float = 34


# Wide screens: names in a column at the left. Phones: each name above its lane's
# track, so the plot has the whole width and the text stays legible at 390 px.
WIDE = Layout("wide", 960, 176, 940, 30, 15, 8, 19.5, 46)
NARROW = Layout("narrow", 400, 10, 388, 40, 28, 10, 14, 46)


@dataclass(frozen=True)
class Lane:
    key: str  # a leader id, or '' for events that name no leader
    label: str
    events: tuple[Event, ...]


def overview(briefing: Briefing, id_prefix: str = "overview") -> dict | None:
    """The two drawings (wide, narrow) and what they show; None without events.

    {'svg': the markup of both <svg> elements (MarkupParts), 'lanes': [lane name, …], 'leaders': [leader id, …],
     'pivot': '18 March 2025'}
    """
    if not briefing.events:
        return None
    tz = _zone(briefing.timezone)
    lanes = _lanes(briefing)
    spans = {event.id: _span(event, tz) for event in briefing.events}
    scale = _Scale.fit(briefing.events, spans)
    drawn = MarkupParts(piece for layout in (WIDE, NARROW)
                        for piece in _draw(briefing, lanes, scale, spans, tz, layout, f"{id_prefix}-{layout.name}"))
    return {
        "svg": drawn,
        "lanes": [lane.label for lane in lanes],
        "leaders": [lane.key for lane in lanes if lane.key],
        "pivot": scale.pivot_label,
    }


# ---------------------------------------------------------------------------

def _lanes(briefing: Briefing) -> list[Lane]:
    """A lane per leader named by an event, most events first; the rest in one last lane.

    Past MAX_LANES leaders the drawing would stop being an overview, so the
    leaders with the fewest events share the last lane with the events that
    name no leader.
    """
    names = {leader.id: leader.name for leader in briefing.leaders}
    counts = Counter(who for event in briefing.events for who in event.who if who in names)
    order = sorted(counts, key=lambda who: (-counts[who], names[who]))
    shown = order if len(order) <= MAX_LANES else order[:MAX_LANES - 1]
    by_leader: dict[str, list[Event]] = {who: [] for who in shown}
    rest: list[Event] = []
    for event in briefing.events:
        lanes_of = [who for who in event.who if who in by_leader]
        for who in lanes_of:
            by_leader[who].append(event)
        if not lanes_of:
            rest.append(event)
    lanes = [Lane(who, names[who], tuple(by_leader[who])) for who in shown]
    if rest:
        lanes.append(Lane("", "Other events" if len(shown) == len(order) else "Other leaders and events", tuple(rest)))
    return lanes


def _days(moment: datetime, tz) -> float:
    """Days since 1970 on the briefing's wall clock (so a date's period starts at local midnight)."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    return (local - _EPOCH) / timedelta(days=1)


def _moment(days: float) -> datetime:
    return _EPOCH + timedelta(days=days)


def _span(event: Event, tz) -> tuple[float | None, float | None]:
    when = event.when
    start = None if when.earliest == MIN_INSTANT or when.open_start or when.unknown_start else _days(when.earliest, tz)
    end = None if when.latest == MAX_INSTANT or when.open_end or when.unknown_end else _days(when.latest, tz)
    return start, end


def _mark(event: Event, spans: dict) -> float:
    """Where an event's point stands: the middle of its period; an interval's start (or known end)."""
    start, end = spans[event.id]
    if event.when.is_interval:
        return start if start is not None else end
    return (start + end) / 2


class _Scale:
    """u(t) = sign(t − pivot) · ln(1 + |t − pivot| / τ), fitted to the events' dates."""

    def __init__(self, pivot: float, low: float, high: float, event_days: set[int], event_marks: list[float]):
        self.pivot = pivot
        pad = 0.45
        self.u_low, self.u_high = self.u(low) - pad, self.u(high) + pad
        self.event_days = event_days  # days (of day precision or finer) on which something starts or ends
        self.event_months = {(_moment(d).year, _moment(d).month) for d in event_marks}
        self.event_years = {_moment(d).year for d in event_marks}
        day = _moment(pivot)
        self.pivot_label = f"{day.day} {MONTHS[day.month]} {day.year}"

    @classmethod
    def fit(cls, events, spans: dict) -> "_Scale":
        marks = [_mark(event, spans) for event in events]
        known = [v for event in events for v in spans[event.id] if v is not None]
        days: set[int] = set()
        for event in events:
            if event.when.precision in _COARSE:
                continue
            start, end = spans[event.id]
            if event.when.is_interval:
                days.update(math.floor(v) for v in (start, end - 1e-6 if end is not None else None) if v is not None)
            else:
                days.add(math.floor(start))
        # The pivot: noon of the day of the median event (the upper one of an even count,
        # so that a cluster of same-day events wins over the day before it).
        pivot = math.floor(statistics.median_high(marks)) + 0.5
        return cls(pivot, min(known), max(known), days, marks)

    def u(self, days: float) -> float:
        d = days - self.pivot
        return math.copysign(math.log1p(abs(d) / TAU_DAYS), d)

    def days_at(self, u: float) -> float:
        return self.pivot + math.copysign(math.expm1(abs(u)) * TAU_DAYS, u)

    def x(self, days: float, layout: Layout) -> float:
        share = (self.u(days) - self.u_low) / (self.u_high - self.u_low)
        return layout.plot_left + share * (layout.plot_right - layout.plot_left)

    def ticks(self) -> list[tuple[float, str, int]]:
        """(days, label, rank) of the candidate ticks; a lower rank is labelled first.

        0 the pivot's day; 1 a year with events; 2 a month with events; 3 a day with events
        near the pivot; 4 another year and 5 another month, which get a tick mark but no label.
        """
        first, last = _moment(self.days_at(self.u_low)), _moment(self.days_at(self.u_high))
        pivot_day = _moment(self.pivot)
        event_months, event_years = self.event_months, self.event_years
        out = [(self.pivot, f"{pivot_day.day} {_SHORT_MONTHS[pivot_day.month]}", 0)]
        for year in range(first.year, last.year + 1):
            out.append((_day_number(datetime(year, 1, 1)), str(year), 1 if year in event_years else 4))
            for month in range(2, 13):
                label = _SHORT_MONTHS[month] if year == pivot_day.year else f"{_SHORT_MONTHS[month]} {year}"
                out.append((_day_number(datetime(year, month, 1)), label, 2 if (year, month) in event_months else 5))
        for day in sorted(self.event_days):
            if 0 < abs(day + 0.5 - self.pivot) <= 31:
                moment = _moment(day)
                out.append((day + 0.5, f"{moment.day} {_SHORT_MONTHS[moment.month]}", 3))
        low, high = _day_number(first), _day_number(last)
        return [tick for tick in out if low <= tick[0] <= high]


def _day_number(moment: datetime) -> float:
    return (moment - _EPOCH) / timedelta(days=1)


def _draw(briefing: Briefing, lanes: list[Lane], scale: _Scale, spans: dict, tz, layout: Layout,
          prefix: str) -> Iterator[str]:
    """The drawing's markup, in pieces: the frame (names, axis), then each lane's marks, each made
    and serialised on its own (a tree of every event's marks took ~100 MB at 10,000 articles)."""
    lh = layout.lane_height
    axis_y = layout.top + lh * len(lanes)
    height = axis_y + layout.axis_height
    svg = ET.Element("svg", {
        "class": f"overview-svg overview-{layout.name}", "viewBox": f"0 0 {layout.width} {_f(height)}",
        "role": "img", "aria-labelledby": f"{prefix}-title {prefix}-desc", "data-lanes": str(len(lanes)),
    })
    ET.SubElement(svg, "title", {"id": f"{prefix}-title"}).text = f"Overview of the timeline: {briefing.title}"
    ET.SubElement(svg, "desc", {"id": f"{prefix}-desc"}).text = _description(briefing, lanes, scale, tz)

    defs = ET.SubElement(svg, "defs")
    for name, x1, x2 in (("fade-right", "0", "1"), ("fade-left", "1", "0")):
        gradient = ET.SubElement(defs, "linearGradient", {"id": f"{prefix}-{name}", "x1": x1, "x2": x2,
                                                           "y1": "0", "y2": "0"})
        ET.SubElement(gradient, "stop", {"class": "ov-stop-solid", "offset": "0"})
        ET.SubElement(gradient, "stop", {"class": "ov-stop-clear", "offset": "1"})

    # Lanes: a band and a name each.
    for n, lane in enumerate(lanes):
        y = layout.top + n * lh
        group = ET.SubElement(svg, "g", {"class": "ov-lane" + ("" if lane.key else " ov-lane-other"),
                                         "data-leader": lane.key})
        ET.SubElement(group, "rect", {"class": "ov-band" + (" ov-band-alt" if n % 2 else ""), "x": "0",
                                      "y": _f(y), "width": str(layout.width), "height": _f(lh)})
        ET.SubElement(group, "text", {"class": "ov-lane-label", "x": _f(layout.label_x),
                                      "y": _f(y + layout.label_y)}).text = lane.label

    # Ticks: a label (and a grid line) where one fits, in order of rank; a short mark for the rest.
    axis = ET.SubElement(svg, "g", {"class": "ov-axis"})
    ET.SubElement(axis, "line", {"class": "ov-axis-line", "x1": _f(layout.plot_left), "x2": _f(layout.plot_right),
                                 "y1": _f(axis_y), "y2": _f(axis_y)})
    placed: list[float] = []
    marks: list[float] = []
    for days, label, rank in sorted(scale.ticks(), key=lambda t: (t[2], -t[0])):
        x = scale.x(days, layout)
        inside = layout.plot_left + 12 <= x <= layout.plot_right - 12
        if rank <= 3 and inside and all(abs(x - other) >= layout.label_gap for other in placed):
            placed.append(x)
            ET.SubElement(axis, "line", {"class": "ov-grid", "x1": _f(x), "x2": _f(x), "y1": _f(layout.top),
                                         "y2": _f(axis_y)})
            ET.SubElement(axis, "line", {"class": "ov-tick ov-tick-major", "x1": _f(x), "x2": _f(x),
                                         "y1": _f(axis_y), "y2": _f(axis_y + 6)})
            ET.SubElement(axis, "text", {"class": "ov-tick-label" + (" ov-tick-strong" if rank <= 1 else ""),
                                         "x": _f(x), "y": _f(axis_y + 21), "text-anchor": "middle"}).text = label
        elif inside and all(abs(x - other) >= 5 for other in marks + placed):
            marks.append(x)
            ET.SubElement(axis, "line", {"class": "ov-tick", "x1": _f(x), "x2": _f(x),
                                         "y1": _f(axis_y), "y2": _f(axis_y + 3)})

    frame = ET.tostring(svg, encoding="unicode", short_empty_elements=True)
    yield frame.removesuffix("</svg>")
    # Marks: whiskers and bars first, points on top.
    for n, lane in enumerate(lanes):
        mid = layout.top + n * lh + layout.track
        group = ET.Element("g", {"class": "ov-marks"})
        yield _MARKS_OPEN
        points: dict[float, list[Event]] = {}
        for event in lane.events:
            start, end = spans[event.id]
            if event.when.is_interval:
                _bar(group, event, start, end, mid, scale, layout, prefix)
            else:
                if event.when.precision in _COARSE:
                    _whisker(group, scale.x(start, layout), scale.x(end, layout), mid, event)
                points.setdefault(round(scale.x(_mark(event, spans), layout), 1), []).append(event)
            yield from _flushed(group, _MARKS_BATCH)
        for x, events in points.items():
            _point(group, x, mid, events)
            yield from _flushed(group, _MARKS_BATCH)
        yield from _flushed(group, 1)
        yield "</g>"
    yield "</svg>"


_MARKS_OPEN = '<g class="ov-marks">'
_MARKS_BATCH = 500


def _flushed(group: ET.Element, least: int) -> Iterator[str]:
    """The markup of `group`'s children once there are `least` of them (then removed): a lane's marks
    are serialised a few hundred at a time rather than held as one tree (~100 MB at 10,000 articles)."""
    if len(group) >= least:
        yield ET.tostring(group, encoding="unicode", short_empty_elements=True)[len(_MARKS_OPEN):-len("</g>")]
        del group[:]


def _bar(group, event: Event, start, end, mid, scale: _Scale, layout: Layout, prefix: str) -> None:
    classes = "ov-bar" + (" ov-uncertain" if event.when.uncertain or event.when.approximate else "")
    if start is None:
        x1, x2, fill = layout.plot_left, scale.x(end, layout), f"url(#{prefix}-fade-left)"
        classes += " ov-open"
    elif end is None:
        x1, x2, fill = scale.x(start, layout), layout.plot_right, f"url(#{prefix}-fade-right)"
        classes += " ov-open"
    else:
        x1, x2, fill = scale.x(start, layout), scale.x(end, layout), None
    attrs = {"class": classes, "x": _f(x1), "y": _f(mid - 4), "width": _f(max(x2 - x1, 3)), "height": "8", "rx": "4"}
    if fill:
        attrs["fill"] = fill
    bar = ET.SubElement(group, "rect", attrs)
    ET.SubElement(bar, "title").text = f"{event.when.display()}: {event.what}"


def _whisker(group, x1: float, x2: float, mid: float, event: Event) -> None:
    line = ET.SubElement(group, "line", {"class": "ov-whisker", "x1": _f(x1), "x2": _f(max(x2, x1 + 2)),
                                         "y1": _f(mid), "y2": _f(mid)})
    ET.SubElement(line, "title").text = f"{event.when.display()}: {event.what} (date known to the {event.when.precision})"


def _point(group, x: float, mid: float, events: list[Event]) -> None:
    uncertain = any(e.when.uncertain or e.when.approximate for e in events)
    many = len(events) > 1
    mark = ET.SubElement(group, "g", {"class": "ov-point" + (" ov-uncertain" if uncertain else ""),
                                      "data-events": " ".join(e.id for e in events)})
    ET.SubElement(mark, "title").text = "\n".join(f"{e.when.display()}: {e.what}" for e in events)
    ET.SubElement(mark, "circle", {"class": "ov-dot", "cx": _f(x), "cy": _f(mid), "r": "8.5" if many else "5.5"})
    if many:
        ET.SubElement(mark, "text", {"class": "ov-count", "x": _f(x), "y": _f(mid + 4),
                                     "text-anchor": "middle"}).text = str(len(events))


def _description(briefing: Briefing, lanes: list[Lane], scale: _Scale, tz) -> str:
    events = briefing.events
    lane_text = "; ".join(f"{lane.label}: {len(lane.events)} event{'s' if len(lane.events) != 1 else ''}"
                          for lane in lanes)
    return (f"{len(events)} events from {events[0].when.display()} to {_last_date(events, tz)}, one lane "
            f"per leader ({lane_text}). Points are events, bars are periods; a whisker shows a date known "
            f"only to the month or year. The time axis is compressed: it is widest around "
            f"{scale.pivot_label} and narrows with distance from it. Every event is listed below.")


def _last_date(events, tz) -> str:
    """The latest date on the timeline as written: an interval's end, or the latest point."""
    best, text = None, ""
    for event in events:
        when = event.when
        if when.latest == MAX_INSTANT:
            candidate, shown = when.earliest, when.display()
        elif when.is_interval and when.end_text:
            try:
                candidate, shown = when.latest, parse_edtf(when.end_text, tz).display()
            except DateError:
                candidate, shown = when.latest, when.display()
        else:
            candidate, shown = when.latest, when.display()
        if best is None or candidate > best:
            best, text = candidate, shown
    return text


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
