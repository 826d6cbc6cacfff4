"""What a reader sees on the HTML site, checked on the bundled briefing (content/).

The site is built in memory (render_site) and its pages are parsed with
html.parser into a small tree, so a test can follow a link the way a reader
does: resolve it against the page it is on, open the target, find the element
with the fragment's id.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from generator.dates import parse_edtf
from generator.errors import ContentError
from generator.pipeline import load_briefing, render_site
from generator.text import fold
from generator.views import Index, date_view, event_view
from generator.views_timeline import latest_events

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402 - the benchmark's briefing, for a briefing of many articles

SLUG = "putin-agrees-energy-pause-refuses-full-ceasefire"
ARTICLE = f"articles/{SLUG}/index.html"
SEARCH = "search/index.html"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'")


# ---------------------------------------------------------------------------
# A small DOM: enough to find elements by tag, id, class and attribute.

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in node.classes:
                continue
            if any(node.attrs.get(k.rstrip("_").replace("_", "-")) != v for k, v in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def by_id(self, ident: str) -> Node | None:
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def folded(text: str) -> str:
    return fold(unicodedata.normalize("NFC", text))[0]


def words(node: Node) -> str:
    return " ".join(node.text().split())


# ---------------------------------------------------------------------------

class Site:
    """The built site: files by path; pages parsed on demand; links resolved like a browser."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self._parsed: dict[str, Node] = {}

    def html_pages(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".html"))

    def text(self, path: str) -> str:
        return self.files[path].decode("utf-8")

    def page(self, path: str) -> Node:
        if path not in self._parsed:
            self._parsed[path] = parse(self.text(path))
        return self._parsed[path]

    @staticmethod
    def resolve(from_file: str, href: str) -> tuple[str, str]:
        """(file, fragment) a relative link on the page in `from_file` leads to."""
        url = urlsplit(urljoin("http://site.invalid/" + from_file, href))
        path = url.path.lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        return path, url.fragment

    def follow(self, from_file: str, href: str) -> Node | None:
        """The element a link points at (the page's root without a fragment); None if it is missing."""
        path, fragment = self.resolve(from_file, href)
        if path not in self.files:
            return None
        page = self.page(path)
        return page.by_id(fragment) if fragment else page


@pytest.fixture(scope="module")
def briefing():
    return load_briefing(REPO)[0]


@pytest.fixture(scope="module")
def site(briefing) -> Site:
    return Site(dict(render_site(REPO, briefing)))


# ---------------------------------------------------------------------------
# The timeline

def test_the_call_is_on_the_timeline_before_the_end_of_the_energy_pause(site):
    timeline = site.page("timeline/index.html")
    entries = [node.attrs["id"] for node in timeline.find_all("li", cls="event")]
    call, pause, pause_end = "event-trump-putin-call", "event-energy-strike-pause", "event-energy-strike-pause-end"
    assert {call, pause, pause_end} <= set(entries)
    assert entries.index(call) < entries.index(pause_end)
    assert entries.index(pause) < entries.index(pause_end)
    # The call reads 18 March 2025 under March 2025; the pause is a span that ends on 17 April, under April.
    call_node, end_node = timeline.by_id(call), timeline.by_id(pause_end)
    assert words(call_node.find("p", cls="event-date")) == "18 March 2025"
    assert words(timeline.by_id(pause).find("p", cls="event-date")).startswith("18 March – 17 April 2025")
    assert "17 April 2025" in words(end_node)
    month_of = {node.attrs["id"]: words(node.find("h3")) for node in timeline.find_all("div", cls="tl-month")
                if node.attrs.get("id")}
    assert month_of[_group_of(call_node)] == "March 2025"
    assert month_of[_group_of(end_node)] == "April 2025"


def _group_of(node: Node) -> str:
    return next(a.attrs["id"] for a in node.ancestors() if "tl-month" in a.classes)


def test_a_month_precision_event_reads_as_its_month(site):
    timeline = site.page("timeline/index.html")
    february = timeline.by_id("event-trump-putin-february-call")
    assert words(february.find("p", cls="event-date")) == "February 2025"
    assert february.find("time").attrs["datetime"] == "2025-02"
    for path in site.html_pages():
        assert "1 February 2025" not in site.text(path), path


