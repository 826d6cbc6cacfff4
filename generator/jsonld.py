"""schema.org structured data (JSON-LD) for the pages, as plain dicts.

Templates embed them with Jinja's `tojson` filter:

    <script type="application/ld+json">{{ jsonld|tojson }}</script>

`tojson` escapes <, >, & and ' as \\u003c … \\u0027, so no text in the briefing
(a title holding '</script>', say) can end the script element early; the result
is still the same JSON. Never embed these dicts with `|safe` or json.dumps().

URLs are absolute when base_url has a host. With a path-only base_url they are
root-relative ('/briefing/articles/x/'); JSON-LD resolves them against the page's
own URL, so they still name the right pages.

Every function returns a top-level object with "@context"; the objects nested
inside one (the mentioned people, the list's events) have none.
"""

from __future__ import annotations

from .exports import (
    article_modified,
    event_url,
    paragraph_url,
    plain_text,
    rfc3339,
    site_url,
    wikidata_url,
)
from .model import Article, Briefing, Event, Leader
from .streamed import Each
from .urls import article_path, home_path, leader_path, timeline_path

__all__ = ["jsonld_article", "jsonld_event", "jsonld_leader", "jsonld_site", "jsonld_timeline"]

CONTEXT = "https://schema.org"


def jsonld_site(briefing: Briefing) -> dict:
    """The site as a schema.org WebSite."""
    data = {
        "@context": CONTEXT,
        "@type": "WebSite",
        "name": briefing.title,
        "url": site_url(briefing, home_path()),
        "inLanguage": briefing.language,
    }
    if briefing.description:
        data["description"] = briefing.description
    return data


def _organization(name: str, url: str | None = None) -> dict:
    data = {"@type": "Organization", "name": name}
    if url:
        data["url"] = url
    return data


def _leader(briefing: Briefing, leader: Leader) -> dict:
    """A leader as a Person or an Organization (by leader.kind), without @context."""
    person = leader.kind != "organization"
    data = {"@type": "Person" if person else "Organization", "name": leader.name}
    if leader.aliases:
        data["alternateName"] = list(leader.aliases)
    if person:
        data["jobTitle"] = leader.role
    else:
        data["description"] = leader.role
    if leader.country:
        country = {"@type": "Country", "name": leader.country}
        data["nationality" if person else "location"] = country
    if leader.wikidata:
        data["sameAs"] = wikidata_url(leader)
    data["url"] = site_url(briefing, leader_path(leader.id))
    return data


def _leader_ref(briefing: Briefing, leader: Leader) -> dict:
    """A leader named by its page's node (see jsonld_leader's @id) with just the name, where the
    full description would be repeated many times over: the timeline names each leader once per
    event, the articles name them by the thousand, and their size (and what a new role makes the
    build redo) would grow with that."""
    return {"@type": "Person" if leader.kind != "organization" else "Organization",
            "@id": _leader_id(briefing, leader), "name": leader.name}


def _leader_id(briefing: Briefing, leader: Leader) -> str:
    return site_url(briefing, leader_path(leader.id)) + "#leader"


def jsonld_leader(briefing: Briefing, leader: Leader) -> dict:
    """A leader's page: a schema.org Person (kind 'person') or Organization, with jobTitle (a
    person's role; an organization's role is its description), nationality (a person) or
    location (an organization) from `country`, sameAs its Wikidata entity, and url its page."""
    return {"@context": CONTEXT, "@id": _leader_id(briefing, leader), **_leader(briefing, leader)}


def jsonld_article(briefing: Briefing, article: Article) -> dict:
    """An article's page: a schema.org NewsArticle of the source article it summarises.

    publisher and sourceOrganization are the outlet, author the outlet and its agencies,
    isBasedOn the source's URL (and the syndicated copy's), mentions the leaders it
    mentions, quotes or gives a stance to (each by its name and the @id of its page's node, which
    describes it in full: a new role changes the leader's page, not every article naming them),
    and url the article's page on this site.
    """
    source = article.source
    outlet = _organization(source.outlet)
    data = {
        "@context": CONTEXT,
        "@type": "NewsArticle",
        "headline": article.title,
        "url": site_url(briefing, article_path(article.slug)),
        "inLanguage": article.language,
        "datePublished": rfc3339(article.published),
        "dateModified": rfc3339(article_modified(article)),
        "publisher": outlet,
        "sourceOrganization": outlet,
        "author": [outlet, *(_organization(agency) for agency in source.agencies)],
    }
    if article.summary:
        data["description"] = " ".join(plain_text(point) for point in article.summary)
    based_on = [url for url in (source.url, source.via_url) if url]
    if based_on:
        data["isBasedOn"] = based_on[0] if len(based_on) == 1 else based_on
    leaders = briefing.leader_by_id
    mentions = [_leader_ref(briefing, leaders[i]) for i in article.leaders_about if i in leaders]
    if mentions:
        data["mentions"] = mentions
    data["isPartOf"] = {"@type": "WebSite", "name": briefing.title, "url": site_url(briefing, home_path())}
    return data


def _event(briefing: Briefing, event: Event) -> dict:
    """An event as a schema.org Event, without @context."""
    description = f"{event.when.display()}: {event.what}"
    if event.note:
        description += ("" if description.endswith((".", "!", "?")) else ".") + f" {event.note}"
    data = {"@type": "Event", "name": event.what}
    start, end = event.when.iso_start(), event.when.iso_end()
    if start:
        data["startDate"] = start
    if end:
        data["endDate"] = end
    data["description"] = description
    data["url"] = site_url(briefing, event_url(event.id))
    leaders = briefing.leader_by_id
    about = [_leader_ref(briefing, leaders[i]) for i in event.who if i in leaders]
    if about:
        data["about"] = about
    articles = briefing.article_by_slug
    reports = []
    for citation in event.citations:
        if citation.article and citation.article in articles:
            reports.append({"@type": "NewsArticle", "headline": articles[citation.article].title,
                            "url": site_url(briefing, paragraph_url(citation.article, citation.paragraph))})
        else:
            report = {"@type": "CreativeWork", "publisher": _organization(citation.source.outlet)}
            if citation.source.url:
                report["url"] = citation.source.url
            reports.append(report)
    if reports:
        data["subjectOf"] = reports
    return data


def jsonld_event(briefing: Briefing, event: Event) -> dict:
    """An event on the timeline: a schema.org Event with name, startDate/endDate at the precision
    written (EDTF iso_start/iso_end: '2025-02', '2025-03-18'; a season or X digits give the
    months or years they cover; an open or unknown end gives no endDate), a description
    holding the date as displayed (with its qualifiers) and the editor's note, the leaders
    involved as `about` (each its name and the @id of its page's node), the reports as
    `subjectOf`, and url the event's anchor on the timeline page ('timeline/#event-<id>').
    eventStatus is left out: these are news events, not scheduled ones."""
    return {"@context": CONTEXT, **_event(briefing, event)}


def jsonld_timeline(briefing: Briefing) -> dict:
    """The timeline page: a schema.org ItemList of its events, in timeline order (each made as it is
    written: see streamed.py)."""
    return {
        "@context": CONTEXT,
        "@type": "ItemList",
        "name": f"Timeline: {briefing.title}",
        "url": site_url(briefing, timeline_path()),
        "itemListOrder": "https://schema.org/ItemListOrderAscending",
        "numberOfItems": len(briefing.events),
        "itemListElement": Each(lambda listed: {"@type": "ListItem", "position": listed[0],
                                                "item": _event(briefing, listed[1])},
                                list(enumerate(briefing.events, start=1))),
    }
