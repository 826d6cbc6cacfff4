"""The incremental build: parse only what changed, render only what changed, write only what changed.

Three layers, each a shortcut that can only ever give the bytes a full build gives:

1. Articles (`ArticleCache`, article_cache.py). An article is parsed again only
   when its file, or what its parse read of the rest of the briefing, changed.

2. Outputs (keys.py, outputs.py). Every file of the site gets a *dependency
   key*, a digest of the parts of the model it is made from; a file whose key
   is the last build's is taken over unchanged, and of the others only those
   whose view changed are rendered.

3. No-op (noop.py). When no input file, option or generator file changed
   since the last build into the same directory, and that directory still
   holds exactly what the build wrote, nothing is done at all.

This module holds what a build keeps between builds: the cache's records of
the last build (`Engine`) and the preview's memory (`PreviewMemory`).

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

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .article_cache import ArticleCache, ParseMemory
from .assemble import Recall
from .cache import BuildCache
from .errors import Diagnostic
from .keys import Keys
from .noop import LastBuild, current, fingerprint, state_name, verifying, written_fingerprint
from .outputs import OutputRecord, RenderResult
from .parallel import cores
from .render import TemplateMemory
from .search import Known, RecordMemo, pages_read
from .sources import ArticleListing, unread_file


# ---------------------------------------------------------------------------
# The build's bookkeeping


_SEARCH_MEMO = "search-records"
_SPARES = "sites"  # in the cache folder: the sites swaps retired, see Engine.spare
_TRIMMED = "search-pages"  # in the cache folder: search.Known.trimmed of each output folder
_SOURCES = "article-texts"
_TEMPLATES = "templates"  # render.TemplateMemory.state()
# The preview's last build: its folder, and what the search index reads of each page (see search.pages_read),
# for the catching up that follows in another process. One for the project, not one per preview folder
# (each `briefing serve` has a new one): a second preview of the project at once costs its catching up time.
_PREVIEW_SEARCHED = "preview-searched-pages"


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
    articles: ArticleListing = field(default_factory=ArticleListing)
    # The files changed since the last build (project-relative), as the caller heard of them (serve's
    # watcher) and tells the next build; None: not told, and the build looks at every file.
    changed: list[str] | None = None

    def listing(self) -> ArticleListing:
        """The articles' listing for the next build, told what changed since the last one (once)."""
        if self.changed is None:
            self.articles.forget()
        else:
            self.articles.heard(self.changed)
        self.changed = None
        return self.articles


