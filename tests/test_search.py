"""Search, as a reader uses it: the bundled briefing built with its Pagefind index, served like GitHub
Pages (at a domain root and under /briefing/) and by `briefing serve`, searched in headless Chromium.

Nothing is mocked: the index is Pagefind's, written by the build (generator/search.py), and the
page's script is templates/assets/search.js under the site's Content-Security-Policy. Screenshots
of the search page with results go to test-artifacts/screenshots/search-*.png.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import ARTICLE, REPO, project_files, write_project
from quality import (axe_violations, blocked_external_requests, browser, format_axe, format_vnu, require_axe,
                     require_vnu, screenshot, static_server, vnu_check)
from webtools import fetch

from generator import pipeline, search
from generator.cli import main
from generator.data_export import DataExport
from generator.exports import DATA_PATH
from generator.incremental import PreviewMemory
from generator.pagefind_run import make_index
from generator.pipeline import build, catch_up, load_briefing
from generator.search import INDEX_DIR, STAMP, _indexed_pages, _shard_of, index_site, searched_digest

sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402 - the benchmark's briefing, for a briefing of many articles

SLUG = "putin-agrees-energy-pause-refuses-full-ceasefire"
PREFIXES = ("/", "/briefing/")


@pytest.fixture(scope="module")
def briefing():
    return load_briefing(REPO)[0]


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    """The bundled briefing built for the domain root and for /briefing/, search index included."""
    root = tmp_path_factory.mktemp("search-sites")
    assert main(["build", str(REPO), "--out", str(root / "root"), "--base-url", "http://127.0.0.1/"]) == 0
    assert main(["build", str(REPO), "--out", str(root / "sub"), "--base-url", "/briefing/"]) == 0
    return {"/": root / "root", "/briefing/": root / "sub"}


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


class Reader:
    """One browser page on a served site, with its console errors and any request that left the machine."""

    def __init__(self, chromium, base: str, **options):
        self.base = base
        self.page = chromium.new_page(**options)
        self.external = blocked_external_requests(self.page)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: str):
        response = self.page.goto(self.base + path, wait_until="load")
        assert response.status == 200, path
        return self

    def search(self, words: str):
        """Type into the search page's field as a person does, and wait for the results to settle."""
        field = self.page.locator("#search-q")
        field.fill("")
        field.press_sequentially(words, delay=15)
        return self.settled(words)

    def settled(self, words: str):
        self.page.wait_for_function(
            """(words) => {
                 const s = document.querySelector('[data-search-status]').textContent;
                 return s.includes('“' + words + '”') && /\\d+ results?|No results/.test(s);
               }""", arg=words, timeout=15_000)
        return self

    def status(self) -> str:
        return self.page.locator("[data-search-status]").inner_text()

    def results(self) -> list[dict]:
        return self.page.eval_on_selector_all(".search-results > li", """items => items.map(li => ({
            kind: li.querySelector('.result-kind').textContent,
            title: li.querySelector('.result-title a').textContent,
            href: li.querySelector('.result-title a').href,
            context: (li.querySelector('.result-context') || {}).textContent || ''}))""")

    def close(self):
        self.page.close()


def words_of(text: str) -> str:
    return " ".join(re.sub(r"[“”\"‘’',.;:!?]", " ", text).lower().split())


# ---------------------------------------------------------------------------
# Finding things

@pytest.mark.parametrize("prefix", PREFIXES)
def test_zelensky_finds_volodymyr_zelenskyys_page_first(sites, chromium, prefix):
    with static_server(sites[prefix], prefix) as base:
        reader = Reader(chromium, base).open("search/")
        reader.search("Zelensky")
        first = reader.results()[0]
        assert (first["kind"], first["title"]) == ("Leader", "Volodymyr Zelenskyy")
        assert first["href"] == base + "leaders/volodymyr-zelenskyy/"
        assert re.fullmatch(r"\d+ results for “Zelensky”\.", reader.status())
        # Pagefind's files come from this site, relative to the page, whatever the prefix.
        bundle = [url for url in reader.requests if "/pagefind/" in url]
        assert bundle and all(url.startswith(base + "pagefind/") for url in bundle), bundle
        assert reader.errors == [] and reader.external == []
        reader.close()


@pytest.mark.parametrize("alias", ["Zelenskiy", "Зеленський", "Putin", "Путин", "Kremlin"])
def test_any_alias_puts_the_leader_first(sites, chromium, briefing, alias):
    leader = next(l for l in briefing.leaders if alias in l.aliases)
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/")
        reader.search(alias)
        first = reader.results()[0]
        assert (first["kind"], first["title"]) == ("Leader", leader.name)
        assert reader.errors == []
        reader.close()


def test_words_of_a_quote_lead_to_the_paragraph_that_holds_them(sites, chromium, briefing):
    article = briefing.article_by_slug[SLUG]
    quote = next(q for q in article.quotes if q.text.startswith("It is time for Russia"))
    words = "whether it really wants peace"
    assert words in quote.text
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/")
        reader.search(words)
        first = reader.results()[0]
        assert first["kind"] == "Quote" and words in first["title"]
        reader.page.locator(".search-results > li").first.locator("a").click()
        reader.page.wait_for_url(f"**/articles/{SLUG}/#*")
        fragment = urlsplit(reader.page.url).fragment
        assert fragment == quote.citation.paragraph
        held = reader.page.evaluate("id => document.getElementById(id).textContent", fragment)
        assert words_of(words) in words_of(held)
        assert reader.page.evaluate("() => document.querySelector(':target').id") == fragment
        assert reader.errors == []
        reader.close()


