"""Dependency keys: for every file of the site, a digest of the parts of the model it is made from.

An article page: its article, the reports that make the events it reports, the names of the leaders
it names, the titles of the articles those events cite, the site settings and outlets, its
templates. The summary, timeline, topic and list pages: every article without its body, every
leader (or only their names, for the pages that describe none) and timeline.yaml's events. A
leader's page: those, with the other leaders' names and that leader whole. data/briefing.json:
everything. A file whose key is the last build's is taken over unchanged (outputs.py).

The keys are a hand-written summary of what pages.py and views*.py read. When a view starts
reading something new, extend them here; BRIEFING_VERIFY_INCREMENTAL=1 (which the tests set) makes
every build check them against the views themselves.
"""

from __future__ import annotations

import dataclasses
import hashlib

from . import pages as page_plan
from .article_cache import ArticleCache
from .cache import code_version, digest, value_digest
from .model import Article, Briefing
from .render import Deferred, Page, Renderer


# Pages whose context reads articles only through what they report (title, source, key points,
# events, quotes, stances, mentions), never through their bodies; any other page depends on bodies too.
_WITHOUT_BODIES = {"summary_context", "timeline_context", "leaders_context", "leader_context", "topics_context",
                   "topic_context", "articles_context", "search_context", "not_found_context"}
# Of those, the pages that name leaders without describing them (id, name, kind and other spellings;
# not their role, country or Wikidata item): a new role does not change them.
_LEADERS_BY_NAME = {"timeline_context", "topics_context", "topic_context", "articles_context", "search_context",
                    "not_found_context"}
# The pages whose own view holds the description of site.yaml (the summary's meta description and
# JSON-LD), besides the `site` every view holds.
_DESCRIBING = {"summary_context"}


