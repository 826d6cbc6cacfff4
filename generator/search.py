"""Search: index the finished site with Pagefind, so that it can search itself with no server.

The build calls `index_site(site_dir, briefing)` once every page is written
and before the new site is swapped in. It writes Pagefind's bundle into
`site_dir/pagefind/`, which deploys with the site; the search page
(`search/`, templates/search.html) loads it through templates/assets/search.js.

What goes into the index (see docs/search.md):

* the pages of leaders, topics and articles, read from the written HTML.
  `base.html` marks the main content of those pages `data-pagefind-body` and
  carries their kind, leaders and topics as Pagefind metadata and filters
  (`search` in their view, generator/views.py); the templates weight a
  leader's name and aliases, and leave out (`data-pagefind-ignore`) lists
  that are indexed on their own;
* one record per event (to `timeline/#event-<id>`) and per quote (to the
  paragraph that holds it, `articles/<slug>/#pN`), made from the model with
  `add_custom_record`.

Every URL in the index is a path from the site's root ('/leaders/x/'); the
search page rebases it on its own location, so one index works at a domain
root, under a sub-path, in `briefing serve` and wherever the site is copied.

A briefing of more than SHARD_ARTICLES articles gets an index in bundles:
the main one (`pagefind/`) holds the leader and topic pages, and each of the
others (`pagefind/shards/<n>/`) the pages and quotes of the articles and the
events whose id hashes to it. The search page merges them.

Each bundle is remade only when its input changed: a key over Pagefind's
version, the configuration, what Pagefind reads of its pages and its records
is stored in its `briefing-index.json`; a bundle whose key matches the
previous site's is linked over instead of running Pagefind, so an edit to one
article re-indexes its bundle alone. A build tells the index what it knows
(`Known`): what Pagefind reads of each page, digested as the page was written,
and the digests of the records of each event and each article's quotes by the
build's keys of what they are made from, as the last build left them; so
planning the index reads no page back and makes records only for what changed.

A fresh run gives the same bytes too: Pagefind writes everything in a stable
order except its filter indexes (hash-map order, new in every process), which
`make_reproducible` (pagefind_run.py) puts in order (see docs/search.md).

Pagefind is a required dependency (`pagefind[bin]`): without it the build
fails with a BriefingError that says how to install it, rather than ship
search boxes that lead nowhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from .cache import value_digest
from .model import Briefing
from .parallel import cores, return_freed_memory
from .urls import SEARCH_INDEX_DIR, file_of
from .views import SEARCH_PATH, Index, event_view, quote_view
from .pagefind_run import make_index, make_reproducible, pagefind_version, run
from .pagefind_trim import keep_trimmed, write_trimmed
from .write import link_or_copy, replace_dir

INDEX_DIR = SEARCH_INDEX_DIR
STAMP = "briefing-index.json"
FORMAT = 3  # bump when what we put into the index changes in a way the key cannot see

# The page kinds whose HTML is indexed: every <kind>/*/index.html (each bundle gives Pagefind the list).
_PAGE_DIRS = ("leaders", "topics", "articles")

# A large briefing's index is split into bundles of about this many articles (with their quotes and
# as many events), so that an edit re-runs Pagefind over one bundle, not the whole briefing. The
# search page merges them (Pagefind's mergeIndex); every bundle costs a reader a few requests, so
# their number stays a power of two (an article keeps its bundle while the briefing grows) up to MAX.
SHARD_ARTICLES = 500
MAX_SHARDS = 32
SHARDS_DIR = "shards"
_REPLACED = ".replaced"  # inside the index being written, and gone before it is done

# Pagefind writes its ready-made interfaces too; the site uses its own (assets/search.js), so they go.
_UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
           "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")

QUOTE_TITLE_MAX = 140


@dataclass(frozen=True)
class SearchResult:
    pages: int  # HTML pages in the index
    reused: bool  # True: nothing changed, Pagefind did not run
    seconds: float
    key: str  # the index's input key (see the module's docstring)
    bundles: int = 1  # bundles the index is split into
    indexed: int = 0  # bundles Pagefind made anew (the others were taken over from the previous site)


def index_site(site_dir: Path, briefing: Briefing, previous: Path | None = None,
               shard_articles: int = SHARD_ARTICLES, known: Known | None = None) -> SearchResult | None:
    """Write the search index into `site_dir/pagefind/`; None when the site has no search page.

    `previous` is the live site the new one will replace; when not given it is found beside a
    staging directory named as write.SiteWriter names them. Its bundles whose inputs are unchanged
    are taken over (hard-linked). `known`: see Known. Raises BriefingError when Pagefind is not
    installed or fails.
    """
    started = time.perf_counter()
    site_dir = Path(site_dir)
    plan = _plan(site_dir, briefing, shard_articles, known)
    out = site_dir / INDEX_DIR
    if plan is None:
        shutil.rmtree(out, ignore_errors=True)  # one a site writer's spare left
        return None
    if _stamp(out).get("key") == plan.key and index_intact(out):  # already here (a writer's spare)
        return plan.result(0, started)
    before = previous if previous is not None else _live_site_of(site_dir)
    return plan.result(_write_bundles(site_dir, briefing, plan, out, before / INDEX_DIR if before else None), started)


def refresh_index(site_dir: Path, briefing: Briefing, shard_articles: int = SHARD_ARTICLES,
                  known: Known | None = None) -> SearchResult | None:
    """Bring the index of a site that is being served up to date, in place.

    The preview builds its pages without the index and calls this afterwards (see serve_watch.py):
    readers of `site_dir` see the old index or the new one, never a folder half-written. None when
    the site has no search page.
    """
    started = time.perf_counter()
    site_dir = Path(site_dir)
    plan = _plan(site_dir, briefing, shard_articles, known)
    if plan is None:
        return None
    if _stamp(site_dir / INDEX_DIR).get("key") == plan.key and index_intact(site_dir / INDEX_DIR):
        return plan.result(0, started)
    staging = site_dir.parent / f".{site_dir.name}.{INDEX_DIR}-next"  # one refresh at a time; a killed one's goes
    shutil.rmtree(staging, ignore_errors=True)
    try:
        indexed = _write_bundles(site_dir, briefing, plan, staging, site_dir / INDEX_DIR)
        replace_dir(staging, site_dir / INDEX_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return plan.result(indexed, started)


# ---------------------------------------------------------------------------
# Bundles

@dataclass
class RecordMemo:
    """The digests of the owners' records, by the digest of what each was made from (Known.made_of),
    for leaders' names and topics whose digest is `common`."""
    common: bytes = b""
    records: dict[bytes, bytes] = field(default_factory=dict)


