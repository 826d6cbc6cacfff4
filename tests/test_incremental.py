"""The incremental build gives, after every edit, exactly the site a clean build gives.

Every build here runs with BRIEFING_VERIFY_INCREMENTAL=1, so a page that the
engine would take over on the strength of its dependency key has its view
checked anyway: a key that misses a change fails the build, naming the page.
Each site is compared file by file with `render_site` (the plain full
rendering) of the same content. The search index is the search module's
business and is replaced by a stub that records the calls.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ARTICLE, LEADERS, SITE, write_project

import generator.data_export as data_export
import generator.noop as noop
import generator.pipeline as pipeline
import generator.write as write
from generator.article_cache import ArticleCache, ParseMemory
from generator.assemble import Recall, assemble
from generator.cache import CACHE_DIR, BuildCache, code_version, digest
from generator.errors import Diagnostic, Report
from generator.errors import ContentError
from generator.exports import DATA_PATH
from generator.incremental import PreviewMemory
from generator.outputs import planned_pages
from generator.pages import plan_pages
from generator.render import Renderer
from generator.serve_watch import snapshot
from generator.search import STAMP, Known, _indexed_pages, record_digests, searched_digest
from generator.sources import load_content, text_digest
from generator.pipeline import build, catch_up, load_briefing, render_site
from generator.text import _fold_slow, fold, folded, phrase_pattern

SECOND = """\
---
title: Vik answers
published: 2025-03-20T09:00:00+01:00
source: {outlet: Evening Test, url: https://example.org/vik-answers}
summary:
  - Vik answered Berg.
events:
  - id: meeting
    when: 2025-03-18
    what: Berg and Vik meet
    who: [anna-berg, jonas-vik]
    topics: [ceasefire]
    anchor: the meeting on Tuesday
  - id: answer
    when: 2025-03-20
    what: Vik answers Berg
    who: [jonas-vik]
    topics: [aid]
    anchor: answered on Thursday
quotes:
  - who: jonas-vik
    text: aid must continue
stances:
  - who: anna-berg
    topic: aid
    stance: supports
    detail: Berg wants aid to go on.
    anchor: aid must continue
---
Jonas Vik answered on Thursday, after the meeting on Tuesday.

"Aid must continue," Vik said. The Minister of Sudland agreed.
"""

THIRD = """\
---
title: A quiet day
published: 2025-03-21
source: {outlet: Daily Test}
summary:
  - Nothing happened.
evnets: []
---
Nothing happened in the capital. The Minister of Sudland was away.
"""

BASE_FILES = {"content/site.yaml": SITE, **LEADERS, "content/articles/leaders-meet.md": ARTICLE,
              "content/articles/vik-answers.md": SECOND, "content/articles/quiet-day.md": THIRD}


@pytest.fixture(autouse=True)
def _verified_and_without_pagefind(monkeypatch):
    """Every build checks its keys; the search index is not made (Pagefind is slow), but what the
    build remembers of its records is checked against records made afresh, and kept for the next."""
    monkeypatch.setenv("BRIEFING_VERIFY_INCREMENTAL", "1")
    calls = []

    def index(site_dir, briefing, known=None, **_):
        calls.append(Path(site_dir))
        if known is not None:
            assert record_digests(briefing, known)[0] == record_digests(briefing, Known())[0], "stale search records"
        if known is not None and known.pages is not None:
            site = Path(site_dir)
            assert {page: digest or searched_digest((site / page).read_bytes()) for page, digest in known.pages.items()} \
                == {page: searched_digest((site / page).read_bytes()) for page in _indexed_pages(site)}
    monkeypatch.setattr(pipeline, "index_site", index)
    monkeypatch.setattr(pipeline, "refresh_index", index)
    return calls


def built(project: Path, out: Path, memory: PreviewMemory | None, caught_up: bool = True):
    """A build as `briefing build` runs it (memory None), or as `briefing serve` does, with the memory
    it keeps between builds, told what changed since the last build as its watcher would tell it, and,
    when `caught_up`, the catching up that follows in the background."""
    if memory is not None:
        memory.changed = heard(project, memory)
    result = build(project, out, preview=memory)
    if memory is None:  # what it stored of the site is what the next build will find there
        assert BuildCache.peek_state(project, noop.state_name(out)).site == noop.site_fingerprint(out)
        cache = BuildCache.open(project)
        records = {path: pickle.loads(blob) for path, blob in cache.outputs(str(out)).items()}
        cache.close()
        assert {path: (r.size, r.mtime_ns, r.inode) for path, r in records.items()} == \
            {p.relative_to(out).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino)
             for p in out.rglob("*") if p.is_file() and not p.relative_to(out).as_posix().startswith("pagefind/")}
    if memory is not None and caught_up:
        catch_up(project, out, memory=catch_up_memory(memory))
    return result


def catch_up_memory(memory: PreviewMemory) -> PreviewMemory:
    """The memory of the preview's indexing process, which lives beside the build process's `memory`."""
    return vars(memory).setdefault("catching_up", PreviewMemory())


def heard(project: Path, memory: PreviewMemory) -> list[str] | None:
    """The files changed since the last call for this memory, found as serve's watcher finds them."""
    now = snapshot([project / "content", project / "templates"])
    before, memory.snapshot = getattr(memory, "snapshot", None), now
    if before is None:
        return None
    return [Path(path).relative_to(project).as_posix() for path in before.keys() | now.keys()
            if before.get(path) != now.get(path)]


def site_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith("pagefind/")}


def clean_site(project: Path, base_url: str | None = None) -> dict[str, bytes]:
    briefing, _ = load_briefing(project, base_url=base_url)
    return dict(render_site(project, briefing))


