"""Plan the site: which pages exist, at which path, from which template, showing what.

Each page's context is its view: plain values prepared from the model (see
views.py). The keys every template can rely on come from `page_view`; the
rest are the page's own, listed in docs/templates.md.

    ''                      summary.html    the briefing at a glance
    'timeline/'             timeline.html   every event, by year and month, under an SVG overview
    'leaders/'              leaders.html    who's who
    'leaders/<id>/'         leader.html     one leader: stances, quotes, events, articles
    'topics/'               topics.html     the questions the briefing tracks
    'topics/<id>/'          topic.html      one topic: each leader's stance, its events
    'articles/'             articles.html   the source articles
    'articles/<slug>/'      article.html    one article: its text and what it reports
    'search/'               search.html     search the briefing (Pagefind's index, see search.py)
    '404.html'              404.html        not found, at any depth (absolute links)
"""

from __future__ import annotations

from typing import Iterator

from markupsafe import Markup

from .model import Article, Briefing, Leader, Topic
from .overview import overview
from .render import Deferred, Page
from .urls import article_path, articles_path, leader_path, leaders_path, timeline_path, topic_path, topics_path
from .jsonld import jsonld_article, jsonld_leader, jsonld_site, jsonld_timeline
from .views import (SEARCH_KINDS, SEARCH_PATH, Index, article_card, base_path, event_view, feed_of_leader,
                    leader_card, leader_ref, page_view, quote_view, search_view, stance_entry, stance_view,
                    timestamp_view, topic_ref)
from .views_stances import stance_matrix
from .views_timeline import latest_events, timeline_filters, timeline_groups

LATEST_EVENTS = 6
# The summary is the briefing at a glance: the newest article's key points and a few earlier
# articles'. Every article is on the articles page; at 10,000 articles the summary listing them all
# was 5.6 MB.
SUMMARY_ARTICLES = 10
# A leader's or a topic's page shows the latest of each long list, with the count and a link to the
# search page's listing of every one (the timeline and data/briefing.json hold them all too). At
# 10,000 articles a leader's page listing everything was up to 18 MB, a topic's 8.6 MB.
LIST_LATEST = 50


def plan_pages(briefing: Briefing) -> Iterator[Page]:
    ix = Index(briefing)
    yield Page("", "summary.html", Deferred(summary_context, ix))
    yield Page(timeline_path(), "timeline.html", Deferred(timeline_context, ix))
    yield Page(leaders_path(), "leaders.html", Deferred(leaders_context, ix))
    for leader in briefing.leaders:
        yield Page(leader_path(leader.id), "leader.html", Deferred(leader_context, ix, leader))
    yield Page(topics_path(), "topics.html", Deferred(topics_context, ix))
    for topic in briefing.topics:
        yield Page(topic_path(topic.id), "topic.html", Deferred(topic_context, ix, topic))
    yield Page(articles_path(), "articles.html", Deferred(articles_context, ix))
    for article in briefing.articles:
        yield Page(article_path(article.slug), "article.html", Deferred(article_context, ix, article))
    yield Page(SEARCH_PATH, "search.html", Deferred(search_context, ix))
    yield Page("404.html", "404.html", Deferred(not_found_context, ix))


# ---------------------------------------------------------------------------

def summary_context(ix: Index) -> dict:
    briefing = ix.briefing
    articles = [article_card(article) for article in briefing.articles[:SUMMARY_ARTICLES]]
    newest = max(briefing.articles, key=lambda a: a.updated or a.published, default=None)
    context = page_view(ix, section="summary", title=None, description=briefing.description,
                        jsonld=jsonld_site(briefing))
    context.update({
        "updated": timestamp_view((newest.updated or newest.published) if newest else None),
        "generated": timestamp_view(briefing.generated_at),
        "lead": articles[0] if articles else None,
        "earlier": articles[1:],
        "article_count": len(briefing.articles),
        "matrix": stance_matrix(ix),
        "latest_events": latest_events(ix, LATEST_EVENTS),
        "event_count": len(briefing.events),
        "leaders": [leader_card(leader, ix) for leader in ix.ordered_leaders()],
    })
    return context


def timeline_context(ix: Index) -> dict:
    briefing = ix.briefing
    context = page_view(ix, section="timeline", title="Timeline",
                        description=f"Every event in the briefing “{briefing.title}”, in order, "
                                    f"each at the precision its source gives and linked to its source.",
                        jsonld=jsonld_timeline(briefing))
    context.update({
        "overview": overview(briefing),
        "years": timeline_groups(ix),
        "filters": timeline_filters(ix),
        "event_count": len(briefing.events),
    })
    return context


def leaders_context(ix: Index) -> dict:
    briefing = ix.briefing
    leaders = ix.ordered_leaders()
    context = page_view(ix, section="leaders", title="Leaders",
                        description=f"Who's who in “{briefing.title}”: the leaders and offices in the "
                                    f"news, with their stances, quotes and events.")
    context["leaders"] = [leader_card(leader, ix) for leader in leaders]
    return context


