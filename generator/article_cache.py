"""Articles parsed once: the first layer of the incremental build (see incremental.py).

An article's parse is cached under a key of its file's text and everything
parsing reads from the rest of the briefing that is cheap to name (the site's
time zone, language, topic ids and allow_raw_html). What parsing reads from
the leaders is *recorded* while it runs: which leader ids it asked about,
whose names it put on quotes, and every text it searched for mentions. A
cached parse is reused while those ids still exist, those names are unchanged
and no leader name that was added, removed or given to another leader occurs
in the recorded texts; so a new alias reparses only the articles where it
stands. Warnings are stored with the parse and reported again; a parse with
errors is never stored.

A parse is held, stored and loaded without its article's body (see
Article.body_html): the bodies are read back only for the pages that show
them (`ArticleCache.whole`).
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .article import Context, ParsedArticle, parse_article
from .cache import BuildCache, digest, value_digest
from .dates import EDTF, read_written, written_as
from .data_export import article_fragments, joined_fragments
from .errors import ContentError, Diagnostic, Report
from .model import Article
from .parallel import parallel_iter
from .sources import SourceFile, read_source, text_digest
from .text import MentionFinder

_PARALLEL_PARSE_MIN = 64  # fewer misses than this parse faster than a pool starts


@dataclass
class ParseEntry:
    """One article's cached parse and what it depended on (the texts searched for mentions, its
    "probe", is stored beside it: it is read only after a change of leader names)."""

    parsed: ParsedArticle
    warnings: tuple[Diagnostic, ...]
    asked_ids: frozenset[str]  # leader ids looked up (each was there)
    speakers: tuple[tuple[str, str | None], ...]  # (leader id, name put on its quotes)
    names: bytes  # digest of the name -> leader map it was made with
    head: bytes  # digest of everything but the body: what pages other than its own can show
    full: bytes  # digest of the whole parse
    # Its item and its quotes' items in data/briefing.json (DataExport); kept in the cache's fragments
    # table under b"a" + full, and None here once stored there.
    data: tuple[str, tuple[str, ...]] | None


class _RecordingFinder(MentionFinder):
    """The briefing's mention finder, noting every text it is asked to search."""

    def __init__(self, finder: MentionFinder):  # shares the finder's compiled pattern (no super().__init__)
        self.names, self.pattern, self.seen = finder.names, finder.pattern, []

    def finditer(self, text: str):
        self.seen.append(text)
        return super().finditer(text)


class _AskedIds(frozenset):
    """The set of leader ids, noting which ids were looked up."""

    def __contains__(self, item) -> bool:
        self.asked.add(item)
        return frozenset.__contains__(self, item)