def test_a_year_precision_event_stands_under_its_year_not_a_month(site):
    timeline = site.page("timeline/index.html")
    g7 = timeline.by_id("event-russia-expelled-from-g7")
    assert words(g7.find("p", cls="event-date")) == "2018"
    year = next(a for a in g7.ancestors() if "tl-year" in a.classes)
    assert year.attrs["id"] == "y2018"
    assert "tl-year-only" in next(a for a in g7.ancestors() if "tl-month" in a.classes).classes


def test_events_link_to_every_source_paragraph_and_show_the_editors_note(site, briefing):
    timeline = site.page("timeline/index.html")
    for event in briefing.events:
        node = timeline.by_id(f"event-{event.id}")
        assert node is not None, event.id
        cites = node.find_all("a", cls="cite")
        assert len(cites) == len(event.citations)
        for link, citation in zip(cites, event.citations):
            assert site.resolve("timeline/index.html", link.attrs["href"]) == (
                f"articles/{citation.article}/index.html", citation.paragraph)
            assert site.follow("timeline/index.html", link.attrs["href"]) is not None
        leaders = {site.resolve("timeline/index.html", a.attrs["href"])[0]
                   for a in node.find_all("a", cls="tag-leader")}
        assert leaders == {f"leaders/{who}/index.html" for who in event.who}
    g7 = timeline.by_id("event-russia-expelled-from-g7")
    assert "Russia was suspended from the G8 in March 2014" in words(g7.find("p", cls="note"))


def test_uncertain_and_approximate_dates_are_marked():
    uncertain = date_view(parse_edtf("2018?"))
    approximate = date_view(parse_edtf("2025-02~"))
    assert uncertain["uncertain"] and "uncertain" in uncertain["text"]
    assert approximate["approximate"] and approximate["text"].startswith("c. February 2025")


def test_the_overview_is_an_svg_with_a_title_a_description_and_one_lane_per_leader(site, briefing):
    timeline = site.page("timeline/index.html")
    svgs = timeline.find_all("svg")
    assert len(svgs) == 2  # one drawing for wide screens, one for phones
    in_events = {who for event in briefing.events for who in event.who}
    names = {leader.id: leader.name for leader in briefing.leaders}
    for svg in svgs:
        assert svg.attrs["role"] == "img"
        title_id, desc_id = svg.attrs["aria-labelledby"].split()
        assert svg.by_id(title_id).tag == "title" and words(svg.by_id(title_id))
        assert svg.by_id(desc_id).tag == "desc" and "one lane per leader" in words(svg.by_id(desc_id))
        assert "viewbox" in svg.attrs  # html.parser lower-cases attribute names
        lanes = [g for g in svg.find_all("g", cls="ov-lane") if g.attrs.get("data-leader")]
        assert sorted(g.attrs["data-leader"] for g in lanes) == sorted(in_events)
        for lane in lanes:
            assert words(lane.find("text", cls="ov-lane-label")) == names[lane.attrs["data-leader"]]
        # One mark per event and lane at least: a point for a date, a bar for a period.
        bars = svg.find_all("rect", cls="ov-bar")
        assert len(bars) >= sum(1 for e in briefing.events if e.when.is_interval)
        assert all(b.find("title") is not None for b in bars)


def test_the_timeline_is_complete_without_javascript_and_its_filter_is_hidden_until_enhanced(site):
    timeline = site.page("timeline/index.html")
    form = timeline.find("form", cls="filters")
    assert "hidden" in form.attrs
    assert {o.attrs["value"] for o in form.find_all("option") if o.attrs["value"]} >= {"vladimir-putin", "full-ceasefire"}
    assert all("data-leaders" in li.attrs for li in timeline.find_all("li", cls="event"))


# ---------------------------------------------------------------------------
# The article

def test_zelensky_and_zelenskyy_in_the_body_link_to_the_same_leader_page(site):
    body = site.page(ARTICLE).find("div", cls="story-body")
    spellings: dict[str, set[str]] = {}
    for link in body.find_all("a", cls="mention"):
        text = words(link)
        if "Zelensk" in text:
            spellings.setdefault(text, set()).add(site.resolve(ARTICLE, link.attrs["href"])[0])
    assert any(s.endswith("Zelenskyy") for s in spellings) and any(s.endswith("Zelensky") for s in spellings)
    targets = set().union(*spellings.values())
    assert targets == {"leaders/volodymyr-zelenskyy/index.html"}
    assert words(site.page("leaders/volodymyr-zelenskyy/index.html").find("h1")) == "Volodymyr Zelenskyy"


