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

The index is rebuilt only when its input changed: a key over Pagefind's
version, the configuration, the indexed pages' bytes and the records is
stored in `pagefind/briefing-index.json`; a build whose key matches the
previous build's copies that index instead of running Pagefind. A fresh run
gives the same bytes too: Pagefind writes everything in a stable order except
its filter indexes (hash-map order, new in every process), which
`make_reproducible` puts in order (see docs/search.md).

Pagefind is a required dependency (`pagefind[bin]`): without it the build
fails with a BriefingError that says how to install it, rather than ship
search boxes that lead nowhere.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import gzip
import hashlib
import importlib
import json
import os
import re
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BriefingError
from .model import Briefing
from .urls import file_of
from .views import SEARCH_PATH, Index, event_view, quote_view
from .write import replace_dir

INDEX_DIR = "pagefind"
STAMP = "briefing-index.json"
FORMAT = 1  # bump when what we put into the index changes in a way the key cannot see

# The page kinds whose HTML is indexed (Pagefind's glob syntax; `_indexed_pages` lists the same files).
PAGE_GLOB = "{leaders,topics,articles}/*/index.html"
_PAGE_DIRS = ("leaders", "topics", "articles")

# Pagefind writes its ready-made interfaces too; the site uses its own (assets/search.js), so they go.
_UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
           "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")

INSTALL_HINT = "install it with: pip install 'pagefind[bin]>=1.1'"
TIMEOUT = 300.0  # seconds for the whole of Pagefind's work; a hung indexer must not hang the build
QUOTE_TITLE_MAX = 140


@dataclass(frozen=True)
class SearchResult:
    pages: int  # HTML pages in the index
    records: int  # events and quotes added as records of their own
    reused: bool  # True: the previous build's index was copied, Pagefind did not run
    seconds: float
    key: str  # the index's input key (see the module's docstring)

    def describe(self) -> str:
        what = f"{self.pages} pages and {self.records} events and quotes"
        if self.reused:
            return f"search index unchanged ({what}), kept in {self.seconds:.2f} s"
        return f"search index: {what} in {self.seconds:.2f} s"


def index_site(site_dir: Path, briefing: Briefing, previous: Path | None = None) -> SearchResult | None:
    """Write the search index into `site_dir/pagefind/`; None when the site has no search page.

    `previous` is the live site the new one will replace; when not given it is found beside a
    staging directory named as write.SiteWriter names them. Raises BriefingError when Pagefind is
    not installed or fails.
    """
    started = time.perf_counter()
    site_dir = Path(site_dir)
    inputs = _inputs(site_dir, briefing)
    if inputs is None:
        return None
    out = site_dir / INDEX_DIR
    stamp = _stamp(out)
    if stamp.get("key") == inputs.key:  # already here (a writer that starts from the previous site)
        return inputs.result(stamp.get("pages", 0), True, started)
    shutil.rmtree(out, ignore_errors=True)
    before = previous if previous is not None else _live_site_of(site_dir)
    stamp = _stamp(before / INDEX_DIR) if before is not None else {}
    if stamp.get("key") == inputs.key:
        shutil.copytree(before / INDEX_DIR, out)
        return inputs.result(stamp.get("pages", 0), True, started)
    indexed = _write_index(site_dir, inputs, out)
    return inputs.result(indexed, False, started)