@dataclass
class Known:
    """What a build knows of the index's inputs, so that planning it need not make them all again (at
    10,000 articles, reading every page back and making every record took five seconds).

    pages: every indexed page (see `indexed_page`) with its searched_digest, None where not known;
    made_of: for an owner of records ('event:<id>', 'article:<slug>'), a digest of what they are made
    of besides the leaders' names and the topics (the build's keys of the event, of the article);
    memo: what the last build left here, and where index_site leaves what the next build needs;
    trimmed: a folder of its own, kept between builds, for the main bundle's trimmed pages (see
    pagefind_trim.keep_trimmed); without one they are trimmed anew into a temporary folder."""
    pages: Mapping[str, bytes | None] | None = None
    made_of: Mapping[str, bytes] | None = None
    memo: RecordMemo = field(default_factory=RecordMemo)
    trimmed: Path | None = None


@dataclass(frozen=True)
class _Bundle:
    """One Pagefind bundle of the index: its folder in INDEX_DIR ('' for the main one), the pages
    (site paths) it holds, the owners of its records ('event:<id>', 'article:<slug>' for an
    article's quotes) and the key of its inputs."""
    folder: str
    pages: list[str]
    owners: tuple[str, ...]  # in the order of their records: the events', then the articles'
    key: str
    searched: tuple[bytes, ...] = ()  # each page's searched_digest

    @property
    def glob(self) -> str | None:
        """A Pagefind glob matching exactly this bundle's pages."""
        if not self.pages:
            return None
        if len(self.pages) == 1:
            return self.pages[0]
        return "{" + ",".join(page.removesuffix("/index.html") for page in self.pages) + "}/index.html"


@dataclass(frozen=True)
class _Plan:
    pagefind: str
    config: dict
    bundles: list[_Bundle]  # the main bundle first
    key: str  # over every bundle's key
    made: dict[str, str]  # the records made while planning, by owner, as JSON (see _records_of)
    trimmed: Path | None = None  # Known.trimmed

    def result(self, indexed: int, started: float) -> SearchResult:
        return SearchResult(sum(len(b.pages) for b in self.bundles), indexed == 0, time.perf_counter() - started,
                            self.key, len(self.bundles), indexed)