def test_the_article_page_shows_its_body_and_what_it_reports_beside_it(site, briefing):
    article = next(a for a in briefing.articles if a.slug == SLUG)
    page = site.page(ARTICLE)
    assert article.body_html in site.text(ARTICLE)  # the renderer's HTML, not escaped twice
    assert words(page.find("h1")) == article.title
    assert "NZ Herald, with AFP" in words(page.find("div", cls="byline"))
    aside = page.find("aside", cls="story-aside")
    links = [a for a in aside.find_all("a", cls="annotation-link")]
    assert len(links) == len(article.events) + len(article.quotes) + len(article.stances)
    for link in links:
        path, fragment = site.resolve(ARTICLE, link.attrs["href"])
        if path == ARTICLE:
            assert re.fullmatch(r"p\d+", fragment) and page.by_id(fragment) is not None


def test_every_quote_links_to_a_paragraph_that_holds_its_words(site, briefing):
    checked = 0
    for path in site.html_pages():
        page = site.page(path)
        pairs = [(words(item.find("blockquote")), item.find("a", cls="cite"))
                 for item in page.find_all("li", cls="quote-item")]
        if path == ARTICLE:
            pairs += [(words(a), a) for a in page.find_all("a", cls="annotation-link") if words(a).startswith("“")]
        for quoted, link in pairs:
            quoted = quoted.strip("“”")
            href = link.attrs["href"]
            assert urlsplit(href).fragment.startswith("p"), (path, href)
            target = site.follow(path, href)
            assert target is not None, (path, href)
            assert folded(quoted) in folded(target.text()), (path, quoted, href)
            checked += 1
    quotes = sum(len(a.quotes) for a in briefing.articles)
    assert checked == 2 * quotes  # each on its leader's page and beside the article


# ---------------------------------------------------------------------------
# The summary

def test_the_stance_matrix_shows_putins_position_on_a_full_ceasefire_with_its_source(site, briefing):
    summary = site.page("index.html")
    row = summary.by_id("stance-vladimir-putin")
    cell = row.find("td", data_topic="A full 30-day ceasefire")
    stance = next(s for s in briefing.stances if s.who == "vladimir-putin" and s.topic == "full-ceasefire")
    assert "Conditional" in words(cell.find("span", cls="stance"))
    assert stance.detail in words(cell)
    link = cell.find("a", cls="cite")
    assert site.resolve("index.html", link.attrs["href"]) == (ARTICLE, stance.citation.paragraph)
    paragraph = site.follow("index.html", link.attrs["href"])
    assert folded("would not accept an immediate full ceasefire") in folded(paragraph.text())


def test_the_matrix_has_a_row_per_leader_with_a_stance_and_says_it_in_words(site, briefing):
    summary = site.page("index.html")
    rows = [tr.attrs["id"].removeprefix("stance-") for tr in summary.find("table", cls="matrix").find_all("tr")
            if tr.attrs.get("id")]
    assert sorted(rows) == sorted({s.who for s in briefing.stances})
    for badge in summary.find("table", cls="matrix").find_all("span", cls="stance"):
        assert words(badge).split()[-1] in {"Supports", "Opposes", "Conditional", "Unclear"}


def test_the_summary_leads_with_the_newest_key_points_and_the_latest_events(site, briefing):
    summary = site.page("index.html")
    newest = briefing.articles[0]
    points = summary.find("section", cls="keypoints").find("ul", cls="points").find_all("li")
    assert len(points) == len(newest.summary)
    assert "Last updated 19 March 2025" in words(summary.find("p", cls="kicker"))
    latest = summary.find("aside", cls="latest").find_all("li", cls="event")
    assert words(latest[0].find("p", cls="event-what")) == "Trump and Putin speak by phone for more than an hour and a half"
    cards = summary.find("section", cls="whoswho").find_all("li", cls="card")
    assert len(cards) == len(briefing.leaders)
    assert "All 1 articles" not in words(summary)


