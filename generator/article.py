"""Parse one article: front matter and body, with every anchor and quote found in the body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .body import QuoteMark, render_body, render_inline
from .dates import DateError, parse_edtf, parse_timestamp
from .errors import Report
from .fields import Fields
from .model import STANCE_VALUES, Article, Citation, Leader, Quote, Stance
from .settings import LANGUAGE, Reported, Settings, event_id_of, expect_mapping, load_yaml, parse_source
from .sources import SourceFile
from .text import MentionFinder, folded, phrase_pattern
from .urls import leader_path, relative
from .yamlsrc import Mark, YMap

ARTICLE_KEYS = ("title", "published", "updated", "source", "language", "summary", "events", "quotes", "stances")
EVENT_KEYS = ("when", "what", "who", "topics", "id", "anchor", "note")
QUOTE_KEYS = ("who", "text", "when")
STANCE_KEYS = ("who", "topic", "stance", "detail", "anchor", "when")
_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$", re.M)


@dataclass(frozen=True)
class ParsedArticle:
    article: Article
    events: tuple[Reported, ...]


@dataclass(frozen=True)
class Context:
    """What an article is checked against: the briefing's settings, leaders and names."""

    settings: Settings
    leaders: dict[str, Leader]
    leader_ids: frozenset[str]  # every leader file's id, valid or not: a broken file must not cascade
    finder: MentionFinder


def split_front_matter(file: SourceFile, report: Report) -> tuple[str, str, int] | None:
    """(front matter, body, line of the body's first line); None after reporting a problem."""
    text = file.text
    if not text.startswith("---") or _FENCE.match(text.split("\n", 1)[0]) is None:
        report.error(file.path, 1, 1, "the article has no front matter: it must start with a line '---', "
                     "then YAML (title, published, source, …), then another line '---'")
        return None
    first_newline = text.find("\n")
    if first_newline < 0:
        report.error(file.path, 1, 1, "the front matter opened here is never closed by a line '---'")
        return None
    close = _FENCE.search(text, first_newline + 1)
    if close is None:
        report.error(file.path, 1, 1, "the front matter opened here is never closed by a line '---'")
        return None
    front = text[first_newline + 1:close.start()]
    body_start = text.find("\n", close.end())
    body = "" if body_start < 0 else text[body_start + 1:]
    body_line = text.count("\n", 0, close.end()) + 2
    return front, body, body_line


