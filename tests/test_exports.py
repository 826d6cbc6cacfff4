"""The machine-readable outputs: Atom feeds, sitemap.xml, robots.txt, data/briefing.json and JSON-LD.

Run on the bundled briefing and on small projects written into tmp_path.
Needs feedparser and jsonschema (test dependencies).
"""

from __future__ import annotations

import dataclasses
import html.parser
import json
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import jinja2
import jsonschema
import pytest

from generator.exports import DATA_PATH, SITEMAP_PATH, briefing_data, briefing_json, robots, sitemap
from generator.feeds import ATOM_NS, SITE_FEED_PATH, leader_feed, site_feed
from generator.jsonld import jsonld_article, jsonld_event, jsonld_leader, jsonld_site, jsonld_timeline
from generator.pipeline import load_briefing
from generator.streamed import dumps
from generator.urls import article_path, leader_feed_path, leader_path, timeline_path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402 - the benchmark's briefing, for a briefing of many articles
SCHEMA_PATH = REPO / "generator" / "schemas" / "briefing-data.schema.json"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

BUNDLED_ARTICLE = "putin-agrees-energy-pause-refuses-full-ceasefire"
HOSTILE = '<script>alert("x")</script> & ]]> \u202eevil\u202c \'q\''


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root (UTF-8, directories made) and return root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar for any text (JSON strings are YAML)."""
    return json.dumps(text)


def small_project(base_url: str = "https://example.org/sub/path/", title: str = "Alice agrees to talk") -> dict[str, str]:
    return {
        "content/site.yaml": (
            "title: Small briefing\n"
            "description: A test.\n"
            "timezone: Europe/Berlin\n"
            f"base_url: {_yaml_str(base_url)}\n"
            "topics:\n"
            "  talks:\n"
            "    title: Talks\n"
        ),
        "content/leaders/alice-example.yaml": (
            "name: Alice Example\naliases: [Alice]\nrole: President of Examplia\ncountry: Examplia\nwikidata: Q42\n"
        ),
        "content/leaders/bob-ministry.yaml": (
            "name: Bob Ministry\nrole: A ministry\ncountry: Examplia\nkind: organization\n"
        ),
        "content/leaders/carol-nobody.yaml": "name: Carol Nobody\nrole: Nobody in particular\n",
        "content/articles/alice-call.md": (
            "---\n"
            f"title: {_yaml_str(title)}\n"
            "published: 2025-03-19T10:30:00+13:00\n"
            "updated: 2025-03-20T08:00:00Z\n"
            "source:\n"
            "  outlet: A & B <News>\n"
            "  agencies: [AFP]\n"
            "  url: https://news.example.com/story?a=1&b=2\n"
            "summary:\n"
            "  - Alice said *yes* to talks & more.\n"
            "events:\n"
            "  - id: the-call\n"
            "    when: 2025-03-18\n"
            "    what: Alice calls Bob Ministry\n"
            "    who: [alice-example, bob-ministry]\n"
            "    topics: [talks]\n"
            "    anchor: spoke by phone for an hour\n"
            "  - id: the-pause\n"
            "    when: 2025-03-18/2025-04-17\n"
            "    what: A pause of thirty days\n"
            "quotes:\n"
            "  - who: alice-example\n"
            "    text: ready to talk\n"
            "    when: 2025-03-18\n"
            "stances:\n"
            "  - who: alice-example\n"
            "    topic: talks\n"
            "    stance: supports\n"
            "    anchor: ready to talk\n"
            "    when: 2025-03-18\n"
            "---\n"
            "Alice Example opened the day with a speech.\n\n"
            "She spoke by phone for an hour with Bob Ministry.\n\n"
            "Alice said she was “ready to talk”.\n"
        ),
        "content/articles/older-news.md": (
            "---\n"
            "title: Bob Ministry issues a statement\n"
            "published: 2025-03-01\n"
            "source: {outlet: Wire}\n"
            "summary: [A statement.]\n"
            "stances:\n"
            "  - who: alice-example\n"
            "    topic: talks\n"
            "    stance: opposes\n"
            "    when: 2025-03-01\n"
            "---\n"
            "Bob Ministry said that the talks were premature.\n"
        ),
    }


@pytest.fixture(scope="module")
def bundled():
    briefing, _ = load_briefing(REPO)
    return briefing


@pytest.fixture
def small(tmp_path):
    briefing, _ = load_briefing(write_project(tmp_path / "small", small_project()))
    return briefing


@pytest.fixture
def hostile(tmp_path):
    files = small_project(base_url="https://example.org/sub/path/", title=HOSTILE)
    briefing, _ = load_briefing(write_project(tmp_path / "hostile", files))
    assert briefing.articles[0].title == HOSTILE
    return briefing


@pytest.fixture(scope="module")
def schema():
    data = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def validate(data: dict, schema: dict) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors[:10])


def parse_feed(data: bytes, url: str | None = None):
    headers = {"content-location": url, "content-type": "application/atom+xml; charset=utf-8"} if url else {}
    parsed = feedparser.parse(data, response_headers=headers)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


# ---------------------------------------------------------------------------
# Atom feeds


def test_bundled_site_feed_parses_and_links_the_article(bundled):
    parsed = parse_feed(site_feed(bundled))
    assert [e.link for e in parsed.entries] == [f"/{article_path(BUNDLED_ARTICLE)}"]
    entry = parsed.entries[0]
    assert entry.title == bundled.articles[0].title
    assert entry.author == "NZ Herald"
    assert entry.published == "2025-03-19T12:00:00+13:00"
    assert entry.id.startswith("tag:briefing,2025:")
    assert "vladimir-putin" in {t.term for t in entry.tags}
    assert "Putin agreed to pause strikes" in entry.summary
    assert parsed.feed.updated == "2025-03-19T12:00:00+13:00"


def test_bundled_leader_feeds_parse(bundled):
    for leader in bundled.leaders:
        parsed = parse_feed(leader_feed(bundled, leader))
        assert parsed.feed.id.endswith(leader_feed_path(leader.id))
        links = {link.rel: link.href for link in parsed.feed.links}
        assert links["self"] == f"/{leader_feed_path(leader.id)}"
        assert links["alternate"] == f"/{leader_path(leader.id)}"
    putin = next(leader for leader in bundled.leaders if leader.id == "vladimir-putin")
    assert [e.link for e in parse_feed(leader_feed(bundled, putin)).entries] == [f"/{article_path(BUNDLED_ARTICLE)}"]


def test_a_long_briefings_feeds_hold_the_fifty_newest_articles(tmp_path):
    own = load_briefing(synth.write_briefing(tmp_path / "project", 70))[0]
    parsed = parse_feed(site_feed(own))
    slugs = lambda entries: [e.link.partition("/articles/")[2].rstrip("/") for e in entries]  # noqa: E731
    assert slugs(parsed.entries) == [a.slug for a in own.articles[:50]]
    assert parsed.feed.updated == parsed.entries[0].updated  # the newest article the feed holds

    def articles_about(leader):
        return [a for a in own.articles if leader.id in {*a.mentions, *(q.who for q in a.quotes),
                                                         *(s.who for s in a.stances)}]
    leader = max(own.leaders, key=lambda leader: len(articles_about(leader)))
    about = articles_about(leader)
    assert len(about) > 50
    entries = parse_feed(leader_feed(own, leader)).entries
    assert slugs(entries) == [a.slug for a in about[:50]]


def test_feed_with_absolute_base_url(small):
    parsed = parse_feed(site_feed(small))
    base = "https://example.org/sub/path/"
    assert parsed.feed.id == base + SITE_FEED_PATH
    assert {link.rel: link.href for link in parsed.feed.links} == {"self": base + SITE_FEED_PATH, "alternate": base}
    # Newest first; ids are the absolute page URLs.
    assert [e.link for e in parsed.entries] == [base + article_path("alice-call"), base + article_path("older-news")]
    assert [e.id for e in parsed.entries] == [e.link for e in parsed.entries]
    first = parsed.entries[0]
    assert first.published == "2025-03-19T10:30:00+13:00"
    assert first.updated == "2025-03-20T08:00:00Z"
    assert parsed.feed.updated == "2025-03-20T08:00:00Z"  # the newest change, not the clock
    assert first.author == "A & B <News>"
    assert [c.name for c in first.contributors] == ["AFP"]
    related = [link.href for link in first.links if link.rel == "related"]
    assert related == ["https://news.example.com/story?a=1&b=2"]
    tags = {(t.term, t.scheme) for t in first.tags}
    assert ("alice-example", base + "leaders/") in tags
    assert ("talks", base + "topics/") in tags
    assert "<em>yes</em>" in first.summary


def test_leader_feed_selects_articles(small):
    by_id = {leader.id: leader for leader in small.leaders}
    bob = parse_feed(leader_feed(small, by_id["bob-ministry"]))
    assert [e.title for e in bob.entries] == ["Alice agrees to talk", "Bob Ministry issues a statement"]
    # Alice is not named in the older article, but it gives her a stance.
    alice = parse_feed(leader_feed(small, "alice-example"))
    assert len(alice.entries) == 2
    nobody = parse_feed(leader_feed(small, by_id["carol-nobody"]))
    assert nobody.entries == []
    assert nobody.feed.updated == "2025-03-20T08:00:00Z"


def test_feeds_written_an_entry_at_a_time_are_the_whole_tree_indented(small, tmp_path):
    files = small_project()
    files["content/articles/older-news.md"] = files["content/articles/older-news.md"].replace(
        "published: 2025-03-01\n", "published: 2025-03-01\nlanguage: de\n")  # an entry with its own xml:lang
    briefing, _ = load_briefing(write_project(tmp_path / "de", files))
    feeds = [site_feed(briefing), *(leader_feed(briefing, leader) for leader in briefing.leaders)]
    assert sum(feed.count(b"<entry") for feed in feeds) > len(feeds)  # one feed at least has several entries
    assert b'<entry xml:lang="de">' in feeds[0]
    for feed in feeds:
        tree = ET.fromstring(feed)
        for element in tree.iter():  # forget all the whitespace, and indent the feed again, whole
            element.tag = element.tag.removeprefix(ATOM)
            element.text = element.text if element.text and element.text.strip() else None
            element.tail = None
        tree.attrib = {"xmlns": ATOM_NS, **tree.attrib}
        ET.indent(tree, space="  ")
        again = ET.tostring(tree, encoding="utf-8", xml_declaration=True) + b"\n"
        assert feed == again


def test_feed_with_path_only_base_url(tmp_path):
    briefing, _ = load_briefing(write_project(tmp_path, small_project(base_url="/briefing/")))
    data = site_feed(briefing)
    parsed = parse_feed(data)
    assert parsed.feed.id == "tag:briefing,2025:/briefing/feed.xml"
    assert parsed.entries[0].id == "tag:briefing,2025:/briefing/articles/alice-call/"
    assert parsed.entries[0].link == "/briefing/articles/alice-call/"
    # A reader resolves the relative links against the feed's own URL.
    resolved = parse_feed(data, url="https://host.example/briefing/feed.xml")
    assert resolved.entries[0].link == "https://host.example/briefing/articles/alice-call/"
    assert all(t.get("scheme") is None for t in parsed.entries[0].tags)


def test_hostile_title_is_escaped_in_feed(hostile):
    data = site_feed(hostile)
    assert b"<script" not in data and b"]]>" not in data
    entry = parse_feed(data).entries[0]
    assert entry.link == "https://example.org/sub/path/articles/alice-call/"
    # The exact text survives: ElementTree reads back what was written.
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(data).iter(f"{ATOM}entry")]
    assert titles[0] == HOSTILE
    assert "\u202e" in data.decode("utf-8")
    # A feed reader gets the title as plain text, exactly as written: nothing in it is markup.
    assert entry.title == HOSTILE and entry.title_detail.type == "text/plain"
    for leader in hostile.leaders:
        parse_feed(leader_feed(hostile, leader))


def test_characters_xml_cannot_hold_are_replaced(bundled):
    article = dataclasses.replace(bundled.articles[0], title="bell\x07 and nul\x00 and \ud800 end")
    briefing = dataclasses.replace(bundled, articles=(article,))
    data = site_feed(briefing)
    parse_feed(data)
    assert ET.fromstring(data).find(f"{ATOM}entry/{ATOM}title").text == "bell\ufffd and nul\ufffd and \ufffd end"
    # The JSON keeps the text exactly (JSON can escape anything).
    assert json.loads(briefing_json(briefing))["articles"][0]["title"] == article.title


# ---------------------------------------------------------------------------
# sitemap.xml and robots.txt


def test_sitemap_lists_every_page_under_a_sub_path(small):
    paths = ["", "timeline/", "leaders/", "leaders/alice-example/", "articles/alice-call/", "topics/talks/",
             "404.html", "articles/alice-call/"]
    data = sitemap(small, paths)
    root = ET.fromstring(data)
    assert root.tag == f"{SM}urlset"
    locs = [u.findtext(f"{SM}loc") for u in root.iter(f"{SM}url")]
    assert locs == ["https://example.org/sub/path/" + p for p in dict.fromkeys(paths)]
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.iter(f"{SM}url")}
    assert lastmod["https://example.org/sub/path/articles/alice-call/"] == "2025-03-20T08:00:00Z"
    assert lastmod["https://example.org/sub/path/"] == "2025-03-20T08:00:00Z"
    assert lastmod["https://example.org/sub/path/404.html"] is None


def test_sitemap_escapes_hostile_paths(hostile):
    data = sitemap(hostile, ["", 'articles/<script>&"]]>\u202e/'])
    assert b"<script" not in data and b"]]>" not in data
    locs = [u.findtext(f"{SM}loc") for u in ET.fromstring(data).iter(f"{SM}url")]
    assert locs[1] == "https://example.org/sub/path/articles/%3Cscript%3E&%22]]%3E%E2%80%AE/"


def test_bundled_sitemap(bundled):
    data = sitemap(bundled, ["", article_path(BUNDLED_ARTICLE)])
    locs = [u.findtext(f"{SM}loc") for u in ET.fromstring(data).iter(f"{SM}url")]
    assert locs == ["/", f"/{article_path(BUNDLED_ARTICLE)}"]


def test_robots_names_the_sitemap(small, bundled):
    text = robots(small).decode("utf-8")
    assert "User-agent: *" in text.splitlines()
    assert f"Sitemap: https://example.org/sub/path/{SITEMAP_PATH}" in text.splitlines()
    assert f"Sitemap: /{SITEMAP_PATH}" in robots(bundled).decode("utf-8").splitlines()
    assert "Disallow: /" not in text


# ---------------------------------------------------------------------------
# data/briefing.json


def test_bundled_json_validates_and_holds_the_call(bundled, schema):
    data = json.loads(briefing_json(bundled))
    validate(data, schema)
    assert (data["format"], data["version"]) == ("briefing-data", 1)
    call = next(e for e in data["events"] if e["id"] == "trump-putin-call")
    assert call["url"] == "timeline/#event-trump-putin-call"
    assert call["when"]["edtf"] == "2025-03-18" and call["when"]["display"] == "18 March 2025"
    assert call["when"]["precision"] == "day"
    assert call["when"]["earliest"] == "2025-03-17T11:00:00Z"  # midnight in Pacific/Auckland
    [citation] = call["citations"]
    assert citation["article"] == BUNDLED_ARTICLE
    assert citation["url"] == f"articles/{BUNDLED_ARTICLE}/#{citation['paragraph']}"
    article = next(a for a in data["articles"] if a["slug"] == BUNDLED_ARTICLE)
    paragraph = next(p for p in article["paragraphs"] if p["id"] == citation["paragraph"])
    assert "spoke for more than an hour and a half" in paragraph["text"]
    assert paragraph["url"] == citation["url"]
    assert "body_html" not in article and "body" not in article
    assert "trump-putin-call" in article["events"]
    # Every reference resolves.
    leaders = {leader["id"] for leader in data["leaders"]}
    topics = {topic["id"] for topic in data["topics"]}
    quotes = {quote["id"] for quote in data["quotes"]}
    for event in data["events"]:
        assert set(event["who"]) <= leaders and set(event["topics"]) <= topics
    assert set(article["quotes"]) <= quotes and set(article["mentions"]) <= leaders
    for stance in data["stances"]:
        assert stance["who"] in leaders and stance["topic"] in topics


def test_json_dates_intervals_stances(small, schema):
    data = briefing_data(small)
    validate(json.loads(briefing_json(small)), schema)
    pause = next(e for e in data["events"] if e["id"] == "the-pause")["when"]
    assert pause["interval"] and pause["start"] == "2025-03-18" and pause["end"] == "2025-04-17"
    assert (pause["iso_start"], pause["iso_end"]) == ("2025-03-18", "2025-04-17")
    assert pause["earliest"] == "2025-03-17T23:00:00Z" and pause["latest"] == "2025-04-17T21:59:59.999999Z"
    history = [s for s in data["stances"] if (s["who"], s["topic"]) == ("alice-example", "talks")]
    assert [(s["stance"], s["changed_from"], s["current"]) for s in history] == [
        ("opposes", None, False), ("supports", "opposes", True)]
    assert history[0]["citation"]["url"] == "articles/older-news/"  # no anchor: the article itself
    [quote] = data["quotes"]
    assert quote["text"] == "ready to talk" and quote["citation"]["url"] == "articles/alice-call/#p3"
    alice = next(leader for leader in data["leaders"] if leader["id"] == "alice-example")
    assert alice["wikidata_url"] == "https://www.wikidata.org/wiki/Q42"
    assert data["site"]["base_url"] == "https://example.org/sub/path/"


def test_json_open_interval_validates(small, schema):
    from generator.dates import parse_edtf

    event = dataclasses.replace(small.events[0], when=parse_edtf("2025-03-18/.."))
    data = briefing_data(dataclasses.replace(small, events=(event,)))
    validate(data, schema)
    assert data["events"][0]["when"]["latest"] is None and data["events"][0]["when"]["open_end"]


def test_hostile_title_round_trips_in_json(hostile, schema):
    raw = briefing_json(hostile)
    data = json.loads(raw)
    validate(data, schema)
    assert data["articles"][0]["title"] == HOSTILE
    assert data["articles"][0]["source"]["outlet"] == "A & B <News>"


def test_exports_are_deterministic(tmp_path):
    first = write_project(tmp_path / "one", small_project())
    second = tmp_path / "two"
    shutil.copytree(first, second)

    def everything(project: Path) -> list[bytes]:
        briefing, _ = load_briefing(project)
        out = [site_feed(briefing), briefing_json(briefing), robots(briefing),
               sitemap(briefing, ["", "timeline/", "articles/alice-call/"]),
               dumps({"site": jsonld_site(briefing), "timeline": jsonld_timeline(briefing)}).encode()]
        out += [leader_feed(briefing, leader) for leader in briefing.leaders]
        return out

    assert everything(first) == everything(second) == everything(first)


def test_bundled_json_is_deterministic(bundled):
    again, _ = load_briefing(REPO)
    assert briefing_json(bundled) == briefing_json(again)
    assert site_feed(bundled) == site_feed(again)
    assert DATA_PATH == "data/briefing.json"


# ---------------------------------------------------------------------------
# JSON-LD


def test_jsonld_article(small):
    article = next(a for a in small.articles if a.slug == "alice-call")
    data = jsonld_article(small, article)
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == "Alice agrees to talk"
    assert data["url"] == "https://example.org/sub/path/articles/alice-call/"
    assert data["datePublished"] == "2025-03-19T10:30:00+13:00"
    assert data["dateModified"] == "2025-03-20T08:00:00Z"
    assert data["publisher"] == data["sourceOrganization"] == {"@type": "Organization", "name": "A & B <News>"}
    assert data["isBasedOn"] == "https://news.example.com/story?a=1&b=2"
    mentions = {m["name"]: m for m in data["mentions"]}
    assert mentions["Alice Example"]["@type"] == "Person"
    assert mentions["Bob Ministry"]["@type"] == "Organization"
    assert "@context" not in mentions["Alice Example"]
    # Named by their leader page's node, which describes them in full (role, country, Wikidata).
    alice = jsonld_leader(small, next(leader for leader in small.leaders if leader.id == "alice-example"))
    assert mentions["Alice Example"]["@id"] == alice["@id"] == "https://example.org/sub/path/leaders/alice-example/#leader"
    assert alice["sameAs"] == "https://www.wikidata.org/wiki/Q42" and "jobTitle" not in mentions["Alice Example"]


def test_jsonld_leader_site_event_timeline(small, bundled):
    by_id = {leader.id: leader for leader in small.leaders}
    alice = jsonld_leader(small, by_id["alice-example"])
    assert alice["@type"] == "Person" and alice["jobTitle"] == "President of Examplia"
    assert alice["nationality"] == {"@type": "Country", "name": "Examplia"}
    assert alice["url"] == "https://example.org/sub/path/leaders/alice-example/"
    bob = jsonld_leader(small, by_id["bob-ministry"])
    assert bob["@type"] == "Organization" and "jobTitle" not in bob and "sameAs" not in bob

    site = jsonld_site(small)
    assert site["@type"] == "WebSite" and site["url"] == "https://example.org/sub/path/"

    pause = next(e for e in small.events if e.id == "the-pause")
    event = jsonld_event(small, pause)
    assert event["@type"] == "Event" and event["name"] == "A pause of thirty days"
    assert (event["startDate"], event["endDate"]) == ("2025-03-18", "2025-04-17")
    assert event["url"] == f"https://example.org/sub/path/{timeline_path()}#event-the-pause"
    assert "eventStatus" not in event

    timeline = jsonld_timeline(bundled)
    assert timeline["@type"] == "ItemList" and timeline["numberOfItems"] == len(bundled.events)
    items = timeline["itemListElement"]
    assert [i["position"] for i in items] == list(range(1, len(bundled.events) + 1))
    by_name = {i["item"]["name"]: i["item"] for i in items}
    g7 = by_name["Russia is expelled from the G7 group of rich democracies (as reported)"]
    assert g7["startDate"] == "2018" and "endDate" not in g7  # year precision, as written
    assert g7["url"] == "/timeline/#event-russia-expelled-from-g7"
    # Leaders are named by reference to their own page's node, not described again for every event.
    nodes = {jsonld_leader(bundled, leader)["@id"]: leader for leader in bundled.leaders}
    about = [who for i in items for who in i["item"].get("about", [])]
    assert about and all(set(who) == {"@type", "@id", "name"} and nodes[who["@id"]].name == who["name"]
                         for who in about)
    assert next(iter(nodes)) == "/leaders/" + next(iter(nodes.values())).id + "/#leader"


class _Scripts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def test_jsonld_cannot_break_out_of_its_script(small):
    title = "</script><script>alert(1)</script> & 'x' <!-- -->"
    article = dataclasses.replace(small.articles[0], title=title)
    data = jsonld_article(small, article)
    env = jinja2.Environment(autoescape=True)
    page = env.from_string('<html><head><script type="application/ld+json">{{ data|tojson }}</script>'
                           "</head><body></body></html>").render(data=data)
    assert page.count("</script>") == 1 and page.count("<script") == 1 and "<!--" not in page
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    [(attrs, text)] = parser.scripts
    assert attrs == {"type": "application/ld+json"}
    assert json.loads(text) == data
    assert json.loads(text)["headline"] == title


# ---------------------------------------------------------------------------
# Against the built site: every link the exports make lands on a page and an id that exist.


def test_export_links_resolve_in_the_built_site(bundled):
    from generator.pipeline import render_site
    from generator.urls import file_of

    files = dict(render_site(REPO, bundled))

    def check(url: str) -> None:
        path, _, fragment = url.partition("#")
        assert file_of(path) in files, f"{url}: no page {file_of(path)}"
        if fragment:
            assert f'id="{fragment}"'.encode() in files[file_of(path)], f"{url}: no element with id {fragment}"

    data = briefing_data(bundled)
    urls = [t["url"] for t in data["topics"]] + [leader["url"] for leader in data["leaders"]]
    for article in data["articles"]:
        urls += [article["url"], *(p["url"] for p in article["paragraphs"])]
    for event in data["events"]:
        urls += [event["url"], *(c["url"] for c in event["citations"] if c["url"])]
    urls += [item["citation"]["url"] for item in data["quotes"] + data["stances"] if item["citation"]["url"]]
    for url in urls:
        check(url)
    for data_feed in [site_feed(bundled), *(leader_feed(bundled, leader) for leader in bundled.leaders)]:
        for link in ET.fromstring(data_feed).iter(f"{ATOM}link"):
            if link.get("rel") == "alternate":
                check(link.get("href").removeprefix(bundled.base_url))
    for item in jsonld_timeline(bundled)["itemListElement"]:
        check(item["item"]["url"].removeprefix(bundled.base_url))