def test_an_article_result_links_to_the_paragraph_of_its_match(sites, chromium):
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/")
        reader.search("Belgorod")
        article = next(r for r in reader.results() if r["kind"] == "Article")
        path, _, fragment = article["href"].partition("#")
        assert path == base + f"articles/{SLUG}/" and re.fullmatch(r"p\d+", fragment)
        reader.page.goto(article["href"])
        assert "Belgorod" in reader.page.evaluate("id => document.getElementById(id).textContent", fragment)
        reader.close()


def test_an_event_links_to_its_place_on_the_timeline(sites, chromium, briefing):
    event = next(e for e in briefing.events if e.id == "putin-orders-military")
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/")
        reader.search("order to his military")
        hit = next(r for r in reader.results() if r["kind"] == "Event")
        assert hit["title"] == event.what
        assert hit["href"] == base + f"timeline/#event-{event.id}"
        reader.page.goto(hit["href"])
        assert event.what in reader.page.locator(f"#event-{event.id}").inner_text()
        reader.close()


# ---------------------------------------------------------------------------
# Filters

def _allowed_for_topic(briefing, topic: str) -> set[str]:
    """Every result that the topic filter may show, as site paths."""
    allowed = {f"topics/{topic}/"}
    allowed |= {f"timeline/#event-{e.id}" for e in briefing.events if topic in e.topics}
    allowed |= {f"leaders/{s.who}/" for s in briefing.stances if s.topic == topic}
    allowed |= {f"articles/{slug}/" for slug, topics in briefing.article_topics.items() if topic in topics}
    return allowed


def test_filtering_by_a_topic_keeps_only_what_is_about_it(sites, chromium, briefing):
    topic = "energy-truce"
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/")
        reader.search("Putin")
        everything = reader.results()
        reader.page.select_option("select[name=topic]", topic)
        reader.page.wait_for_function("() => /with the filters chosen/.test("
                                      "document.querySelector('[data-search-status]').textContent)")
        filtered = reader.results()
        assert 0 < len(filtered) < len(everything)
        allowed = _allowed_for_topic(briefing, topic)
        for result in filtered:
            path = result["href"][len(base):]
            assert path in allowed or path.split("#")[0] in allowed, result
        assert parse_qs(urlsplit(reader.page.url).query) == {"q": ["Putin"], "topic": [topic]}

        # The filters combine: events only, then events naming one leader.
        # The list is emptied before the new results are shown, and the status is written after them.
        before = reader.page.eval_on_selector("[data-search-status]", "e => e.textContent")
        reader.page.select_option("select[name=kind]", "event")
        reader.page.wait_for_function("s => { const now = document.querySelector('[data-search-status]').textContent;"
                                      " return now && now !== s; }", arg=before)
        assert len(reader.results()) < len(filtered)
        events = reader.results()
        assert events and {r["kind"] for r in events} == {"Event"}
        reader.close()


def test_a_filter_alone_lists_everything_it_keeps(sites, chromium, briefing):
    """The filters work with no words: ?leader=…&kind=quote lists that leader's quotes."""
    quotes = [q for a in briefing.articles for q in a.quotes if q.who == "donald-trump"]
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/?leader=donald-trump&kind=quote")
        reader.page.wait_for_function("() => /results? with the filters chosen/.test("
                                      "document.querySelector('[data-search-status]').textContent)")
        results = reader.results()
        assert len(results) == len(quotes)
        assert {r["kind"] for r in results} == {"Quote"}
        assert {r["title"].strip("“”…") for r in results} <= {q.text for q in quotes}
        reader.close()


def test_a_busy_leaders_page_links_to_the_search_listing_every_one_of_its_items(tmp_path, chromium):
    """A leader's page shows the latest 50 events, quotes and articles; its links list them all."""
    project = synth.write_briefing(tmp_path / "project", 80)
    assert build(project, tmp_path / "site").pages
    with static_server(tmp_path / "site", "/") as base:
        reader = Reader(chromium, base).open("leaders/anna-berg/")
        counts = reader.page.locator("p.latest-of").all_inner_texts()
        assert len(counts) == 3, counts  # events, quotes, articles
        for n, said in enumerate(counts):
            total = re.match(r"The latest 50 of (\d+) (\w+)", said)
            reader.page.locator("p.latest-of a").nth(n).click()
            reader.page.wait_for_function("() => /results? with the filters chosen/.test("
                                          "document.querySelector('[data-search-status]').textContent)")
            assert reader.status().startswith(f"{total[1]} results"), (said, reader.status())
            kinds = {r["kind"] for r in reader.results()}
            assert kinds == {total[2].title().rstrip("s")}, kinds
            reader.page.go_back()
        assert reader.errors == [] and reader.external == []
        reader.close()


# ---------------------------------------------------------------------------
# The header's box, the keyboard, no JavaScript

def test_the_header_box_on_any_page_searches(sites, chromium):
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("leaders/vladimir-putin/")
        reader.page.locator("#site-search-q").fill("Kremlin")
        reader.page.locator("#site-search-q").press("Enter")
        reader.page.wait_for_url(base + "search/?q=Kremlin")
        reader.settled("Kremlin")
        assert reader.page.locator("#search-q").input_value() == "Kremlin"
        first = reader.results()[0]
        assert (first["kind"], first["title"]) == ("Leader", "The Kremlin")
        assert reader.errors == []
        reader.close()


def test_the_header_box_is_a_plain_form_on_every_page(sites):
    site = sites["/briefing/"]
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        html = path.read_text(encoding="utf-8")
        form = re.search(r'<form class="site-search" role="search"[^>]*>', html)
        assert form, path
        action = re.search(r'action="([^"]+)"', form.group(0)).group(1)
        expected = "/briefing/search/" if path.name == "404.html" else \
            "../" * len(path.relative_to(site).parts[:-1]) + "search/"
        assert action == expected and 'method="get"' in form.group(0), path
        assert '<input class="site-search-input" id="site-search-q" type="search" name="q"' in html, path