def parse_article(file: SourceFile, ctx: Context, report: Report) -> ParsedArticle | None:
    parts = split_front_matter(file, report)
    if parts is None:
        return None
    front, body_text, _ = parts
    data = expect_mapping(load_yaml(file, report, line_offset=1, text=front), file, report, "the front matter", line=2)
    if data is None:
        return None
    f = Fields(data, file.path, report, ARTICLE_KEYS, "the front matter")
    tz, slug = ctx.settings.tz, file.stem
    title = f.text("title", required=True)
    published = _timestamp(f, "published", tz, required=True)
    updated = _timestamp(f, "updated", tz)
    source = parse_source(data["source"], file.path, report, f.value_mark("source"), "'source'") \
        if f.has("source") else f.missing("source")
    language = f.text("language", default=ctx.settings.language)
    if not LANGUAGE.match(language):
        f.error(f.value_mark("language"), f"'{language}' is not a BCP 47 language tag", "for example en, de or pt-BR")
    summary = f.texts("summary")
    if f.has("summary") and not 1 <= len(summary) <= 7:
        f.error(f.value_mark("summary"), f"'summary' holds {len(summary)} key points; give 1 to 7")
    leader_ids, topic_ids = ctx.leader_ids, {t.id for t in ctx.settings.topics}

    raw_quotes = []
    for n, (item, mark) in enumerate(f.items("quotes"), start=1):
        qf = Fields(item, file.path, report, QUOTE_KEYS, "a quote")
        who = qf.ref("who", leader_ids, "leader", required=True)
        text = qf.text("text", required=True)
        when = qf.edtf("when", tz)
        if who and text:
            raw_quotes.append((n, who, text, when, qf.value_mark("text")))

    page = f"articles/{slug}/"
    marks = [QuoteMark(text, f"quote-{n}", relative(page, leader_path(who)), _name(ctx, who))
             for n, who, text, _, _ in raw_quotes]
    rendered = render_body(body_text, finder=ctx.finder, leader_href=lambda leader: relative(page, leader_path(leader)),
                           quotes=marks, allow_raw_html=bool(dict(ctx.settings.extras).get("allow_raw_html")))

    comparable: list[tuple[str, str]] = []  # (paragraph id, comparison form), made on the first anchor

    def locate(anchor: str, mark: Mark, what: str) -> str | None:
        if not comparable:
            comparable.extend((p.id, folded(p.text)) for p in rendered.paragraphs)
        pattern = phrase_pattern(anchor)
        for paragraph_id, text in comparable:
            if pattern is not None and pattern.search(text):
                return paragraph_id
        report.error(file.path, mark.line, mark.col, f"{what} not found in the article's body: '{_short(anchor)}'",
                     "copy a run of words from a single paragraph of the body")
        return None

    citation = (lambda paragraph: Citation(source, slug, paragraph)) if source else None
    quotes = []
    for n, who, text, when, mark in raw_quotes:
        paragraph = rendered.quote_paragraphs.get(f"quote-{n}")
        if paragraph is None:
            report.error(file.path, mark.line, mark.col, f"quote not found in the article's body: '{_short(text)}'",
                         "a quote's text must be copied word for word from one paragraph of the body")
        elif citation:
            quotes.append(Quote(f"{slug}-q{n}", who, text, when, citation(paragraph)))

    events = []
    for n, (item, mark) in enumerate(f.items("events"), start=1):
        ef = Fields(item, file.path, report, EVENT_KEYS, "an event")
        when = ef.edtf("when", tz, required=True)
        what = ef.text("what", required=True)
        who, topics = ef.refs("who", leader_ids, "leader"), ef.refs("topics", topic_ids, "topic")
        event_id = event_id_of(ef, f"{slug}-{n}")
        anchor = ef.text("anchor")
        paragraph = locate(anchor, ef.value_mark("anchor"), "anchor") if anchor else None
        if when and what and event_id and citation and published:
            events.append(Reported(event_id, ef.has("id"), when, what, who, topics, citation(paragraph),
                                   ef.text("note"), file.path, ef.key_mark("id") if ef.has("id") else mark, published))

    stances = []
    default_when = _day_of(published, tz) if published else None
    for item, mark in f.items("stances"):
        sf = Fields(item, file.path, report, STANCE_KEYS, "a stance")
        who = sf.ref("who", leader_ids, "leader", required=True)
        topic = sf.ref("topic", topic_ids, "topic", required=True)
        stance = sf.choice("stance", STANCE_VALUES, required=True)
        when = sf.edtf("when", tz) or default_when
        anchor = sf.text("anchor")
        paragraph = locate(anchor, sf.value_mark("anchor"), "anchor") if anchor else None
        if who and topic and stance and when and citation:
            stances.append(Stance(who, topic, stance, sf.text("detail", default=""), when, citation(paragraph)))

    if not (title and published and source):
        return None
    article = Article(
        slug=slug, title=title, published=published, updated=updated, source=source, language=language,
        summary=tuple(render_inline(point) for point in summary), body_html=rendered.html,
        paragraphs=tuple(rendered.paragraphs), mentions=tuple(ctx.finder.leaders_in(
            "\n".join(p.text for p in rendered.paragraphs))),
        events=tuple(dict.fromkeys(e.id for e in events)), quotes=tuple(quotes), stances=tuple(stances),
    )
    return ParsedArticle(article, tuple(events))


def _name(ctx: Context, leader_id: str) -> str:
    leader = ctx.leaders.get(leader_id)
    return leader.name if leader else leader_id


def _timestamp(f: Fields, key: str, tz, required: bool = False) -> datetime | None:
    if not f.has(key):
        if required:
            f.missing(key)
        return None
    value = f.map[key]
    written = f.map.raw.get(key) if not isinstance(value, str) else value
    if written is None or isinstance(value, (YMap, list)):
        f.error(f.value_mark(key), f"'{key}' must be a date or a date-time, such as 2025-03-19 or 2025-03-19T10:30:00+13:00")
        return None
    try:
        return parse_timestamp(written.strip(), tz)
    except DateError as error:
        f.error(f.value_mark(key), str(error), "write it as 2025-03-19 or 2025-03-19T10:30:00+13:00")
        return None


def _day_of(moment: datetime, tz):
    return parse_edtf(moment.astimezone(tz).date().isoformat(), tz)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