def assert_same_as_clean(project: Path, out: Path, base_url: str | None = None, but: str | None = None) -> None:
    """The site in `out` is byte for byte a clean build's (`but` one file, which may also be missing)."""
    built, clean = site_files(out), clean_site(project, base_url)
    for files in (built, clean):
        files.pop(but, None)
    assert sorted(built) == sorted(clean), set(built) ^ set(clean)
    for path, data in clean.items():
        assert built[path] == data, f"{path} differs from a clean build"


def inodes(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file()}


def edit(project: Path, rel: str, change) -> None:
    path = project / rel
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


# --- Edits, one at a time ---------------------------------------------------------------------------

EDITS = {
    "body": lambda p: edit(p, "content/articles/leaders-meet.md",
                           lambda t: t.replace("on Tuesday.", "on Tuesday morning.")),
    "new-paragraph": lambda p: edit(p, "content/articles/leaders-meet.md",
                                    lambda t: t.replace("Anna Berg and Jonas", "A first paragraph.\n\nAnna Berg and Jonas")),
    "title": lambda p: edit(p, "content/articles/vik-answers.md", lambda t: t.replace("Vik answers\n", "Vik replies\n")),
    "event-date": lambda p: edit(p, "content/articles/vik-answers.md", lambda t: t.replace("2025-03-20\n", "2025-03-19\n")),
    "stance": lambda p: edit(p, "content/articles/vik-answers.md", lambda t: t.replace("supports", "opposes")),
    "alias": lambda p: edit(p, "content/leaders/jonas-vik.yaml", lambda t: t.replace("[Vik]", "[Vik, Minister of Sudland]")),
    "leader-name": lambda p: edit(p, "content/leaders/anna-berg.yaml", lambda t: t.replace("name: Anna Berg", "name: Anna B. Berg")),
    "role": lambda p: edit(p, "content/leaders/jonas-vik.yaml", lambda t: t.replace("President", "Former President")),
    "country-and-wikidata": lambda p: edit(p, "content/leaders/jonas-vik.yaml", lambda t: t.replace(
        "country: Sudland\nwikidata: Q42", "country: South Sudland\nwikidata: Q43")),
    "new-leader": lambda p: write_project(p, {"content/leaders/ola-nord.yaml": "name: Ola Nord\naliases: [Nord]\nrole: Envoy\n"}),
    "topic-title": lambda p: edit(p, "content/site.yaml", lambda t: t.replace("Military aid", "Arms and aid")),
    "new-topic": lambda p: edit(p, "content/site.yaml", lambda t: t + "  talks:\n    title: Peace talks\n"),
    "site-title": lambda p: edit(p, "content/site.yaml", lambda t: t.replace("Test briefing", "Tested briefing")),
    "site-description": lambda p: edit(p, "content/site.yaml", lambda t: t.replace("A small briefing", "A briefing")),
    "timezone": lambda p: edit(p, "content/site.yaml", lambda t: t.replace("Europe/Berlin", "Pacific/Auckland")),
    "template": lambda p: write_project(p, {"templates/article.html": (Path(pipeline.__file__).parent.parent /
                                                                      "templates/article.html").read_text()
                                            .replace("{% block content %}", "{% block content %}<p>Edited.</p>")}),
    "restyle": lambda p: write_project(p, {"templates/article.html": (Path(pipeline.__file__).parent.parent /
                                                                     "templates/article.html").read_text()
                                           .replace("{% block content %}", '{% block content %}<!-- restyled -->')
                                           .replace("<h1", '<h1 class="restyled"')}),
    "asset": lambda p: write_project(p, {"templates/assets/style.css": "body { color: black; }\n"}),
    "delete": lambda p: (p / "content/articles/quiet-day.md").unlink(),
    "rename": lambda p: (p / "content/articles/vik-answers.md").rename(p / "content/articles/vik-replies.md"),
    "new-article": lambda p: write_project(p, {"content/articles/another.md": THIRD.replace("A quiet day", "Another day")}),
    "timeline": lambda p: write_project(p, {"content/timeline.yaml": "- when: 2014\n  what: An old treaty\n  who: [anna-berg]\n"
                                                                     "  source: {outlet: Archive}\n"}),
    "touch": lambda p: os.utime(p / "content/site.yaml"),
}


def fresh_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "p", dict(BASE_FILES))


