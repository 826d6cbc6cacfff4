"""Views: what a template is given, as plain values (dicts, lists, strings, numbers, booleans).

Templates never see the model. Each page's context is built from small views
of the model's objects, made here: a date at its written precision, a
citation as a link to the paragraph it came from, an event, a quote, a
stance, a leader's card. Every link is a site path ('leaders/x/',
'articles/slug/#p7'); the template turns it into a link with url().

The only values that are not plain text are `markupsafe.Markup` strings of HTML
that our own Markdown renderer produced (an article's body and its key points)
and the SVG of the timeline overview (built with xml.etree in overview.py).
Everything else is escaped by the templates' autoescape.

Views are built through an `Index` of the briefing, made once per build, so
that looking up a leader, a topic, an article or a leader's current stances
does not scan the whole briefing for every page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit

from markupsafe import Markup

from .dates import EDTF, MONTHS, format_timestamp
from .model import Article, Briefing, Citation, Event, Leader, Quote, Stance, Topic
from .urls import (article_path, articles_path, home_path, leader_feed_path, leader_path, leaders_path,
                   timeline_path, topic_path, topics_path)

GENERATOR_NAME = "briefing"
FEED_PATH = "feed.xml"
SEARCH_PATH = "search/"

# What a search result can be: the value of Pagefind's `kind` filter, the word a result shows, the plural
# the search page's filter offers. Pages say theirs through `search_view`; events and quotes are
# records of their own (generator/search.py).
SEARCH_KINDS = (
    ("leader", "Leader", "Leaders"),
    ("topic", "Topic", "Topics"),
    ("article", "Article", "Articles"),
    ("event", "Event", "Events"),
    ("quote", "Quote", "Quotes"),
)

# Reader-facing words and icons for the model's stance values. The icon is
# decorative (aria-hidden); the word is always shown beside it, so a stance
# never relies on colour or a symbol alone.
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

# Precisions an HTML <time datetime> can say exactly (a season or a decade it cannot).
_TIME_ELEMENT_PRECISIONS = {"second", "minute", "day", "month", "year"}


# ---------------------------------------------------------------------------

class Index:
    """Look-ups over one briefing: by id, and the current stances. Each is made when first asked
    for, so that a page that needs few of them (an article's, in the preview) does not pay for all."""

    def __init__(self, briefing: Briefing):
        self.briefing = briefing
        self.leaders: dict[str, Leader] = briefing.leader_by_id
        self.topics: dict[str, Topic] = briefing.topic_by_id
        self.articles: dict[str, Article] = briefing.article_by_slug
        self.topic_order = {topic.id: n for n, topic in enumerate(briefing.topics)}

    @property
    def events(self) -> dict[str, Event]:
        return self.briefing.event_by_id

    @cached_property
    def history(self) -> dict[tuple[str, str], list[Stance]]:
        """Each (leader, topic) pair's stances, oldest first, as the model holds them."""
        return _grouped(self.briefing.stances, lambda stance: ((stance.who, stance.topic),))

    @cached_property
    def current(self) -> dict[tuple[str, str], Stance]:
        """The latest stance of each (leader, topic) pair is the current one."""
        return {pair: stances[-1] for pair, stances in self.history.items()}

    @cached_property
    def events_of_leader(self) -> dict[str, list[Event]]:
        return _grouped(self.briefing.events, lambda event: event.who)

    @cached_property
    def events_of_topic(self) -> dict[str, list[Event]]:
        return _grouped(self.briefing.events, lambda event: event.topics)

    @cached_property
    def quotes_of_leader(self) -> dict[str, list[Quote]]:
        return _grouped((q for article in self.briefing.articles for q in article.quotes), lambda quote: (quote.who,))

    @cached_property
    def articles_of_leader(self) -> dict[str, list[Article]]:
        return _grouped(self.briefing.articles, lambda article: article.mentions)

    @cached_property
    def current_by_leader(self) -> dict[str, list[Stance]]:
        found: dict[str, list[Stance]] = defaultdict(list)
        for (who, _), stance in sorted(self.current.items()):
            found[who].append(stance)
        for stances in found.values():
            stances.sort(key=lambda s: self.topic_order.get(s.topic, len(self.topic_order)))
        return found

    @cached_property
    def current_by_topic(self) -> dict[str, list[Stance]]:
        found: dict[str, list[Stance]] = defaultdict(list)
        for (_, topic), stance in sorted(self.current.items()):
            found[topic].append(stance)
        return found

    @cached_property
    def history_by_leader(self) -> dict[str, list[Stance]]:
        return _grouped(self.briefing.stances, lambda stance: (stance.who,))

    @cached_property
    def leader_refs(self) -> dict[str, dict]:
        """Shared, read-only refs for the many lists that name leaders."""
        return {leader.id: leader_ref(leader) for leader in self.briefing.leaders}

    @cached_property
    def topic_refs(self) -> dict[str, dict]:
        return {topic.id: topic_ref(topic) for topic in self.briefing.topics}

    @cached_property
    def site(self) -> dict:
        return _site_view(self.briefing)

    def current_of_leader(self, leader_id: str) -> list[Stance]:
        """A leader's current stances, in the topics' display order."""
        return self.current_by_leader.get(leader_id, [])

    def current_of_topic(self, topic_id: str) -> list[Stance]:
        """The current stances on a topic, in the leaders' order (see `order`)."""
        return sorted(self.current_by_topic.get(topic_id, []), key=lambda s: self.order.get(s.who, len(self.order)))

    @cached_property
    def order(self) -> dict[str, int]:
        """Each leader's place in lists: first those with a stance, an event or a quote, in the order
        the articles (newest first) first mention them; then the rest, mentioned in passing, likewise."""
        mentioned: dict[str, int] = {}
        for article in self.briefing.articles:
            for who in article.mentions:
                mentioned.setdefault(who, len(mentioned))
        involved = set(self.current_by_leader) | set(self.events_of_leader) | set(self.quotes_of_leader)
        ranked = sorted(self.leaders.values(), key=lambda leader: (
            leader.id not in involved, mentioned.get(leader.id, len(mentioned)), leader.name))
        return {leader.id: n for n, leader in enumerate(ranked)}

    def ordered_leaders(self) -> list[Leader]:
        return sorted(self.leaders.values(), key=lambda leader: self.order[leader.id])


def _grouped(items, keys) -> dict:
    """Each item listed under every key `keys(item)` gives, in the items' order (a missing key: [])."""
    found: dict = defaultdict(list)
    for item in items:
        for key in keys(item):
            found[key].append(item)
    return found


# ---------------------------------------------------------------------------
# The chrome every page shares.

def base_path(base_url: str) -> str:
    """The path part of the base URL, with a trailing slash: 'https://x.org/briefing/' -> '/briefing/'."""
    path = urlsplit(base_url).path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path if path.endswith("/") else path + "/"


def _site_view(briefing: Briefing) -> dict:
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
        "generator": GENERATOR_NAME,
        "outlets": outlets,
        "agencies": agencies,
    }


