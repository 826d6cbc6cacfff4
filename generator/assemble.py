"""Parse and validate a whole content tree into one immutable Briefing.

Events reported by several sources are merged here (the newest article's
account is shown, disagreements become warnings and "first reported as …"
lines), and each leader's stances are ordered into a history with changes marked.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from .article import Context, ParsedArticle, parse_article
from .errors import Report
from .model import Briefing, Event, Stance
from .settings import Reported, check_names, parse_leader, parse_site, parse_timeline
from .sources import ContentFiles
from .text import MentionFinder

_OLDEST = (0, "")


def parse_each(articles, ctx: Context, report: Report) -> list[ParsedArticle | None]:
    """Parse every article file, one after another (the build's engine may parse from its cache instead)."""
    return [parse_article(file, ctx, report) for file in articles]


class Recall:
    """The last call of each of assemble's costly whole-briefing steps (checking event ids, merging
    events, ordering stances), with its arguments, result and diagnostics. A caller that assembles
    the same briefing again and again (the preview's build process) keeps one, so that a step whose
    arguments did not change is not run again. Arguments are compared by value; the items an edit
    did not touch are the very same objects as last time, which compare at C speed."""

    def __init__(self):
        self._last: dict = {}

    def __call__(self, step, *args, report: Report | None = None):
        """step(*args, report), or step(*args) for a step that reports nothing (`report` None)."""
        last = self._last.get(step)
        if last is None or last[0] != args:
            reported = Report()
            result = step(*args) if report is None else step(*args, reported)
            last = self._last[step] = (args, result, reported.diagnostics)
        if report is not None:
            report.diagnostics.extend(last[2])
        return last[1]


def _run(step, *args, report: Report | None = None):
    return step(*args) if report is None else step(*args, report)


def assemble(files: ContentFiles, report: Report, parse_articles=parse_each,
             recall: Recall | None = None) -> Briefing | None:
    """The briefing, or None when errors leave nothing coherent to build (they are in `report`).

    `parse_articles(files, ctx, report)` parses the article files, in order; see `parse_each`.
    """
    run = recall or _run
    settings = parse_site(files.site, report)
    leaders = [leader for file in files.leaders if (leader := parse_leader(file, report))]
    names = check_names(leaders, {file.stem: file for file in files.leaders}, report)
    if settings is None:
        return None
    ctx = Context(settings, {leader.id: leader for leader in leaders}, frozenset(f.stem for f in files.leaders),
                  MentionFinder(names))

    parsed = [p for p in parse_articles(files.articles, ctx, report) if p]
    reported = [e for p in parsed for e in p.events]
    reported += parse_timeline(files.timeline, settings, ctx.leader_ids, report)
    run(_check_unique_ids, reported, report=report)
    articles = sorted((p.article for p in parsed), key=lambda a: (-a.published.timestamp(), a.slug))
    stances = [s for a in articles for s in a.stances]
    return Briefing(
        title=settings.title,
        description=settings.description,
        language=settings.language,
        timezone=settings.timezone,
        base_url=settings.base_url,
        settings=settings.extras,
        topics=settings.topics,
        leaders=tuple(sorted(leaders, key=lambda leader: leader.id)),
        articles=tuple(articles),
        events=run(merge_events, reported, report=report),
        stances=run(stance_history, stances, {a.slug: a.published for a in articles}),
    )


def _check_unique_ids(reported: list[Reported], report: Report) -> None:
    """An explicit id may repeat across files (one event, several sources), never within one file."""
    seen: dict[tuple[str, str], Reported] = {}
    for event in reported:
        key = (event.path, event.id)
        if key in seen and event.explicit_id:
            first = seen[key]
            report.error(event.path, event.mark.line, event.mark.col,
                         f"duplicate event id '{event.id}' (first used on line {first.mark.line})",
                         "give each event in a file its own id; the same id in two files merges their reports")
        seen.setdefault(key, event)


def merge_events(reported: list[Reported], report: Report) -> tuple[Event, ...]:
    groups: dict[str, list[Reported]] = defaultdict(list)
    for event in reported:
        groups[event.id].append(event)
    events = []
    for event_id, group in groups.items():
        if len(group) == 1:  # most events: nothing to merge (and a large briefing has tens of thousands)
            only = group[0]
            events.append(Event(id=event_id, when=only.when, what=only.what, who=only.who or (),
                                topics=only.topics or (), citations=(only.citation,), note=only.note or None,
                                first_reported=()))
            continue
        # Oldest report first; timeline.yaml (no article) counts as the oldest.
        group.sort(key=lambda e: (e.published.timestamp(), e.path) if e.published else _OLDEST)
        newest = group[-1]
        first_reported = []
        for field in ("when", "what", "who", "topics"):
            # A source that names no leaders or topics makes no claim about them.
            stating = [e for e in group if getattr(e, field)]
            values = [_shown(e, field) for e in stating]
            if len(set(values)) <= 1:
                continue
            first_reported.append(f"first reported as {values[0]} by {stating[0].citation.source.outlet}")
            report.warning(newest.path, newest.mark.line, newest.mark.col,
                           f"sources disagree on the {field} of event '{event_id}': " +
                           "; ".join(f"{e.path} says {v}" for e, v in zip(stating, values)),
                           "the newest article's account is shown")
        notes = list(dict.fromkeys(e.note for e in group if e.note))
        events.append(Event(
            id=event_id, when=newest.when, what=newest.what,
            who=next((e.who for e in reversed(group) if e.who), ()),
            topics=next((e.topics for e in reversed(group) if e.topics), ()),
            citations=tuple(dict.fromkeys(e.citation for e in reversed(group))),
            note=" ".join(notes) or None, first_reported=tuple(first_reported),
        ))
    events.sort(key=lambda e: (*e.when.sort_key(), e.what, e.id))
    return tuple(events)


def _shown(event: Reported, field: str) -> str:
    value = getattr(event, field)
    if field == "when":
        return value.display()
    if field == "what":
        return f"“{value}”"
    return ", ".join(value)


def stance_history(stances: list[Stance], published: dict) -> tuple[Stance, ...]:
    """Every stance, oldest first per leader and topic, each change marked with the stance it replaced."""
    by_pair: dict[tuple[str, str], list[Stance]] = defaultdict(list)
    for stance in stances:
        by_pair[(stance.who, stance.topic)].append(stance)
    out = []
    for pair in sorted(by_pair):
        history = sorted(by_pair[pair], key=lambda s: (*s.when.sort_key(), published[s.citation.article].timestamp()))
        previous = None
        for stance in history:
            if previous is not None and previous.stance != stance.stance:
                stance = dataclasses.replace(stance, changed_from=previous.stance)
            out.append(stance)
            previous = stance
    return tuple(out)