def test_a_first_build_and_a_noop_build(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    first = build(project, out)
    assert_same_as_clean(project, out)
    assert (project / CACHE_DIR).is_dir()
    before = inodes(out)
    again = build(project, out)
    assert inodes(out) == before  # nothing rewritten, not even linked anew
    assert again.pages == first.pages
    assert [d.format() for d in again.diagnostics] == [d.format() for d in first.diagnostics]
    assert any("unknown key 'evnets'" in d.message for d in again.diagnostics)  # warnings come back from the cache


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
@pytest.mark.parametrize("name", sorted(EDITS))
def test_each_edit_rebuilds_to_what_a_clean_build_gives(tmp_path, name, preview):
    """Also as `briefing serve` builds: the changed files moved into the site one by one."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory() if preview else None
    built(project, out, memory)
    before, before_bytes = inodes(out), site_files(out)
    EDITS[name](project)
    result = built(project, out, memory)
    assert_same_as_clean(project, out)
    # Files whose bytes did not change were not rewritten: same inode, same modification time.
    after, after_bytes = inodes(out), site_files(out)
    for path, data in after_bytes.items():
        if before_bytes.get(path) == data:
            assert after[path] == before[path], f"{path} was rewritten with the same bytes"
    _, report = load_briefing(project)
    assert [d.format() for d in result.diagnostics] == [d.format() for d in report.sorted()]


def files_an_edit_rewrites(project: Path, out: Path, name: str) -> list[str]:
    """The site files a build after the edit `name` writes anew (a file kept keeps its inode and time)."""
    build(project, out)
    before = inodes(out)
    EDITS[name](project)
    build(project, out)
    after = inodes(out)
    return sorted(path for path in after if before.get(path) != after[path])


def test_an_edited_body_changes_only_its_page_and_the_data_export(tmp_path, _verified_and_without_pagefind):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    assert files_an_edit_rewrites(project, out, "body") == ["articles/leaders-meet/index.html", "data/briefing.json"]


@pytest.mark.parametrize("name", ["body", "title", "stance", "alias", "event-date", "delete", "new-article"])
def test_the_data_export_copies_what_an_edit_left_from_the_previous_file(tmp_path, monkeypatch, name):
    """Only the items an edit changed are made again: the rest of data/briefing.json is copied from the
    file the last build left. A previous file that is not the one the stored layout describes is not
    copied from."""
    monkeypatch.setenv("BRIEFING_JOBS", "1")  # the export made in this process, where its copies are counted
    copied = []
    copy = data_export._Splice.copy
    monkeypatch.setattr(data_export._Splice, "copy", lambda self, start, end: (copied.append(end - start),
                                                                               copy(self, start, end))[1])
    project, out = fresh_project(tmp_path), tmp_path / "site"
    write_project(project, {f"content/articles/answer-{n}.md": SECOND.replace("Vik answers", f"Vik answers ({n})")
                            .replace("id: answer", f"id: answer-{n}").replace("2025-03-20", f"2025-03-{n + 10}")
                            for n in range(1, 9)})
    build(project, out)
    assert copied == []
    EDITS[name](project)
    build(project, out)
    assert_same_as_clean(project, out)
    assert sum(copied) > (out / DATA_PATH).stat().st_size / 2
    # The site's file replaced by hand with other bytes: nothing is copied from it.
    (out / DATA_PATH).write_text((out / DATA_PATH).read_text().replace("Leaders meet", "Leaders MEET"))
    copied.clear()
    EDITS["body"](project)
    build(project, out)
    assert copied == []
    assert_same_as_clean(project, out)


def test_a_new_role_changes_the_pages_that_describe_the_leader_not_those_naming_them(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    # Articles, the timeline and topic pages name Jonas Vik (their JSON-LD by his page's node); the
    # summary's and the leaders page's cards, his page and his feed say his role.
    assert files_an_edit_rewrites(project, out, "role") == [
        "data/briefing.json", "index.html", "leaders/index.html", "leaders/jonas-vik/feed.xml",
        "leaders/jonas-vik/index.html"]
    assert '"@id": "/leaders/jonas-vik/#leader"' in (out / "articles/vik-answers/index.html").read_text()


def test_a_new_description_renders_again_only_the_pages_whose_templates_show_it(tmp_path, monkeypatch):
    """Every page's view holds site.description; only the summary's templates show it (and its meta
    description and JSON-LD say it), so only the summary is made again. A project whose base.html
    shows it has every page made again."""
    monkeypatch.delenv("BRIEFING_VERIFY_INCREMENTAL")  # it renders every page to check it
    project, out = fresh_project(tmp_path), tmp_path / "site"
    rendered, chunks = [], Renderer._chunks
    monkeypatch.setattr(Renderer, "_chunks", lambda self, page: rendered.append(page.path) or chunks(self, page))
    build(project, out)
    pages = sorted(rendered)
    rendered.clear()
    EDITS["site-description"](project)
    build(project, out)
    assert rendered == [""]
    assert_same_as_clean(project, out)
    base = (Path(pipeline.__file__).parent.parent / "templates/base.html").read_text(encoding="utf-8")
    assert "</main>" in base
    write_project(project, {"templates/base.html": base.replace("</main>", "</main><p>{{ site.description }}</p>")})
    build(project, out)
    rendered.clear()
    edit(project, "content/site.yaml", lambda t: t.replace("A briefing", "A briefing for tests"))
    build(project, out)
    assert sorted(rendered) == pages
    assert_same_as_clean(project, out)


@pytest.mark.parametrize("template, read", [
    ("{{ site.title }} {{ site['language'] }}", {"title", "language"}),
    ("{% if site.description %}{{ site.description }}{% endif %}", {"description"}),
    ("{{ site }}", None),
    ("{% for key, value in site.items() %}{{ value }}{% endfor %}", None),
    ("{{ site[name] }}", None),
    ("{% macro shown(site) %}{{ site.title }}{% endmacro %}{{ shown(site) }}", None),
    ("{% set site = {'title': 'x'} %}{{ site.title }}", None),
    ("{% extends 'base.html' %}{% block content %}{{ site.title }}{% endblock %}", "what base.html reads"),
])
def test_the_keys_of_site_a_template_reads_are_found_or_any_is_assumed(tmp_path, template, read):
    project = write_project(tmp_path / "p", {"templates/page.html": template})
    found = Renderer(project, "/").site_keys_read("page.html")
    if read == "what base.html reads":  # the built-in base.html names the title, not the description
        assert found is not None and "title" in found and "description" not in found
    else:
        assert found == (frozenset(read) if read is not None else None)


def test_a_preview_build_reads_again_only_the_files_that_changed(tmp_path, monkeypatch):
    """`briefing serve` keeps what it read: a save costs reading the saved file, not the briefing."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory()
    built(project, out, memory)
    read, read_bytes = [], Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.as_posix()) or read_bytes(path))
    EDITS["body"](project)
    EDITS["role"](project)
    built(project, out, memory, caught_up=False)
    content = (project / "content").as_posix() + "/"
    # (An article is read to be digested, then again by what parses it: see the next test.)
    assert sorted({p[len(content):] for p in read if p.startswith(content)}) == \
        ["articles/leaders-meet.md", "leaders/jonas-vik.yaml"]
    assert_same_as_clean(project, out, but=DATA_PATH)