def leader_context(ix: Index, leader: Leader) -> dict:
    briefing = ix.briefing
    card = leader_card(leader, ix)
    stances = [stance_entry(leader.id, s.topic, ix) for s in ix.current_of_leader(leader.id)]
    changes = sorted((s for s in ix.history_by_leader[leader.id] if s.changed_from), key=lambda s: s.when.sort_key())
    context = page_view(ix, section="leaders", title=leader.name,
                        description=f"{leader.name}, {leader.role}: current stances, quotes and events in "
                                    f"“{briefing.title}”.",
                        og_type="profile", feeds=[feed_of_leader(leader)], jsonld=jsonld_leader(briefing, leader),
                        search=search_view("leader", leaders=[leader.id],
                                           topics=[s.topic for s in ix.current_of_leader(leader.id)],
                                           context=leader.role))
    events, quotes, articles = (ix.events_of_leader[leader.id], ix.quotes_of_leader[leader.id],
                                ix.articles_of_leader[leader.id])
    context.update({
        "leader": card,
        "stances": stances,
        # Events and changes are oldest first, quotes and articles newest first: each list keeps the latest.
        "changes": [stance_view(s, ix) for s in changes[-LIST_LATEST:]],
        "change_count": len(changes),
        "quotes": [quote_view(q, ix) for q in quotes[:LIST_LATEST]],
        "quote_count": len(quotes),
        "events": [event_view(event, ix) for event in events[-LIST_LATEST:]],
        "event_count": len(events),
        "articles": [article_card(a) for a in articles[:LIST_LATEST]],
        "article_count": len(articles),
        "feed": feed_of_leader(leader),
    })
    return context


def topics_context(ix: Index) -> dict:
    briefing = ix.briefing
    topics = []
    for topic in briefing.topics:
        current = ix.current_of_topic(topic.id)
        counts = {value: sum(1 for s in current if s.stance == value)
                  for value in ("supports", "opposes", "conditional", "unclear")}
        topics.append({
            "id": topic.id, "title": topic.title, "description": topic.description, "path": topic_path(topic.id),
            "stances": [stance_view(s, ix) for s in current],
            "counts": counts,
            "events": len(ix.events_of_topic[topic.id]),
        })
    context = page_view(ix, section="topics", title="Topics",
                        description=f"The questions “{briefing.title}” tracks, and where each leader stands on them.")
    context["topics"] = topics
    return context


def topic_context(ix: Index, topic: Topic) -> dict:
    current = ix.current_of_topic(topic.id)
    events = ix.events_of_topic[topic.id]
    context = page_view(ix, section="topics", title=topic.title,
                        description=topic.description or f"Where each leader stands on {topic.title.lower()}.",
                        search=search_view("topic", leaders=[s.who for s in current], topics=[topic.id],
                                           context=_counted(len(current), "stance") + " · " +
                                           _counted(len(events), "event")))
    context.update({
        "topic": {"id": topic.id, "title": topic.title, "description": topic.description, "path": topic_path(topic.id)},
        "stances": [stance_entry(s.who, topic.id, ix) for s in current],
        "events": [event_view(event, ix) for event in events[-LIST_LATEST:]],
        "event_count": len(events),
    })
    return context


def articles_context(ix: Index) -> dict:
    briefing = ix.briefing
    context = page_view(ix, section="articles", title="Articles",
                        description=f"The source articles of “{briefing.title}”, newest first.")
    context["articles"] = [dict(article_card(a), events=len(a.events), quotes=len(a.quotes),
                                stances=len(a.stances)) for a in briefing.articles]
    return context


def article_context(ix: Index, article: Article) -> dict:
    briefing = ix.briefing
    source = article.source
    card = article_card(article)
    card.update({
        "url": source.url,
        "via_outlet": source.via_outlet,
        "via_url": source.via_url,
        # Our Markdown renderer made this HTML (raw HTML in the source is escaped unless the site allows it).
        "body": Markup(article.body_html),
        "foreign": article.language != briefing.language,
    })
    context = page_view(ix, section="articles", title=article.title,
                        description=_plain(article.summary[0]) if article.summary else
                        f"{article.title} ({source.outlet}).",
                        og_type="article", jsonld=jsonld_article(briefing, article),
                        search=search_view("article", leaders=[w for w in article.mentions if w in ix.leaders],
                                           topics=briefing.topics_of(article),
                                           context=f"{card['credit']} · {card['published']['day']}"))
    context.update({
        "article": card,
        "events": [event_view(ix.events[e], ix) for e in article.events if e in ix.events],
        "quotes": [quote_view(q, ix) for q in article.quotes],
        "stances": [stance_view(s, ix) for s in article.stances],
        "mentions": [{"id": w, "name": ix.leaders[w].name, "path": leader_path(w)}
                     for w in article.mentions if w in ix.leaders],
    })
    return context


def search_context(ix: Index) -> dict:
    """The search page: its form and filters are complete HTML; assets/search.js runs the search."""
    briefing = ix.briefing
    context = page_view(ix, section=None, title="Search",
                        description=f"Search “{briefing.title}”: leaders, topics, articles, events and quotes.")
    # Each leader with every spelling of the name: search.js puts the leader's page first when the
    # words searched are one of them.
    leaders = [dict(leader_ref(leader), names=[leader.name, *[a for a in leader.aliases if a != leader.name]])
               for leader in sorted(briefing.leaders, key=lambda leader: leader.name)]
    context.update({
        "kinds": [{"value": value, "label": plural} for value, _, plural in SEARCH_KINDS],
        "leaders": leaders,
        "topics": [topic_ref(topic) for topic in briefing.topics],
        # Where Pagefind's bundle is (search.py writes it), and the site's root: search.js resolves both
        # against the page's own address, so results link right under any prefix.
        "bundle": "pagefind/",
    })
    return context


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def not_found_context(ix: Index) -> dict:
    briefing = ix.briefing
    context = page_view(ix, section=None, title="Page not found",
                        description=f"This page is not part of “{briefing.title}”.",
                        root=base_path(briefing.base_url), canonical=False)
    context["suggestions"] = [{"label": label, "path": path} for label, path in (
        ("the summary", ""), ("the timeline", timeline_path()), ("the leaders", leaders_path()),
        ("the topics", topics_path()), ("the articles", articles_path()))]
    return context


def _plain(html: str) -> str:
    return Markup(html).striptags()