def shard_count(articles: int, shard_articles: int = SHARD_ARTICLES) -> int:
    """How many bundles an index of that many articles is split into: 1, 2, 4, … up to MAX_SHARDS."""
    count = 1
    while count < MAX_SHARDS and count * shard_articles < articles:
        count *= 2
    return count


def _shard_of(owner: str, count: int) -> int:
    """The bundle of an article or an event: a stable hash of its id (Python's hash() is salted)."""
    return int.from_bytes(hashlib.sha1(owner.encode("utf-8")).digest()[:4], "big") % count


def _plan(site_dir: Path, briefing: Briefing, shard_articles: int, known: Known | None) -> _Plan | None:
    if not (site_dir / file_of(SEARCH_PATH)).is_file():
        return None
    version = pagefind_version()  # fails clearly when Pagefind is missing
    config = _config(briefing)
    count = shard_count(len(briefing.articles), shard_articles)
    known = known or Known()
    indexed = sorted(known.pages) if known.pages is not None else _indexed_pages(site_dir)
    hubs = [page for page in indexed if not page.startswith("articles/")]
    # Split, the main bundle holds the leader and topic pages alone: they change with most edits.
    first = 1 if count > 1 and hubs else 0
    pages: list[list[str]] = [[] for _ in range(first + count)]
    owners: list[list[str]] = [[] for _ in range(first + count)]
    pages[0] += hubs
    for page in indexed:
        if page.startswith("articles/"):
            pages[first + _shard_of(f"article:{page.split('/')[1]}", count)].append(page)
    for owner in [f"event:{event.id}" for event in briefing.events] + \
            [f"article:{article.slug}" for article in briefing.articles if article.quotes]:
        owners[first + _shard_of(owner, count)].append(owner)
    # A bundle is made of its pages and its records, by this Pagefind and configuration: the leaders'
    # names and the topics reach it through what the records say of them (their digests), so a new
    # alias re-indexes only the bundles holding records of that leader.
    indexer = _indexer(version, config)
    common = _common_inputs(briefing, indexer)
    records, made = record_digests(briefing, known, common)
    bundles = []
    for n in range(first + count):
        if n == 0 or pages[n] or owners[n]:
            page_digests = [(page, (known.pages or {}).get(page) or searched_digest((site_dir / page).read_bytes()))
                            for page in pages[n]]
            key = value_digest((indexer, page_digests, [(owner, records[owner]) for owner in owners[n]])).hex()
            bundles.append(_Bundle(f"{SHARDS_DIR}/{n}" if n else "", pages[n], tuple(owners[n]), key,
                                   tuple(digest for _, digest in page_digests)))
    key = hashlib.sha256(json.dumps([[b.folder, b.key] for b in bundles]).encode()).hexdigest()
    return _Plan(version, config, bundles, key, made, known.trimmed)


def _indexer(version: str, config: dict) -> bytes:
    """A digest of what every bundle is made with: Pagefind and its configuration."""
    return value_digest((FORMAT, version, sorted(config.items())))


def _common_inputs(briefing: Briefing, indexer: bytes | None = None) -> bytes:
    """A digest of what every record is made from besides its event or quote: Pagefind and its
    configuration (`indexer`, if at hand), the leaders' names and the topics; the memo of record
    digests holds for it. (Not the generator's version: the memo is kept in the build cache, which a
    new generator starts afresh.)"""
    return value_digest((indexer or _indexer(pagefind_version(), _config(briefing)),
                         tuple((leader.id, leader.name, leader.aliases) for leader in briefing.leaders),
                         tuple((topic.id, topic.title) for topic in briefing.topics)))


def record_digests(briefing: Briefing, known: Known, common: bytes | None = None
                   ) -> tuple[dict[str, bytes], dict[str, str]]:
    """(owner -> a digest of its records, owner -> its records as JSON for those made here). The
    digests of earlier builds are taken from `known.memo` where what they are made from is unchanged;
    the rest are made (and remembered in `known.memo`). `common`: _common_inputs(briefing), if at hand."""
    common = common or _common_inputs(briefing)
    made_of = known.made_of or {}
    memo = known.memo.records if known.memo.common == common else {}
    digests = {}
    for owner, inputs in made_of.items():
        if inputs in memo:
            digests[owner] = memo[inputs]
    wanted = frozenset(f"event:{event.id}" for event in briefing.events) | \
        frozenset(f"article:{article.slug}" for article in briefing.articles if article.quotes)
    made = _records_of(briefing, wanted - digests.keys())
    for owner, records in made.items():
        digests[owner] = hashlib.blake2b(records.encode(), digest_size=16).digest()
    known.memo = RecordMemo(common, {made_of[owner]: digests[owner] for owner in wanted if owner in made_of})
    return digests, made