def test_the_preview_catching_up_reads_again_only_the_files_that_changed(tmp_path, monkeypatch):
    """The preview's indexing process keeps what it loaded between its catch-ups, as the build process
    does between builds: after the first, the search index and data/briefing.json are brought up to
    date by reading the changed files alone."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory()
    built(project, out, memory)
    read, read_bytes = [], Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.as_posix()) or read_bytes(path))
    content = (project / "content").as_posix() + "/"
    for edits, changed in ((["body", "role"], ["articles/leaders-meet.md", "leaders/jonas-vik.yaml"]),
                           (["title"], ["articles/vik-answers.md"])):
        for name in edits:
            EDITS[name](project)
        built(project, out, memory, caught_up=False)
        read.clear()
        catch_up(project, out, memory=catch_up_memory(memory))
        assert sorted({p[len(content):] for p in read if p.startswith(content)}) == changed
        assert_same_as_clean(project, out)
    read.clear()
    catch_up(project, out, memory=PreviewMemory())  # a process that was stopped: a new one reads it all
    assert len({p for p in read if p.startswith(content + "articles/")}) == 3
    assert_same_as_clean(project, out)


def test_the_preview_catching_up_reads_back_no_page_its_build_digested(tmp_path, monkeypatch):
    """What the search index reads of each page is recorded by the preview's build as it writes the
    page; the catching up, in another process, takes it from the cache for every page that is still
    the very file the build wrote (size, modification time, inode), and reads back only the others.
    (The stub index of these tests checks every digest it is given against the page.)"""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory()
    built(project, out, memory)
    unknown, index = [], pipeline.refresh_index
    monkeypatch.setattr(pipeline, "refresh_index", lambda site_dir, briefing, known=None: (
        unknown.append(sorted(page for page, digest in known.pages.items() if digest is None)),
        index(site_dir, briefing, known=known))[1])
    EDITS["body"](project)
    built(project, out, memory)
    page = out / "articles/quiet-day/index.html"
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 1))
    catch_up(project, out, memory=catch_up_memory(memory))
    (tmp_path / "elsewhere").mkdir()
    build(project, tmp_path / "elsewhere", preview=PreviewMemory())  # another preview's build: its pages
    catch_up(project, out, memory=catch_up_memory(memory))
    assert unknown == [[], ["articles/quiet-day/index.html"], sorted(_indexed_pages(out))]
    assert_same_as_clean(project, out)


def test_a_preview_save_checks_the_kept_parses_again_only_when_the_leaders_changed(tmp_path, monkeypatch):
    """A save re-checks no other article's parse against the leaders unless the leaders changed; a
    leader renamed and renamed back gives a clean build's site each time."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory()
    built(project, out, memory)
    checked, check = [], ArticleCache._still_valid
    monkeypatch.setattr(ArticleCache, "_still_valid", lambda self, path, *rest: checked.append(path)
                        or check(self, path, *rest))
    EDITS["body"](project)
    built(project, out, memory, caught_up=False)
    assert checked == []
    leader = project / "content/leaders/anna-berg.yaml"
    named = leader.read_text(encoding="utf-8")
    EDITS["leader-name"](project)
    built(project, out, memory, caught_up=False)
    assert "content/articles/quiet-day.md" in checked
    assert_same_as_clean(project, out, but=DATA_PATH)
    leader.write_text(named, encoding="utf-8")
    built(project, out, memory, caught_up=False)
    assert_same_as_clean(project, out, but=DATA_PATH)


def test_a_preview_told_what_changed_looks_only_at_that_while_the_folder_holds_the_same_names(tmp_path, monkeypatch):
    """The watcher tells the preview's build which files changed: a save then looks at the saved
    article alone. A name the watcher ignores (an editor's backup) still shows: the folder's names
    changed, so the build lists it afresh and warns, as `briefing build` does."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory()
    built(project, out, memory)
    looked, stat = [], os.stat
    monkeypatch.setattr(os, "stat", lambda path, *rest, **options: looked.append(os.fspath(path))
                        or stat(path, *rest, **options))
    EDITS["body"](project)
    memory.changed = ["content/articles/leaders-meet.md"]
    build(project, out, preview=memory)
    folder = os.fspath(project / "content/articles") + "/"
    assert [path for path in looked if path.startswith(folder)] == [folder + "leaders-meet.md"]
    assert_same_as_clean(project, out, but=DATA_PATH)
    monkeypatch.undo()

    (project / "content/articles/leaders-meet.md~").write_text("an editor's backup", encoding="utf-8")
    memory.changed = []
    warned = [(d.path, d.message) for d in build(project, out, preview=memory).diagnostics]
    assert ("content/articles/leaders-meet.md~", "ignored: files in content/articles/ must end in .md or .markdown") \
        in warned
    assert warned == [(d.path, d.message) for d in build(project, tmp_path / "cli-site").diagnostics]


def test_a_build_reads_again_only_the_articles_that_changed(tmp_path, monkeypatch):
    """`briefing build` does not read an article whose size, modification time and inode are those
    it was read with; one whose cached parse cannot serve (here: a new time zone) is read after all."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    read, read_bytes = [], Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.as_posix()) or read_bytes(path))
    content = (project / "content").as_posix() + "/articles/"

    def articles_read_by_build() -> list[str]:
        read.clear()
        build(project, out)
        return sorted({p[len(content):] for p in read if p.startswith(content)})

    EDITS["body"](project)
    assert articles_read_by_build() == ["leaders-meet.md"]
    assert_same_as_clean(project, out)
    EDITS["timezone"](project)
    assert articles_read_by_build() == ["leaders-meet.md", "quiet-day.md", "vik-answers.md"]
    assert_same_as_clean(project, out)
    EDITS["title"](project)
    assert articles_read_by_build() == ["vik-answers.md"]
    assert_same_as_clean(project, out)