def test_the_latest_events_are_the_newest_of_all_ties_in_the_newest_articles_order(tmp_path):
    """The summary's latest events, found from the end of the timeline's order, are what ordering every
    event would give: newest instant first, events of one instant as the newest article reports them,
    events of no known year last; also when many share an instant, and when few have a year."""
    own = load_briefing(synth.write_briefing(tmp_path / "project", 60))[0]

    def every_event_ordered(briefing, count):
        rank: dict[str, int] = {}
        for article in briefing.articles:
            for event_id in article.events:
                rank.setdefault(event_id, len(rank))
        return sorted(briefing.events, key=lambda e: (
            -e.when.earliest.timestamp() if e.when.earliest.year > 1 else float("inf"),
            rank.get(e.id, len(rank))))[:count]

    def with_dates(briefing, dates):
        events = [dataclasses.replace(event, when=parse_edtf(dates[n % len(dates)], ZoneInfo("UTC")))
                  for n, event in enumerate(briefing.events)]
        events.sort(key=lambda e: (*e.when.sort_key(), e.what, e.id))  # the timeline's order
        return dataclasses.replace(briefing, events=tuple(events))

    variants = [own, with_dates(own, ["2025-03-18", "2025-03-18T14:00Z", "2025-03"]),
                with_dates(own, ["0001", "0001-02", "../2024", "2025-01-02", "2025-01-02"] + ["0001-03"] * 300)]
    for briefing in variants:
        ix = Index(briefing)
        for count in (0, 1, 6, 25, len(briefing.events) + 1):
            assert latest_events(ix, count) == [event_view(e, ix) for e in every_event_ordered(briefing, count)]


def test_a_long_briefings_summary_shows_its_ten_newest_articles_and_links_to_all(tmp_path):
    project = synth.write_briefing(tmp_path / "project", 14)
    own = load_briefing(project)[0]
    files = Site(dict(render_site(project, own)))
    keypoints = files.page("index.html").find("section", cls="keypoints")
    shown = [words(a.find("h4")) for a in keypoints.find_all("article", cls="earlier-article")]
    assert shown == [a.title for a in own.articles[1:10]]
    more = keypoints.find("p", cls="more").find("a")
    assert words(more) == "All 14 articles →"
    assert files.resolve("index.html", more.attrs["href"]) == ("articles/index.html", "")
    listed = files.page("articles/index.html").find_all("li", cls="article-item")
    assert len(listed) == 14


# ---------------------------------------------------------------------------
# Leaders

@pytest.fixture(scope="module")
def long_briefing(tmp_path_factory):
    """A synthetic briefing of 200 articles, in which the busiest leader has hundreds of events."""
    project = synth.write_briefing(tmp_path_factory.mktemp("long") / "project", 200)
    own = load_briefing(project)[0]
    return own, Site(dict(render_site(project, own)))


def _search_link(site: Site, path: str, paragraph: Node) -> tuple[str, dict[str, str]]:
    href = paragraph.find("a").attrs["href"]
    target, _ = site.resolve(path, href)
    return target, dict(parse_qsl(urlsplit(href).query))


def test_a_busy_leaders_page_shows_the_latest_fifty_of_each_list_and_searches_all(long_briefing):
    own, site = long_briefing
    leader = max(own.leaders, key=lambda leader: sum(leader.id in e.who for e in own.events))
    path = f"leaders/{leader.id}/index.html"
    page = site.page(path)
    events = [e for e in own.events if leader.id in e.who]
    quotes = [q for a in own.articles for q in a.quotes if q.who == leader.id]
    articles = [a for a in own.articles if leader.id in a.mentions]
    changes = sorted((s for s in own.stances if s.who == leader.id and s.changed_from), key=lambda s: s.when.sort_key())
    assert min(len(events), len(quotes), len(articles), len(changes)) > 50  # every list is cut

    shown = [li.find("a").attrs["href"].rpartition("#event-")[2]
             for li in page.find("ol", cls="events").find_all("li", cls="event")]
    assert shown == [e.id for e in events[-50:]]  # the latest, in the timeline's order
    cited = [li.find("a", cls="cite").attrs["href"] for li in page.find("ul", cls="quotes").find_all("li")]
    assert cited == [f"../../articles/{q.citation.article}/#{q.citation.paragraph}" for q in quotes[:50]]
    listed = [words(li.find("a")) for li in page.find("ul", cls="article-list").find_all("li")]
    assert listed == [a.title for a in articles[:50]]  # the newest first
    assert len(page.find("ol", cls="changes").find_all("li")) == 50
    assert f"The latest 50 of {len(changes)} changes." in words(page.by_id("changes-h").parent)

    for heading, kind, items in (("events-h", "event", events), ("quotes-h", "quote", quotes),
                                 ("articles-h", "article", articles)):
        more = page.by_id(heading).parent.find("p", cls="latest-of")
        assert words(more) == f"The latest 50 of {len(items)} {kind}s. Search all {len(items)} {kind}s →"
        assert _search_link(site, path, more) == (SEARCH, {"kind": kind, "leader": leader.id})


