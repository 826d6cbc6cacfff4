"""What Pagefind is given of a leader's or a topic's page (generator/pagefind_trim.py): the page without
the content it ignores, from which Pagefind must make the very index it makes from the whole page."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from helpers import REPO

from generator.pagefind_run import make_index, make_reproducible
from generator.pagefind_trim import keep_trimmed, without_ignored, write_trimmed
from generator.pipeline import build

sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402 - the benchmark's briefing: forty leaders, pages long with what they list

PAGE = """<!DOCTYPE html><html lang="en"><head><title>T</title></head><body>
<main data-pagefind-body><h1>Anna Berg</h1>
{}
</main></body></html>"""


def page(body: str) -> bytes:
    return PAGE.format(body).encode()


def test_the_content_of_an_ignored_list_is_left_out_and_the_rest_kept():
    given = page('<p>Kept words.</p><section data-pagefind-ignore><h2 id="e">Events</h2><ul><li>one</li>'
                 '<li>two</li></ul></section><p>Kept too.</p>')
    assert without_ignored(given) == page('<p>Kept words.</p><section data-pagefind-ignore></section>'
                                          '<p>Kept too.</p>')


def test_an_ignored_element_holding_others_of_its_name_is_emptied_to_its_own_end():
    given = page('<div data-pagefind-ignore="index"><div>a<div>b</div></div><div>c</div></div><p>after</p>')
    assert without_ignored(given) == page('<div data-pagefind-ignore="index"></div><p>after</p>')


def test_filters_and_metadata_inside_an_ignored_element_keep_it_unless_it_says_all():
    facets = '<span data-pagefind-filter="kind:event"></span><span data-pagefind-meta="kind:Event"></span>'
    kept = page(f'<div hidden data-pagefind-ignore>{facets}</div>')
    assert without_ignored(kept) == kept
    assert without_ignored(page(f'<div data-pagefind-ignore="all">{facets}</div>')) == \
        page('<div data-pagefind-ignore="all"></div>')


@pytest.mark.parametrize("body", [
    '<p data-pagefind-ignore>a paragraph may end unwritten<div>x</div>',  # an end tag HTML may imply
    '<span data-pagefind-ignore>an inline element</span>',
    '<div data-pagefind-ignore><!-- </div> --> words</div>',  # a tag that is only text
    '<div data-pagefind-ignore><script>"<div>"</script></div>',
    '<section data-pagefind-ignore><p>never closed</p>',
    '<div title="a>b" data-pagefind-ignore>quotes around a &gt;</div>',
    '<div data-pagefind-ignore="yes">a value Pagefind does not name</div>',
    '<div data-pagefind-ignored>another attribute</div>',
])
def test_what_might_not_be_ignored_whole_is_given_as_it_is(body):
    assert without_ignored(page(body)) == page(body)


def _index(site: Path, pages: list[str]) -> dict[str, bytes]:
    glob = "{" + ",".join(p.removesuffix("/index.html") for p in pages) + "}/index.html"
    count, files = asyncio.run(make_index(site, {"force_language": "en", "keep_index_url": False}, glob, []))
    assert count == len(pages)
    return make_reproducible(files)[0]


@pytest.mark.parametrize("briefing", ["bundled", "benchmark"])
def test_pagefind_makes_the_same_index_from_the_trimmed_pages(briefing, tmp_path):
    project = REPO if briefing == "bundled" else synth.write_briefing(tmp_path / "project", 120)
    site, trimmed = tmp_path / "site", tmp_path / "trimmed"
    build(project, site)
    pages = sorted(p.relative_to(site).as_posix() for kind in ("leaders", "topics", "articles")
                   for p in site.glob(f"{kind}/*/index.html"))
    write_trimmed(site, pages, trimmed)
    hubs = [p for p in pages if not p.startswith("articles/")]
    whole, left = (sum((root / p).stat().st_size for p in hubs) for root in (site, trimmed))
    if briefing == "benchmark":
        assert left < whole / 2, (left, whole)  # what the trimming is for
    assert _index(trimmed, pages) == _index(site, pages)


def test_kept_copies_are_trimmed_again_only_where_their_page_changed(tmp_path):
    site, kept = tmp_path / "site", tmp_path / "kept"
    hub = '<p>{} words.</p><section data-pagefind-ignore><ul><li>a long list</li></ul></section>'
    for name, words in (("anna", "Anna"), ("jonas", "Jonas"), ("gone", "Gone")):
        (site / "leaders" / name).mkdir(parents=True)
        (site / "leaders" / name / "index.html").write_bytes(page(hub.format(words)))
    digests = {f"leaders/{name}/index.html": name.encode() * 2 for name in ("anna", "jonas", "gone")}
    keep_trimmed(site, digests, kept)
    assert {p.relative_to(kept).as_posix() for p in kept.rglob("*.html")} == set(digests)
    assert (kept / "leaders/anna/index.html").read_bytes() == without_ignored(page(hub.format("Anna")))
    unchanged = (kept / "leaders/jonas/index.html").stat()

    (site / "leaders/anna/index.html").write_bytes(page(hub.format("Anna Berg")))
    del digests["leaders/gone/index.html"]
    digests["leaders/anna/index.html"] = b"changed"
    keep_trimmed(site, digests, kept)
    assert (kept / "leaders/anna/index.html").read_bytes() == without_ignored(page(hub.format("Anna Berg")))
    assert not (kept / "leaders/gone").exists()
    again = (kept / "leaders/jonas/index.html").stat()
    assert (again.st_ino, again.st_mtime_ns) == (unchanged.st_ino, unchanged.st_mtime_ns)

    # A copy changed behind its back, and no record of what the copies were made from: all made again.
    (kept / "leaders/jonas/index.html").write_bytes(b"damaged")
    (kept / "digests.json").write_text("{not json")
    keep_trimmed(site, digests, kept)
    assert (kept / "leaders/jonas/index.html").read_bytes() == without_ignored(page(hub.format("Jonas")))
