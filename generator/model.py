"""The briefing as one immutable model: plain frozen dataclasses, nothing else.

Every other stage reads this model; none changes it. References between
objects are by id (a leader id, a topic id, an article slug), so the model is
a tree of values that serializes as it stands. The classes have slots (no
per-object __dict__): a briefing of 10,000 articles is millions of these
objects, and slots made its model ~12% smaller in every process of a build.
Briefing has none: it caches its indexes (cached_property).
"""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dates import EDTF

STANCE_VALUES = ("supports", "opposes", "conditional", "unclear")


def value(cls):
    """A frozen dataclass with slots that pickles as a call of the class with its fields' values.

    dataclasses unpickles a frozen one with slots through a __setstate__ that loops over fields()
    in Python for every object: loading the cached parses of 10,000 articles (~220,000 objects)
    took 0.7 s longer than without slots; called with its values, an object is made about as fast
    as a plain dataclass's."""
    cls = dataclass(frozen=True, slots=True)(cls)
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))  # two fields or more: a tuple
    cls.__reduce__ = lambda self: (cls, values(self))
    return cls


@value
class Topic:
    id: str
    title: str
    description: str


@value
class Leader:
    id: str
    name: str
    aliases: tuple[str, ...]
    role: str
    country: str
    kind: str  # "person" or "organization"
    wikidata: str | None

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling that counts as a mention, longest first."""
        return tuple(sorted({self.name, *self.aliases}, key=lambda n: (-len(n), n)))


@value
class Source:
    outlet: str
    url: str | None = None
    agencies: tuple[str, ...] = ()
    via_outlet: str | None = None
    via_url: str | None = None


@value
class Paragraph:
    id: str  # stable within its article: "p1", "p2", … in reading order
    text: str  # the paragraph's words, Markdown markup removed


@value
class Citation:
    """Where a piece of the briefing comes from: an article's paragraph, or a timeline source."""

    source: Source
    article: str | None = None  # article slug; None for a timeline.yaml source
    paragraph: str | None = None  # paragraph id within the article


@value
class Sighting:
    """One source's account of an event; several merge into one Event."""

    when: EDTF
    what: str
    who: tuple[str, ...]
    topics: tuple[str, ...]
    citation: Citation
    published: datetime | None  # of the reporting article; None for timeline.yaml


@value
class Event:
    id: str
    when: EDTF
    what: str
    who: tuple[str, ...]
    topics: tuple[str, ...]
    citations: tuple[Citation, ...]
    note: str | None = None  # an editor's note, e.g. where the source's date is doubtful
    first_reported: tuple[str, ...] = ()  # "first reported as …" lines where sources disagree


@value
class Quote:
    id: str  # "<article>-q<n>", unique in the briefing
    who: str
    text: str
    when: EDTF | None
    citation: Citation


@value
class Stance:
    who: str
    topic: str
    stance: str  # one of STANCE_VALUES
    detail: str
    when: EDTF
    citation: Citation
    changed_from: str | None = None  # the previous stance when this one changed it


@value
class Article:
    slug: str
    title: str
    published: datetime
    updated: datetime | None
    source: Source
    language: str
    summary: tuple[str, ...]  # key points as inline HTML
    # Both None in an article loaded from the build cache, which keeps them apart until a page that
    # shows them is made (article_cache.ArticleCache.whole): most of an article's memory.
    body_html: str | None
    paragraphs: tuple[Paragraph, ...] | None
    mentions: tuple[str, ...]  # leader ids, in order of first mention
    events: tuple[str, ...]  # event ids reported by this article
    quotes: tuple[Quote, ...]
    stances: tuple[Stance, ...]

    @property
    def leaders_about(self) -> tuple[str, ...]:
        """The ids of the leaders the article is about: those it mentions, quotes or gives a stance to,
        in that order."""
        return tuple(dict.fromkeys([*self.mentions, *(q.who for q in self.quotes), *(s.who for s in self.stances)]))


@dataclass(frozen=True)
class Briefing:
    title: str
    description: str
    language: str
    timezone: str
    base_url: str
    settings: tuple[tuple[str, object], ...]  # extension keys of site.yaml (cname, allow_raw_html, …)
    topics: tuple[Topic, ...]  # in display order
    leaders: tuple[Leader, ...]  # sorted by id
    articles: tuple[Article, ...]  # newest first
    events: tuple[Event, ...]  # in timeline order
    stances: tuple[Stance, ...]  # oldest first, with changes marked
    # When this site was made, for readers and programs: SOURCE_DATE_EPOCH when the build is given
    # one, else the newest article's last change; never the wall clock, so builds are reproducible.
    generated_at: datetime | None = None

    def setting(self, key: str, default=None):
        return dict(self.settings).get(key, default)

    # Lookups by id, made once per briefing on first use (the fields stay frozen).

    @cached_property
    def leader_by_id(self) -> dict[str, Leader]:
        return {leader.id: leader for leader in self.leaders}

    @cached_property
    def topic_by_id(self) -> dict[str, Topic]:
        return {topic.id: topic for topic in self.topics}

    @cached_property
    def article_by_slug(self) -> dict[str, Article]:
        return {article.slug: article for article in self.articles}

    @cached_property
    def articles_about(self) -> dict[str, tuple[Article, ...]]:
        """leader id -> the articles (newest first) about that leader (Article.leaders_about)."""
        about: dict[str, list[Article]] = {}
        for article in self.articles:
            for leader_id in article.leaders_about:
                about.setdefault(leader_id, []).append(article)
        return {leader_id: tuple(articles) for leader_id, articles in about.items()}

    @cached_property
    def article_topics(self) -> dict[str, tuple[str, ...]]:
        """article slug -> the topics its events and stances touch, in display order."""
        return {article.slug: self.topics_of(article) for article in self.articles}

    def topics_of(self, article: Article) -> tuple[str, ...]:
        """The topics an article's events and stances touch, in display order."""
        found = {t for event_id in article.events if event_id in self.event_by_id
                 for t in self.event_by_id[event_id].topics}
        found |= {stance.topic for stance in article.stances}
        return tuple(topic.id for topic in self.topics if topic.id in found)

    @cached_property
    def event_by_id(self) -> dict[str, Event]:
        """The merged events by id (~45,000 at 10,000 articles: made once, for every page that looks one up)."""
        return {event.id: event for event in self.events}