class Engine:
    """One build's use of the cache: is anything to do, what did the last build write, store this one.
    With `preview`, what the last build left is kept in that memory instead of the cache."""

    def __init__(self, project: Path, out: Path, options: tuple, preview: PreviewMemory | None = None,
                 inputs: bytes | None = None, parses: ParseMemory | None = None):
        """`inputs`: noop.fingerprint() of this build, when the caller made it and found that there is
        something to do (noop.unchanged). `parses`: kept by the caller between builds without `preview`
        (the preview's indexing process, see pipeline.catch_up)."""
        self.project, self.out, self.preview = project, out, preview
        self.cache = BuildCache.open(project)
        self.jobs = cores()
        self.verify = verifying()
        self.checked = inputs is not None
        if inputs is None:
            # The preview builds only after the watcher saw a change, which the fingerprint would show too.
            inputs = fingerprint(project, out, options) if preview is None else b""
        self.inputs = inputs
        self.memory = preview.parses if preview else parses if parses is not None else ParseMemory()
        self.articles: ArticleCache | None = None
        self.search: Known | None = None
        self.stored: dict[str, OutputRecord] = {}  # the cache's records of `out` when the build began
        self._templates: TemplateMemory | None = None

    def search_inputs(self, keys: Keys, pages: dict[str, bytes | None] | None = None) -> Known:
        """What the search index can take from this build (search.Known), with what the last one left."""
        memo = self.cache.get_state(_SEARCH_MEMO) if self.cache else None
        trimmed = self._folder_of_out(self.cache.path.parent / _TRIMMED) if self.cache else None
        self.search = Known(pages, keys.record_inputs(), memo if isinstance(memo, RecordMemo) else RecordMemo(),
                            trimmed)
        return self.search

    def searched_pages(self) -> dict[str, bytes | None]:
        """For pipeline.catch_up: every page of `out` the search index reads, with what it reads of it
        where the preview's last build into `out` recorded that for the very file now there."""
        last = self.cache.get_state(_PREVIEW_SEARCHED) if self.cache else None
        recorded = last[1] if isinstance(last, tuple) and len(last) == 2 and last[0] == str(self.out) else {}
        return pages_read(self.out, recorded)

    def save_search(self) -> None:
        """Keep what the search index left in `search_inputs()` for the next build (done by save())."""
        if self.cache and self.search is not None:
            self.cache.save([], str(self.out), None, {_SEARCH_MEMO: self.search.memo})

    def up_to_date(self) -> LastBuild | None:
        """The last build, when nothing it read changed and `out` still holds exactly what it wrote."""
        if self.verify or self.preview is not None or self.checked or not self.cache:
            return None
        return current(self.cache.get_state(state_name(self.out)), self.out, self.inputs)

    def templates(self) -> TemplateMemory:
        """The compiled templates and their analysis: the preview's memory, or what the last build kept."""
        if self.preview is not None:
            return self.preview.templates
        self._templates = TemplateMemory.from_state(self.cache.get_state(_TEMPLATES) if self.cache else None)
        return self._templates

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

    def seed(self) -> Path | None:
        """Where the preview's first build into its new folder takes the files it need not make from:
        the project's own site (PROJECT/site, as `briefing build` left it), when that is on the same
        file system, so that they are linked rather than rendered again (at 10,000 articles, ~35 s
        of a preview's start). The last build's records of that site say which file is which; each
        is checked against the disk (OutputBuilder.usable), and the dependency keys, which hold the
        base URL, the templates and everything else a file is made from, decide as in any build."""
        if self.preview is None or self.preview.records is not None or not self.cache or self.out.exists():
            return None
        site = self.project / "site"
        try:
            if not site.is_dir() or site.is_symlink() or os.stat(site).st_dev != os.stat(self.out.parent).st_dev:
                return None
        except OSError:
            return None
        return site

    def previous_outputs(self, seed: Path | None = None) -> dict[str, OutputRecord]:
        """The records of the files the build may take over: of `out`, or of `seed` (see seed())."""
        if self.records_in_memory:
            return self.preview.records
        if not self.cache:
            return {}
        records = {path: pickle.loads(blob) for path, blob in self.cache.outputs(str(seed or self.out)).items()}
        if seed is None:
            self.stored = records
        return records

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
            searched = {path: (record.size, record.mtime_ns, record.inode, record.searched)
                        for path, record in made.records.items() if record.searched is not None}
            self.cache.save(dropped, str(self.out), None,
                            {"name-maps": name_maps, _PREVIEW_SEARCHED: (str(self.out), searched)})
            return
        # Only the records that changed are stored again (a file taken over keeps its very record).
        records = {path: pickle.dumps(record, protocol=5) for path, record in made.records.items()
                   if self.stored.get(path) is not record}
        gone = self.stored.keys() - made.records.keys()
        site = written_fingerprint(self.out, {path: (record.size, record.mtime_ns, record.inode)
                                              for path, record in made.records.items()})
        last = LastBuild(self.inputs, site, made.pages, diagnostics)
        state = {state_name(self.out): last, "name-maps": name_maps,
                 _SOURCES: {path: known for path, known in self.memory.texts.items() if known[0] is not None}}
        if self.search is not None:
            state[_SEARCH_MEMO] = self.search.memo
        if self._templates is not None and self._templates.changed:
            state[_TEMPLATES] = self._templates.state()
        self.cache.save(dropped, str(self.out), records, state, gone)

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
