"""Atom 1.0 feeds (RFC 4287): the site's feed of articles and one feed per leader.

Pure functions of the model, built with xml.etree.ElementTree, so every field is
escaped by a real serializer; characters XML cannot hold at all are replaced by
U+FFFD. Deterministic: a leader's feed's `updated` is the newest of its articles'
updated (or published) times, the site feed's the briefing's `generated_at`
(SOURCE_DATE_EPOCH, else the newest article); never the clock.

URLs and ids. With an absolute base_url (https://example.org/briefing/) links are
absolute and ids are the absolute URLs of the pages. With a path-only base_url
('/', '/briefing/') no absolute URL can be formed: links are root-relative paths
('/briefing/articles/x/', which feed readers resolve against the feed's own URL)
and ids are tag URIs (RFC 4151), 'tag:briefing,<year>:<path>', where <year> is the
year the article was published (for an entry) or the year of the briefing's oldest
article (for a feed). Such feeds are valid Atom, but an absolute base_url is
recommended: some readers do not resolve relative links, and the ids change
if base_url is later made absolute.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Iterator
from urllib.parse import quote

from .exports import (
    SITE_FEED_PATH,
    article_modified,
    articles_about_leader,
    has_host,
    newest,
    rfc3339,
    site_url,
    uri,
    xml_text,
)
from .model import Article, Briefing, Leader
from .urls import article_path, home_path, leader_feed_path, leader_path, leaders_path, topics_path

__all__ = ["ATOM_NS", "FEED_ENTRIES", "SITE_FEED_PATH", "leader_feed", "leader_feed_parts", "site_feed",
           "site_feed_parts"]

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TYPE = "application/atom+xml"
_EPOCH_YEAR = 1970  # for the tag id of a briefing without articles
# A feed holds the newest articles, as feed readers poll it: at 10,000 articles a feed of every one
# was 19 MB. The articles page and data/briefing.json list them all.
FEED_ENTRIES = 50


def site_feed(briefing: Briefing) -> bytes:
    """The site's Atom feed (at SITE_FEED_PATH, 'feed.xml'): the FEED_ENTRIES newest articles, newest first."""
    return b"".join(site_feed_parts(briefing))


def site_feed_parts(briefing: Briefing) -> Iterator[bytes]:
    """site_feed(briefing), an entry at a time (10,000 entries held as one tree took ~60 MB)."""
    return _feed(briefing, briefing.articles, SITE_FEED_PATH, home_path(),
                 briefing.title, briefing.description, briefing.generated_at)


def leader_feed(briefing: Briefing, leader: Leader | str) -> bytes:
    """A leader's Atom feed (at urls.leader_feed_path): the FEED_ENTRIES newest articles that mention,
    quote or give a stance to that leader, newest first. `leader` is a Leader or a leader id."""
    return b"".join(leader_feed_parts(briefing, leader))


def leader_feed_parts(briefing: Briefing, leader: Leader | str) -> Iterator[bytes]:
    """leader_feed(briefing, leader), an entry at a time."""
    if isinstance(leader, str):
        if leader not in briefing.leader_by_id:
            raise KeyError(f"no leader '{leader}' in the briefing")
        leader = briefing.leader_by_id[leader]
    return _feed(briefing, articles_about_leader(briefing, leader.id), leader_feed_path(leader.id),
                 leader_path(leader.id), f"{leader.name} — {briefing.title}",
                 f"Articles in “{briefing.title}” about {leader.name} ({leader.role}).")


def _link(parent: ET.Element, briefing: Briefing, path_or_url: str, rel: str, type_: str | None = None,
          title: str | None = None, site: bool = True) -> None:
    href = site_url(briefing, path_or_url) if site else path_or_url
    attrs = {"rel": rel, "href": xml_text(uri(href))}
    if type_:
        attrs["type"] = type_
    if title:
        attrs["title"] = xml_text(title)
    ET.SubElement(parent, "link", attrs)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = xml_text(text)
    return element


def _tag_id(briefing: Briefing, year: int, path: str) -> str:
    """An RFC 4151 tag URI for a site path under a path-only base_url."""
    specific = quote(site_url(briefing, path), safe="/:@!$&'()*+,;=~")
    return f"tag:briefing,{year:04d}:{specific}"