def test_a_build_parses_again_only_the_templates_that_changed(tmp_path, monkeypatch):
    """`briefing build` keeps the templates' compiled code and what each refers to in the cache: a
    build after the first parses none of them, one after a template edit parses that template alone,
    and what is kept of a template's earlier source does not pile up."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    parsed, parse = [], jinja2.Environment._parse
    monkeypatch.setattr(jinja2.Environment, "_parse",
                        lambda env, source, name, filename: parsed.append(name) or parse(env, source, name, filename))

    def templates_parsed_by(edit_name: str) -> list[str]:
        parsed.clear()
        EDITS[edit_name](project)
        build(project, out)
        seen = sorted(set(parsed), key=str)
        assert_same_as_clean(project, out)
        return seen

    build(project, out)
    assert "article.html" in parsed and "base.html" in parsed
    assert templates_parsed_by("body") == []
    assert templates_parsed_by("role") == []
    assert templates_parsed_by("template") == [None, "article.html"]  # analysed (unnamed), and compiled
    assert templates_parsed_by("title") == []
    cache = BuildCache.open(project)
    code, analysis = cache.get_state("templates")
    cache.close()
    sources = [source for source in analysis if "{% block content %}<p>Edited.</p>" in source]
    assert len(sources) == 1 and len(analysis) == len(set(analysis))


def test_a_build_holds_no_article_text_and_what_parses_it_reads_the_text_it_was_keyed_by(tmp_path):
    """A build's own process keeps an article's digest, not its text (10,000 are ~150 MB); the parser
    reads the file again. A file changed in between is not parsed as if it were the one keyed."""
    project = fresh_project(tmp_path)
    known: dict = {}
    files = load_content(project, Report(), known)
    path = project / "content/articles/leaders-meet.md"
    assert files.articles and all(f.text is None for f in files.articles)
    (meets,) = [f for f in files.articles if f.path == "content/articles/leaders-meet.md"]
    assert meets.digest == text_digest(path.read_text(encoding="utf-8"))
    assert known[meets.path][1] == meets
    EDITS["body"](project)
    report = Report()
    assemble(files, report, ArticleCache(project, None, 1, ParseMemory()).parse_articles)
    assert [(d.path, d.message) for d in report.errors] == \
        [(meets.path, "this file changed while the site was being built; build again")]


def test_a_failed_build_leaves_the_site_and_the_next_good_one_catches_up(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    before = site_files(out)
    edit(project, "content/articles/vik-answers.md", lambda t: t.replace("who: [jonas-vik]", "who: [jonas-vikk]"))
    with pytest.raises(ContentError):
        build(project, out)
    assert site_files(out) == before
    edit(project, "content/articles/vik-answers.md", lambda t: t.replace("jonas-vikk", "jonas-vik").replace(
        "Thursday,", "Thursday evening,"))
    build(project, out)
    assert_same_as_clean(project, out)


def test_a_build_whose_export_process_is_killed_fails_and_keeps_the_site(tmp_path, monkeypatch):
    """data/briefing.json is made in a process of its own: killed (by the kernel's out-of-memory
    killer, say), the build stops with an error rather than waiting for it forever."""
    monkeypatch.setenv("BRIEFING_JOBS", "2")
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    before = site_files(out)
    EDITS["body"](project)
    monkeypatch.setattr(data_export.DataExport, "__call__", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RuntimeError, match="ended without its result"):
        build(project, out)
    assert site_files(out) == before
    # An error it reports reaches the build whole, with where in the content it is.
    problem = Diagnostic("content/articles/vik-answers.md", 3, 1, "what is wrong", hint="what was meant")

    def export_failing(*args):
        raise ContentError("the export failed", [problem])
        yield b""

    monkeypatch.setattr(data_export.DataExport, "__call__", export_failing)
    with pytest.raises(ContentError) as failed:
        build(project, out)
    assert (str(failed.value), failed.value.diagnostics) == ("the export failed", [problem])
    assert site_files(out) == before
    monkeypatch.undo()
    build(project, out)
    assert_same_as_clean(project, out)


def test_an_interrupted_build_stops_its_export_process_and_keeps_the_site(tmp_path, monkeypatch):
    """Ctrl-C while the search index is made: the export's process is stopped, not waited for."""
    monkeypatch.setenv("BRIEFING_JOBS", "2")
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    before = site_files(out)
    EDITS["body"](project)
    started = tmp_path / "export-started"  # told across processes

    def export_slowly(*args):
        started.write_text(str(os.getpid()))
        time.sleep(600)
        yield b""

    def index_interrupted(*args, **kwargs):
        for _ in range(600):
            if started.exists():
                raise KeyboardInterrupt
            time.sleep(0.05)

    monkeypatch.setattr(data_export.DataExport, "__call__", export_slowly)
    monkeypatch.setattr(pipeline, "index_site", index_interrupted)
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        build(project, out)
    assert time.monotonic() - began < 120, "the build waited for its export"
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text()), 0)
    assert site_files(out) == before
    monkeypatch.undo()
    build(project, out)
    assert_same_as_clean(project, out)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_a_failing_template_fails_the_build_with_its_line_and_keeps_the_site(tmp_path, preview):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    memory = PreviewMemory() if preview else None
    built(project, out, memory)
    before = site_files(out)
    write_project(project, {"templates/article.html": "{% extends 'base.html' %}{% block content %}{{ nope.x }}"
                                                     "{% endblock %}"})
    with pytest.raises(ContentError) as failure:
        built(project, out, memory)
    assert "articles/" in str(failure.value) and failure.value.diagnostics
    assert site_files(out) == before  # in place too: nothing is moved in before every file is made
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_preview_starts_from_the_built_site_and_never_changes_it(tmp_path):
    """`briefing serve`'s first build links what PROJECT/site (as `briefing build` left it) already
    holds rather than rendering it again: not a file edited by hand there, nothing at another base
    URL; and the preview's saves never touch the linked files."""
    project = fresh_project(tmp_path)
    site = project / "site"
    build(project, site)
    edited = site / "articles/vik-answers/index.html"
    edited.write_bytes(edited.read_bytes().replace(b"</body>", b"<p>by hand</p></body>"))
    before = {path: data for path, data in site_files(site).items()}

    preview, memory = tmp_path / "preview", PreviewMemory()
    built(project, preview, memory, caught_up=False)
    assert_same_as_clean(project, preview, but=DATA_PATH)
    linked = {path for path, (inode, _) in inodes(preview).items() if inode == inodes(site).get(path, (None,))[0]}
    assert "articles/leaders-meet/index.html" in linked and "index.html" in linked
    assert "articles/vik-answers/index.html" not in linked

    EDITS["body"](project)
    built(project, preview, memory, caught_up=False)
    assert_same_as_clean(project, preview, but=DATA_PATH)
    assert site_files(site) == before

    elsewhere = tmp_path / "elsewhere"
    build(project, elsewhere, base_url="/sub/", preview=PreviewMemory())
    pages = {inode for path, (inode, _) in inodes(site).items() if path.endswith(".html")}
    assert not {inode for path, (inode, _) in inodes(elsewhere).items() if path.endswith(".html")} & pages
    assert_same_as_clean(project, elsewhere, base_url="/sub/", but=DATA_PATH)