class _AskedLeaders(dict):
    """The leaders by id, noting which were looked up (for the names shown on quotes)."""

    def get(self, key, default=None):
        self.asked.add(key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return dict.__getitem__(self, key)


def _parse_settings(ctx: Context) -> tuple:
    """What parsing an article reads of the site settings."""
    settings = ctx.settings
    return (settings.timezone, settings.language, tuple(t.id for t in settings.topics),
            bool(dict(settings.extras).get("allow_raw_html")))


def names_digest(finder: MentionFinder) -> bytes:
    return digest(tuple(sorted(finder.names.items())))


def leaders_state(ctx: Context, names: bytes) -> bytes:
    """All that ArticleCache._still_valid reads of the leaders (their ids, their names and
    `names`, the names_digest): an entry found good under one state is good whenever it recurs."""
    return digest(tuple(sorted(ctx.leader_ids)), tuple(sorted((i, leader.name) for i, leader in ctx.leaders.items())),
                  names)


def parse_recorded(ctx: Context, file: SourceFile) -> tuple[ParsedArticle | None, list[Diagnostic],
                                                             ParseEntry | None, str]:
    """Parse one article, recording what it read of the leaders; the entry is None when it has errors."""
    finder = _RecordingFinder(ctx.finder)
    ids = _AskedIds(ctx.leader_ids)
    ids.asked = set()
    leaders = _AskedLeaders(ctx.leaders)
    leaders.asked = set()
    report = Report()
    parsed = parse_article(file, Context(ctx.settings, leaders, ids, finder), report)
    if parsed is None or report.errors:
        return parsed, report.diagnostics, None, ""
    article = parsed.article
    head = value_digest((dataclasses.replace(article, body_html="", paragraphs=()), parsed.events))
    full = value_digest((head, article.body_html, article.paragraphs))  # the head is not pickled twice
    seen = finder.seen
    longest = max(seen, key=len, default="")
    probe = "\0".join([longest, *(text for text in dict.fromkeys(seen) if text not in longest)])
    entry = ParseEntry(parsed, tuple(report.diagnostics), frozenset(ids.asked),
                       tuple(sorted((who, _name(ctx, who)) for who in leaders.asked)),
                       names_digest(ctx.finder), head, full, article_fragments(article))
    return parsed, report.diagnostics, entry, probe


class _EntryPickler(pickle.Pickler):
    """Pickles an entry with each of its dates as the zone and text it was read from (dates.written_as)."""

    def persistent_id(self, obj):
        return written_as(obj) if type(obj) is EDTF else None


def _pickled(entry: ParseEntry) -> bytes:
    stream = io.BytesIO()
    _EntryPickler(stream, protocol=5).dump(entry)
    return stream.getvalue()


def _unpickled(blob: bytes, dates: dict[str, EDTF]) -> ParseEntry:
    """An entry _pickled() stored. `dates`: the dates read so far, by how they were written; the same
    day recurs across a briefing's articles, and all its uses then share one object."""
    def date(written: str) -> EDTF:
        found = dates.get(written)
        if found is None:
            found = dates[written] = read_written(written)
        return found
    unpickler = pickle.Unpickler(io.BytesIO(blob))
    unpickler.persistent_load = date
    return unpickler.load()


def _without_body(entry: ParseEntry) -> ParseEntry:
    """The entry as the cache keeps it: the article's body apart (see Article.body_html)."""
    article = dataclasses.replace(entry.parsed.article, body_html=None, paragraphs=None)
    return dataclasses.replace(entry, parsed=dataclasses.replace(entry.parsed, article=article))


def _parse_nth(state, n: int):
    """Parse the nth file, reading it first if it comes without its text (it must then be the text of
    the digest it is keyed by). `to_store`: the parse comes back as the cache's rows (entry without its
    body, body, data export item): the build's process stores them and holds the parse as a later
    build loads it, without its body (see Article.body_html). A cold build thus holds neither every
    text (~150 MB at 10,000 articles) nor every body (~250 MB), nor hands them to each worker it
    forks, and unpickles no body."""
    project, ctx, files, digests, to_store = state
    file = files[n]
    if file.text is None:
        file, problems = _read_again(project, file, digests[n])
        if file is None:
            return None, problems, None, "", None
    parsed, diagnostics, entry, probe = parse_recorded(ctx, file)
    if entry is None or not to_store:
        return parsed, diagnostics, entry, probe, None
    text, entry.data = joined_fragments(entry.data), None
    whole = entry.parsed.article
    rows = (_pickled(_without_body(entry)),
            pickle.dumps((whole.body_html, whole.paragraphs), protocol=5), text)
    return None, diagnostics, None, probe, rows


def _read_again(project: Path, file: SourceFile, digest: bytes) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The file with its text, which must be the one of that digest; else None and why."""
    report = Report()
    read = read_source(project, file, report)
    if read is not None and text_digest(read.text) != digest:
        report.error(file.path, 0, 0, "this file changed while the site was being built; build again")
        read = None
    return read, report.diagnostics


def _name(ctx: Context, leader_id: str) -> str | None:
    leader = ctx.leaders.get(leader_id)
    return leader.name if leader else None


@dataclass
class ParseMemory:
    """Parses kept in memory between the builds of one process (`briefing serve`'s build process
    lives as long as the preview): path -> (key, entry), and path -> (stamp, key) so that a file
    the loader found unchanged (by its stamp, as sources.load_content does) is not digested again
    (the file itself is not kept: at 10,000 articles their texts are ~150 MB). Entries are
    immutable values named by their key, so one found here is as good as one read from the cache."""

    entries: dict[str, tuple[bytes, ParseEntry]] = field(default_factory=dict)
    keys: dict[str, tuple[tuple, tuple, bytes]] = field(default_factory=dict)
    # path -> (the file's stamp, a digest of its text): what a file that was not read is keyed by.
    texts: dict[str, tuple[tuple | None, bytes]] = field(default_factory=dict)
    # path -> (the names its entry was made with, the entry's digest, the names under which it was
    # found still good): after an alias edit, each entry's recorded texts are searched once, not at
    # every build.
    confirmed: dict[str, tuple[bytes, bytes, bytes]] = field(default_factory=dict)
    # path -> (key, entry digest, leaders_state) under which the entry was last found good: the
    # preview's next build, with the same leaders, takes it without checking 10,000 entries again.
    good: dict[str, tuple[bytes, bytes, bytes]] = field(default_factory=dict)
    # Every file the cache holds a parse of is in `entries` (see ArticleCache.to_store). A file whose
    # parse failed after the cache held one is not, which costs the cache a row it keeps for nothing.
    holds_cache: bool = False

    def key(self, file: SourceFile, settings: tuple) -> bytes:
        """`settings`: _parse_settings() of the build's Context."""
        known = self.keys.get(file.path)
        if known is not None and file.stamp is not None and known[0] == file.stamp and known[1] == settings:
            return known[2]
        key = digest("article", file.path, self._text_digest(file), *settings)
        if file.stamp is not None:
            self.keys[file.path] = (file.stamp, settings, key)
        return key

    def _text_digest(self, file: SourceFile) -> bytes:
        if file.text is None and file.digest is None:  # not read: unchanged since the build that left its digest here
            return self.texts[file.path][1]
        text = file.digest if file.text is None else text_digest(file.text)
        self.texts[file.path] = (file.stamp, text)
        return text

    def keep_only(self, paths: set[str]) -> None:
        for table in (self.entries, self.keys, self.confirmed, self.texts, self.good):
            for path in table.keys() - paths:
                del table[path]


class ArticleCache:
    """Parses articles through the build cache; `parse_articles` is what `assemble` calls."""

    def __init__(self, project: Path, cache: BuildCache | None, jobs: int, memory: ParseMemory):
        self.project, self.cache, self.jobs = project, cache, jobs
        self.kept = memory
        self.memory = memory.entries
        self.name_maps: dict[bytes, dict[str, str]] = (cache.get_state("name-maps") if cache else None) or {}
        self.entries: dict[str, ParseEntry | None] = {}  # slug -> this build's entry (None: has errors)
        self.parsed_count = 0
        self.files: list[SourceFile] = []
        self._by_slug: dict[str, SourceFile] = {}
        self.ctx: Context | None = None
        self.dates: dict[str, EDTF] = {}  # see _unpickled

    def parse_articles(self, files, ctx: Context, report: Report) -> list[ParsedArticle | None]:
        # Held without their texts (~150 MB at 10,000 articles): one is read again if its body is needed.
        self.files = [file if file.text is None else dataclasses.replace(file, text=None) for file in files]
        self._by_slug = {file.stem: file for file in self.files}
        self.ctx = ctx
        current = names_digest(ctx.finder)
        self.name_maps[current] = dict(ctx.finder.names)
        settings = _parse_settings(ctx)
        keys = [self.kept.key(file, settings) for file in files]
        self._load({f.path: k for f, k in zip(files, keys) if self.memory.get(f.path, (None,))[0] != k})
        deltas: dict[bytes, set[str] | None] = {}
        state = leaders_state(ctx, current)
        good = self.kept.good
        results: list = [None] * len(files)
        misses = []
        for n, (file, key) in enumerate(zip(files, keys)):
            known = self.memory.get(file.path)
            entry = known[1] if known and known[0] == key else None
            if entry is not None and (good.get(file.path) == (key, entry.full, state)
                                      or self._still_valid(file.path, entry, ctx, current, deltas)):
                results[n] = (entry.parsed, list(entry.warnings), entry)
                good[file.path] = (key, entry.full, state)
            else:
                misses.append((n, file, key))
        self.parsed_count = len(misses)
        jobs = self.jobs if len(misses) >= _PARALLEL_PARSE_MIN else 1
        # A file that comes without its text is read by the worker that parses it (see _parse_nth).
        digests = [self.kept.texts[file.path][1] if file.text is None else None for _, file, _ in misses]
        parsed = parallel_iter(_parse_nth, (self.project, ctx, [file for _, file, _ in misses], digests,
                                            self.cache is not None), range(len(misses)), jobs, chunksize=8)
        rows, fragments = [], {}
        for (n, file, key), (article, diagnostics, entry, probe, made) in zip(misses, parsed):
            if made is not None:  # stored now, a batch at a time, rather than held until the build ends
                entry_blob, body_blob, text = made
                entry = _unpickled(entry_blob, self.dates)
                article = entry.parsed
                rows.append((file.path, key, entry_blob, body_blob, probe))
                fragments[b"a" + entry.full] = text
                if len(rows) >= 500:
                    self.cache.save_parses(rows, fragments)
                    rows, fragments = [], {}
            results[n] = (article, diagnostics, entry)
            if entry is not None:
                self.memory[file.path] = (key, entry)
                good[file.path] = (key, entry.full, state)
        if rows:
            self.cache.save_parses(rows, fragments)
        out = []
        for file, (article, diagnostics, entry) in zip(files, results):
            report.diagnostics.extend(diagnostics)
            self.entries[file.stem] = entry
            out.append(article)
        return out

    def whole(self, articles: list[Article]) -> dict[str, Article]:
        """Those of `articles` loaded without their body (see Article.body_html), whole, by slug: the
        body read from the cache, or, should the cache have lost it, the file parsed again."""
        apart = {article.slug: article for article in articles if article.body_html is None}
        if not apart:
            return {}
        stored = self.cache.bodies([self._by_slug[slug].path for slug in apart]) if self.cache else {}
        found = {}
        for slug, article in apart.items():
            try:
                body_html, paragraphs = pickle.loads(stored[self._by_slug[slug].path])
                found[slug] = dataclasses.replace(article, body_html=body_html, paragraphs=paragraphs)
            except Exception:  # not there or damaged: any exception unpickling can raise
                found[slug] = self._parse_again(self._by_slug[slug])
        return found

    def _parse_again(self, file: SourceFile) -> Article:
        read = read_source(self.project, file, Report())
        parsed, _, again, _ = parse_recorded(self.ctx, read) if read is not None else (None, [], None, "")
        entry = self.entries.get(file.stem)
        if again is None or entry is None or again.full != entry.full:
            raise ContentError(f"{file.path} changed while the site was being built; build again", [])
        return parsed.article

    def _load(self, wanted: dict[str, bytes]) -> None:
        """Into memory, the cached parses of these paths that have these keys."""
        if self.cache and wanted:
            def take(path: str, blob: bytes) -> None:
                try:
                    self.memory[path] = (wanted[path], _unpickled(blob, self.dates))
                except Exception:  # damaged, or a date's zone gone from this system: that file is parsed again
                    pass
            self.cache.parse_entries(wanted, take)

    def _still_valid(self, path: str, entry: ParseEntry, ctx: Context, current: bytes, deltas: dict) -> bool:
        if not entry.asked_ids <= ctx.leader_ids:
            return False
        if any(_name(ctx, who) != name for who, name in entry.speakers):
            return False
        if entry.names == current or self.kept.confirmed.get(path) == (entry.names, entry.full, current):
            return True
        if entry.names not in deltas:
            old = self.name_maps.get(entry.names)
            now = ctx.finder.names
            deltas[entry.names] = None if old is None else \
                {name for name in old.keys() | now.keys() if old.get(name) != now.get(name)}
        delta = deltas[entry.names]
        if delta is None:
            return False
        probe = self.cache.probe(path) if self.cache else None
        if probe is None or any(name in probe for name in delta):
            return False
        self.kept.confirmed[path] = (entry.names, entry.full, current)
        return True

    def to_store(self, files) -> tuple[list[str], dict]:
        """(paths to drop, name maps still referenced) for BuildCache.save; new parses are stored as made.

        An entry checked against newer leader names keeps the digest of the names it was made
        with (rewriting every entry after an alias edit would cost more than the check)."""
        present = {file.path for file in files}
        # Once a build of this memory asked the cache which parses it holds, the memory knows (it
        # holds every parse it made or read since): the preview's builds do not read 10,000 keys again.
        cached = self.memory if self.kept.holds_cache else self.cache.parse_keys() if self.cache else {}
        self.kept.holds_cache = True
        dropped = [path for path in cached if path not in present]
        self.kept.keep_only(present)
        in_use = {e.names for e in self.entries.values() if e is not None}
        return dropped, {k: v for k, v in self.name_maps.items() if k in in_use}
