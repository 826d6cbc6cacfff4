"""The bundled site checked with real tools: the Nu Html Checker, axe-core in Chromium, a crawler, feedparser.

Served at a domain root and under /briefing/ (as GitHub Pages serves a
project site); screenshots of every page kind at desktop and phone widths are
saved in test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from helpers import REPO
from quality import (axe_violations, blocked_external_requests, browser, format_axe, format_vnu, require_axe,
                     require_vnu, screenshot, static_server, vnu_check)
from webtools import crawl, fetch, format_broken

from generator.cli import main

SLUG = "putin-agrees-energy-pause-refuses-full-ceasefire"
PAGE_KINDS = {
    "summary": "", "timeline": "timeline/", "leaders": "leaders/", "leader": "leaders/vladimir-putin/",
    "topics": "topics/", "topic": "topics/full-ceasefire/", "articles": "articles/", "article": f"articles/{SLUG}/",
    "search": "search/?q=Zelensky", "404": "no/such/page/",
}


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    """The bundled briefing built for the domain root and for /briefing/."""
    root = tmp_path_factory.mktemp("sites")
    assert main(["build", str(REPO), "--out", str(root / "root"), "--base-url", "http://127.0.0.1/"]) == 0
    assert main(["build", str(REPO), "--out", str(root / "sub"), "--base-url", "/briefing/"]) == 0
    return {"/": root / "root", "/briefing/": root / "sub"}


def test_every_page_passes_the_nu_html_checker(sites):
    require_vnu()
    pages = sorted(sites["/briefing/"].rglob("*.html"))
    assert len(pages) >= 20
    errors = vnu_check(pages)
    assert not errors, format_vnu(errors)


@pytest.mark.parametrize("prefix", ["/", "/briefing/"])
def test_a_crawl_from_the_home_page_reaches_every_page_with_no_broken_link(sites, prefix):
    site = sites[prefix]
    with static_server(site, prefix) as base:
        result = crawl(base)
        assert not result.broken, format_broken(result.broken)
        reached = {url[len(base):] for url in result}
        for page in site.rglob("index.html"):
            path = page.parent.relative_to(site).as_posix()
            assert ("" if path == "." else path + "/") in reached, f"{path} is not linked from anywhere"
        missing = fetch(base + "deep/down/missing/page/")
        assert missing.status == 404 and "Page not found" in missing.text


@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_each_page_kind_has_no_accessibility_violations_and_loads_nothing_from_elsewhere(sites, kind):
    require_axe()
    with static_server(sites["/briefing/"], "/briefing/") as base, browser() as chromium:
        for scheme in ("light", "dark"):
            page = chromium.new_page(color_scheme=scheme)
            external = blocked_external_requests(page)
            errors: list[str] = []
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            response = page.goto(base + PAGE_KINDS[kind], wait_until="load")
            assert response.status == (404 if kind == "404" else 200)
            if kind == "404":  # the browser logs the page's own status
                errors = [e for e in errors if "status of 404" not in e]
            assert errors == [], errors  # a CSP refusal or a script error shows here
            assert external == []
            for width in (1280, 390):
                screenshot(page, f"{kind}{'' if scheme == 'light' else '-dark'}", width)
                violations = axe_violations(page)
                assert not violations, f"{kind} at {width}px, {scheme}:\n{format_axe(violations)}"
            page.close()


def test_the_site_works_opened_from_disk(sites):
    """file:// has no index.html for directory links: the site's script rewrites them."""
    with browser() as chromium:
        page = chromium.new_page()
        page.goto((sites["/"] / "index.html").as_uri())
        page.click("nav >> text=Timeline")
        page.wait_for_url("**/timeline/index.html")
        assert page.locator("h1").inner_text() == "Timeline"


def test_the_feeds_parse_cleanly(sites):
    site = sites["/"]
    feeds = [site / "feed.xml", *sorted((site / "leaders").glob("*/feed.xml"))]
    assert len(feeds) > 5
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    main_feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert main_feed.entries[0].link == f"http://127.0.0.1/articles/{SLUG}/"
    putin = feedparser.parse((site / "leaders/vladimir-putin/feed.xml").read_bytes())
    assert [e.link for e in putin.entries] == [main_feed.entries[0].link]
