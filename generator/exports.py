"""The site's machine-readable files: sitemap.xml, robots.txt and data/briefing.json.

Pure functions of the model: they read nothing, write nothing and never look at
the clock, so two builds of the same content give the same bytes. The caller
(the pipeline) decides where the bytes go; the conventional site paths are
SITEMAP_PATH, ROBOTS_PATH and DATA_PATH below.

A few small helpers shared with feeds.py and jsonld.py live here too: the
RFC 3339 form of a timestamp, whether the base URL has a host, and which
leaders an article is about.

docs/data.md documents the JSON export; generator/schemas/briefing-data.schema.json
is its JSON Schema.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import quote

from .dates import MAX_INSTANT, MIN_INSTANT
from .model import Article, Briefing, Citation, Leader, Source
from .urls import (
    absolute,
    article_path,
    articles_path,
    home_path,
    leader_feed_path,
    leader_path,
    leaders_path,
    timeline_path,
    topic_path,
    topics_path,
)

__all__ = [
    "DATA_FORMAT",
    "DATA_PATH",
    "DATA_VERSION",
    "ROBOTS_PATH",
    "SITEMAP_PATH",
    "briefing_data",
    "briefing_json",
    "robots",
    "sitemap",
]

SITEMAP_PATH = "sitemap.xml"
ROBOTS_PATH = "robots.txt"
DATA_PATH = "data/briefing.json"
SITE_FEED_PATH = "feed.xml"  # the site's Atom feed (feeds.site_feed)

DATA_FORMAT = "briefing-data"
DATA_VERSION = 1  # see docs/data.md, "Versioning"

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
WIKIDATA_ENTITY = "https://www.wikidata.org/wiki/"

# Characters XML 1.0 cannot hold at all (not even as character references).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ---------------------------------------------------------------------------
# Shared helpers (also used by feeds.py and jsonld.py)


def has_host(base_url: str) -> bool:
    """Whether the base URL is absolute (http(s)://host/…) rather than only a path ('/', '/briefing/')."""
    return base_url.startswith(("http://", "https://"))


def site_url(briefing: Briefing, path: str) -> str:
    """The URL of a site path: absolute when base_url has a host, else a root-relative path."""
    return absolute(briefing.base_url, path)


def uri(url: str) -> str:
    """A URL with only URI characters: non-ASCII, spaces, quotes and angle brackets percent-encoded.

    Existing %XX escapes and every reserved character are kept, so a valid URL is unchanged.
    """
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~")


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 forbids (most C0 controls, lone surrogates,
    U+FFFE/U+FFFF) replaced by U+FFFD, so any serializer's output stays well-formed.
    Everything else, bidi controls such as U+202E included, is kept and escaped by the serializer."""
    return _NOT_XML.sub("\ufffd", text)


def rfc3339(moment: datetime) -> str:
    """An aware timestamp as RFC 3339 with its own offset ('2025-03-19T12:00:00+13:00'); UTC as 'Z'.

    A naive datetime (which the model never holds) is taken to be UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    text = moment.isoformat(timespec="seconds" if not moment.microsecond else "microseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def article_modified(article: Article) -> datetime:
    """When an article last changed: `updated`, else `published`."""
    return article.updated or article.published


def newest(articles) -> datetime | None:
    """The latest change among `articles`, or None when there are none."""
    return max((article_modified(a) for a in articles), key=lambda d: d.timestamp(), default=None)


def articles_about_leader(briefing: Briefing, leader_id: str) -> tuple[Article, ...]:
    """The articles (newest first) that mention, quote or give a stance to a leader."""
    return briefing.articles_about.get(leader_id, ())


def article_topics(briefing: Briefing, article: Article) -> tuple[str, ...]:
    """Topic ids an article touches (through its events and stances), in the briefing's topic order."""
    return briefing.article_topics.get(article.slug, ())


def wikidata_url(leader: Leader) -> str | None:
    return WIKIDATA_ENTITY + leader.wikidata if leader.wikidata else None


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html_fragment: str) -> str:
    """The text of an HTML fragment (a key point), tags dropped and character references decoded."""
    parser = _TextOnly()
    parser.feed(html_fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


def event_url(event_id: str) -> str:
    """An event's site path: its anchor on the timeline page, 'timeline/#event-<id>'.

    The 'event-' prefix is the timeline page's (views.event_view): it keeps an event id
    such as 'main' from clashing with the page's other ids."""
    return f"{timeline_path()}#event-{event_id}"


def paragraph_url(slug: str, paragraph: str | None) -> str:
    """A paragraph's site path relative to the site root: 'articles/<slug>/#p7'."""
    return article_path(slug) + (f"#{paragraph}" if paragraph else "")


# ---------------------------------------------------------------------------
# sitemap.xml and robots.txt


def _lastmods(briefing: Briefing) -> dict[str, datetime]:
    """Site path -> when the page last changed, for the pages whose content comes from articles."""
    overall = newest(briefing.articles)
    out: dict[str, datetime] = {}
    if overall is not None:
        for path in (home_path(), timeline_path(), leaders_path(), topics_path(), articles_path(),
                     SITE_FEED_PATH, DATA_PATH):
            out[path] = overall
    for article in briefing.articles:
        out[article_path(article.slug)] = article_modified(article)
    for leader in briefing.leaders:
        when = newest(articles_about_leader(briefing, leader.id))
        if when is not None:
            out[leader_path(leader.id)] = out[leader_feed_path(leader.id)] = when
    for topic in briefing.topics:
        when = newest(a for a in briefing.articles if topic.id in article_topics(briefing, a))
        if when is not None:
            out[topic_path(topic.id)] = when
    return out


def sitemap(briefing: Briefing, page_paths: list[str]) -> bytes:
    """sitemaps.org XML listing each site path given (in the order given, each once).

    `<loc>` is absolute(base_url, path); when base_url is only a path the locations are
    root-relative paths, which the sitemaps protocol does not accept (set an absolute
    base_url). `<lastmod>` is given for pages built from articles: an article's page
    (its updated or published time), a leader's page and feed, a topic's page and the
    index pages, feed and data (the newest article they draw on).
    """
    lastmods = _lastmods(briefing)
    urlset = ET.Element("urlset", xmlns=SITEMAP_NS)
    for path in dict.fromkeys(page_paths):
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = xml_text(uri(site_url(briefing, path)))
        if path in lastmods:
            ET.SubElement(url, "lastmod").text = rfc3339(lastmods[path])
    ET.indent(urlset, space="  ")
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def robots(briefing: Briefing) -> bytes:
    """robots.txt allowing every crawler everything, naming the sitemap.

    The Sitemap line is absolute when base_url has a host; otherwise it can only be
    the sitemap's path, which crawlers may ignore. robots.txt is only read at the root
    of a host: under a sub-path base_url, copy its Sitemap line into the host's own.
    """
    lines = ["User-agent: *", "Allow: /", "", f"Sitemap: {uri(site_url(briefing, SITEMAP_PATH))}", ""]
    return "\n".join(lines).encode("utf-8")


# ---------------------------------------------------------------------------
# data/briefing.json


def _instant(moment: datetime) -> str:
    """A UTC bound as ISO 8601 with 'Z', microseconds only when present."""
    return rfc3339(moment.astimezone(timezone.utc))


def _date(when) -> dict | None:
    """An EDTF date as the export's date object (see the schema's $defs/date)."""
    if when is None:
        return None
    return {
        "edtf": when.text,
        "display": when.display(),
        "precision": when.precision,
        "uncertain": when.uncertain,
        "approximate": when.approximate,
        "interval": when.is_interval,
        "start": when.start_text,
        "end": when.end_text,
        "open_start": when.open_start,
        "unknown_start": when.unknown_start,
        "open_end": when.open_end,
        "unknown_end": when.unknown_end,
        "earliest": None if when.earliest == MIN_INSTANT else _instant(when.earliest),
        "latest": None if when.latest == MAX_INSTANT else _instant(when.latest),
        "iso_start": when.iso_start(),
        "iso_end": when.iso_end(),
    }


def _source(source: Source) -> dict:
    via = None
    if source.via_outlet or source.via_url:
        via = {"outlet": source.via_outlet, "url": source.via_url}
    return {"outlet": source.outlet, "url": source.url, "agencies": list(source.agencies), "via": via}


def _citation(citation: Citation) -> dict:
    return {
        "article": citation.article,
        "paragraph": citation.paragraph,
        "url": paragraph_url(citation.article, citation.paragraph) if citation.article else None,
        "source": _source(citation.source),
    }


def briefing_data(briefing: Briefing) -> dict:
    """The whole model as plain JSON values (format 'briefing-data', version 1); see docs/data.md.

    Dicts are built in a fixed key order and lists in the model's order, so the
    serialization is deterministic.
    """
    stances = briefing.stances
    current = {(s.who, s.topic): i for i, s in enumerate(stances)}  # the last of each pair is current
    return {
        "format": DATA_FORMAT,
        "version": DATA_VERSION,
        "site": {
            "title": briefing.title,
            "description": briefing.description,
            "language": briefing.language,
            "timezone": briefing.timezone,
            "base_url": briefing.base_url,
            "url": site_url(briefing, home_path()),
            "feed": SITE_FEED_PATH,
            "generated_at": rfc3339(briefing.generated_at) if briefing.generated_at else None,
            "settings": {key: value for key, value in sorted(briefing.settings)},
        },
        "topics": [
            {"id": t.id, "title": t.title, "description": t.description, "url": topic_path(t.id)}
            for t in briefing.topics
        ],
        "leaders": [
            {
                "id": leader.id,
                "name": leader.name,
                "aliases": list(leader.aliases),
                "role": leader.role,
                "country": leader.country,
                "kind": leader.kind,
                "wikidata": leader.wikidata,
                "wikidata_url": wikidata_url(leader),
                "url": leader_path(leader.id),
                "feed": leader_feed_path(leader.id),
            }
            for leader in briefing.leaders
        ],
        "articles": [
            {
                "slug": a.slug,
                "url": article_path(a.slug),
                "title": a.title,
                "published": rfc3339(a.published),
                "updated": rfc3339(a.updated) if a.updated else None,
                "language": a.language,
                "source": _source(a.source),
                "summary": [{"html": point, "text": plain_text(point)} for point in a.summary],
                "mentions": list(a.mentions),
                "events": list(a.events),
                "quotes": [q.id for q in a.quotes],
                "paragraphs": [
                    {"id": p.id, "text": p.text, "url": paragraph_url(a.slug, p.id)} for p in a.paragraphs
                ],
            }
            for a in briefing.articles
        ],
        "events": [
            {
                "id": e.id,
                "url": event_url(e.id),
                "when": _date(e.when),
                "what": e.what,
                "who": list(e.who),
                "topics": list(e.topics),
                "note": e.note,
                "first_reported": list(e.first_reported),
                "citations": [_citation(c) for c in e.citations],
            }
            for e in briefing.events
        ],
        "quotes": [
            {
                "id": q.id,
                "who": q.who,
                "text": q.text,
                "when": _date(q.when),
                "citation": _citation(q.citation),
            }
            for a in briefing.articles
            for q in a.quotes
        ],
        "stances": [
            {
                "who": s.who,
                "topic": s.topic,
                "stance": s.stance,
                "detail": s.detail,
                "when": _date(s.when),
                "changed_from": s.changed_from,
                "current": current[(s.who, s.topic)] == i,
                "citation": _citation(s.citation),
            }
            for i, s in enumerate(stances)
        ],
    }


def briefing_json(briefing: Briefing) -> bytes:
    """data/briefing.json: briefing_data() as UTF-8 JSON, indented, keys in a fixed order, ending in a newline.

    Text is written as UTF-8, not as \\u escapes; a lone surrogate (which UTF-8 cannot
    hold) is written as its \\uXXXX escape, so the file is always valid UTF-8 and JSON."""
    text = json.dumps(briefing_data(briefing), ensure_ascii=False, indent=2) + "\n"
    return text.encode("utf-8", "backslashreplace")