def test_the_results_are_reached_and_left_with_the_keyboard(sites, chromium):
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/")
        page = reader.page
        reader.search("Putin")
        titles = [r["title"] for r in reader.results()]
        assert len(titles) > 3
        focused = "() => document.activeElement.textContent"
        page.keyboard.press("ArrowDown")
        assert page.evaluate(focused) == titles[0]
        assert page.evaluate("() => document.activeElement.matches(':focus-visible')")
        outline = page.evaluate("() => getComputedStyle(document.activeElement, '::after').outlineStyle")
        assert outline == "solid"  # the focus ring is drawn around the whole result
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        assert page.evaluate(focused) == titles[2]
        page.keyboard.press("ArrowUp")
        assert page.evaluate(focused) == titles[1]
        page.keyboard.press("Escape")
        assert page.evaluate("() => document.activeElement.id") == "search-q"
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_url("**/leaders/vladimir-putin/")
        reader.close()


def test_the_status_is_announced(sites, chromium):
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base).open("search/?q=Putin")
        reader.settled("Putin")
        status = reader.page.locator("[data-search-status]")
        assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
        count = int(reader.status().split()[0])
        assert reader.status() == f"{count} results for “Putin”." and count > 20
        # Twenty at a time; the button shows the rest and moves the focus to the first of them.
        assert len(reader.results()) == 20
        reader.page.locator("[data-search-more]").click()
        reader.page.wait_for_function("n => document.querySelectorAll('.search-results > li').length === n",
                                      arg=count)
        assert reader.page.evaluate("() => document.activeElement.textContent") == reader.results()[20]["title"]
        assert reader.page.locator("[data-search-more]").is_hidden()
        reader.search("xyzzyplugh")
        assert reader.status().startswith("No results for “xyzzyplugh”")
        assert reader.results() == []
        reader.close()


def test_without_javascript_the_page_says_so_and_links_the_way_round(sites, chromium):
    with static_server(sites["/briefing/"], "/briefing/") as base:
        reader = Reader(chromium, base, java_script_enabled=False).open("search/?q=Putin")
        message = reader.page.locator(".search-message").first
        assert message.is_visible() and "Search needs JavaScript" in message.inner_text()
        links = message.locator("a").evaluate_all("as => as.map(a => a.href)")
        assert links == [base + "leaders/", base + "topics/", base + "timeline/"]
        # The form still works as a form: the words stay in the address, ready for a browser with JavaScript.
        assert reader.page.locator("#search-q").input_value() == ""
        reader.close()


def test_opened_from_disk_the_page_says_search_needs_a_server(sites, chromium):
    page = chromium.new_page()
    page.goto((sites["/"] / "search" / "index.html").as_uri() + "?q=Putin")
    problem = page.locator("[data-search-problem]")
    problem.wait_for(state="visible")
    assert "served by a web server" in problem.inner_text()
    page.close()


# ---------------------------------------------------------------------------
# Quality: axe with results shown, the Nu checker, screenshots

def test_the_search_page_with_results_passes_axe_and_is_photographed(sites, chromium):
    require_axe()
    with static_server(sites["/briefing/"], "/briefing/") as base:
        for scheme in ("light", "dark"):
            reader = Reader(chromium, base, color_scheme=scheme).open("search/?q=Zelensky")
            reader.settled("Zelensky")
            assert len(reader.results()) > 3
            assert reader.errors == [], reader.errors  # a CSP refusal or a WebAssembly error shows here
            assert reader.external == []
            reader.page.locator(".search-results a").first.focus()  # check the focused result too
            for width in (1280, 390):
                screenshot(reader.page, "search" if scheme == "light" else "search-dark", width)
                violations = axe_violations(reader.page)
                assert not violations, f"search at {width}px, {scheme}:\n{format_axe(violations)}"
            reader.close()


def test_the_search_page_passes_the_nu_html_checker(sites):
    require_vnu()
    errors = vnu_check([sites["/briefing/"] / "search" / "index.html",
                        sites["/briefing/"] / "leaders" / "volodymyr-zelenskyy" / "index.html"])
    assert not errors, format_vnu(errors)


def test_only_the_search_page_allows_webassembly(sites):
    site = sites["/briefing/"]
    for path in site.rglob("*.html"):
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', path.read_text()).group(1)
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()
        expected = ["script-src", "'self'"] + (["'wasm-unsafe-eval'"] if path.parent.name == "search" else [])
        assert script_src == expected, path


# ---------------------------------------------------------------------------
# The index: in the site, reproducible, rebuilt only when pages change

