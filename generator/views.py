"""Views: what a template is given, as plain values (dicts, lists, strings, numbers, booleans).

Templates never see the model. Each page's context is built here (and in
views_stances.py, views_timeline.py) from small views of the model's objects:
a date at its written precision, a citation as a link to a paragraph, an
event, a quote, a stance. Every link is a site path ('leaders/x/',
'articles/slug/#p7'); the template turns it into a relative link with url().

The only values that are not plain text are `markupsafe.Markup` strings of HTML
that our own Markdown renderer produced (an article's body and its key points)
and the SVG of the timeline overview (built with xml.etree in overview.py).
Everything else is escaped by the templates' autoescape.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from .dates import EDTF, MONTHS, format_timestamp
from .model import Article, Briefing, Citation, Event, Leader, Quote, Stance, Topic
from collections import defaultdict
from .urls import (article_path, articles_path, home_path, leader_feed_path, leader_path, leaders_path,
                   timeline_path, topic_path, topics_path)

GENERATOR_NAME = "briefing"
FEED_PATH = "feed.xml"

# Reader-facing words, icons (decorative; the word is always shown too) and CSS
# modifiers for each stance value of the model.
STANCES = {
    "supports": {"label": "Supports", "icon": "✓"},
    "opposes": {"label": "Opposes", "icon": "✕"},
    "conditional": {"label": "Conditional", "icon": "◐"},
    "unclear": {"label": "Unclear", "icon": "?"},
}

NAV = (
    ("summary", "Summary", home_path()),
    ("timeline", "Timeline", timeline_path()),
    ("leaders", "Leaders", leaders_path()),
    ("topics", "Topics", topics_path()),
    ("articles", "Articles", articles_path()),
)

# Precisions that are finer than a day's place on the timeline but still a time of a day.
_TIME_ELEMENT_PRECISIONS = {"second", "minute", "day", "month", "year"}


# ---------------------------------------------------------------------------
# The JSON-LD hook. generator/jsonld.py (another engineer's) will supply
# schema.org dicts; until it is wired, every page has `jsonld: None` and
# base.html renders nothing. Wire it here and only here.

def jsonld_for(kind: str, briefing: Briefing, obj=None) -> dict | None:  # JSONLD-HOOK
    """The schema.org dict of a page: kind is 'site', 'article', 'leader' or 'event'. Not wired yet."""
    return None


# ---------------------------------------------------------------------------
# The chrome every page shares.

def base_path(base_url: str) -> str:
    """The path part of the base URL, with a trailing slash: 'https://x.org/briefing/' -> '/briefing/'."""
    path = urlsplit(base_url).path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path if path.endswith("/") else path + "/"


def site_view(briefing: Briefing) -> dict:
    outlets: list[str] = []
    agencies: list[str] = []
    for article in briefing.articles:
        for name in (article.source.outlet, article.source.via_outlet):
            if name and name not in outlets:
                outlets.append(name)
        for name in article.source.agencies:
            if name not in agencies:
                agencies.append(name)
    return {
        "title": briefing.title,
        "description": briefing.description,
        "language": briefing.language,
        "feed": FEED_PATH,
        "generator": GENERATOR_NAME,
        "outlets": outlets,
        "agencies": agencies,
    }


def page_view(briefing: Briefing, *, section: str, title: str | None, description: str,
              og_type: str = "website", feeds: list[dict] | None = None, jsonld: dict | None = None,
              root: str | None = None, canonical: bool = True) -> dict:
    """The context keys every template relies on (see docs/templates.md); a page adds its own."""
    return {
        "site": site_view(briefing),
        "meta": {
            # The document title: the page's own title first, then the briefing's.
            "title": f"{title} · {briefing.title}" if title else briefing.title,
            "heading": title or briefing.title,
            "description": description,
            "og_type": og_type,
            "canonical": canonical,
        },
        "nav": [{"key": key, "label": label, "path": path, "current": key == section} for key, label, path in NAV],
        "section": section,
        "feeds": [{"title": f"{briefing.title}: all updates", "path": FEED_PATH}] + list(feeds or ()),
        "jsonld": jsonld,
        # None: links are relative (url()). A path such as '/briefing/': links are absolute from it
        # (the 404 page, which is served at any depth).
        "root": root,
    }


# ---------------------------------------------------------------------------
# Small views of the model's values.

def date_view(when: EDTF | None) -> dict | None:
    """A date as written: 'February 2025', 'c. 2018', '18 March – 17 April 2025'."""
    if when is None:
        return None
    point = not when.is_interval
    return {
        "text": when.display(),
        "iso": when.iso_start(),
        "iso_end": when.iso_end(),
        # <time datetime> only where HTML can say the same thing (a point at year, month, day or time).
        "machine": when.iso_start() if point and when.precision in _TIME_ELEMENT_PRECISIONS else None,
        "precision": when.precision,
        "interval": when.is_interval,
        "open_end": when.is_interval and (when.open_end or when.unknown_end),
        "uncertain": when.uncertain,
        "approximate": when.approximate,
    }


def timestamp_view(moment: datetime | None) -> dict | None:
    if moment is None:
        return None
    return {
        "text": format_timestamp(moment),
        "day": f"{moment.day} {MONTHS[moment.month]} {moment.year}",
        "iso": moment.isoformat(),
    }


def paragraph_path(slug: str, paragraph: str | None) -> str:
    return article_path(slug) + (f"#{paragraph}" if paragraph else "")


def citation_view(citation: Citation, briefing: Briefing) -> dict:
    """A citation: a link to the paragraph it came from, or to the outside source of a timeline.yaml event."""
    source = citation.source
    if citation.article is not None:
        article = _article(briefing, citation.article)
        number = citation.paragraph[1:] if citation.paragraph and citation.paragraph[1:].isdigit() else None
        return {
            "outlet": source.outlet,
            "path": paragraph_path(citation.article, citation.paragraph),
            "external": None,
            "article_title": article.title if article else citation.article,
            "paragraph": number,
            "label": f"{source.outlet}, ¶{number}" if number else source.outlet,
        }
    return {
        "outlet": source.outlet,
        "path": None,
        "external": source.url or source.via_url,
        "article_title": None,
        "paragraph": None,
        "label": source.outlet,
    }


def leader_ref(leader: Leader) -> dict:
    return {"id": leader.id, "name": leader.name, "path": leader_path(leader.id)}


def topic_ref(topic: Topic) -> dict:
    return {"id": topic.id, "title": topic.title, "path": topic_path(topic.id)}


def leader_card(leader: Leader, briefing: Briefing) -> dict:
    card = leader_ref(leader)
    card.update({
        "role": leader.role,
        "country": leader.country,
        "kind": leader.kind,
        "kind_label": "Organisation" if leader.kind == "organization" else "Person",
        "initials": _initials(leader.name),
        "stances": sum(1 for s in current_stances_of(briefing, leader.id)),
        "events": sum(1 for e in briefing.events if leader.id in e.who),
        "quotes": sum(1 for a in briefing.articles for q in a.quotes if q.who == leader.id),
    })
    return card


def event_view(event: Event, briefing: Briefing) -> dict:
    leaders, topics = _leaders(briefing), _topics(briefing)
    return {
        "id": event.id,
        "anchor": f"event-{event.id}",
        "path": timeline_path() + f"#event-{event.id}",
        "date": date_view(event.when),
        "what": event.what,
        "leaders": [leader_ref(leaders[w]) for w in event.who if w in leaders],
        "topics": [topic_ref(topics[t]) for t in event.topics if t in topics],
        "leader_ids": " ".join(event.who),
        "topic_ids": " ".join(event.topics),
        "citations": [citation_view(c, briefing) for c in event.citations],
        "note": event.note,
        "first_reported": [_sentence_case(line) for line in event.first_reported],
    }


def quote_view(quote: Quote, briefing: Briefing) -> dict:
    leaders = _leaders(briefing)
    leader = leaders.get(quote.who)
    return {
        "id": quote.id,
        "text": quote.text,
        "leader": leader_ref(leader) if leader else None,
        "date": date_view(quote.when),
        "citation": citation_view(quote.citation, briefing),
    }


def stance_view(stance: Stance, briefing: Briefing) -> dict:
    leaders, topics = _leaders(briefing), _topics(briefing)
    leader, topic = leaders.get(stance.who), topics.get(stance.topic)
    return {
        "value": stance.stance,
        "label": STANCES[stance.stance]["label"],
        "icon": STANCES[stance.stance]["icon"],
        "detail": stance.detail,
        "date": date_view(stance.when),
        "citation": citation_view(stance.citation, briefing),
        "leader": leader_ref(leader) if leader else None,
        "topic": topic_ref(topic) if topic else None,
        "changed_from": stance.changed_from,
        "changed_from_label": STANCES[stance.changed_from]["label"].lower() if stance.changed_from else None,
    }


def article_card(article: Article, briefing: Briefing) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "path": article_path(article.slug),
        "outlet": article.source.outlet,
        "agencies": list(article.source.agencies),
        "published": timestamp_view(article.published),
        "updated": timestamp_view(article.updated),
        "language": article.language,
        "summary": [Markup(point) for point in article.summary],  # our Markdown renderer's inline HTML
    }


def feed_of_leader(leader: Leader) -> dict:
    return {"title": f"{leader.name}: updates", "path": leader_feed_path(leader.id)}


# ---------------------------------------------------------------------------
# Stances: the current one per leader and topic (the model holds them oldest first).

def current_stances_of(briefing: Briefing, leader_id: str | None = None, topic_id: str | None = None):
    """The latest stance of each (leader, topic) pair, in the model's order; filtered by leader or topic."""
    latest: dict[tuple[str, str], Stance] = {}
    for stance in briefing.stances:
        if (leader_id is None or stance.who == leader_id) and (topic_id is None or stance.topic == topic_id):
            latest[(stance.who, stance.topic)] = stance
    return list(latest.values())


def history_of(briefing: Briefing, leader_id: str, topic_id: str) -> list[Stance]:
    """Every stance of one leader on one topic, oldest first."""
    return [s for s in briefing.stances if s.who == leader_id and s.topic == topic_id]


# ---------------------------------------------------------------------------

def _leaders(briefing: Briefing) -> dict[str, Leader]:
    return {leader.id: leader for leader in briefing.leaders}


def _topics(briefing: Briefing) -> dict[str, Topic]:
    return {topic.id: topic for topic in briefing.topics}


def _article(briefing: Briefing, slug: str) -> Article | None:
    return next((a for a in briefing.articles if a.slug == slug), None)


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalpha() and w.lower() not in ("the", "of")]
    return "".join(w[0].upper() for w in words[:2]) or name[:1].upper()


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