def test_base_url_and_output_folder_changes(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    build(project, out, base_url="https://example.org/briefing/")
    assert_same_as_clean(project, out, "https://example.org/briefing/")
    other = tmp_path / "elsewhere"
    build(project, other)
    assert_same_as_clean(project, other)
    build(project, out)
    assert_same_as_clean(project, out)


def test_the_site_kept_for_an_output_folder_goes_with_the_folder(tmp_path):
    project, out, other = fresh_project(tmp_path), tmp_path / "site", tmp_path / "elsewhere"
    kept = project / CACHE_DIR / "sites"
    build(project, out)
    build(project, other)
    build(project, other, base_url="/b/")  # a swap: the first site of `other` is kept
    EDITS["body"](project)
    build(project, out)
    assert len([p for p in kept.iterdir() if p.is_dir()]) == 2
    shutil.rmtree(other)
    before = site_files(out)
    EDITS["title"](project)
    build(project, out)
    (spare,) = [p for p in kept.iterdir() if p.is_dir()]  # the one of the folder still there
    assert site_files(spare) == before
    assert_same_as_clean(project, out)


def test_a_deleted_or_damaged_cache_only_costs_time(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    shutil.rmtree(project / CACHE_DIR)
    EDITS["title"](project)
    build(project, out)
    assert_same_as_clean(project, out)
    for db in (project / CACHE_DIR).glob("cache-*.sqlite"):
        db.write_bytes(b"this is not a database" * 100)
    EDITS["body"](project)
    build(project, out)
    assert_same_as_clean(project, out)


def test_a_cache_that_lost_bodies_or_export_items_only_costs_time(tmp_path):
    """An article loaded from the cache comes without its body, read when a page shows it: a body the
    cache lost (or damaged) is parsed again, an export item it lost is made again; a parse it holds
    damaged is made again."""
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    (db_path,) = (project / CACHE_DIR).glob("cache-*.sqlite")
    db = sqlite3.connect(db_path)
    db.execute("UPDATE parses SET body = x'00' WHERE path LIKE '%leaders-meet.md'")
    db.execute("UPDATE parses SET entry = substr(entry, 1, length(entry) / 2) WHERE path LIKE '%vik-answers.md'")
    db.execute("DELETE FROM fragments")
    db.commit()
    db.close()
    EDITS["template"](project)  # every article page made again, of articles loaded from the cache
    build(project, out)
    assert_same_as_clean(project, out)


def test_a_cache_of_another_generator_version_is_ignored_and_removed(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    (project / CACHE_DIR).mkdir()
    old = project / CACHE_DIR / "cache-0123456789abcdef0123.sqlite"
    sqlite3.connect(old).execute("CREATE TABLE junk (x)").connection.close()
    build(project, out)
    assert not old.exists()
    assert [p.name for p in (project / CACHE_DIR).glob("cache-*.sqlite")] == [f"cache-{code_version()[:20]}.sqlite"]
    assert_same_as_clean(project, out)


def test_new_time_zone_rules_start_a_new_cache(tmp_path):
    """A date's offset comes from the system's time-zone rules, which are updated several times a
    year: parses cached under older rules must not outlive them."""
    def cache_name(zones: Path) -> str:
        run = subprocess.run([sys.executable, "-c", "from generator.cache import code_version; print(code_version())"],
                             env={**os.environ, "PYTHONTZPATH": str(zones)}, capture_output=True, text=True, check=True)
        return run.stdout.strip()

    names = {}
    for release in ("2025a", "2025b"):
        zones = tmp_path / release
        zones.mkdir()
        (zones / "tzdata.zi").write_text(f"# version {release}\n# zic input\n")
        names[release] = cache_name(zones)
    (tmp_path / "2025a" / "tzdata.zi").write_text("# version 2025a\n# zic input, reformatted\n")
    assert cache_name(tmp_path / "2025a") == names["2025a"] != names["2025b"]


def test_a_site_edited_by_hand_is_rebuilt(tmp_path):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    (out / "articles/leaders-meet/index.html").write_text("defaced")
    (out / "stray.txt").write_text("not ours")
    build(project, out)
    assert_same_as_clean(project, out)


def test_a_build_starts_from_the_site_before_last_and_links_only_what_changed_since(tmp_path, monkeypatch):
    """The site a swap retires is kept (in the cache) and the next build makes its site out of it: a
    file that is still the live site's is left where it is, so an edit costs what changed since the
    site before last, not a link for every file. Whatever the kept site holds, the new site is a clean
    build's, and the site it retires is kept byte for byte."""
    monkeypatch.setenv("BRIEFING_JOBS", "1")  # links made in this process, where they are counted
    monkeypatch.delenv("BRIEFING_VERIFY_INCREMENTAL")  # which makes every file again, to compare
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    first, original = inodes(out), site_files(out)
    EDITS["title"](project)
    build(project, out)
    second, live = inodes(out), site_files(out)
    (spare,) = [p for p in (project / CACHE_DIR / "sites").iterdir() if p.is_dir()]
    assert site_files(spare) == original  # the first site, kept
    # Things no build leaves, which the next must not carry over.
    (spare / "stray.txt").write_text("not ours")
    (spare / "empty/deeper").mkdir(parents=True)
    shutil.rmtree(spare / "leaders/anna-berg")
    (spare / "leaders/anna-berg").write_text("a file where the site has a folder")
    (spare / "feed.xml").unlink()
    (spare / "feed.xml").mkdir()
    (spare / "feed.xml/index.html").write_text("a folder where the site has a file")

    linked = []
    link = write.link_or_copy
    monkeypatch.setattr(write, "link_or_copy", lambda source, target: (linked.append(target), link(source, target)))
    EDITS["body"](project)
    build(project, out)
    assert_same_as_clean(project, out)
    assert not (out / "empty").exists()
    assert site_files(spare) == live  # the retired site, as it was: nothing was written into its files
    now = inodes(out)
    still = {path for path in now if now[path] == second.get(path) == first.get(path)}
    assert {"articles/quiet-day/index.html", "404.html"} <= still  # the same file since the first build
    # Linked: only files that changed between the first site and the second, and those the odd spare spoilt.
    linked = {"/".join(Path(target).relative_to(tmp_path).parts[1:]) for target in linked}  # in the staging folder
    assert linked and linked <= {path for path in second if first.get(path) != second[path]} \
        | {"leaders/anna-berg/index.html", "feed.xml"}
    # The files replaced were set aside while the site was made, and are gone now it is in place.
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")]


def test_the_search_index_is_made_only_when_pages_changed(tmp_path, _verified_and_without_pagefind):
    calls = _verified_and_without_pagefind
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    assert len(calls) == 1 and calls[0].name.startswith(".site.building-")
    (out / "pagefind").mkdir()
    (out / "pagefind/index.bin").write_bytes(b"an index")
    (out / "pagefind" / STAMP).write_text('{"files": ["index.bin"]}')  # what the index holds, as Pagefind made it
    EDITS["touch"](project)
    build(project, out)
    assert len(calls) == 1  # nothing changed: the previous index was taken over
    assert (out / "pagefind/index.bin").read_bytes() == b"an index"
    (out / "pagefind/index.bin").unlink()
    EDITS["touch"](project)
    build(project, out)
    assert len(calls) == 2  # nothing changed, but the index lost a file: it is made again
    EDITS["title"](project)
    build(project, out)
    assert len(calls) == 3


def test_an_alias_edit_reparses_only_the_articles_it_can_change(tmp_path, monkeypatch):
    project, out = fresh_project(tmp_path), tmp_path / "site"
    build(project, out)
    parsed = []
    import generator.article_cache as article_cache

    original = article_cache.parse_recorded
    monkeypatch.setattr(article_cache, "parse_recorded", lambda ctx, f: parsed.append(f.path) or original(ctx, f))
    EDITS["alias"](project)  # 'Minister of Sudland' stands only in vik-answers and quiet-day
    build(project, out)
    assert sorted(parsed) == ["content/articles/quiet-day.md", "content/articles/vik-answers.md"]
    assert_same_as_clean(project, out)
    parsed.clear()
    EDITS["role"](project)  # a role is not read by parsing at all
    build(project, out)
    assert parsed == []
    assert_same_as_clean(project, out)


def test_digests_tell_apart_values_that_print_alike():
    """Dependency keys are digests of plain values: two different values must never share one."""
    values = [("a", "b"), ("ab",), "ab", b"ab", ["ab"], (("ab",),), 1, True, "1", None, "None", (), [], "",
              ("a", None), ("a", "None")]
    assert len({digest(value) for value in values}) == len(values)
    assert digest("x", (1, b"y")) == digest("x", (1, b"y"))


def test_recall_runs_a_step_again_only_when_its_arguments_changed():
    """What the preview keeps of the events' merging: the same reports give the same events and warnings."""
    runs = []

    def step(items, report):
        runs.append(items)
        report.warning("content/a.md", 1, 1, f"{len(items)} items")
        return tuple(items)

    recall, first, second = Recall(), Report(), Report()
    assert recall(step, [1, 2], report=first) == (1, 2)
    assert recall(step, [1, 2], report=second) == (1, 2)  # equal arguments (not the same list): not run again
    assert len(runs) == 1 and [d.message for d in second.diagnostics] == ["2 items"]
    assert recall(step, [1, 2, 3], report=Report()) == (1, 2, 3) and len(runs) == 2


# --- Sequences of edits -----------------------------------------------------------------------------

@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(EDITS)), min_size=2, max_size=5), st.booleans())
def test_any_sequence_of_edits_rebuilds_to_a_clean_build(tmp_path_factory, sequence, preview):
    root = tmp_path_factory.mktemp("seq")
    project, out = write_project(root / "p", dict(BASE_FILES)), root / "site"
    # As `briefing serve` builds, the data export is brought up to date only once the saves are
    # quiet: here, after the last one.
    memory = PreviewMemory() if preview else None
    built(project, out, memory, caught_up=False)
    broken = False
    for name in sequence:
        try:
            EDITS[name](project)
        except FileNotFoundError:  # deleting or renaming what an earlier step removed
            continue
        last_good = site_files(out)
        try:
            built(project, out, memory, caught_up=False)
        except ContentError:  # an edit that breaks the content (the same topic added twice): the site stays
            assert site_files(out) == last_good
            broken = True
            continue
        broken = False
        assert_same_as_clean(project, out, but=DATA_PATH if preview else None)
    if preview and not broken:
        catch_up(project, out)
        assert_same_as_clean(project, out)