def _id(briefing: Briefing, year: int, path: str) -> str:
    if has_host(briefing.base_url):
        return uri(site_url(briefing, path))
    return _tag_id(briefing, year, path)


def _feed(briefing: Briefing, articles, path: str, alternate: str, title: str, subtitle: str,
          updated: datetime | None = None) -> Iterator[bytes]:
    """The feed's bytes in parts: its head, then each entry, indented and serialised on its own as
    ET.indent and ET.tostring do it for the whole feed."""
    articles = tuple(articles)[:FEED_ENTRIES]
    oldest = min((a.published for a in briefing.articles), key=lambda d: d.timestamp(), default=None)
    feed_year = oldest.year if oldest else _EPOCH_YEAR
    # An empty feed (a leader no article mentions) takes the briefing's last change, then the epoch.
    updated = updated or newest(articles) or newest(briefing.articles)

    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: xml_text(briefing.language)})
    _text(feed, "id", _id(briefing, feed_year, path))
    _text(feed, "title", title)
    if subtitle:
        _text(feed, "subtitle", subtitle)
    _text(feed, "updated", rfc3339(updated) if updated else "1970-01-01T00:00:00Z")
    _link(feed, briefing, path, "self", ATOM_TYPE)
    _link(feed, briefing, alternate, "alternate", "text/html")
    author = ET.SubElement(feed, "author")
    _text(author, "name", briefing.title)
    _text(feed, "generator", "briefing")
    ET.indent(feed, space="  ")
    head = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    if not articles:
        yield head + b"\n"
        return
    end = b"\n</feed>"
    yield head.removesuffix(end) + b"\n  "  # the last child of the head is followed by the entries
    for n, article in enumerate(articles, start=1):
        holder = ET.Element("feed")
        holder.append(entry := _entry(briefing, article))
        ET.indent(holder, space="  ")  # the entry as a child of the feed ...
        entry.tail = "\n" if n == len(articles) else "\n  "  # ... and followed by the next one, or </feed>
        yield ET.tostring(entry, encoding="utf-8")
    yield end[1:] + b"\n"


def _entry(briefing: Briefing, article: Article) -> ET.Element:
    entry = ET.Element("entry")
    if article.language != briefing.language:
        entry.set(XML_LANG, xml_text(article.language))
    page = article_path(article.slug)
    _text(entry, "id", _id(briefing, article.published.year, page))
    _text(entry, "title", article.title)
    _text(entry, "published", rfc3339(article.published))
    _text(entry, "updated", rfc3339(article_modified(article)))
    _link(entry, briefing, page, "alternate", "text/html")
    source = article.source
    if source.url:
        _link(entry, briefing, source.url, "related", "text/html", f"The original article: {source.outlet}", site=False)
    if source.via_url:
        _link(entry, briefing, source.via_url, "via", "text/html",
              f"The copy the text was taken from: {source.via_outlet or source.outlet}", site=False)
    author = ET.SubElement(entry, "author")
    _text(author, "name", source.outlet)
    for agency in source.agencies:
        contributor = ET.SubElement(entry, "contributor")
        _text(contributor, "name", agency)

    leaders = briefing.leader_by_id
    for leader_id in article.leaders_about:
        attrs = {"term": leader_id}
        if leader_id in leaders:
            attrs["label"] = xml_text(leaders[leader_id].name)
        if has_host(briefing.base_url):
            attrs["scheme"] = uri(site_url(briefing, leaders_path()))
        ET.SubElement(entry, "category", attrs)
    topics = briefing.topic_by_id
    for topic_id in briefing.article_topics.get(article.slug, ()):
        attrs = {"term": topic_id, "label": xml_text(topics[topic_id].title)}
        if has_host(briefing.base_url):
            attrs["scheme"] = uri(site_url(briefing, topics_path()))
        ET.SubElement(entry, "category", attrs)

    if article.summary:
        # The key points are inline HTML already; the serializer escapes the list as text (type="html").
        html = "<ul>" + "".join(f"<li>{point}</li>" for point in article.summary) + "</ul>"
        _text(entry, "summary", html, type="html")
    return entry