def _digests(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_index_is_in_the_site_with_only_what_the_page_uses(sites):
    index = sites["/briefing/"] / INDEX_DIR
    names = {p.name for p in index.iterdir()}
    assert {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json", STAMP} <= names
    assert not {n for n in names if n.startswith("pagefind-ui") or "modular" in n or "component" in n}
    assert any(index.glob("wasm.*.pagefind")) and any(index.glob("fragment/*.pf_fragment"))


def test_two_fresh_builds_give_byte_identical_index_files(tmp_path):
    """Each build indexes afresh (different output directories, no index to reuse)."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["build", str(REPO), "--out", str(a)]) == 0
    assert main(["build", str(REPO), "--out", str(b)]) == 0
    first, second = _digests(a / INDEX_DIR), _digests(b / INDEX_DIR)
    assert any(name.startswith("filter/") for name in first)  # the files Pagefind writes in random order
    assert first == second


def test_records_written_in_batches_index_as_sent_one_call_each(tmp_path, monkeypatch):
    """The build writes the records to Pagefind 256 KB at a time (pagefind_run's add_records); with a
    service that cannot, it calls Pagefind's add_custom_record for each. Both give the same index."""
    from generator import pagefind_run
    project = synth.write_briefing(tmp_path / "project", 60)  # one bundle, ~450 records, ~700 KB of requests
    batched = tmp_path / "batched"
    assert main(["build", str(project), "--out", str(batched)]) == 0
    ours = pagefind_run._service_class

    def one_call_each():
        class Service(ours()):
            add_records = None
        return Service

    monkeypatch.setattr(pagefind_run, "_service_class", one_call_each)
    each = tmp_path / "each"
    assert main(["build", str(project), "--out", str(each)]) == 0
    assert json.loads((each / INDEX_DIR / STAMP).read_text())["records"] > 400
    assert _digests(batched / INDEX_DIR) == _digests(each / INDEX_DIR)


def test_the_index_is_rebuilt_only_when_pages_change(tmp_path, briefing):
    site = tmp_path / "site"
    assert main(["build", str(REPO), "--out", str(site)]) == 0
    before = _digests(site / INDEX_DIR)

    # The next build's staging directory, named as the site writer names it, beside the live site.
    staging = tmp_path / ".site.building-test"
    shutil.copytree(site, staging, ignore=shutil.ignore_patterns(INDEX_DIR))
    same = index_site(staging, briefing)
    assert same.reused and _digests(staging / INDEX_DIR) == before

    shutil.rmtree(staging / INDEX_DIR)
    page = staging / "leaders" / "vladimir-putin" / "index.html"
    page.write_text(page.read_text().replace("President of Russia", "President of the Russian Federation"))
    changed = index_site(staging, briefing)
    assert not changed.reused and changed.key != same.key
    assert _digests(staging / INDEX_DIR) != before

    # Given explicitly, the previous site is used in the same way.
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(site, elsewhere, ignore=shutil.ignore_patterns(INDEX_DIR))
    assert index_site(elsewhere, briefing, previous=site).reused
    assert _digests(elsewhere / INDEX_DIR) == before


def test_a_preview_build_leaves_the_index_and_the_data_and_catch_up_brings_them_up_to_date(tmp_path):
    """What the preview does: the pages first, the index and the data export afterwards, in place; it
    ends as a full build does."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    site = tmp_path / "site"
    assert build(project, site).behind is False
    before, data_before = _digests(site / INDEX_DIR), (site / DATA_PATH).read_bytes()

    article = project / "content/articles" / f"{SLUG}.md"
    article.write_text(article.read_text() + "\nA Blorptank accord was mentioned too.\n")
    result = build(project, site, preview=PreviewMemory())
    assert result.behind and _digests(site / INDEX_DIR) == before and (site / DATA_PATH).read_bytes() == data_before
    assert "Blorptank" in (site / f"articles/{SLUG}/index.html").read_text()

    assert catch_up(project, site) is True
    assert catch_up(project, site) is False  # nothing more to do
    assert build(project, tmp_path / "clean").behind is False
    assert _digests(site / INDEX_DIR) == _digests(tmp_path / "clean" / INDEX_DIR) != before
    assert (site / DATA_PATH).read_bytes() == (tmp_path / "clean" / DATA_PATH).read_bytes() != data_before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


# ---------------------------------------------------------------------------
# A large briefing's index, in bundles

WORDS = ["amber", "basalt", "cobalt", "dolomite", "emerald", "feldspar", "garnet", "hematite",
         "jasper", "kyanite", "lapis", "malachite", "nephrite", "obsidian", "peridot", "quartz"]


def _many_articles(root: Path) -> Path:
    files = project_files()
    for n, word in enumerate(WORDS):
        files[f"content/articles/a-{n:02d}.md"] = (
            ARTICLE.replace("id: meeting", f"id: meeting-{n}")
                   .replace("what: Berg and Vik meet", f"what: Berg and Vik meet over {word}")
                   .replace("published: 2025-03-19", f"published: 2025-02-{n + 1:02d}")
            + f"\nThey spoke of {word} at length.\n")
    return write_project(root, files)


@pytest.fixture(scope="module")
def bundled_sites(tmp_path_factory):
    """One briefing of 17 articles indexed whole, and again in 8 bundles of two or three articles."""
    root = tmp_path_factory.mktemp("bundles")
    project = _many_articles(root / "project")
    whole, split = root / "whole", root / "split"
    assert build(project, whole).pages
    shutil.copytree(whole, split, ignore=shutil.ignore_patterns(INDEX_DIR))
    briefing_ = load_briefing(project)[0]
    result = index_site(split, briefing_, previous=root / "none", shard_articles=3)
    assert (result.bundles, result.indexed) == (9, 9)  # the leaders' and topics' pages, and 8 of the rest
    return project, briefing_, whole, split


def test_a_large_index_is_split_into_bundles_that_search_as_one(bundled_sites, chromium):
    _, _, whole, split = bundled_sites
    stamp = json.loads((split / INDEX_DIR / STAMP).read_text())
    assert stamp["shards"] == [f"shards/{n}/" for n in range(1, 9)]  # every bundle holds something here
    assert all((split / INDEX_DIR / folder / "pagefind-entry.json").is_file() for folder in stamp["shards"])
    assert "shards" not in json.loads((whole / INDEX_DIR / STAMP).read_text()) or \
        json.loads((whole / INDEX_DIR / STAMP).read_text())["shards"] == []

    def found(site: Path, query: str) -> tuple[str, list[tuple[str, str]]]:
        with static_server(site, "/") as base:
            reader = Reader(chromium, base).open(query)
            reader.page.wait_for_function("() => /\\d+ results?|No results/.test("
                                          "document.querySelector('[data-search-status]').textContent)")
            hits = sorted((r["kind"], r["href"].removeprefix(base)) for r in reader.results())
            status = reader.status()
            assert reader.errors == [] and reader.external == []
            reader.close()
            return status, hits

    for query in ["search/?q=garnet", "search/?q=quartz", "search/?q=Jonas+Vik", "search/?q=obsidian&kind=event",
                  "search/?kind=quote&leader=anna-berg"]:
        status, hits = found(split, query)
        whole_status, whole_hits = found(whole, query)
        assert status == whole_status and hits, query  # as many results
        if len(hits) < 20:  # all of them shown (the first 20 of more depend on each bundle's ranking)
            assert hits == whole_hits, query
    status, hits = found(split, "search/?q=garnet")
    assert ("Event", "timeline/#event-meeting-6") in hits and any(h.startswith("articles/a-06/") for _, h in hits)
    with static_server(split, "/") as base:  # a leader's name still puts their page first
        reader = Reader(chromium, base).open("search/")
        reader.search("Vik")
        assert reader.results()[0]["href"] == base + "leaders/jonas-vik/"
        reader.close()


def test_an_edit_remakes_only_the_bundle_it_is_in(bundled_sites, tmp_path):
    _, briefing_, _, split = bundled_sites
    staging = tmp_path / "next"
    shutil.copytree(split, staging, ignore=shutil.ignore_patterns(INDEX_DIR))
    page = staging / "articles/a-06/index.html"
    page.write_text(page.read_text().replace("They spoke of garnet", "They spoke of garnets and tourmaline"))
    # What Pagefind does not read (here another page's JSON-LD, in its head) re-indexes nothing.
    other = staging / "articles/a-11/index.html"
    assert '"@type": "NewsArticle"' in other.read_text()
    other.write_text(other.read_text().replace('"@type": "NewsArticle"', '"@type": "Article"'))
    result = index_site(staging, briefing_, previous=split, shard_articles=3)
    assert (result.bundles, result.indexed, result.reused) == (9, 1, False)
    old, new = split / INDEX_DIR, staging / INDEX_DIR
    linked = {p.relative_to(new).as_posix() for p in new.rglob("*")
              if p.is_file() and (old / p.relative_to(new)).is_file()
              and os.stat(p).st_ino == os.stat(old / p.relative_to(new)).st_ino}
    made = {p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file()} - linked
    remade = {name.split("/")[1] for name in made if name.startswith("shards/")}
    assert len(remade) == 1, remade  # one bundle made anew; every other file is the previous site's, linked
    (shard,) = remade
    assert {name for name in made if not name.startswith(f"shards/{shard}/")} == {STAMP}
    # In the bundle made anew, what Pagefind made the same as before (its script, the fragments of the
    # other pages and records) is linked too; only what differs is written.
    kept = {name for name in linked if name.startswith(f"shards/{shard}/")}
    assert f"shards/{shard}/pagefind.js" in kept and any("/fragment/" in name for name in kept), sorted(kept)
    assert all(not (old / name).is_file() or (old / name).read_bytes() != (new / name).read_bytes()
               for name in made), "a file written anew holds what the previous one did"
    assert json.loads((old / STAMP).read_text())["key"] != json.loads((new / STAMP).read_text())["key"]


def _restyled(page: str) -> str:
    """The page as a restyling template edit leaves it: a comment (one inside a word), classes added
    and changed, an inline style, every line indented anew. Its words, ids and attributes Pagefind
    reads are the same."""
    page = re.sub(r'class="([^"]*)"', r'class="\1 restyled"', page)
    page = page.replace("<h1", '<h1 class="title" style="margin: 0"', 1).replace("\n", "\n    \n\t")
    page = page.replace("data-pagefind-body>", "data-pagefind-body><!-- restyled -->", 1)
    word = re.search(r"<p[^>]*>([A-Z][a-z]{3,})", page)
    if word is None:
        return page
    return page[:word.end(1) - 2] + "<!-- a comment inside a word -->" + page[word.end(1) - 2:]


def test_what_pagefind_passes_over_re_indexes_nothing(bundled_sites, tmp_path):
    """Comments, classes, inline styles and white space leave Pagefind's index as it was, byte for byte
    (Pagefind, not our reading of it, is asked here): so they are left out of each page's searched
    digest, and an edit that only restyles pages makes no bundle again."""
    _, briefing_, _, split = bundled_sites
    staging = tmp_path / "restyled"
    shutil.copytree(split, staging, ignore=shutil.ignore_patterns(INDEX_DIR))
    pages = _indexed_pages(staging)
    for page in pages:
        (staging / page).write_text(_restyled((staging / page).read_text()))
    assert all((staging / page).read_bytes() != (split / page).read_bytes() for page in pages)
    assert index_site(staging, briefing_, previous=split, shard_articles=3).indexed == 0
    afresh = tmp_path / "afresh"
    shutil.copytree(staging, afresh, ignore=shutil.ignore_patterns(INDEX_DIR))
    assert index_site(afresh, briefing_, previous=tmp_path / "none", shard_articles=3).indexed == 9
    assert _digests(afresh / INDEX_DIR) == _digests(split / INDEX_DIR)


PAGE = ('<!DOCTYPE html><html lang="en"><head><title>T</title><script type="application/ld+json">{{}}</script>'
        '</head><body><nav class="n">Home</nav><main id="main" class="m" data-pagefind-body>\n'
        '<h1 class="t">Anna Berg</h1>\n  <p id="p1">{body}</p>\n</main></body></html>')


@pytest.mark.parametrize("before, after", [
    ("Met Vik.", "Met <!-- and -->Vik."),
    ("Met Vik.", "Met\n\t  Vik."),
    ('<em>Met</em> Vik.', '<em class="x" style="color: red">Met</em> Vik.'),
    ("Met Vik.", "Met Vik.<!-->"),  # an empty comment, as HTML reads `<!-->`
])
def test_a_searched_digest_passes_over_what_pagefind_does(before, after):
    assert searched_digest(PAGE.format(body=before).encode()) == searched_digest(PAGE.format(body=after).encode())


@pytest.mark.parametrize("before, after", [
    ("Met Vik.", "Met Vi k."),
    ("Met Vik.", "Met <em>Vik</em>."),
    ('Wrote class="a" there.', 'Wrote class="b" there.'),  # words, not an attribute
    ('Wrote <span class="a">class="b" </span>there.', 'Wrote <span class="a">class="c" </span>there.'),
    ("""<span data-pagefind-meta='note: class="a"'></span>""", """<span data-pagefind-meta='note: class="b"'></span>"""),
    ("<!-- x --!>Met Vik. -->", "<!-- x --!>Met Ola. -->"),  # `--!>` ends the comment: these are words
    ("<!-->Met Vik. -->", "<!-->Met Ola. -->"),
    ('<a id="x">Vik</a>', '<a id="y">Vik</a>'),
])
def test_a_searched_digest_keeps_what_pagefind_may_read(before, after):
    assert searched_digest(PAGE.format(body=before).encode()) != searched_digest(PAGE.format(body=after).encode())


def test_a_template_edit_that_only_restyles_articles_keeps_the_index(tmp_path, monkeypatch):
    """Through `briefing build`: the article pages are made again, Pagefind is not run."""
    runs = []

    async def counted(*args):
        runs.append(args)
        return await make_index(*args)
    monkeypatch.setattr(search, "make_index", counted)
    project = write_project(tmp_path / "project", project_files())
    out = project / "site"
    assert main(["build", str(project)]) == 0
    assert len(runs) == 1
    page = next(out.glob("articles/*/index.html"))
    page_before = page.read_bytes()
    template = (REPO / "templates/article.html").read_text(encoding="utf-8")
    write_project(project, {"templates/article.html": template.replace(
        "{% block content %}", '{% block content %}\n<!-- restyled -->', 1).replace("<h1", '<h1 class="restyled"', 1)})
    assert main(["build", str(project)]) == 0
    assert page.read_bytes() != page_before
    assert len(runs) == 1  # the index of the build before was taken over
    write_project(project, {"templates/article.html": template.replace("<h1", '<h1 class="restyled" id="title"', 1)})
    assert main(["build", str(project)]) == 0
    assert len(runs) == 2  # an id is read (an anchor): the index is made again
    clean = tmp_path / "clean"
    shutil.copytree(project / "content", clean / "content")
    shutil.copytree(project / "templates", clean / "templates")
    assert main(["build", str(clean)]) == 0
    assert _digests(out / INDEX_DIR) == _digests(clean / "site" / INDEX_DIR)
    assert (clean / "site" / page.relative_to(out)).read_bytes() == page.read_bytes()


def test_an_index_made_over_an_earlier_one_is_the_index_made_afresh(bundled_sites, tmp_path):
    """`briefing build` makes its site out of the site before last (write.SiteWriter's spare), so the
    index may be made over an earlier one, whose files are also the live site's: a bundle there with
    the key wanted is kept, the others are made or linked anew, and none is written into."""
    _, briefing_, _, split = bundled_sites
    live = _digests(split / INDEX_DIR)
    staging = tmp_path / "next"
    shutil.copytree(split, staging, copy_function=os.link)  # the earlier site: the live site's files
    index = staging / INDEX_DIR
    shutil.rmtree(index / "shards/2")  # a bundle missing
    (index / "shards/3" / STAMP).unlink()  # one without its stamp, as a killed build leaves it
    (index / "shards/99").mkdir()  # and one the plan does not have
    (index / "shards/99/pagefind-entry.json").write_text("{}")
    (index / ".replaced/tmp1").mkdir(parents=True)  # what a killed build set aside
    (index / ".replaced/tmp1/pagefind-entry.json").write_text("{}")
    page = staging / "articles/a-06/index.html"
    text = page.read_text()
    page.unlink()  # a page made anew, as the writer makes it
    page.write_text(text.replace("They spoke of garnet", "They spoke of garnets and tourmaline"))

    result = index_site(staging, briefing_, previous=split, shard_articles=3)
    assert (result.bundles, result.indexed) == (9, 1)  # the edited page's bundle

    fresh = tmp_path / "fresh"
    shutil.copytree(staging, fresh, ignore=shutil.ignore_patterns(INDEX_DIR))
    index_site(fresh, briefing_, previous=tmp_path / "none", shard_articles=3)
    assert _digests(index) == _digests(fresh / INDEX_DIR)
    assert _digests(split / INDEX_DIR) == live  # the live site's index, as it was


def test_an_index_file_lost_from_the_site_is_made_again(tmp_path):
    """A file deleted from the index by hand (or lost by a copy that failed), or one added to it: the
    next build makes the index again, although no page changed."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    site = tmp_path / "site"
    assert main(["build", str(project), "--out", str(site)]) == 0
    whole = _digests(site / INDEX_DIR)
    lost = sorted((site / INDEX_DIR / "fragment").iterdir())[0]
    lost.unlink()
    assert main(["build", str(project), "--out", str(site)]) == 0
    assert _digests(site / INDEX_DIR) == whole
    (site / INDEX_DIR / "index" / "stray.pf_index").write_bytes(b"?")
    assert main(["build", str(project), "--out", str(site)]) == 0
    assert _digests(site / INDEX_DIR) == whole


def test_a_bundle_that_lost_a_file_is_not_taken_over(bundled_sites, tmp_path):
    _, briefing_, _, split = bundled_sites
    damaged = tmp_path / "damaged"
    shutil.copytree(split, damaged)
    lost = sorted((damaged / INDEX_DIR / "shards/2/fragment").iterdir())[0]
    lost.unlink()
    staging = tmp_path / "next"
    shutil.copytree(split, staging, ignore=shutil.ignore_patterns(INDEX_DIR))
    result = index_site(staging, briefing_, previous=damaged, shard_articles=3)
    assert result.indexed == 1  # that bundle; the others are linked over
    assert _digests(staging / INDEX_DIR) == _digests(split / INDEX_DIR)


def test_a_failure_while_the_index_is_made_keeps_the_site_as_it_was(tmp_path, monkeypatch, capsys):
    """data/briefing.json is made while Pagefind indexes the pages, in a process of its own: a failure
    of either stops the build only once both are done, with the previous site as it was and nothing
    left beside it."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    site = project / "site"
    assert main(["build", str(project)]) == 0
    before = _digests(site)
    article = next((project / "content/articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nA closing line added by the desk.\n", encoding="utf-8")
    indexing = tmp_path / "indexing"  # told across processes
    real_index = pipeline.index_site

    def index_slowly(*args, **kwargs):
        indexing.touch()
        return real_index(*args, **kwargs)

    def export_failing(self, briefing, *args):
        waited = 0
        while not indexing.exists():
            assert waited < 30, "the data export was not made while the index was"
            time.sleep(0.05)
            waited += 0.05
        assert os.getpid() != parent, "the data export was made in the build's own process"
        raise OSError(28, "No space left on device")
        yield b""

    parent = os.getpid()
    monkeypatch.setenv("BRIEFING_JOBS", "2")
    monkeypatch.setattr(pipeline, "index_site", index_slowly)
    monkeypatch.setattr(DataExport, "__call__", export_failing)
    assert main(["build", str(project)]) == 1
    assert "briefing build: No space left on device; nothing was changed" in capsys.readouterr().err
    assert _digests(site) == before
    assert sorted(p.name for p in project.iterdir() if p.name != ".briefing-cache") == ["content", "site"]
    monkeypatch.undo()
    assert main(["build", str(project)]) == 0
    assert "A closing line added by the desk." in (site / DATA_PATH).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Without Pagefind

BLOCK_PAGEFIND = (
    "import sys\n"
    "for name in ('pagefind', 'pagefind.index', 'pagefind.service'):\n"
    "    sys.modules[name] = None  # import pagefind now fails, as if it were not installed\n"
    "from generator.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_without_pagefind_the_build_fails_and_says_how_to_install_it(tmp_path):
    out = tmp_path / "site"
    result = subprocess.run([sys.executable, "-c", BLOCK_PAGEFIND, "build", str(REPO), "--out", str(out)],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert "search needs Pagefind" in result.stderr
    assert "pip install 'pagefind[bin]" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing was written: the build stops before the site is swapped in
    assert not list(tmp_path.glob(".site.building-*"))


def test_without_the_pagefind_binary_the_build_fails_clearly(tmp_path):
    out = tmp_path / "site"
    env = dict(os.environ, PAGEFIND_BINARY_PATH=str(tmp_path / "no-such-pagefind"))
    result = subprocess.run([sys.executable, "-m", "generator", "build", str(REPO), "--out", str(out)],
                            capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 1, result.stderr
    assert "Pagefind binary" in result.stderr and "pip install" in result.stderr
    assert not out.exists()


def test_a_pagefind_binary_that_dies_fails_the_build_at_once(tmp_path):
    """No hang: the calls waiting on a dead binary fail, and the build says what it printed."""
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'pagefind: out of cheese' >&2\nexit 3\n")
    fake.chmod(0o755)
    out = tmp_path / "site"
    env = dict(os.environ, PAGEFIND_BINARY_PATH=str(fake))
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "generator", "build", str(REPO), "--out", str(out)],
                            capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 1, result.stderr
    assert "Pagefind could not index the site" in result.stderr and "out of cheese" in result.stderr
    assert time.monotonic() - started < 30
    assert not out.exists()


# ---------------------------------------------------------------------------
# In `briefing serve`

def test_search_works_in_briefing_serve(tmp_path, chromium):
    project = tmp_path / "project"
    shutil.copytree(REPO / "content", project / "content")
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", str(project), "--port", "0",
                                "--base-url", "/briefing/"], cwd=REPO, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []

    def collect():
        for line in process.stdout:
            lines.append(line.rstrip())

    threading.Thread(target=collect, daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            url = next((m.group(1) for line in list(lines) if (m := re.search(r"previewing .* at (http://\S+)", line))),
                       None)
            time.sleep(0.05)
        assert url, "\n".join(lines)
        deadline = time.monotonic() + 60
        while fetch(url + "search/").status != 200:  # the first build is on its way
            assert time.monotonic() < deadline and process.poll() is None, "\n".join(lines)
            time.sleep(0.2)
        while fetch(url + "pagefind/pagefind.js").status != 200:  # the index follows the first build
            assert time.monotonic() < deadline and process.poll() is None, "\n".join(lines)
            time.sleep(0.2)
        reader = Reader(chromium, url).open("search/")
        reader.search("Zelensky")
        first = reader.results()[0]
        assert (first["kind"], first["title"]) == ("Leader", "Volodymyr Zelenskyy")
        assert first["href"] == url + "leaders/volodymyr-zelenskyy/"
        assert [e for e in reader.errors if "Content Security Policy" in e or "WebAssembly" in e] == []
        reader.close()

        # A save reloads the browser first; the index follows in the background, and then finds the new words.
        article = project / "content/articles" / f"{SLUG}.md"
        article.write_text(article.read_text() + "\nThe quixotically named Blorptank accord was mentioned too.\n")
        deadline = time.monotonic() + 60
        indexed_before = sum("search index and data/briefing.json brought up to date" in line for line in lines)
        while sum("search index and data/briefing.json brought up to date" in line for line in lines) == indexed_before:
            assert time.monotonic() < deadline and process.poll() is None, "\n".join(lines)
            time.sleep(0.1)
        rebuilt = next(n for n, line in enumerate(lines) if re.search(r"rebuilt in .*reload sent", line))
        indexed = max(n for n, line in enumerate(lines) if "search index and data/briefing.json brought up to date" in line)
        assert rebuilt < indexed, "\n".join(lines)
        reader = Reader(chromium, url).open("search/")
        reader.search("Blorptank")
        hits = [r["href"] for r in reader.results()]
        assert hits and re.fullmatch(re.escape(url + f"articles/{SLUG}/") + r"#p\d+", hits[0]), hits  # its paragraph
        reader.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_rebuild_makes_the_index_a_clean_build_makes_from_its_kept_trimmed_pages(tmp_path):
    """The leader and topic pages are given to Pagefind trimmed (pagefind_trim.py), from copies the
    cache keeps between builds: only a page that changed is trimmed again."""
    project, out = tmp_path / "project", tmp_path / "project" / "site"
    shutil.copytree(REPO / "content", project / "content")
    build(project, out)
    (kept,) = [p for p in (project / ".briefing-cache" / "search-pages").iterdir() if p.is_dir()]
    putin, trump = kept / "leaders/vladimir-putin/index.html", kept / "leaders/donald-trump/index.html"
    assert b"President of Russia" in putin.read_bytes()
    before = trump.stat()
    leader = project / "content/leaders/vladimir-putin.yaml"
    leader.write_text(leader.read_text().replace("role: President of Russia", "role: Russian head of state"))
    build(project, out)
    assert b"Russian head of state" in putin.read_bytes()
    assert (trump.stat().st_ino, trump.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    clean = tmp_path / "clean"
    shutil.copytree(project / "content", clean / "content")
    build(clean, clean / "site")
    assert _digests(out / INDEX_DIR) == _digests(clean / "site" / INDEX_DIR)


def test_what_no_record_or_page_says_re_indexes_nothing_and_an_alias_only_its_leaders_bundles(
        bundled_sites, tmp_path):
    """A bundle's key is its pages and records: a topic no event or quote names re-indexes nothing (the
    pages here are the same); a leader's new alias, which their events' records spell out, re-indexes
    the bundles holding those records, and the index is the one made afresh."""
    _, briefing_, _, split = bundled_sites
    renamed = dataclasses.replace(briefing_, topics=tuple(
        dataclasses.replace(topic, title="Arms and aid") if topic.id == "aid" else topic for topic in briefing_.topics))
    assert not any("aid" in event.topics for event in briefing_.events)
    staging = tmp_path / "next"
    shutil.copytree(split, staging, ignore=shutil.ignore_patterns(INDEX_DIR))
    assert index_site(staging, renamed, previous=split, shard_articles=3).indexed == 0

    vik = next(leader for leader in briefing_.leaders if leader.id == "jonas-vik")
    aliased = dataclasses.replace(briefing_, leaders=tuple(
        dataclasses.replace(leader, aliases=(*leader.aliases, "J. Vik")) if leader is vik else leader
        for leader in briefing_.leaders))
    again = tmp_path / "again"
    shutil.copytree(split, again, ignore=shutil.ignore_patterns(INDEX_DIR))
    result = index_site(again, aliased, previous=split, shard_articles=3)
    holding = {_shard_of(f"event:{e.id}", 8) for e in briefing_.events if "jonas-vik" in e.who} | \
        {_shard_of(f"article:{a.slug}", 8) for a in briefing_.articles if any(q.who == "jonas-vik" for q in a.quotes)}
    assert result.indexed == len(holding) < result.bundles
    afresh = tmp_path / "afresh"
    shutil.copytree(split, afresh, ignore=shutil.ignore_patterns(INDEX_DIR))
    index_site(afresh, aliased, previous=tmp_path / "none", shard_articles=3)
    assert _digests(again / INDEX_DIR) == _digests(afresh / INDEX_DIR)


def test_a_folder_for_the_trimmed_pages_that_cannot_be_written_only_costs_time(tmp_path):
    project, out = tmp_path / "project", tmp_path / "project" / "site"
    shutil.copytree(REPO / "content", project / "content")
    build(project, out)
    (kept,) = [p for p in (project / ".briefing-cache" / "search-pages").iterdir() if p.is_dir()]
    shutil.rmtree(kept)
    kept.write_text("not a folder")
    leader = project / "content/leaders/vladimir-putin.yaml"
    leader.write_text(leader.read_text().replace("role: President of Russia", "role: Russian head of state"))
    build(project, out)
    clean = tmp_path / "clean"
    shutil.copytree(project / "content", clean / "content")
    build(clean, clean / "site")
    assert _digests(out / INDEX_DIR) == _digests(clean / "site" / INDEX_DIR)