def _write_bundles(site_dir: Path, briefing: Briefing, plan: _Plan, out: Path, previous: Path | None) -> int:
    """Write every bundle of the plan into `out`, taking over from `previous` (an index folder) each
    bundle whose key is unchanged; returns how many bundles Pagefind made. `out` may hold an earlier
    index (a site writer's spare, see write.py): a bundle there with the key wanted is kept, the
    others are set aside and deleted at the end (never written into: their files may be links to
    the live site's)."""
    todo = []
    wanted = {bundle.folder for bundle in plan.bundles}
    # What is replaced is set aside and deleted once the new bundles are written: on ext4, files
    # created right after as many were deleted took ~7 times as long to create.
    replaced = out / _REPLACED
    if (out / SHARDS_DIR).is_dir():
        for folder in (out / SHARDS_DIR).iterdir():
            if f"{SHARDS_DIR}/{folder.name}" not in wanted:
                _set_aside(folder, replaced)
    for bundle in plan.bundles:
        if _holds(out / bundle.folder, bundle.key):
            continue
        _set_aside(out / bundle.folder, replaced, keep=(SHARDS_DIR, _REPLACED) if not bundle.folder else ())
        source = previous / bundle.folder if previous else None
        if source is not None and _holds(source, bundle.key):
            shutil.copytree(source, out / bundle.folder, copy_function=link_or_copy, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(SHARDS_DIR) if not bundle.folder else None)
        else:
            todo.append(bundle)
    records = dict(plan.made)
    records.update(_records_of(briefing, {owner for bundle in todo for owner in bundle.owners} - records.keys()))
    run(_index_bundles(site_dir, plan, todo, records, out, previous, cores()))
    shutil.rmtree(replaced, ignore_errors=True)
    # The main bundle's stamp says what the whole index was made from, and which bundles to merge.
    main = _stamp(out)
    main.update(key=plan.key, shards=[f"{b.folder}/" for b in plan.bundles if b.folder])
    _write_stamp(out, main)
    return len(todo)


async def _index_bundles(site_dir: Path, plan: _Plan, bundles: list[_Bundle], records: dict[str, str],
                         out: Path, previous: Path | None, jobs: int) -> None:
    """Run Pagefind over the bundles, `jobs` at a time (each run uses about one core), and write each
    bundle as it comes back, linking each file the same bundle in `previous` holds already. Bundles
    are independent: the bytes do not depend on which ends first."""
    running = asyncio.Semaphore(jobs)

    async def index(bundle: _Bundle) -> None:
        async with running:  # the records of the bundles being made, no others, are read back from their JSON
            given = [record for owner in bundle.owners for record in json.loads(records.get(owner, "[]"))]
            pages, files = await _made(site_dir, plan, bundle, given)
        files, reproducible = make_reproducible({name: data for name, data in files.items() if name not in _UNUSED})
        target = out / bundle.folder
        _write_files(target, files, previous / bundle.folder if previous is not None else None)
        _write_stamp(target, {"bundle": bundle.key, "pagefind": plan.pagefind, "pages": pages,
                              "records": len(given), "reproducible": reproducible,
                              "files": sorted(files)})
        # What the bundle's records and files took is handed back before the next one is made: left
        # to malloc, a cold build's process at 10,000 articles grew by ~60 MB over 33 bundles.
        return_freed_memory()

    await asyncio.gather(*(index(bundle) for bundle in bundles))


