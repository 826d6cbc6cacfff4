"""The build, top to bottom: load files → parse and validate → model → plan pages → render → write.

`check` stops after the model; `build` goes all the way. Nothing is written
unless every stage before succeeded, and then atomically.

`build` is incremental (see incremental.py): it parses only the articles
that changed, renders only the pages whose view changed, and takes every
other file over from the previous site unchanged; a build with nothing to do
returns at once. `render_site` is the plain, complete rendering of every file,
which the incremental build must equal byte for byte (tests/test_incremental.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from . import noop
from .assemble import Recall, assemble, parse_each
from .errors import ContentError, Diagnostic, Report
from .exports import DATA_PATH, ROBOTS_PATH, SITE_FEED_PATH, SITEMAP_PATH, briefing_json, newest, robots, sitemap
from .feeds import leader_feed, site_feed
from .data_export import DataExport
from .incremental import Engine, PreviewMemory
from .keys import Keys, data_key
from .outputs import OutputBuilder, build_outputs, plan_outputs
from .model import Briefing
from .pages import plan_pages
from .parallel import alongside, return_freed_memory
from .render import Renderer
from .search import index_intact, index_site, refresh_index
from .sources import ArticleListing, load_content
from .urls import SEARCH_INDEX_DIR, leader_feed_path
from .write import SiteWriter, replace_file



@dataclass(frozen=True)
class BuildResult:
    pages: int
    seconds: float
    diagnostics: list[Diagnostic]
    # True when the search index and data/briefing.json may lag behind the pages (build(preview=...)):
    # catch_up brings them up to date.
    behind: bool = False


def check(project: Path) -> Report:
    """Validate the content tree; the report holds every problem found."""
    report = Report()
    assemble(load_content(project, report), report)
    return report


@contextlib.contextmanager
def _collector_off(freeze: bool):
    """Load with the garbage collector off (load_briefing). Loading makes millions of objects that live as long as
    the build (the cached parses, the model) and few reference cycles; collecting, which scanned
    them again and again as they piled up, took 3.6 s of the 4.7 s it took to load 10,000 cached
    parses. The collector then runs for the rest of the build (whose garbage does hold cycles: off
    throughout, a cold build at 10,000 articles peaked 200 MB higher). `freeze`: what was made is
    frozen first (gc.freeze), so that neither the first collection after loading (which would scan
    all of it, as the youngest generation: 0.8 s at 10,000 articles) nor any later one, in this
    process or its forked workers, scans it, and what loading freed is handed back to the system
    before workers are forked; the caller unfreezes it when the build is over."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
            return_freed_memory()
        if collecting:
            gc.enable()


def load_briefing(project: Path, strict: bool = False, base_url: str | None = None,
                  parse_articles=parse_each, source_date: datetime | None = None,
                  known_files: dict | None = None, recall: Recall | None = None,
                  freeze: bool = False, listed: ArticleListing | None = None) -> tuple[Briefing, Report]:
    """The validated model, or ContentError naming every problem.

    `source_date` (SOURCE_DATE_EPOCH) is the site's "generated at" time; without it, the newest
    article's last change is. `known_files` and `listed`: see sources.load_content; `recall`:
    assemble.Recall; `freeze`: see _collector_off (the caller then calls gc.unfreeze() when done with
    the model)."""
    report = Report()
    with _collector_off(freeze):
        briefing = assemble(load_content(project, report, known_files, listed), report, parse_articles, recall)
    if briefing is None or report.failed(strict):
        problems = report.sorted()
        raise ContentError(_failure_summary(report, strict), problems)
    if base_url is not None:
        briefing = dataclasses.replace(briefing, base_url=_normalise_base_url(base_url))
    generated = source_date.astimezone(ZoneInfo(briefing.timezone)) if source_date else newest(briefing.articles)
    return dataclasses.replace(briefing, generated_at=generated), report


def render_site(project: Path, briefing: Briefing) -> Iterator[tuple[str, bytes]]:
    """Every file of the site as (path, bytes), one at a time, so no build holds all its pages at once."""
    renderer = Renderer(project, briefing.base_url)
    yield from renderer.asset_files()
    pages = []
    for page in plan_pages(briefing):
        pages.append(page.path)
        yield page.output, renderer.render(page)
    yield SITE_FEED_PATH, site_feed(briefing)
    for leader in briefing.leaders:
        yield leader_feed_path(leader.id), leader_feed(briefing, leader)
    yield DATA_PATH, briefing_json(briefing)
    yield SITEMAP_PATH, sitemap(briefing, [p for p in pages if not p.endswith(".html")])
    yield ROBOTS_PATH, robots(briefing)


