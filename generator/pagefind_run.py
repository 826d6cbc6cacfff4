"""Running Pagefind (through its Python API, which runs its binary as a service), and making its
output the same bytes on every run. search.py decides what goes into which index; this module only
turns pages and records into a Pagefind bundle.
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
import struct
from pathlib import Path

from .errors import BriefingError

INSTALL_HINT = "install it with: pip install 'pagefind[bin]>=1.1'"
TIMEOUT = 300.0  # seconds for one run of Pagefind; a hung indexer must not hang the build


# ---------------------------------------------------------------------------
# Running Pagefind (through its Python API, which runs its binary as a service)

def pagefind_version() -> str:
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


def run(coroutine):
    """Run the indexing coroutine to the end, on a thread of its own if this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def make_index(site_dir: Path, config: dict, glob: str | None, records: list[dict]) -> tuple[int, dict[str, bytes]]:
    """Index the site's pages that `glob` matches (none when None) and the records: (pages Pagefind
    indexed, the bundle's files by path)."""
    try:
        return await asyncio.wait_for(_index(site_dir, config, glob, records), TIMEOUT)
    except BriefingError:
        raise
    except asyncio.TimeoutError:
        raise BriefingError(f"search: Pagefind did not finish indexing within {TIMEOUT:.0f} s") from None
    except Exception as error:  # the service reports its failures as plain Exceptions
        raise BriefingError(f"search: Pagefind could not index the site: {_describe(error)}") from None


async def _index(site_dir: Path, config: dict, glob: str | None, records: list[dict]) -> tuple[int, dict[str, bytes]]:
    service = await _service_class()().launch()
    try:
        index = await service.create_index(dict(config))
        pages = (await index.add_directory(str(site_dir), glob=glob)).get("page_count", 0) if glob else 0
        # All sent at once rather than each awaiting its answer. The requests are written in the order
        # of `records`, the model's, and the service handles them one at a time in the order received,
        # so the index does not depend on timing.
        add_records = getattr(service, "add_records", None)
        if add_records is not None and isinstance(getattr(index, "_index_id", None), int):
            await add_records(index._index_id, config["force_language"], records)
        else:  # the stock service (a Pagefind API we do not know): one call a record
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
    if "pagefind.js" not in files or any(name.startswith("/") or ".." in name.split("/") for name in files):
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

        async def add_records(self, index_id: int, language: str, records: list[dict]) -> None:
            """Index.add_custom_record for each record, written 256 KB at a time. The stock call is a
            task, a write and a drain for each record: at 10,000 articles (75,000 events and quotes)
            that was ~4 s of a cold build's own process, beside Pagefind's work. (Written whole, a
            bundle's requests were ~3.5 MB, held twice.)"""
            loop = asyncio.get_running_loop()
            answers, requests = [], bytearray()
            for n, record in enumerate(records, start=1):
                self._message_id += 1
                answers.append(answer := loop.create_future())
                self._responses[self._message_id] = answer
                requests += base64.b64encode(json.dumps({"message_id": self._message_id, "payload": {
                    "type": "AddRecord", "index_id": index_id, "url": record["url"], "content": record["content"],
                    "language": language, "meta": record["meta"], "filters": record["filters"], "sort": None,
                }}).encode("utf-8")) + b","
                if len(requests) >= 1 << 18 or n == len(records):
                    self._backend.stdin.write(requests)
                    requests = bytearray()
                    await self._backend.stdin.drain()
            for answer in answers:
                if (await answer).get("type") != "IndexedFile":
                    raise Exception("Pagefind did not index a record")

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
                    start = 0  # a chunk holds the replies to hundreds of records: cut once, not per reply
                    while (end := pending.find(b",", start)) >= 0:
                        _deliver(bytes(pending[start:end]), responses, noise)
                        start = end + 1
                    del pending[:start]
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