async def _made(site_dir: Path, plan: _Plan, bundle: _Bundle, records: list[dict]) -> tuple[int, dict[str, bytes]]:
    """What Pagefind makes of the bundle's pages and records: (pages indexed, files by path)."""
    config = plan.config
    if bundle.folder:  # article pages: 18 KB each, 16 KB without what Pagefind ignores; not worth copying
        return await make_index(site_dir, config, bundle.glob, records)
    # The main bundle's leader and topic pages are mostly lists Pagefind ignores: it reads copies
    # without them (pagefind_trim.py), kept between builds where there is a folder for them.
    if plan.trimmed is not None:
        try:
            keep_trimmed(site_dir, dict(zip(bundle.pages, bundle.searched)), plan.trimmed)
        except OSError:  # the cache's folder cannot be written: copies for this build alone, as without one
            pass
        else:
            return await make_index(plan.trimmed, config, bundle.glob, records)
    with tempfile.TemporaryDirectory(prefix="briefing-search-") as copies:
        write_trimmed(site_dir, bundle.pages, Path(copies))
        return await make_index(Path(copies), config, bundle.glob, records)


def _write_files(target: Path, files: dict[str, bytes], earlier: Path | None) -> None:
    """Write a bundle's files into `target`, linking each that `earlier` holds already. (Paths as
    strings: a bundle has thousands of files, and Path objects cost more than comparing them.)"""
    root, before = str(target), None if earlier is None else str(earlier)
    folders = set()
    for name, data in sorted(files.items()):
        folder = name.rpartition("/")[0]
        if folder not in folders:  # a bundle's files are in a handful of folders
            os.makedirs(f"{root}/{folder}", exist_ok=True)
            folders.add(folder)
        path = f"{root}/{name}"
        if before is None or not _linked_if_same(f"{before}/{name}", data, path):
            _write_new(path, data)