# --- A parallel build -------------------------------------------------------------------------------

def many_articles(root: Path, count: int) -> Path:
    files = dict(BASE_FILES)
    for i in range(count):
        files[f"content/articles/a-{i:03d}.md"] = ARTICLE.replace("id: meeting", f"id: meeting-{i}").replace(
            "Leaders meet", f"Leaders meet {i}").replace("2025-03-19", f"2025-03-{10 + i % 18:02d}")
    return write_project(root, files)


def test_a_parallel_build_equals_a_single_process_build(tmp_path, monkeypatch):
    project = many_articles(tmp_path / "p", 90)
    monkeypatch.setenv("BRIEFING_JOBS", "1")
    build(project, tmp_path / "one")
    shutil.rmtree(project / CACHE_DIR)
    monkeypatch.setenv("BRIEFING_JOBS", "2")
    build(project, tmp_path / "two")
    assert site_files(tmp_path / "one") == site_files(tmp_path / "two")
    assert_same_as_clean(project, tmp_path / "two")
    EDITS["alias"](project)
    build(project, tmp_path / "two")
    assert_same_as_clean(project, tmp_path / "two")
    # Pages rendered by the workers into a staging folder that starts as the site before last.
    EDITS["template"](project)
    build(project, tmp_path / "two")
    assert_same_as_clean(project, tmp_path / "two")
    for db in (project / CACHE_DIR).glob("cache-*"):  # a cold build, the site before last still kept
        db.unlink()
    build(project, tmp_path / "two")
    assert_same_as_clean(project, tmp_path / "two")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith((".one.", ".two."))]  # workers' too



