"""The site's files: planned with their dependency keys (keys.py), then each taken over from the
previous site or made, in as many processes as pay.

A file whose key is the last build's is taken over unchanged. Otherwise its context (the view the
template receives) is made and digested together with its templates and assets; an unchanged
digest also takes the old file over, and only a changed one is rendered. A rendered file whose
bytes equal the old file's keeps the old file (and its modification time). With `verify`
(BRIEFING_VERIFY_INCREMENTAL=1), a page its key would skip has its view digested anyway, and a
difference is an error naming the page.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from . import pages as page_plan
from .cache import digest, value_digest
from .data_export import DataExport
from .errors import BriefingError, ContentError
from .exports import DATA_PATH, ROBOTS_PATH, SITE_FEED_PATH, SITEMAP_PATH, robots, sitemap
from .feeds import leader_feed_parts, site_feed_parts
from .keys import Keys, data_key
from .model import Article, Briefing
from .parallel import parallel_map
from .render import Deferred, Page, Renderer
from .search import indexed_page, searched_digest
from .urls import leader_feed_path

_BODY_BATCH = 64  # article bodies read from the cache at once while rendering
# Files are made by `jobs` processes when that pays for forking them: for this many files to make,
# or for two or more of the pages that list everything (a leader's page and feed at 10,000
# articles take ~1.2 s each) in a briefing of this many files.
_PARALLEL_RENDER_MIN = 64
_PARALLEL_LARGE_SITE = 2000


@dataclass
class Output:
    """One file of the site: how to make it, and the key of what it is made from."""

    path: str  # in the site: 'articles/x/index.html', 'feed.xml'
    key: bytes
    page: Page | None = None  # for pages: the page, its context still to be made (see Deferred)
    make: Callable[[], bytes | Iterator[bytes]] | None = None  # for other files: their bytes, whole or in pieces
    # or, when the previous site has the file, made with it: (that file, its content digest) -> bytes;
    # `written` is then told the content digest of what was made
    remake: Callable[[Path, bytes], Iterator[bytes]] | None = None
    written: Callable[[bytes], None] | None = None
    here: bool = False  # made apart from the pages, with a connection to the cache of its own (pipeline.build)


@dataclass
class OutputRecord:
    """A file as a build left it in the site."""

    key: bytes  # its dependency key
    view: bytes | None  # digest of what its template was given (pages only)
    content: bytes  # digest of its bytes
    size: int
    mtime_ns: int
    inode: int
    searched: bytes | None = None  # of a page the search index reads: search.searched_digest of its bytes


def planned_pages(briefing: Briefing) -> list[Page]:
    """The pages `pages.plan_pages` plans, in its order; each context is made only when asked for."""
    return list(page_plan.plan_pages(briefing))


def plan_outputs(briefing: Briefing, keys: Keys, renderer: Renderer, with_data: bool = True) -> list[Output]:
    """Every file of the site, in the order a full build writes them (see pipeline.render_site);
    without data/briefing.json when not `with_data`."""
    outputs = [Output(path, digest("asset", data), make=functools.partial(bytes, data))
               for path, data in renderer.asset_files()]
    pages = planned_pages(briefing)
    outputs += [Output(page.output, keys.page(page), page=page) for page in pages]
    # The feeds and the sitemap name leaders without describing them; a leader's feed says their role.
    # The site's feed says the site's description; the other files do not.
    heads, site = keys.heads_by_name, keys.site_but_description
    outputs.append(Output(SITE_FEED_PATH, digest("feed", keys.site, heads), make=lambda: site_feed_parts(briefing)))
    for leader in briefing.leaders:
        outputs.append(Output(leader_feed_path(leader.id), digest("feed", site, heads, keys.leader[leader.id]),
                              make=functools.partial(leader_feed_parts, briefing, leader)))
    if with_data:
        export = DataExport(keys.cache, keys.articles.entries, keys.event, keys.articles.whole)
        made = functools.partial(export, briefing)  # given the previous file and its digest, it copies from it
        outputs.append(Output(DATA_PATH, data_key(keys), make=made, remake=made, written=export.written, here=True))
    page_paths = [p.path for p in pages if not p.path.endswith(".html")]
    outputs.append(Output(SITEMAP_PATH, digest("sitemap", site, heads, tuple(page_paths)),
                          make=lambda: sitemap(briefing, page_paths)))
    outputs.append(Output(ROBOTS_PATH, digest("robots", site), make=lambda: robots(briefing)))
    return outputs


@dataclass
class RenderResult:
    records: dict[str, OutputRecord] = field(default_factory=dict)
    rendered: list[str] = field(default_factory=list)  # files made anew (pages rendered, files regenerated)
    written: list[str] = field(default_factory=list)  # files whose bytes changed
    pages: int = 0

    def update(self, other: RenderResult) -> None:
        """Add the files another build_outputs made."""
        self.records.update(other.records)
        self.rendered += other.rendered
        self.written += other.written
        self.pages += other.pages

    def searched(self) -> dict[str, bytes | None]:
        """The pages the search index reads, with what it reads of them (search.index_site's `pages`)."""
        return {path: record.searched for path, record in self.records.items() if indexed_page(path)}


class OutputBuilder:
    """Makes each planned file in the staging directory: taken over from the previous site, or made."""

    def __init__(self, writer, renderer: Renderer, previous: dict[str, OutputRecord], verify: bool = False,
                 trusted: bool = False):
        self.writer, self.renderer, self.previous, self.verify = writer, renderer, previous, verify
        self.trusted = trusted  # the records are known to describe the folder (PreviewMemory's)
        self._usable: dict[str, OutputRecord | None] = {}  # the previous site is not written during a build

    def usable(self, path: str) -> OutputRecord | None:
        """The previous build's record of `path`, if the previous site still holds that very file."""
        if path in self._usable:
            return self._usable[path]
        record = self.previous.get(path)
        if record is not None and not self.trusted:
            try:
                st = os.stat(os.path.join(self.writer.previous, path))
            except OSError:
                record = None
            else:
                if (st.st_size, st.st_mtime_ns, st.st_ino) != (record.size, record.mtime_ns, record.inode):
                    record = None
        self._usable[path] = record
        return record

    def unchanged(self, output: Output) -> OutputRecord | None:
        """The previous site's file taken over, when its key says nothing it is made from changed."""
        previous = self.usable(output.path)
        if previous is None or previous.key != output.key or self.verify:
            return None
        return self._keep(output.path, previous, output.key)

    def build(self, output: Output) -> tuple[str, OutputRecord, str]:
        """Make one file; (path, record, how): how is 'kept', 'same' (made, bytes unchanged) or 'new'."""
        path, previous = output.path, self.usable(output.path)
        if (kept := self.unchanged(output)) is not None:
            return path, kept, "kept"
        if output.page is not None:
            return self._page(output, previous)
        made = output.remake(self.writer.previous / path, previous.content) if output.remake and previous is not None \
            else output.make()
        with self.writer.open(path) as stream:
            content = _write_all(stream, [made] if isinstance(made, bytes) else made)
        if output.written:
            output.written(content)
        if previous is not None and previous.content == content:
            self.writer.discard(path)
            return path, self._keep(path, previous, output.key), "same"
        if self.verify and previous is not None and previous.key == output.key:
            raise AssertionError(f"incremental build: the dependency key of {path} missed a change")
        return path, self._record(self.writer.stat(path), output.key, None, content), "new"

    def _page(self, output: Output, previous: OutputRecord | None):
        page, path = output.page, output.path
        context = page.context.make() if isinstance(page.context, Deferred) else page.context
        view = digest(self.renderer.template_digest(page.template), self.renderer.render_digest(page),
                      value_digest(self._as_shown(page, context)))
        if isinstance(page.context, Deferred):
            page.context.drop()
        if previous is not None and previous.view == view:
            return path, self._keep(path, previous, output.key, view), "kept"
        if self.verify and previous is not None and previous.key == output.key:
            raise AssertionError(f"incremental build: the dependency key of {path} missed a change in its view")
        rendered = Page(page.path, page.template, context)
        with self.writer.open(path) as stream:
            content = self.renderer.render_to(rendered, stream)
        if previous is not None and previous.content == content:
            self.writer.discard(path)
            return path, self._keep(path, previous, output.key, view), "same"
        record = self._record(self.writer.stat(path), output.key, view, content)
        if indexed_page(path):  # read back while the system still holds it: pages are written in pieces
            record.searched = searched_digest(self.writer.read(path))
        return path, record, "new"

    def _as_shown(self, page: Page, context: dict) -> dict:
        """The context as the page's templates can see it: without the keys of `site` they never read
        (every view carries the site's description, which few pages show)."""
        site, read = context.get("site"), self.renderer.site_keys_read(page.template)
        if read is None or not isinstance(site, dict) or site.keys() <= read:
            return context
        return {**context, "site": {key: value for key, value in site.items() if key in read}}

    def _keep(self, path: str, previous: OutputRecord, key: bytes, view: bytes | None = None) -> OutputRecord:
        self.writer.link(path, previous.inode)
        if key == previous.key and view in (None, previous.view):
            return previous
        return dataclasses.replace(previous, key=key, view=view if view is not None else previous.view)

    @staticmethod
    def _record(st: os.stat_result, key: bytes, view: bytes | None, content: bytes) -> OutputRecord:
        return OutputRecord(key, view, content, st.st_size, st.st_mtime_ns, st.st_ino)


def _write_all(stream, chunks) -> bytes:
    """Write byte strings to a stream; content_digest() of all of them."""
    h = hashlib.blake2b(digest_size=16)
    for chunk in chunks:
        h.update(chunk)
        stream.write(chunk)
    return h.digest()


def _is_article_page(output: Output) -> bool:
    context = output.page.context if output.page else None
    return isinstance(context, Deferred) and context.function is page_plan.article_context


def _with_bodies(order: list[int], outputs: list[Output], apart: set[int], whole) -> Iterator:
    """Each n of `order`, or for an article page among `apart` (n, its article's body), the bodies read
    as the pages are handed out, a batch at a time: a build that makes every article page (a new
    template) never holds every body (~250 MB at 10,000 articles)."""
    for start in range(0, len(order), _BODY_BATCH):
        batch = order[start:start + _BODY_BATCH]
        found = whole([outputs[n].page.context.args[1] for n in batch if n in apart])
        for n in batch:
            if n in apart:
                article = found[outputs[n].page.context.args[1].slug]
                yield n, (article.body_html, article.paragraphs)
            else:
                yield n


def _build_nth(state, item):
    builder, outputs = state
    n, body = item if isinstance(item, tuple) else (item, None)
    output = outputs[n]
    if body is not None:
        ix, article = output.page.context.args
        article = dataclasses.replace(article, body_html=body[0], paragraphs=body[1])
        page = Page(output.page.path, output.page.template, Deferred(page_plan.article_context, ix, article))
        output = dataclasses.replace(output, page=page)
    try:
        return builder.build(output)
    except BriefingError as error:  # exceptions cross processes by their arguments alone: keep the diagnostics
        return ("error", type(error), str(error), error.diagnostics)


def build_outputs(outputs: list[Output], builder: OutputBuilder, jobs: int,
                  whole: Callable[[list[Article]], dict[str, Article]] | None = None) -> RenderResult:
    """Make every planned file; the pages that must be rendered are spread over `jobs` processes.
    `whole`: ArticleCache.whole, for the article pages to be made of an article loaded without its body."""
    result = RenderResult()
    # The files taken over as they were, here and now: most of an edit's (a save at 10,000 articles
    # spent ~0.05 s handing each through the workers' machinery).
    by_path = {}
    for output in outputs:
        if (kept := builder.unchanged(output)) is not None:
            by_path[output.path] = (output.path, kept, "kept")
    work = [n for n, o in enumerate(outputs) if o.path not in by_path]
    listing = sum(1 for n in work if not outputs[n].here and not _is_article_page(outputs[n]))
    if len(work) < _PARALLEL_RENDER_MIN and (listing < 2 or len(outputs) < _PARALLEL_LARGE_SITE):
        jobs = 1
    # The large files (the summary, timeline, leader, topic and list pages, feeds and data) first, so
    # that no process is left with one big page at the end while the others are idle.
    order = sorted((n for n in work if not outputs[n].here), key=lambda n: (_is_article_page(outputs[n]), n))
    apart = {n for n in order if whole is not None and _is_article_page(outputs[n])
             and outputs[n].page.context.args[1].body_html is None}
    made = parallel_map(_build_nth, (builder, outputs), _with_bodies(order, outputs, apart, whole), jobs,
                        chunksize=4, count=len(order))
    builder.writer.claim(outputs[n].path for n in order)
    made += [_build_nth((builder, outputs), n) for n in work if outputs[n].here]
    for item in made:
        if item[0] == "error":
            _, kind, message, diagnostics = item
            raise (kind if issubclass(kind, BriefingError) else ContentError)(message, diagnostics)
        by_path[item[0]] = item
    for output in outputs:
        path, record, how = by_path[output.path]
        result.records[path] = record
        if how != "kept":
            result.rendered.append(path)
        if how == "new":
            result.written.append(path)
        result.pages += path.endswith(".html")
    return result