def _write_new(path: str, data: bytes) -> None:
    """Path.write_bytes without its layers of Python: a cold build writes ~86,000 of these."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def _linked_if_same(earlier: str, data: bytes, path: str) -> bool:
    """Link `path` to the file `earlier` if it holds `data`. An edit changes few of a remade bundle's
    files (Pagefind names most after their content): at 10,000 articles a bundle has ~2,700, which
    take ~0.8 s to write on ext4 and ~0.06 s to compare and link."""
    try:
        if os.stat(earlier).st_size != len(data):
            return False
        with open(earlier, "rb") as file:
            if file.read() != data:
                return False
    except OSError:
        return False
    link_or_copy(earlier, path)
    return True


def _set_aside(folder: Path, replaced: Path, keep: tuple[str, ...] = ()) -> None:
    """Move `folder`, or, given `keep`, all it holds but those entries, into `replaced` (never written
    into again: its files may be links to the live site's)."""
    if not os.path.lexists(folder):
        return
    replaced.mkdir(parents=True, exist_ok=True)
    into = Path(tempfile.mkdtemp(dir=replaced))
    if not keep or not folder.is_dir():
        os.rename(folder, into / folder.name)
        return
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name not in keep:
                os.rename(entry.path, into / entry.name)


def index_intact(index_dir: Path) -> bool:
    """Whether every bundle of the index in `index_dir` holds the files Pagefind made for it (one
    deleted by hand, or lost by a copy that failed, is made again)."""
    main = _stamp(index_dir)
    shards = main.get("shards", [])
    return isinstance(shards, list) and _intact(index_dir, main) and \
        all(_intact(index_dir / str(folder), _stamp(index_dir / str(folder))) for folder in shards)


def _holds(bundle_dir: Path, key: str) -> bool:
    """Whether `bundle_dir` holds the bundle of that key, whole."""
    stamp = _stamp(bundle_dir)
    return stamp.get("bundle") == key and _intact(bundle_dir, stamp)


def _intact(bundle_dir: Path, stamp: dict) -> bool:
    """Whether a bundle's folder holds the files its stamp lists, and no other. By name only: listing
    the ~86,000 files of an index at 10,000 articles takes 0.06 s, stating them 0.5 s."""
    recorded = stamp.get("files")
    if not isinstance(recorded, list):
        return False
    found = []
    for folder, folders, names in os.walk(bundle_dir):
        if folder == str(bundle_dir):
            folders[:] = [name for name in folders if name not in (SHARDS_DIR, _REPLACED)]
            names = [name for name in names if name != STAMP]
        inside = os.path.relpath(folder, bundle_dir).replace(os.sep, "/")
        found += names if inside == "." else [f"{inside}/{name}" for name in names]
    return sorted(found) == recorded


def _write_stamp(folder: Path, stamp: dict) -> None:
    path = folder / STAMP
    path.unlink(missing_ok=True)  # it may be a link to the previous site's file, which must stay as it was
    path.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------
# What is indexed

def _config(briefing: Briefing) -> dict:
    return {
        # One index for the whole site in the briefing's language: records and pages must share it,
        # and an article in another language (marked with lang= on its body) is still found.
        "force_language": (briefing.language or "en").split("-")[0].lower(),
        "keep_index_url": False,
    }


def indexed_page(path: str) -> bool:
    """Whether the site file at `path` is a page the index reads."""
    parts = path.split("/")
    return len(parts) == 3 and parts[0] in _PAGE_DIRS and parts[2] == "index.html"


def pages_read(site_dir: Path, recorded: Mapping[str, tuple[int, int, int, bytes]]) -> dict[str, bytes | None]:
    """Every indexed page of `site_dir` (Known.pages), with its searched_digest where `recorded` holds
    one for the very file there: (size, modification time, inode, digest). The preview's catching up
    takes them from the build before it (which made them as it wrote the pages) rather than read
    every page back: at 10,000 articles, reading and digesting the pages was ~4.5 s of it."""
    pages = {}
    for page in _indexed_pages(site_dir):
        entry, digest = recorded.get(page), None
        if entry is not None:
            with contextlib.suppress(OSError):
                st = os.stat(f"{site_dir}/{page}")
                if (st.st_size, st.st_mtime_ns, st.st_ino) == entry[:3]:
                    digest = entry[3]
        pages[page] = digest
    return pages


def _indexed_pages(site_dir: Path) -> list[str]:
    """The indexed pages, as sorted site paths."""
    found = []
    for folder in _PAGE_DIRS:
        found += [p.relative_to(site_dir).as_posix() for p in (site_dir / folder).glob("*/index.html") if p.is_file()]
    return sorted(found)


def _records_of(briefing: Briefing, owners: frozenset[str] | set[str]) -> dict[str, str]:
    """owner -> the JSON of its records (a list), for each of `owners`. JSON rather than the records
    themselves: a cold build at 10,000 articles makes ~75,000 of them, ~200 MB as dicts, ~45 MB as
    text; and the text is what a record digest is made from."""
    made = {owner: "[]" for owner in owners}
    for owner, group in itertools.groupby(_records(briefing, owners), key=lambda record: record[0]):
        made[owner] = json.dumps([record for _, record in group], sort_keys=True, ensure_ascii=False)
    return made


def _records(briefing: Briefing, owners: frozenset[str] | set[str]) -> Iterator[tuple[str, dict]]:
    """One record per event and per quote of `owners` ('event:<id>', 'article:<slug>' for the quotes of
    an article: they go with its page), each with its URL from the site's root, its meta and filters;
    an owner's records one after the other."""
    ix = Index(briefing)
    spellings = {leader_id: _with_aliases(leader) for leader_id, leader in ix.leaders.items()}
    for event in briefing.events:
        if f"event:{event.id}" not in owners:
            continue
        view = event_view(event, ix)
        leaders = [leader["name"] for leader in view["leaders"]]
        # Every spelling of the leaders it names, so that 'Zelensky' finds Zelenskyy's events too.
        names = [spellings[w] for w in event.who if w in spellings]
        topics = [topic["title"] for topic in view["topics"]]
        content = " ".join(part for part in (
            _sentence(view["what"]), _sentence(view["date"]["text"]), _sentence("; ".join(names)),
            _sentence(", ".join(topics)), _sentence(view["note"] or "")) if part)
        yield f"event:{event.id}", {
            "url": "/" + view["path"],
            "content": content,
            "meta": {"title": view["what"], "kind": "Event",
                     "context": " · ".join(part for part in (view["date"]["text"], ", ".join(leaders)) if part)},
            "filters": {"kind": ["event"], "leader": list(event.who), "topic": list(event.topics)},
        }
    for article in briefing.articles:
        if f"article:{article.slug}" not in owners:
            continue
        for quote in article.quotes:
            view = quote_view(quote, ix)
            citation = view["citation"]
            if not citation["path"]:
                continue
            who = view["leader"]["name"] if view["leader"] else ""
            title = f"“{_shorten(view['text'], QUOTE_TITLE_MAX)}”"
            names = spellings.get(quote.who, "")
            yield f"article:{article.slug}", {
                "url": "/" + citation["path"],
                "content": " ".join(part for part in (f"“{view['text']}”", _sentence(names),
                                                      _sentence(citation["article_title"])) if part),
                "meta": {"title": title, "kind": "Quote",
                         "context": " · ".join(part for part in (who, citation["label"]) if part)},
                "filters": {"kind": ["quote"], "leader": [quote.who] if view["leader"] else [], "topic": []},
            }


def _with_aliases(leader) -> str:
    """The leader's name and, once each, the words of their other spellings that the name lacks:
    'Volodymyr Zelenskyy (Zelensky Zelenskiy Зеленський Володимир)'. Enough for any spelling to
    find the record, without repeating the name so often that the record outranks the leader's page."""
    known = {word.casefold() for word in re.findall(r"\w+", leader.name)}
    extra = []
    for alias in leader.aliases:
        for word in re.findall(r"\w+", alias):
            if word.casefold() not in known:
                known.add(word.casefold())
                extra.append(word)
    return f"{leader.name} ({' '.join(extra)})" if extra else leader.name


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?…”\"’'" else text + "."


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–— ")
    return cut + "…"


# ---------------------------------------------------------------------------
# Rebuild only when something changed

_PAGEFIND_TAG = re.compile(rb"<[^<>]*data-pagefind[^<>]*>|<title>.*?</title>|<html[^<>]*>", re.S)


def searched_digest(page: bytes) -> bytes:
    """A digest of searched_part(page): a bundle's key is made of its pages' (see _plan)."""
    return hashlib.blake2b(searched_part(page), digest_size=16).digest()


def searched_part(page: bytes) -> bytes:
    """What Pagefind reads of a page: its <html> tag, <title>, every tag outside the body element with
    a data-pagefind attribute, and the body element (`<main … data-pagefind-body>`) whole; without
    what Pagefind passes over in them (see _as_read).

    The key is made of this rather than of the whole page so that what a page carries for others
    alone (the JSON-LD in its head, where a leader's role is) does not re-index its bundle. A page
    whose searched element is not a <main> is taken whole."""
    at = page.find(b"data-pagefind-body")
    start = page.rfind(b"<", 0, at)
    end = page.rfind(b"</main>")
    if at < 0 or not page.startswith(b"<main", start) or end < at:
        return _as_read(page)
    outside = page[:start] + page[end:]
    return _as_read(b"".join(_PAGEFIND_TAG.findall(outside)) + b"\0" + page[start:end])


# Pagefind makes the same index whatever a page's comments (even one inside a word), classes, inline
# styles and runs of white space (it collapses them in text, metadata and filters alike):
# tests/test_search.py indexes pages that differ only so and compares the bytes. Left out of the
# digest, a template edit that restyles a page (a class, a comment, indentation) makes its pages again
# but not the index: at 10,000 articles an edit of article.html made nearly every bundle again.
# A comment ends where HTML ends it (`<!-->` is one, and `--!>` closes one). An attribute is taken out
# of a start tag only, after the tag's name and whole attributes (so never out of a text, where
# `class="…"` may stand as words, nor out of another attribute's quoted value).
_COMMENT = re.compile(rb"<!--(?:-?>|.*?--!?>)", re.S)
_IN_TAG = rb"""(<[A-Za-z][^\s<>"'/]*(?:\s+[^\s<>"'=/]+(?:="[^"]*"|='[^']*'|=[^\s<>"'`=]+)?)*?)"""
_CLASS = re.compile(_IN_TAG + rb' class="[^"<>]*"')
_STYLE = re.compile(_IN_TAG + rb' style="[^"<>]*"')


def _as_read(part: bytes) -> bytes:
    if b"<!--" in part:
        part = _COMMENT.sub(b"", part)
    if b' style="' in part:
        part = _STYLE.sub(rb"\1", part)
    return b" ".join(_CLASS.sub(rb"\1", part).split())


def _stamp(index_dir: Path) -> dict:
    """What the index in `index_dir` was made from (its STAMP), or {} when there is none."""
    try:
        stamp = json.loads((index_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


_STAGING_NAME = re.compile(r"^\.(?P<name>.+)\.building-[^/]*$")


def _live_site_of(site_dir: Path) -> Path | None:
    """The site a staging directory '.NAME.building-XXXX' will replace: NAME beside it, if any."""
    match = _STAGING_NAME.match(site_dir.name)
    if not match:
        return None
    live = site_dir.parent / match["name"]
    return live if live.is_dir() and live.resolve() != site_dir.resolve() else None