def test_an_article_changed_behind_a_parallel_builds_back_stops_it_by_name(tmp_path, monkeypatch):
    """Worker processes render article pages with bodies read back from the cache as the pages are
    handed out. A body the cache lost whose file changed without its stamp changing (same size, same
    modification time) cannot be made again as it was: the build stops, naming the file, and the
    site stays as it was."""
    monkeypatch.setenv("BRIEFING_JOBS", "2")
    project, out = many_articles(tmp_path / "p", 90), tmp_path / "site"
    build(project, out)
    before = site_files(out)
    path = project / "content/articles/a-042.md"
    (db_path,) = (project / CACHE_DIR).glob("cache-*.sqlite")
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE parses SET body = x'00' WHERE path LIKE '%a-042.md'")
    db.close()
    stamp = path.stat()
    text = path.read_text(encoding="utf-8")
    with open(path, "r+", encoding="utf-8") as f:  # same inode, same size
        f.write(text.replace("Leaders meet 42", "Leaders MEET 42"))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    EDITS["template"](project)  # every article page made again
    with pytest.raises(ContentError, match=r"content/articles/a-042\.md changed while the site was being built"):
        build(project, out)
    assert site_files(out) == before


# --- The plan, and the behaviour-preserving speed-ups it relies on -----------------------------------

def test_the_deferred_plan_is_the_plan(tmp_path):
    briefing, _ = load_briefing(fresh_project(tmp_path))
    planned = [(p.path, p.template, p.context.make() if hasattr(p.context, "make") else p.context)
               for p in planned_pages(briefing)]
    assert planned == [(p.path, p.template, p.context.make()) for p in plan_pages(briefing)]


TRICKY = list("aZ .-–—‒…'\"“”«»`´\t\n\r\x1c\u00a0\u2028\u3000İΣσςÉéﬁ_1") + ["--", "...", "  ", "ΟΔΟΣ", "\u0301"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), max_size=16).map("".join))
def test_fold_equals_the_character_by_character_definition(text):
    assert fold(text) == _fold_slow(text)
    assert folded(text) == _fold_slow(text)[0]


def _regex_pattern(phrase: str, quoted: bool):
    folded, _ = _fold_slow(phrase.strip())
    if not folded:
        return None
    if quoted:
        return re.compile(r"(?<=')" + re.escape(folded) + r"(?=[.,;:!?…]?')")
    return re.compile((r"(?<!\w)" if re.match(r"\w", folded) else "") + re.escape(folded) +
                      (r"(?!\w)" if re.search(r"\w$", folded) else ""))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list("ab '.,!?…_-é1")), max_size=5).map("".join),
       st.lists(st.sampled_from(list("ab '.,!?…_-é1") + ["ab", "'ab'"]), max_size=12).map("".join), st.booleans())
def test_phrases_match_where_their_regular_expressions_do(phrase, text, quoted):
    expected, pattern = _regex_pattern(phrase, quoted), phrase_pattern(phrase, quoted)
    assert (expected is None) == (pattern is None)
    if pattern is not None:
        want, got = expected.search(text), pattern.search(text)
        assert (want and (want.start(), want.end())) == (got and (got.start(), got.end()))


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                     lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner),
                     max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_an_export_item_is_written_as_json_writes_it(item):
    """data/briefing.json is put together from its items' texts (data_export.py), made by an encoder of
    our own rather than json's indented one (pure Python, twice as slow): the same text for any value."""
    dumped = json.dumps(item, ensure_ascii=False, indent=2)
    assert data_export._item_text(item) == "\n".join("    " + line for line in dumped.split("\n"))