class Keys:
    """Digests of the parts of one briefing, from which every output's dependency key is made.

    `previous`: the Keys of the last build by this process (the preview's), whose event keys and
    article page keys are taken over where what they are made of is unchanged."""

    def __init__(self, briefing: Briefing, articles: ArticleCache, renderer: Renderer,
                 previous: Keys | None = None):
        b = briefing
        self.briefing = b
        entries = articles.entries
        self.full, head = {}, {}
        for a in b.articles:
            entry = entries.get(a.slug)
            if entry is not None:
                self.full[a.slug], head[a.slug] = entry.full, entry.head
            else:
                self.full[a.slug] = value_digest(a)
                head[a.slug] = value_digest(dataclasses.replace(a, body_html="", paragraphs=()))
        self.head = head
        self.leader = {leader.id: value_digest(leader) for leader in b.leaders}
        # What an article's page shows of a leader it names: not the role, country or Wikidata item,
        # which the leader's own page describes (jsonld.py names leaders by its node).
        self.named = {leader.id: (leader.name, leader.kind) for leader in b.leaders}
        # A merged event is made from the reports with its id: those of the articles it cites (whose
        # heads hold them) and of timeline.yaml (whose events, few, are digested whole). Stances and
        # their histories likewise come from the articles' heads alone.
        same_events = previous is not None and previous.briefing.events is b.events  # see assemble.Recall
        timeline = self.timeline = previous.timeline if same_events else \
            value_digest([e for e in b.events if any(c.article is None for c in e.citations)])
        if same_events and previous.head == head:
            self.event = previous.event
        else:
            # Each key is the id and 16-byte digests, NUL between (no id holds one): ~45,000 of them at
            # 10,000 articles, where digest() took 0.2 s.
            self.event = {e.id: hashlib.blake2b(b"".join([e.id.encode("utf-8", "surrogatepass"), b"\0",
                                                          *(head.get(c.article, timeline) for c in e.citations)]),
                                                digest_size=16).digest() for e in b.events}
        self.title = {a.slug: a.title for a in b.articles}
        # Every page's view holds the site's description, but few pages show it: a page whose templates
        # do not read it (Renderer.site_keys_read) and whose own view does not hold it is keyed on the rest.
        # The outlets: an edit leaves all but its article's the very same objects.
        self.sources = [a.source for a in b.articles]
        if previous is not None and len(previous.sources) == len(self.sources) \
                and all(x is y or x == y for x, y in zip(previous.sources, self.sources)):
            self.sources_digest = previous.sources_digest
        else:
            self.sources_digest = value_digest(self.sources)
        self.site_but_description = digest(
            "site", code_version(), b.title, b.language, b.timezone, b.base_url, value_digest((b.settings, b.topics)),
            self.sources_digest,
            tuple(sorted((name, path) for name, (path, _) in renderer.assets.items())))
        self.site = digest(self.site_but_description, b.description)
        heads = tuple(head[a.slug] for a in b.articles)
        generated = b.generated_at.isoformat() if b.generated_at else None
        self.heads = digest(heads, tuple(self.leader.items()), timeline, generated)
        self.heads_by_name = digest(heads, tuple((leader.id, leader.name, leader.kind, leader.aliases)
                                                 for leader in b.leaders), timeline, generated)
        self.everything = digest(self.heads, tuple(self.full.values()))
        self.renderer, self.articles, self.cache = renderer, articles, articles.cache
        # page path -> (template digest, article digest, key); an article page's key is the last
        # build's when everything else it is made of (events, leaders, titles, site) is unchanged.
        self.article_keys: dict[str, tuple[bytes, bytes, bytes]] = {}
        self._earlier = previous.article_keys if previous is not None and previous.event is self.event \
            and previous.site == self.site and previous.named == self.named and previous.title == self.title else {}

    def page(self, page: Page) -> bytes:
        template = self.renderer.template_digest(page.template)
        context = page.context
        if isinstance(context, Deferred) and context.function is page_plan.article_context:
            return self.article_page(context.args[1], page, template)
        site = self._site(page)
        if isinstance(context, Deferred) and context.function is page_plan.leader_context:
            # A leader's page describes that leader and names the others: another's role is not on it.
            return digest("page", page.path, template, site, self.heads_by_name, self.leader[context.args[1].id])
        name = getattr(getattr(context, "function", None), "__name__", "")
        made_of = self.heads_by_name if name in _LEADERS_BY_NAME else self.heads if name in _WITHOUT_BODIES \
            else self.everything
        return digest("page", page.path, template, site, made_of)

    def _site(self, page: Page) -> bytes:
        """What of the site settings a page is keyed on: all of them, or all but the description."""
        function = getattr(page.context, "function", None)
        read = self.renderer.site_keys_read(page.template)
        if function is None or function.__name__ in _DESCRIBING or read is None or "description" in read:
            return self.site
        return self.site_but_description

    def article_page(self, article: Article, page: Page, template: bytes) -> bytes:
        full = self.full[article.slug]
        earlier = self._earlier.get(page.path)
        if earlier is not None and earlier[:2] == (template, full):
            key = earlier[2]
        else:
            events = [self.briefing_event(e) for e in article.events]
            cited = tuple(self.title.get(c.article) for e in events if e for c in e.citations if c.article)
            who = {*article.mentions, *(q.who for q in article.quotes), *(s.who for s in article.stances),
                   *(w for e in events if e for w in e.who)}
            key = digest("article", page.path, template, self._site(page), full,
                         tuple(self.event.get(e) for e in article.events), cited,
                         tuple((w, self.named.get(w)) for w in sorted(who)))
        self.article_keys[page.path] = (template, full, key)
        return key

    def record_inputs(self) -> dict[str, bytes]:
        """search.Known.made_of: what the search index's records of each event and of each article's
        quotes are made from (the event's key; the article's head, which holds its quotes and title)."""
        inputs = {f"event:{event_id}": key for event_id, key in self.event.items()}
        inputs.update((f"article:{slug}", head) for slug, head in self.head.items())
        return inputs

    def briefing_event(self, event_id: str):
        return self.briefing.event_by_id.get(event_id)


def data_key(keys: Keys) -> bytes:
    return digest("data", keys.site, keys.everything)
