"""The timeline's view: every event in the model's order, grouped by year and month.

An event goes under the year and month it was written with: '2025-02' under
February 2025, '2018' under 2018 itself (not under a month: its month is not
known), a season under its year, a decade ('201X') or a century ('20XX')
under a group of its own ("The 2010s", "2000–2099") before that span's first
year. An
interval goes under its start; when it ends in another month, an "ends" entry
also stands where it ends, so that the end of the 30-day energy pause
(17 April 2025) reads after everything that happened in March.

Grouping uses the date as written, not its UTC instant: 1 March 2025 in
Auckland is 28 February in UTC, but it is a March event.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .dates import MONTHS, PRECISION_RANK, EDTF, DateError, parse_edtf
from .model import Event
from .streamed import Each
from .views import Index, date_view, event_view, leader_ref, topic_ref

_MONTH_PRECISIONS = {"second", "minute", "day", "month"}


_SPANS = {"decade": 10, "century": 100}


def group_of(when: EDTF) -> tuple[int, int, int | None]:
    """(year, span, month) of a date as written: span is 1 (a year), 10 (a decade such as 201X) or
    100 (a century, 20XX); month is None when the date is no finer than a season."""
    iso = when.iso_start() or when.iso_end() or "0001"
    year = int(iso[:4])
    month = int(iso[5:7]) if when.precision in _MONTH_PRECISIONS and len(iso) >= 7 else None
    return year, _SPANS.get(when.precision, 1), month


def _year_group(year: int, span: int) -> dict:
    if span == 1:
        anchor, label = f"y{year:04d}", f"{year:04d}"
    elif span == 10:
        anchor, label = f"y{year:04d}s", f"The {year:04d}s"
    else:
        anchor, label = f"y{year:04d}c", f"{year:04d}–{year + span - 1:04d}"
    return {"year": year, "span": span, "anchor": anchor, "label": label, "entries": [], "months": {}, "count": 0}


def end_of(when: EDTF, tz) -> EDTF | None:
    """The end of an interval as a date of its own ('2025-04-17'), or None (a point, an open or unknown end)."""
    if not when.is_interval or not when.end_text:
        return None
    try:
        return parse_edtf(when.end_text, tz)
    except DateError:
        return None


def timeline_groups(ix: Index, events: list[Event] | None = None) -> list[dict]:
    """Years, newest last, each with its year-only events and its months; each entry an event or an end
    (an `Each`: an entry's view is made as the page is written)."""
    briefing = ix.briefing
    tz = _zone(briefing.timezone)
    entries: list[tuple[tuple, tuple[Event, EDTF | None], tuple[int, int, int | None]]] = []
    for seq, event in enumerate(briefing.events if events is None else events):
        entries.append(((*event.when.sort_key(), 0, seq), (event, None), group_of(event.when)))
        end = end_of(event.when, tz)
        if end is not None and group_of(end) != group_of(event.when):
            entries.append(((end.earliest, PRECISION_RANK[end.precision], 1, seq), (event, end), group_of(end)))
    entries.sort(key=lambda entry: entry[0])

    def entry_view(entry: tuple[Event, EDTF | None]) -> dict:
        event, end = entry
        if end is None:
            return {**event_view(event, ix), "kind": "event"}
        return {
            "kind": "end",
            "id": event.id,
            "anchor": f"event-{event.id}-end",
            "target": f"event-{event.id}",
            "what": event.what,
            "date": date_view(end),
            "began": _start_text(event.when, tz),
            "leaders": [ix.leader_refs[w] for w in event.who if w in ix.leader_refs],
            "topics": [ix.topic_refs[t] for t in event.topics if t in ix.topic_refs],
            "leader_ids": " ".join(event.who),
            "topic_ids": " ".join(event.topics),
        }

    years: dict[tuple[int, int], dict] = {}
    for _, entry, (year, span, month) in entries:
        group = years.get((year, span))
        if group is None:
            group = years[(year, span)] = _year_group(year, span)
        group["count"] += entry[1] is None
        if month is None:
            group["entries"].append(entry)
            continue
        months = group["months"]
        if month not in months:
            months[month] = {"month": month, "anchor": f"m{year:04d}-{month:02d}",
                             "label": f"{MONTHS[month]} {year:04d}", "name": MONTHS[month], "entries": []}
        months[month]["entries"].append(entry)
    out = []
    for key in sorted(years, key=lambda k: (k[0], -k[1])):  # a century or decade before its first year
        group = years[key]
        group["entries"] = Each(entry_view, group["entries"])
        group["months"] = [{**month, "entries": Each(entry_view, month["entries"])}
                           for _, month in sorted(group["months"].items())]
        out.append(group)
    return out


def timeline_filters(ix: Index) -> dict:
    """The leaders and topics that events have, for the page's (JavaScript) filter."""
    leaders = {w for event in ix.briefing.events for w in event.who}
    topics = {t for event in ix.briefing.events for t in event.topics}
    return {
        "leaders": [leader_ref(leader) for leader in sorted((ix.leaders[w] for w in leaders if w in ix.leaders),
                                                           key=lambda leader: leader.name)],
        "topics": [topic_ref(topic) for topic in ix.briefing.topics if topic.id in topics],
    }


def latest_events(ix: Index, count: int = 6) -> list[dict]:
    """The `count` most recent events, newest first; events of the same moment in the order the
    newest article reports them (an editor's order, not the alphabet)."""
    rank: dict[str, int] = {}
    for article in ix.briefing.articles:  # newest first
        for event_id in article.events:
            rank.setdefault(event_id, len(rank))
    # The events are in the timeline's order, earliest instant first (assemble.merge_events): only the
    # last ones, from the count-th newest instant on, can be among the newest (at 10,000 articles,
    # ordering all ~45,000 was ~0.5 s of every summary). Those of no known year rank last, all alike.
    newest = []
    for event in reversed(ix.briefing.events):
        boundary = newest[-1].when.earliest if newest and len(newest) >= count else None
        if boundary is not None and boundary.year > 1 and event.when.earliest < boundary:
            break
        newest.append(event)
    ordered = sorted(reversed(newest),  # in the timeline's order, which equal keys keep
                     key=lambda e: (-e.when.earliest.timestamp() if e.when.earliest.year > 1 else float("inf"),
                                    rank.get(e.id, len(rank))))
    return [event_view(event, ix) for event in ordered[:count]]


def _start_text(when: EDTF, tz) -> str:
    if when.start_text:
        try:
            return parse_edtf(when.start_text, tz).display()
        except DateError:
            pass
    return when.display()


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