def refresh_index(site_dir: Path, briefing: Briefing) -> SearchResult | None:
    """Bring the index of a site that is being served up to date, in place.

    The preview builds its pages without the index and calls this afterwards (see serve_watch.py):
    readers of `site_dir` see the old index or the new one, never a folder half-written. None when
    the site has no search page.
    """
    started = time.perf_counter()
    site_dir = Path(site_dir)
    inputs = _inputs(site_dir, briefing)
    if inputs is None:
        return None
    stamp = _stamp(site_dir / INDEX_DIR)
    if stamp.get("key") == inputs.key:
        return inputs.result(stamp.get("pages", 0), True, started)
    staging = site_dir.parent / f".{site_dir.name}.{INDEX_DIR}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        indexed = _write_index(site_dir, inputs, staging)
        replace_dir(staging, site_dir / INDEX_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return inputs.result(indexed, False, started)


@dataclass(frozen=True)
class _Inputs:
    """What an index is made from, and the key over it."""
    pagefind: str
    config: dict
    records: list[dict]
    key: str

    def result(self, pages: int, reused: bool, started: float) -> SearchResult:
        return SearchResult(pages, len(self.records), reused, time.perf_counter() - started, self.key)


def _inputs(site_dir: Path, briefing: Briefing) -> _Inputs | None:
    if not (site_dir / file_of(SEARCH_PATH)).is_file():
        return None
    pagefind_version = _pagefind_version()  # fails clearly when Pagefind is missing
    config = _config(briefing)
    records = _records(briefing)
    key = _key(pagefind_version, config, site_dir, _indexed_pages(site_dir), records)
    return _Inputs(pagefind_version, config, records, key)


def _write_index(site_dir: Path, inputs: _Inputs, out: Path) -> int:
    """Run Pagefind over the site's pages and the records and write its bundle, stamped, into `out`."""
    indexed, files = _run(_make_index(site_dir, inputs.config, inputs.records))
    files = {name: data for name, data in files.items() if name not in _UNUSED}
    files, reproducible = make_reproducible(files)
    stamp = {"key": inputs.key, "pagefind": inputs.pagefind, "pages": indexed, "records": len(inputs.records),
             "reproducible": reproducible}
    files[STAMP] = (json.dumps(stamp, indent=1, sort_keys=True) + "\n").encode("utf-8")
    for name, data in sorted(files.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return indexed


# ---------------------------------------------------------------------------
# What is indexed

def _config(briefing: Briefing) -> dict:
    return {
        # One index for the whole site in the briefing's language: records and pages must share it,
        # and an article in another language (marked with lang= on its body) is still found.
        "force_language": (briefing.language or "en").split("-")[0].lower(),
        "keep_index_url": False,
    }


def _indexed_pages(site_dir: Path) -> list[str]:
    """The files PAGE_GLOB matches, as sorted site paths."""
    found = []
    for folder in _PAGE_DIRS:
        found += [p.relative_to(site_dir).as_posix() for p in (site_dir / folder).glob("*/index.html") if p.is_file()]
    return sorted(found)


def _records(briefing: Briefing) -> list[dict]:
    """One record per event and per quote, each with its URL from the site's root, its meta and filters."""
    ix = Index(briefing)
    records = []
    for event in briefing.events:
        view = event_view(event, ix)
        leaders = [leader["name"] for leader in view["leaders"]]
        # Every spelling of the leaders it names, so that 'Zelensky' finds Zelenskyy's events too.
        names = [_with_aliases(ix.leaders[w]) for w in event.who if w in ix.leaders]
        topics = [topic["title"] for topic in view["topics"]]
        content = " ".join(part for part in (
            _sentence(view["what"]), _sentence(view["date"]["text"]), _sentence("; ".join(names)),
            _sentence(", ".join(topics)), _sentence(view["note"] or "")) if part)
        records.append({
            "url": "/" + view["path"],
            "content": content,
            "meta": {"title": view["what"], "kind": "Event",
                     "context": " · ".join(part for part in (view["date"]["text"], ", ".join(leaders)) if part)},
            "filters": {"kind": ["event"], "leader": list(event.who), "topic": list(event.topics)},
        })
    for article in briefing.articles:
        for quote in article.quotes:
            view = quote_view(quote, ix)
            citation = view["citation"]
            if not citation["path"]:
                continue
            who = view["leader"]["name"] if view["leader"] else ""
            title = f"“{_shorten(view['text'], QUOTE_TITLE_MAX)}”"
            names = _with_aliases(ix.leaders[quote.who]) if quote.who in ix.leaders else ""
            records.append({
                "url": "/" + citation["path"],
                "content": " ".join(part for part in (f"“{view['text']}”", _sentence(names),
                                                      _sentence(citation["article_title"])) if part),
                "meta": {"title": title, "kind": "Quote",
                         "context": " · ".join(part for part in (who, citation["label"]) if part)},
                "filters": {"kind": ["quote"], "leader": [quote.who] if view["leader"] else [], "topic": []},
            })
    return records


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

def _key(version: str, config: dict, site_dir: Path, pages: list[str], records: list[dict]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": FORMAT, "pagefind": version, "glob": PAGE_GLOB, "config": config},
                             sort_keys=True).encode())
    for page in pages:
        data = (site_dir / page).read_bytes()
        digest.update(f"\0page {page} {len(data)}\0".encode())
        digest.update(data)
    digest.update(json.dumps(records, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


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


# ---------------------------------------------------------------------------
# Running Pagefind (through its Python API, which runs its binary as a service)

def _pagefind_version() -> str:
    try:
        importlib.import_module("pagefind.index")
        from pagefind.service import get_executable
    except ImportError as error:
        raise BriefingError(f"search needs Pagefind, which is not installed ({error}); {INSTALL_HINT}") from None
    executable = get_executable()
    if executable is None or not Path(executable).exists():
        raise BriefingError(f"search needs the Pagefind binary, which was not found; {INSTALL_HINT}")
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for dist in ("pagefind", "pagefind_bin", "pagefind_bin_extended"):
        try:
            versions.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    if os.environ.get("PAGEFIND_BINARY_PATH"):
        versions.append(f"binary {os.environ['PAGEFIND_BINARY_PATH']}")
    return ", ".join(versions) or str(executable)


def _run(coroutine):
    """Run the indexing coroutine to the end, on a thread of its own if this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _make_index(site_dir: Path, config: dict, records: list[dict]) -> tuple[int, dict[str, bytes]]:
    """Index the site's pages and the records: (pages Pagefind indexed, the bundle's files by path)."""
    try:
        return await asyncio.wait_for(_index(site_dir, config, records), TIMEOUT)
    except BriefingError:
        raise
    except asyncio.TimeoutError:
        raise BriefingError(f"search: Pagefind did not finish indexing within {TIMEOUT:.0f} s") from None
    except Exception as error:  # the service reports its failures as plain Exceptions
        raise BriefingError(f"search: Pagefind could not index the site: {_describe(error)}") from None


async def _index(site_dir: Path, config: dict, records: list[dict]) -> tuple[int, dict[str, bytes]]:
    service = await _service_class()().launch()
    try:
        index = await service.create_index(dict(config))
        pages = (await index.add_directory(str(site_dir), glob=PAGE_GLOB)).get("page_count", 0)
        # All sent at once rather than each awaiting its answer (2.4× faster at 1,000 articles). The
        # tasks write their requests in the order they were made, the model's, and the service handles
        # requests one at a time in the order received, so the index does not depend on timing.
        await asyncio.gather(*(index.add_custom_record(url=record["url"], content=record["content"],
                                                       language=config["force_language"], meta=record["meta"],
                                                       filters=record["filters"])
                               for record in records))
        # The files come back in memory, and the build writes them. (Pagefind's own write_files
        # answers before its writes are done, and closing the service then can leave files empty.)
        files = {f["path"]: f["content"] for f in await index.get_files()}
    except Exception as error:  # noqa: BLE001 - say what the binary printed, if it printed anything
        raise Exception(_describe(error) + await _last_words(service)) from None
    finally:
        try:
            await service.close()
        except Exception:  # noqa: BLE001 - closing after a failure re-raises it; the first error is the one to report
            pass
    if "pagefind.js" not in files or any(Path(name).is_absolute() or ".." in Path(name).parts for name in files):
        raise BriefingError("search: Pagefind returned an index without pagefind.js, or with paths outside it")
    return pages, files


async def _last_words(service) -> str:
    """What the binary printed before it failed (our service keeps it), once its pipe is read to the end."""
    task = getattr(service, "_poll_task", None)
    if task is not None:
        try:
            await asyncio.wait_for(asyncio.shield(task), 1.0)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001 - best effort
            pass
    noise = " ".join(getattr(service, "noise", []))
    return f" (Pagefind said: {noise[-300:]})" if noise else ""


def _describe(error: BaseException) -> str:
    text = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    return " ".join(text.split())[:500] or type(error).__name__


def _service_class():
    """Pagefind's service, reading its replies as they come.

    The stock service reads the binary's replies in a loop that sleeps 0.1 s before each one, so a
    build with hundreds of events and quotes (one reply each) would wait tens of seconds for nothing,
    and it reads each reply as one line of at most 2 MiB, which get_files() outgrows on a large site.
    This subclass reads the pipe in chunks as they come, and fails every pending call when the
    binary dies (the stock loop would leave them waiting until our timeout). It relies on two
    attributes of the service's 1.x releases; where they are not there, the stock service is used.
    """
    from pagefind.service import PagefindService

    if not hasattr(PagefindService, "_wait_for_responses"):
        return PagefindService

    class Service(PagefindService):
        noise: list[str]

        def __init__(self) -> None:
            super().__init__()
            self.noise = []

        async def close(self) -> None:
            """Stop the binary and reap it. (The stock close waits up to 5 s for replies that are
            either all in, when indexing went well, or never coming, and fails before reaping the
            process when one of them was an error.)"""
            task = getattr(self, "_poll_task", None)
            backend = getattr(self, "_backend", None)
            if task is None or backend is None:
                return await super().close()
            task.cancel()
            for future in getattr(self, "_responses", {}).values():
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved: no "exception was never retrieved" at exit
                elif not future.done():
                    future.cancel()
            if backend.returncode is None:
                backend.terminate()
            await backend.wait()

        async def _wait_for_responses(self) -> None:
            backend = getattr(self, "_backend", None)
            responses = getattr(self, "_responses", None)
            if backend is None or backend.stdout is None or not isinstance(responses, dict):
                return await super()._wait_for_responses()
            pending = bytearray()
            noise = self.noise  # anything on the pipe that is not a reply (the binary's stderr shares it)
            try:
                while True:
                    chunk = await backend.stdout.read(1 << 16)  # no line limit: get_files replies are large
                    if not chunk:
                        raise EOFError
                    pending += chunk
                    while (end := pending.find(b",")) >= 0:
                        message = bytes(pending[:end])
                        del pending[:end + 1]
                        _deliver(message, responses, noise)
            except (EOFError, OSError) as error:
                if pending.strip():
                    noise.append(pending.decode("utf-8", "replace").strip())
                said = f": {' '.join(noise)[-300:]}" if noise else ""
                for future in responses.values():
                    if not future.done():
                        future.set_exception(Exception(
                            f"the Pagefind binary stopped answering ({type(error).__name__}){said}"))

    return Service


def _deliver(message: bytes, responses: dict, noise: list[str]) -> None:
    """Resolve the call a reply of the service answers; keep what is not a reply, to report it."""
    words = message.split()
    if len(words) > 1:  # text from the binary's stderr before the reply
        noise.append(b" ".join(words[:-1]).decode("utf-8", "replace"))
    try:
        reply = json.loads(base64.b64decode(words[-1] if words else b"", validate=True))
    except ValueError:
        noise.append(message.decode("utf-8", "replace").strip())
        return
    if not isinstance(reply, dict):
        return
    payload = reply.get("payload") or {}
    message_id = reply.get("message_id")
    if message_id is None and payload.get("original_message"):
        try:
            message_id = json.loads(payload["original_message"]).get("message_id")
        except (ValueError, AttributeError):
            message_id = None
    future = responses.get(message_id)
    if future is None or future.done():
        return
    if payload.get("type") == "Error":
        future.set_exception(Exception(payload.get("message") or "Pagefind reported an error"))
    else:
        future.set_result(payload)


# ---------------------------------------------------------------------------
# Reproducible output
#
# Pagefind 1.x writes each filter index (filter/*.pf_filter) with its values in the order of a
# Rust hash map, which is seeded anew in every process, and lists the filters in the metadata
# file (pagefind.<lang>_<hash>.pf_meta) in that order too; both files are named after a hash of
# their bytes, and pagefind-entry.json names the metadata file. Same index, different bytes and
# names on every run ("TODO: Change filter indexes to BTree to give them a stable hash" in
# Pagefind's src/index/mod.rs). The files are gzip of b"pagefind_dcd" + CBOR (arrays, text and
# integers only); `make_reproducible` sorts the values and the filters, names the files the way
# Pagefind names them (SHA-1 of the CBOR) and rewrites the entry, before anything is written. It
# first checks that it reads and writes those files byte for byte as Pagefind does; where it
# cannot (a future format), it keeps Pagefind's files as they are: valid, only not reproducible
# (the stamp then says "reproducible": false).

_PF_MAGIC = b"pagefind_dcd"


class _Unexpected(Exception):
    """Pagefind's files are not in the form `make_reproducible` knows."""


def make_reproducible(files: dict[str, bytes]) -> tuple[dict[str, bytes], bool]:
    """Pagefind's bundle (path -> bytes) with its filter indexes in a stable order, and whether that
    worked; where it cannot be done, the files as they were."""
    try:
        return _reproducible(files), True
    except (_Unexpected, OSError, EOFError, ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
        return files, False


def _reproducible(files: dict[str, bytes]) -> dict[str, bytes]:
    files = dict(files)
    entry_text = files["pagefind-entry.json"].decode("utf-8")
    entry = json.loads(entry_text)
    for language, info in sorted(entry["languages"].items()):
        old_meta_hash = info["hash"]
        meta_name = f"pagefind.{old_meta_hash}.pf_meta"
        meta = _read_pf(files[meta_name], meta_name)
        if not isinstance(meta, list):
            raise _Unexpected("metadata")
        where = [i for i, field in enumerate(meta) if _is_filter_list(field, files)]
        if not where:
            continue  # no filters: nothing in hash-map order
        if len(where) != 1:
            raise _Unexpected("which field lists the filters")
        filters = []
        taken: set[str] = set()
        for name, old_hash in meta[where[0]]:
            old_name = f"filter/{old_hash}.pf_filter"
            index = _read_pf(files.pop(old_name), old_name)
            if (not isinstance(index, list) or len(index) != 2 or index[0] != name
                    or not all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) for v in index[1])):
                raise _Unexpected("filter index")
            index = [name, sorted(index[1], key=lambda value: value[0].encode("utf-8"))]
            data = _cbor_encode(index)
            new_hash = _pf_name(language, data, len(language) + 8, taken)
            taken.add(new_hash)
            files[f"filter/{new_hash}.pf_filter"] = _gzip_pf(data)
            filters.append([name, new_hash])
        meta[where[0]] = sorted(filters, key=lambda f: f[0].encode("utf-8"))
        data = _cbor_encode(meta)
        new_meta_hash = _pf_name(language, data, len(language) + 11, set())
        del files[meta_name]
        files[f"pagefind.{new_meta_hash}.pf_meta"] = _gzip_pf(data)
        quoted = json.dumps(old_meta_hash)
        if entry_text.count(quoted) != 1:
            raise _Unexpected("entry")
        entry_text = entry_text.replace(quoted, json.dumps(new_meta_hash))
    files["pagefind-entry.json"] = entry_text.encode("utf-8")
    return files


def _is_filter_list(field, files: dict[str, bytes]) -> bool:
    return (isinstance(field, list) and bool(field)
            and all(isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in field)
            and all(f"filter/{f[1]}.pf_filter" in files for f in field))


def _pf_hash(data: bytes) -> str:
    """Pagefind's `full_hash`: SHA-1, each byte in lowercase hex without its leading zero."""
    return "".join(format(byte, "x") for byte in hashlib.sha1(data).digest())


def _pf_name(language: str, data: bytes, length: int, taken: set[str]) -> str:
    """The file name Pagefind gives these bytes: '<lang>_<hash>' cut to `length`, longer on a collision."""
    full = f"{language}_{_pf_hash(data)}"
    name = full[:length]
    while name in taken and len(name) < len(full):
        name = full[:len(name) + 1]
    return name


def _read_pf(packed: bytes, name: str):
    raw = gzip.decompress(packed)
    if not raw.startswith(_PF_MAGIC):
        raise _Unexpected(f"{name} has no Pagefind header")
    data = raw[len(_PF_MAGIC):]
    value = _cbor_decode(data)
    if _cbor_encode(value) != data:  # we must write exactly what Pagefind would
        raise _Unexpected(f"{name} does not round-trip")
    return value


def _gzip_pf(data: bytes) -> bytes:
    return gzip.compress(_PF_MAGIC + data, compresslevel=9, mtime=0)


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise _Unexpected("integer too large")


def _cbor_encode(value) -> bytes:
    if isinstance(value, bool) or value is None:
        raise _Unexpected("CBOR simple value")
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _cbor_head(3, len(data)) + data
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor_encode(item) for item in value)
    raise _Unexpected(f"CBOR {type(value).__name__}")


def _cbor_decode(data: bytes):
    """The CBOR Pagefind writes: definite-length arrays, text, bytes and integers, nothing else."""
    def item(i: int):
        major, info = data[i] >> 5, data[i] & 31
        i += 1
        if info < 24:
            n = info
        elif info < 28:
            size = 1 << (info - 24)
            n = int.from_bytes(data[i:i + size], "big")
            i += size
        else:
            raise _Unexpected("indefinite length")
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major in (2, 3):
            chunk = data[i:i + n]
            if len(chunk) != n:
                raise _Unexpected("truncated")
            return (bytes(chunk) if major == 2 else chunk.decode("utf-8")), i + n
        if major == 4:
            items = []
            for _ in range(n):
                value, i = item(i)
                items.append(value)
            return items, i
        raise _Unexpected(f"CBOR major type {major}")

    value, end = item(0)
    if end != len(data):
        raise _Unexpected("trailing bytes")
    return value