def build(project: Path, out: Path, base_url: str | None = None, strict: bool = False,
          source_date: datetime | None = None, preview: PreviewMemory | None = None,
          inputs: bytes | None = None) -> BuildResult:
    """Build the site into `out`.

    `preview` (briefing serve's builds, into a folder of its own, by one process that keeps this
    memory between them): the changed files are moved into `out` one by one rather than swapped in
    with the whole site (see write.py); the search index and data/briefing.json are left as they
    were, for catch_up to bring up to date afterwards (a save then shows without waiting for them);
    and unchanged source files and the folder's records come from the memory (see PreviewMemory).

    `inputs`: the fingerprint noop.unchanged made, when it found there is something to do."""
    started = time.perf_counter()
    engine = Engine(project, out, noop.options(base_url, strict, source_date), preview, inputs)
    try:
        last = engine.up_to_date()  # nothing changed since the last build into `out`: nothing to do
        if last is not None:
            return BuildResult(last.pages, time.perf_counter() - started, last.diagnostics)
        # Load, parse and validate (unchanged articles come from the cache), model.
        known, recall, listed = (preview.texts, preview.recall, preview.listing()) if preview \
            else (engine.known_sources(), None, None)
        briefing, report = load_briefing(project, strict, base_url, engine.article_cache().parse_articles,
                                         source_date, known, recall, freeze=True, listed=listed)
        # Plan: every file of the site, with the key of what it is made from.
        renderer = Renderer(project, briefing.base_url, engine.templates())
        keys = Keys(briefing, engine.articles, renderer, preview.keys if preview else None)
        outputs = plan_outputs(briefing, keys, renderer, with_data=preview is None)
        # Render and write: what changed is made anew, the rest is linked from the previous site.
        seed = engine.seed()
        writer = SiteWriter(out, in_place=preview is not None, spare=engine.spare(), seed=seed)
        previous = engine.previous_outputs(seed)
        builder = OutputBuilder(writer, renderer, previous, engine.verify, trusted=engine.records_in_memory)
        try:
            # The pages, then the search index; data/briefing.json, which the index does not read, is
            # made meanwhile (at 10,000 articles the export alone kept one core busy for ~9 s of a cold
            # build), in a process of its own: beside the index's Python in a thread of this one, an
            # edit's export took ~1.9 s rather than ~1.0.
            here = [output for output in outputs if output.here]
            made = build_outputs([o for o in outputs if not o.here], builder, engine.jobs, engine.articles.whole)
            if preview is not None:  # the index and the data stay as they were; catch_up follows
                indexed = writer.link_tree(SEARCH_INDEX_DIR)
            reindex = preview is None and (made.written or not index_intact(out / SEARCH_INDEX_DIR)
                                           or not writer.link_tree(SEARCH_INDEX_DIR))
            if reindex:
                writer.give(SEARCH_INDEX_DIR, coming=[output.path for output in here])
                known = engine.search_inputs(keys, made.searched())
            reconnect = engine.cache.reconnect if engine.cache else None
            with alongside(build_outputs, (here, builder, 1), engine.jobs if here else 1, reconnect) as exporting:
                if reindex:
                    index_site(writer.staging, briefing, known=known)
                made.update(exporting.result())
            writer.claim(output.path for output in here)  # made in the other process: theirs now
            kept = {output.path for output in outputs} | ({DATA_PATH} if preview is not None else set())
            engine.committing()
            writer.commit(gone=previous.keys() - kept)
        except BaseException:
            writer.abort()
            raise
        behind = False
        if preview is not None:
            behind = bool(made.written) or not indexed or preview.keys is None \
                or data_key(preview.keys) != data_key(keys)
            preview.keys = keys
        diagnostics = report.sorted()
        engine.save(made, diagnostics)
        return BuildResult(made.pages, time.perf_counter() - started, diagnostics, behind)
    finally:
        gc.unfreeze()
        engine.close()


def catch_up(project: Path, out: Path, base_url: str | None = None, source_date: datetime | None = None,
             memory: PreviewMemory | None = None) -> bool:
    """Bring what a build(preview=...) into `out` leaves behind up to date, in place: the search index
    and data/briefing.json. True when either changed.

    `memory`: kept by the caller between its calls (the preview's indexing process keeps one): of it,
    what loading the model reads (sources, parses, merged events, templates) and the last keys, so that
    a call after the first loads what changed since, as the preview's builds do; at 10,000 articles,
    loading the model afresh was ~2 s of each call."""
    memory = memory if memory is not None else PreviewMemory()
    # No fingerprint (b""): nothing here asks whether anything changed since a build.
    engine = Engine(project, out, noop.options(base_url, False, source_date), inputs=b"", parses=memory.parses)
    try:
        briefing, _ = load_briefing(project, False, base_url, engine.article_cache().parse_articles, source_date,
                                    memory.texts, memory.recall, freeze=True)
        keys = Keys(briefing, engine.articles, Renderer(project, briefing.base_url, memory.templates), memory.keys)
        data_changed = replace_file(out / DATA_PATH, DataExport(engine.cache, engine.articles.entries,
                                                                keys.event, engine.articles.whole)(briefing))
        searched = refresh_index(out, briefing, known=engine.search_inputs(keys, engine.searched_pages()))
        engine.save_search()
        memory.keys = keys
        memory.parses.keep_only({file.path for file in engine.articles.files})
    finally:
        gc.unfreeze()
        engine.close()
    return data_changed or (searched is not None and not searched.reused)


def _failure_summary(report: Report, strict: bool) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        return f"{errors} error{'s' if errors != 1 else ''} in the content; nothing was written"
    if warnings and strict:
        return f"{warnings} warning{'s' if warnings != 1 else ''} (errors under --strict); nothing was written"
    return "the content could not be read; nothing was written"


def _normalise_base_url(value: str) -> str:
    value = value.strip() or "/"
    return value if value.endswith("/") else value + "/"
