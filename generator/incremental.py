"""The incremental build: parse only what changed, render only what changed, write only what changed.

Three layers, each a shortcut that can only ever give the bytes a full build gives:

1. Articles (`ArticleCache`, article_cache.py). An article is parsed again only
   when its file, or what its parse read of the rest of the briefing, changed.

2. Outputs (`Keys`, `plan_outputs`, `OutputBuilder`). Every file of the site
   gets a *dependency key*, a digest of the parts of the model it is made from
   (an article page: its article, the reports that make the events it reports,
   the names of the leaders it names, the titles of the articles those events
   cite, the site settings and outlets, its templates; the summary, timeline,
   topic and list pages: every article without its body, every leader (or only
   their names, for the pages that describe none) and timeline.yaml's events; a
   leader's page: those, with the other leaders' names and that leader whole;
   data/briefing.json: everything). A file whose key is the last build's is
   taken over unchanged. Otherwise its context (the view the template
   receives) is made and digested together with its templates and assets; an
   unchanged digest also takes the old file over, and only a changed one is
   rendered. A rendered file whose bytes equal the old file's keeps the old
   file (and its modification time).

3. No-op (`Engine.up_to_date`). When no input file, option or generator file changed
   since the last build into the same directory, and that directory still
   holds exactly what the build wrote, nothing is done at all.

"Taken over" means hard-linked from the previous site into the new build's
staging directory (write.SiteWriter), so the new site is complete before it
is swapped in and a killed build still leaves the old site as it was. The
staging directory starts as the site before last (`Engine.spare`), so a file
that did not change since then is there already.

BRIEFING_VERIFY_INCREMENTAL=1 makes every build check layer 2's keys: each
page that its key would skip has its context digested anyway, and a
difference is an error naming the page (the test suite runs with it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from . import pages as page_plan
from .article_cache import ArticleCache, ParseMemory
from .assemble import Recall
from .cache import BuildCache, code_version, digest, value_digest
from .errors import BriefingError, ContentError, Diagnostic
from .data_export import DataExport
from .exports import DATA_PATH, ROBOTS_PATH, SITE_FEED_PATH, SITEMAP_PATH, robots, sitemap
from .feeds import leader_feed_parts, site_feed_parts
from .model import Article, Briefing
from .parallel import cores, parallel_map
from .render import Deferred, Page, Renderer, TemplateMemory, builtin_templates
from .search import Known, RecordMemo, indexed_page, searched_digest
from .sources import unread_file
from .urls import SEARCH_INDEX_DIR, leader_feed_path

VERIFY = "BRIEFING_VERIFY_INCREMENTAL"
_BODY_BATCH = 64  # article bodies read from the cache at once while rendering
# Files are made by `jobs` processes when that pays for forking them: for this many files to make,
# or for two or more of the pages that list everything (a leader's page and feed at 10,000
# articles take ~1.2 s each) in a briefing of this many files.
_PARALLEL_RENDER_MIN = 64
_PARALLEL_LARGE_SITE = 2000


# ---------------------------------------------------------------------------
# 2. Outputs


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
    here: bool = False  # made in the build's own process (it reads the cache, which a forked worker must not use)


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
        self.full = {a.slug: entries[a.slug].full if entries.get(a.slug) else value_digest(a) for a in b.articles}
        head = self.head = {a.slug: entries[a.slug].head if entries.get(a.slug) else
                            value_digest(dataclasses.replace(a, body_html="", paragraphs=())) for a in b.articles}
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
        self.site_but_description = digest(
            "site", code_version(), b.title, b.language, b.timezone, b.base_url, value_digest((b.settings, b.topics)),
            value_digest([a.source for a in b.articles]),
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

    @functools.cached_property
    def _events(self):
        return {e.id: e for e in self.briefing.events}

    def briefing_event(self, event_id: str):
        return self._events.get(event_id)


def data_key(keys: Keys) -> bytes:
    return digest("data", keys.site, keys.everything)


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
        outputs.append(Output(DATA_PATH, data_key(keys), make=lambda: export(briefing), here=True,
                              remake=functools.partial(export, briefing), written=export.written))
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
                st = os.stat(os.path.join(self.writer.out, path))
            except OSError:
                record = None
            else:
                if (st.st_size, st.st_mtime_ns, st.st_ino) != (record.size, record.mtime_ns, record.inode):
                    record = None
        self._usable[path] = record
        return record

    def build(self, output: Output) -> tuple[str, OutputRecord, str]:
        """Make one file; (path, record, how): how is 'kept', 'same' (made, bytes unchanged) or 'new'."""
        path, previous = output.path, self.usable(output.path)
        if output.page is not None:
            return self._page(output, previous)
        if previous is not None and previous.key == output.key and not self.verify:
            return path, self._keep(path, previous, output.key), "kept"
        made = output.remake(self.writer.out / path, previous.content) if output.remake and previous is not None \
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
        if previous is not None and previous.key == output.key and not self.verify:
            return path, self._keep(path, previous, output.key), "kept"
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
    work = {o.path for o in outputs if builder.usable(o.path) is None or builder.previous[o.path].key != o.key
            or builder.verify}
    listing = sum(1 for o in outputs if o.path in work and not o.here and not _is_article_page(o))
    if len(work) < _PARALLEL_RENDER_MIN and (listing < 2 or len(outputs) < _PARALLEL_LARGE_SITE):
        jobs = 1
    # The large files (the summary, timeline, leader, topic and list pages, feeds and data) first, so
    # that no process is left with one big page at the end while the others are idle.
    order = sorted((n for n, o in enumerate(outputs) if not o.here), key=lambda n: (_is_article_page(outputs[n]), n))
    apart = {n for n in order if whole is not None and outputs[n].path in work and _is_article_page(outputs[n])
             and outputs[n].page.context.args[1].body_html is None}
    made = parallel_map(_build_nth, (builder, outputs), _with_bodies(order, outputs, apart, whole), jobs,
                        chunksize=4, count=len(order))
    builder.writer.claim(outputs[n].path for n in order)
    made += [_build_nth((builder, outputs), n) for n, o in enumerate(outputs) if o.here]
    by_path = {}
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


# ---------------------------------------------------------------------------
# 3. No-op


def input_stats(project: Path) -> list[tuple]:
    """(path, size, mtime_ns, inode) of every file a build reads: content/, the templates, the generator itself."""
    roots = [project / "content", project / "templates", builtin_templates()]
    found = []
    for root in roots:
        _walk(str(root), found)
    return found


def _walk(directory: str, found: list, outline: str | None = None) -> None:
    """Each file below `directory` with its size, modification time and inode. Below `outline` (a
    folder's path), only the folders with their number of entries and modification time, which
    change when a file is added, removed or replaced by another, and files named 'briefing-*'."""
    inside = outline is not None and (directory == outline or directory.startswith(outline + os.sep))
    try:
        entries = list(os.scandir(directory))
        changed = os.stat(directory).st_mtime_ns if inside else 0
    except OSError:
        return
    found.append((directory, "dir", len(entries), changed))
    for entry in entries:
        if inside and not entry.name.startswith("briefing-") and not entry.is_dir():
            continue
        try:
            st = entry.stat()  # follows symbolic links, as the build does
        except OSError:
            found.append((entry.path, "broken"))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(entry.path, found, outline)
        else:
            found.append((entry.path, st.st_size, st.st_mtime_ns, st.st_ino))


def fingerprint(project: Path, out: Path, options: tuple) -> bytes:
    return digest("fingerprint", code_version(), str(project), str(out), repr(options), _listing(input_stats(project)))


def _listing(found: list[tuple]) -> bytes:
    """A digest of _walk's tuples (of str and int), made at C speed: tens of thousands on a large site."""
    return hashlib.blake2b(repr(sorted(found)).encode("utf-8", "surrogatepass"), digest_size=16).digest()


# ---------------------------------------------------------------------------
# The build's bookkeeping


@dataclass
class LastBuild:
    """What a finished build into a directory left in the cache."""

    inputs: bytes  # fingerprint() of what it read
    site: bytes  # site_fingerprint() of what it left
    pages: int
    diagnostics: list[Diagnostic]


_SEARCH_MEMO = "search-records"
_SPARES = "sites"  # in the cache folder: the sites swaps retired, see Engine.spare
_TRIMMED = "search-pages"  # in the cache folder: search.Known.trimmed of each output folder
_SOURCES = "article-texts"


@dataclass
class PreviewMemory:
    """What `briefing serve`'s build process keeps between its builds into the preview's own folder
    (pipeline.build(preview=...)), so that a save costs what it changed: the source files as last
    read, the parses, and the records of the folder's files as the last build left them. No other
    process writes those files (the search index and data/briefing.json, which pipeline.catch_up
    writes, are not among them), so the records are trusted without a look at the folder."""

    texts: dict = field(default_factory=dict)  # sources.load_content's `known`
    parses: ParseMemory = field(default_factory=ParseMemory)
    templates: TemplateMemory = field(default_factory=TemplateMemory)
    recall: Recall = field(default_factory=Recall)
    keys: Keys | None = None  # the last build's
    records: dict[str, OutputRecord] | None = None  # None: unknown (no build yet, or one failed while committing)


class Engine:
    """One build's use of the cache: is anything to do, what did the last build write, store this one.
    With `preview`, what the last build left is kept in that memory instead of the cache."""

    def __init__(self, project: Path, out: Path, options: tuple, preview: PreviewMemory | None = None):
        self.project, self.out, self.preview = project, out, preview
        self.cache = BuildCache.open(project)
        self.jobs = cores()
        self.verify = os.environ.get(VERIFY, "") not in ("", "0")
        # The preview builds only after the watcher saw a change, which the fingerprint would show too.
        self.inputs = fingerprint(project, out, options) if preview is None else b""
        self.memory = preview.parses if preview else ParseMemory()
        self.articles: ArticleCache | None = None
        self.search: Known | None = None

    def search_inputs(self, keys: Keys, pages: dict[str, bytes | None] | None = None) -> Known:
        """What the search index can take from this build (search.Known), with what the last one left."""
        memo = self.cache.get_state(_SEARCH_MEMO) if self.cache else None
        trimmed = self._folder_of_out(self.cache.path.parent / _TRIMMED) if self.cache else None
        self.search = Known(pages, keys.record_inputs(), memo if isinstance(memo, RecordMemo) else RecordMemo(),
                            trimmed)
        return self.search

    def save_search(self) -> None:
        """Keep what the search index left in `search_inputs()` for the next build (done by save())."""
        if self.cache and self.search is not None:
            self.cache.save([], str(self.out), None, {_SEARCH_MEMO: self.search.memo})

    def up_to_date(self) -> LastBuild | None:
        """The last build, when nothing it read changed and `out` still holds exactly what it wrote."""
        if self.verify or self.preview is not None:
            return None
        last = self.cache.get_state(f"last:{self.out}") if self.cache else None
        if isinstance(last, LastBuild) and last.inputs == self.inputs and last.site == site_fingerprint(self.out):
            return last
        return None

    def article_cache(self) -> ArticleCache:
        self.articles = ArticleCache(self.project, self.cache, self.jobs, self.memory)
        return self.articles

    def known_sources(self) -> dict:
        """sources.load_content's `known` for a `briefing build`: the articles the last build read, by
        the stamp (size, modification time, inode) it read them with. One whose stamp is unchanged is
        not read again (at 10,000 articles, reading them took ~1.5 s): its parse is found by the digest
        of its text, which the last build left, and only a parse not found reads it after all."""
        texts = self.cache.get_state(_SOURCES) if self.cache else None
        if not isinstance(texts, dict):
            return {}
        self.memory.texts.update(texts)
        return {path: (stamp, unread_file(path, stamp)) for path, (stamp, _) in texts.items()}

    def spare(self) -> Path | None:
        """Where the site a swap retires is kept for the next build into `out` to start from (see
        write.SiteWriter): in the cache, when the cache is on the output's file system. The preview
        writes its folder in place and needs none."""
        if not self.cache or self.preview is not None:
            return None
        sites = self.cache.path.parent / _SPARES
        try:
            if os.stat(sites.parent).st_dev != os.stat(self.out.parent).st_dev:
                return None
        except OSError:
            return None
        return self._folder_of_out(sites)

    def _folder_of_out(self, within: Path) -> Path | None:
        """A folder in `within` (in the cache) for what is kept for builds into `out`, named after it,
        with a note of `out` beside it; the folders of outputs that are gone are deleted."""
        out = str(self.out.resolve())
        try:
            within.mkdir(exist_ok=True)
            _drop_spares_of_gone_folders(within)
            name = hashlib.blake2b(out.encode(), digest_size=8).hexdigest()
            (within / f"{name}.out").write_text(out, encoding="utf-8")
        except OSError:
            return None
        return within / name

    @property
    def records_in_memory(self) -> bool:
        return self.preview is not None and self.preview.records is not None

    def previous_outputs(self) -> dict[str, OutputRecord]:
        if self.records_in_memory:
            return self.preview.records
        if not self.cache:
            return {}
        return {path: pickle.loads(blob) for path, blob in self.cache.outputs(str(self.out)).items()}

    def committing(self) -> None:
        """The preview's folder is about to change: until save(), what the memory says of it is unsure."""
        if self.preview is not None:
            self.preview.records = None

    def save(self, made: RenderResult, diagnostics: list[Diagnostic]) -> None:
        """After the swap: remember the parses and the files of this build."""
        if self.preview is not None:
            self.preview.records = made.records
        if not self.cache:
            return
        dropped, name_maps = self.articles.to_store(self.articles.files)
        if self.preview is not None:
            self.cache.save(dropped, str(self.out), None, {"name-maps": name_maps})
            return
        records = {path: pickle.dumps(record, protocol=5) for path, record in made.records.items()}
        last = LastBuild(self.inputs, site_fingerprint(self.out), made.pages, diagnostics)
        state = {f"last:{self.out}": last, "name-maps": name_maps,
                 _SOURCES: {path: known for path, known in self.memory.texts.items() if known[0] is not None}}
        if self.search is not None:
            state[_SEARCH_MEMO] = self.search.memo
        self.cache.save(dropped, str(self.out), records, state)

    def close(self) -> None:
        if self.cache:
            self.cache.close()


def _drop_spares_of_gone_folders(sites: Path) -> None:
    """A kept site (or search pages) whose output folder is gone (an `--out` used once, a deleted
    site, a finished preview's) holds files alive for nothing: it goes. Each has a note of its folder
    beside it."""
    for note in sites.glob("*.out"):
        try:
            gone = not Path(note.read_text(encoding="utf-8")).is_dir()
        except (OSError, ValueError):
            gone = True
        if gone:
            shutil.rmtree(sites / note.stem, ignore_errors=True)
            note.unlink(missing_ok=True)


def site_fingerprint(out: Path) -> bytes:
    """Every file in the output directory with its size, modification time and inode; of the search
    index (a file a page or event, named after its bytes), the outline `_walk` takes."""
    found: list = []
    if out.is_dir():
        _walk(str(out), found, str(out / SEARCH_INDEX_DIR))
    return _listing(found)