def page_view(ix: Index, *, section: str | None, title: str | None, description: str,
              og_type: str = "website", feeds: list[dict] | None = None, jsonld: dict | None = None,
              root: str | None = None, canonical: bool = True, search: dict | None = None) -> dict:
    """The context keys every template relies on (see docs/templates.md); each page adds its own."""
    briefing = ix.briefing
    return {
        "site": dict(ix.site),
        "meta": {
            # The document title: the page's own title, then the briefing's.
            "title": f"{title} · {briefing.title}" if title else briefing.title,
            "heading": title or briefing.title,
            "description": " ".join(description.split()),
            "og_type": og_type,
            "canonical": canonical,
        },
        "nav": [{"key": key, "label": label, "path": path, "current": key == section} for key, label, path in NAV],
        "section": section,
        "feeds": [{"title": f"{briefing.title}: all updates", "path": FEED_PATH}] + list(feeds or ()),
        "stance_kinds": [{"value": value, **words} for value, words in STANCES.items()],
        "jsonld": jsonld,
        # None: links are relative, made by url(). A path such as '/briefing/': links are
        # absolute from it; only the 404 page, which is served at any depth, needs that.
        "root": root,
        # None: the page is not in the search index. Else what base.html tells Pagefind (search_view).
        "search": search,
        "search_path": SEARCH_PATH,
    }