def test_a_busy_topics_page_shows_its_latest_fifty_events_and_searches_all(long_briefing):
    own, site = long_briefing
    topic = own.topics[0]
    path = f"topics/{topic.id}/index.html"
    page = site.page(path)
    events = [e for e in own.events if topic.id in e.topics]
    assert len(events) > 50
    shown = [li.find("a").attrs["href"].rpartition("#event-")[2]
             for li in page.find("ol", cls="events").find_all("li", cls="event")]
    assert shown == [e.id for e in events[-50:]]
    more = page.find("p", cls="latest-of")
    assert words(more) == f"The latest 50 of {len(events)} events. Search all {len(events)} events →"
    assert _search_link(site, path, more) == (SEARCH, {"kind": "event", "topic": topic.id})


def test_a_leader_or_topic_with_fifty_items_or_fewer_lists_them_all_without_a_count(long_briefing, site):
    own, long_site = long_briefing
    quiet = min(own.leaders, key=lambda leader: sum(leader.id in e.who for e in own.events))
    assert 0 < sum(quiet.id in e.who for e in own.events) <= 50
    for files, path in ((long_site, f"leaders/{quiet.id}/index.html"), (site, "leaders/vladimir-putin/index.html"),
                        (site, "topics/full-ceasefire/index.html")):
        page = files.page(path)
        assert page.find("p", cls="latest-of") is None, path
        assert "The latest" not in words(page), path


def test_a_leader_page_shows_identity_stances_quotes_events_and_articles(site):
    path = "leaders/vladimir-putin/index.html"
    page = site.page(path)
    assert words(page.find("h1")) == "Vladimir Putin"
    assert page.find("a", href="https://www.wikidata.org/wiki/Q7747") is not None
    feeds = [link.attrs["href"] for link in page.find_all("link", rel="alternate")]
    assert site.resolve(path, feeds[-1])[0] == "leaders/vladimir-putin/feed.xml"
    stances = page.find("ul", cls="stance-entries").find_all("li", cls="stance-entry")
    assert [words(s.find("h3")) for s in stances][:1] == ["A full 30-day ceasefire"]
    assert "see on a map" in words(page.find("ul", cls="quotes"))
    assert page.by_id("events-h") and len(page.find("ol", cls="events").find_all("li", cls="event")) == 7
    assert SLUG in page.find("ul", cls="article-list").find("a").attrs["href"]


# ---------------------------------------------------------------------------
# Every page

def test_every_page_has_the_shared_frame(site, briefing):
    for path in site.html_pages():
        page = site.page(path)
        html = page.find("html")
        assert html.attrs["lang"] == "en", path
        assert words(page.find("title")), path
        assert page.find("meta", name="description").attrs["content"], path
        # The search page alone lets Pagefind run WebAssembly (see docs/search.md).
        csp = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'") if path == SEARCH else CSP
        assert page.find("meta", http_equiv="Content-Security-Policy").attrs["content"] == csp, path
        for prop in ("og:title", "og:description", "og:type", "og:url", "og:site_name"):
            assert page.find("meta", property=prop) is not None, (path, prop)
        assert page.find("link", rel="alternate", type="application/atom+xml") is not None, path
        nav = page.find("nav", cls="site-nav")
        assert [words(a) for a in nav.find_all("a")] == ["Summary", "Timeline", "Leaders", "Topics", "Articles"]
        skip = page.find("a", cls="skip-link")
        assert page.by_id(skip.attrs["href"][1:]) is not None
        if path != "404.html":
            canonical = page.find("link", rel="canonical").attrs["href"]
            site_path = "" if path == "index.html" else path.removesuffix("index.html")
            assert canonical == briefing.base_url + site_path
            current = [a for a in nav.find_all("a") if "aria-current" in a.attrs]
            assert len(current) == (0 if path == SEARCH else 1), path  # search is in no section