def search_view(kind: str, *, leaders=(), topics=(), context: str = "") -> dict:
    """What a page tells the search index (base.html): its kind, the ids of the leaders and topics it
    concerns (Pagefind filters) and a line of context its result shows under the title."""
    labels = {value: label for value, label, _ in SEARCH_KINDS}
    return {
        "kind": kind,
        "kind_label": labels[kind],
        "leaders": list(dict.fromkeys(leaders)),
        "topics": list(dict.fromkeys(topics)),
        "context": " ".join(context.split()),
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
        # <time datetime> only where HTML can say the same thing (a point at a year, month, day or time).
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


def citation_view(citation: Citation, ix: Index) -> dict:
    """A citation: a link to the paragraph it came from, or to the outside source of a timeline.yaml event."""
    source = citation.source
    if citation.article is not None:
        article = ix.articles.get(citation.article)
        number = citation.paragraph[1:] if citation.paragraph and citation.paragraph[1:].isdigit() else None
        return {
            "outlet": source.outlet,
            "path": paragraph_path(citation.article, citation.paragraph),
            "external": None,
            "article_title": article.title if article else citation.article,
            "paragraph": number,
            "label": f"{source.outlet}, ¶\u00a0{number}" if number else source.outlet,
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


def leader_card(leader: Leader, ix: Index) -> dict:
    card = leader_ref(leader)
    card.update({
        "role": leader.role,
        "country": leader.country,
        "kind": leader.kind,
        "kind_label": "Organisation" if leader.kind == "organization" else "Person",
        "initials": initials(leader.name),
        # Other spellings the reporting uses, shown on the leader's page (and weighted in search).
        "aliases": [a for a in leader.aliases if a != leader.name],
        "stances": len(ix.current_of_leader(leader.id)),
        "events": len(ix.events_of_leader[leader.id]),
        "quotes": len(ix.quotes_of_leader[leader.id]),
        "wikidata": wikidata_url(leader.wikidata),
    })
    return card


def wikidata_url(qid: str | None) -> str | None:
    return f"https://www.wikidata.org/wiki/{qid}" if qid else None


def event_view(event: Event, ix: Index) -> dict:
    return {
        "id": event.id,
        "anchor": f"event-{event.id}",
        "path": timeline_path() + f"#event-{event.id}",
        "date": date_view(event.when),
        "what": event.what,
        "leaders": [ix.leader_refs[w] for w in event.who if w in ix.leader_refs],
        "topics": [ix.topic_refs[t] for t in event.topics if t in ix.topic_refs],
        "leader_ids": " ".join(event.who),
        "topic_ids": " ".join(event.topics),
        "citations": [citation_view(c, ix) for c in event.citations],
        # The first paragraph an article reports it in, for links from that article's page.
        "source_path": next((paragraph_path(c.article, c.paragraph) for c in event.citations if c.article), None),
        "note": editor_note(event.note),
        "first_reported": [sentence_case(line) for line in event.first_reported],
    }


def quote_view(quote: Quote, ix: Index) -> dict:
    leader = ix.leaders.get(quote.who)
    return {
        "id": quote.id,
        "text": quote.text,
        "leader": leader_ref(leader) if leader else None,
        "date": date_view(quote.when),
        "citation": citation_view(quote.citation, ix),
    }


def stance_view(stance: Stance, ix: Index) -> dict:
    leader, topic = ix.leaders.get(stance.who), ix.topics.get(stance.topic)
    return {
        "value": stance.stance,
        "label": STANCES[stance.stance]["label"],
        "icon": STANCES[stance.stance]["icon"],
        "detail": stance.detail,
        "date": date_view(stance.when),
        "citation": citation_view(stance.citation, ix),
        "leader": leader_ref(leader) if leader else None,
        "topic": topic_ref(topic) if topic else None,
        "changed_from": stance.changed_from,
        "changed_from_label": STANCES[stance.changed_from]["label"].lower() if stance.changed_from else None,
    }


def stance_entry(leader_id: str, topic_id: str, ix: Index) -> dict:
    """The current stance of a leader on a topic with its history (oldest first), for leader and topic pages."""
    history = ix.history[(leader_id, topic_id)]
    current = stance_view(history[-1], ix)
    current["earlier"] = [stance_view(s, ix) for s in reversed(history[:-1])]  # newest first
    current["changes"] = sum(1 for s in history if s.changed_from)
    return current


def article_card(article: Article) -> dict:
    source = article.source
    return {
        "slug": article.slug,
        "title": article.title,
        "path": article_path(article.slug),
        "outlet": source.outlet,
        "agencies": list(source.agencies),
        "credit": ", ".join([source.outlet, *source.agencies]),
        "published": timestamp_view(article.published),
        "updated": timestamp_view(article.updated),
        "language": article.language,
        "summary": [Markup(point) for point in article.summary],  # inline HTML from our Markdown renderer
    }


def feed_of_leader(leader: Leader) -> dict:
    return {"title": f"{leader.name}: updates", "path": leader_feed_path(leader.id)}


_NOTE_LABEL = re.compile(r"^\s*editor[’']?s note\s*[:–—-]\s*", re.IGNORECASE)


def editor_note(note: str | None) -> str | None:
    """The note without a leading "Editor's note:", which the page already shows as its label."""
    if not note:
        return None
    text = _NOTE_LABEL.sub("", note, count=1)
    return sentence_case(text) if text else note


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalpha() and w.lower() not in ("the", "of")]
    return "".join(w[0].upper() for w in words[:2]) or name[:1].upper()


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