def test_no_inline_styles_or_scripts(site):
    for path in site.html_pages():
        page = site.page(path)
        assert not [n for n in page.iter() if "style" in n.attrs], path
        assert page.find("style") is None, path
        for script in page.find_all("script"):
            assert script.attrs.get("src") or script.attrs.get("type") == "application/ld+json", path


def test_every_internal_link_and_fragment_resolves(site):
    for path in site.html_pages():
        if path == "404.html":
            continue
        for node in site.page(path).iter():
            href = node.attrs.get("href") if node.tag in ("a", "link") else node.attrs.get("src")
            if not href or re.match(r"[a-z]+:", href) or href.startswith("//"):
                continue
            target, fragment = site.resolve(path, href)
            assert target in site.files, (path, href)
            if fragment and target.endswith(".html"):
                assert site.page(target).by_id(fragment) is not None, (path, href)


def test_fields_are_escaped(briefing):
    hostile = dataclasses.replace(briefing, title="Tom & <b>Jerry</b>", description='"<script>alert(1)</script>')
    files = dict(render_site(REPO, hostile))
    summary = files["index.html"].decode()
    assert "<b>Jerry</b>" not in summary and "Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;" in summary
    assert "<script>alert" not in summary


# ---------------------------------------------------------------------------
# Overrides and the 404 page

def test_a_template_override_changes_one_page_kind_only(tmp_path, site):
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    (project / "templates").mkdir()
    (project / "templates" / "leader.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1 class="custom">{{ leader.name }}</h1>{% endblock %}\n',
        encoding="utf-8")
    own = load_briefing(project)[0]
    files = dict(render_site(project, own))
    assert files.keys() == site.files.keys()
    changed = sorted(p for p in files if files[p] != site.files[p])
    leader_pages = sorted(p for p in files if re.fullmatch(r"leaders/[^/]+/index\.html", p))
    assert changed == leader_pages
    assert b'<h1 class="custom">Vladimir Putin</h1>' in files["leaders/vladimir-putin/index.html"]


def test_a_template_reads_a_view_by_key_keeps_its_methods_and_is_told_of_a_missing_key(tmp_path):
    """Views are dicts: `leader.name` is the key, `leader.items()` still the dict's method, and a
    key the view lacks is an error naming the template's line (render._ViewEnvironment)."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    (project / "templates").mkdir()
    template = project / "templates" / "leader.html"
    template.write_text('{% extends "base.html" %}{% block content %}<h1>{{ leader.name }}</h1>'
                        '<p class="keys">{{ leader.items()|map("first")|select("eq", "name")|list|length }}'
                        '</p>{% endblock %}\n', encoding="utf-8")
    own = load_briefing(project)[0]
    page = dict(render_site(project, own))["leaders/vladimir-putin/index.html"]
    assert b'<h1>Vladimir Putin</h1><p class="keys">1</p>' in page

    template.write_text('{% extends "base.html" %}{% block content %}\n{{ leader.nickname }}{% endblock %}\n',
                        encoding="utf-8")
    with pytest.raises(ContentError) as failure:
        dict(render_site(project, own))
    [problem] = failure.value.diagnostics
    assert problem.path == "templates/leader.html" and problem.line == 2
    assert "nickname" in problem.message


@pytest.mark.parametrize("base_url, root", [("https://example.org/briefing/", "/briefing/"), ("/", "/")])
def test_the_404_page_links_absolutely_from_the_base_path(base_url, root):
    own = load_briefing(REPO, base_url=base_url)[0]
    files = dict(render_site(REPO, own))
    page = parse(files["404.html"].decode())
    links = [n.attrs.get("href") or n.attrs.get("src") for n in page.iter()
             if n.tag in ("a", "link", "script") and (n.attrs.get("href") or n.attrs.get("src"))]
    assert links
    for link in links:
        if link.startswith("#") or link.startswith(("http://", "https://")):
            continue
        assert link.startswith(root), link
        assert link[len(root):].split("#")[0] in files or link[len(root):] == "" or \
            link[len(root):] + "index.html" in files, link
    assert page.find("meta", name="robots").attrs["content"] == "noindex"
