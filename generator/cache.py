"""The build cache: what earlier builds parsed and wrote, in PROJECT/.briefing-cache/.

One SQLite file per generator version (`cache-<version>.sqlite`): the version
is a digest of the generator's own source files and of the libraries that
shape its output (Markdown, Jinja2, PyYAML, nh3, MarkupSafe) and Python's
version, so a new or edited generator starts from an empty cache and the next
build deletes the old file. The cache is only ever a shortcut: deleting the
folder (or any part of it) makes the next build a full one, never a wrong one.

Tables
  parses   path → (key, entry, probe) one article's parse (see article_cache.ArticleCache)
  outputs  (out, path) → record      one site file as the last build wrote it (see outputs.OutputRecord)
  state    name → value              small values: leader-name maps, the no-op fingerprint,
                                    where data/briefing.json holds each fragment
  fragments key → text               pieces of data/briefing.json (see data_export.DataExport)

SQLite commits atomically, so a build that is killed leaves the cache as the
last finished build left it. Every failure to read or write the cache (a
read-only folder, a damaged file, another build holding a lock for too long)
turns the cache off for that build, with a warning on stderr, and the build
goes on without it.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import sqlite3
import sys
import zoneinfo
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path
from typing import Callable, Iterable

from . import __version__

CACHE_DIR = ".briefing-cache"
_LIBRARIES = ("markdown", "jinja2", "pyyaml", "nh3", "markupsafe", "tzdata")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS parses (path TEXT PRIMARY KEY, key BLOB NOT NULL, entry BLOB NOT NULL, body BLOB NOT NULL,
                                   probe TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (out TEXT NOT NULL, path TEXT NOT NULL, record BLOB NOT NULL,
                                    PRIMARY KEY (out, path));
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fragments (key BLOB PRIMARY KEY, text TEXT NOT NULL);
"""

_BATCH = 900  # values in one query: SQLite's limit on parameters is 999

_code_version: str | None = None


def code_version() -> str:
    """A digest of everything that shapes output besides the project: the generator's code and its libraries."""
    global _code_version
    if _code_version is None:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"briefing {__version__}\0python {sys.version}\0{_zone_rules()}\0".encode())
        for name in _LIBRARIES:
            try:
                digest.update(f"{name} {package_version(name)}\0".encode())
            except PackageNotFoundError:
                digest.update(f"{name} -\0".encode())
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")) + sorted((package / "schemas").glob("*.json")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        _code_version = digest.hexdigest()
    return _code_version


def _zone_rules() -> str:
    """Which time-zone rules zoneinfo reads: a system's (updated several times a year, and the
    offsets of every date with a zone depend on them) before the tzdata package's, whose version
    is among _LIBRARIES. A system folder names its release in tzdata.zi (Debian, Fedora, Alpine)
    or +VERSION (macOS); one that names none is told by its modification time."""
    for folder in map(Path, zoneinfo.TZPATH):
        for name in ("tzdata.zi", "+VERSION"):
            try:
                with open(folder / name, "rb") as file:
                    return f"zones {folder} {file.readline(200).strip().decode('utf-8', 'replace')}"
            except OSError:
                pass
        try:
            return f"zones {folder} {folder.stat().st_mtime_ns}"
        except OSError:
            pass
    return "zones -"


def digest(*parts) -> bytes:
    """A 16-byte digest of plain values (bytes, str, int, None, tuples and lists of them): the
    value_digest of `parts`, pickled whole in memory (builds digest hundreds of thousands of small keys)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(parts)
    return hashlib.blake2b(buffer.getbuffer(), digest_size=16).digest()


class _HashWriter:
    """A file-like object that only hashes what is written to it."""

    def __init__(self):
        self.hash = hashlib.blake2b(digest_size=16)

    def write(self, data) -> int:
        self.hash.update(data)
        return len(data)


def value_digest(value) -> bytes:
    """A digest of any picklable, non-recursive value, streamed (a large context is never held whole).

    Equal digests mean equal pickles, and a pickle determines its value. The pickler's memo is off
    ("fast" mode), so whether two parts of a value are one object or two equal ones (a leader id
    shared by freshly parsed articles, copied in unpickled ones) does not change the digest; the
    one thing left that can (the order of a set of strings, which varies between processes) would
    only cost a needless re-render.
    """
    sink = _HashWriter()
    pickler = pickle.Pickler(sink, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return sink.hash.digest()


class BuildCache:
    """The cache of one project, for one generator version. Use `open()`; `None` when the cache is off."""

    def __init__(self, db: sqlite3.Connection, path: Path):
        self.db, self.path = db, path
        self.failed = False

    @classmethod
    def open(cls, project: Path) -> BuildCache | None:
        root = project / CACHE_DIR
        path = root / f"cache-{code_version()[:20]}.sqlite"
        try:
            root.mkdir(exist_ok=True)
            for old in root.glob("cache-*.sqlite*"):  # other generator versions: never read again
                if not old.name.startswith(path.name):
                    old.unlink(missing_ok=True)
            db = _connect(path)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            return cls(db, path)
        except (OSError, sqlite3.Error) as error:
            _warn(f"the build cache in {root} cannot be used ({error}); building without it")
            if isinstance(error, sqlite3.DatabaseError):
                path.unlink(missing_ok=True)  # damaged: the next build starts a new one
            return None

    @staticmethod
    def peek_state(project: Path, name: str):
        """A state value, read without opening the cache for a build (noop.py): read-only, no schema,
        no other version's file deleted, nothing reported. None when there is none or it cannot be
        read; the build that then follows opens the cache and says what is wrong with it."""
        path = project / CACHE_DIR / f"cache-{code_version()[:20]}.sqlite"
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10)
            try:
                row = db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
            finally:
                db.close()
            return pickle.loads(row[0]) if row else None
        except Exception:  # a damaged file, or a value of another shape: any exception unpickling can raise
            return None

    # Reading ----------------------------------------------------------------

    def parse_keys(self) -> dict[str, bytes]:
        """path -> key of every cached article parse."""
        return self._query(lambda db: dict(db.execute("SELECT path, key FROM parses")), {})

    def parse_entries(self, wanted: dict[str, bytes], take: Callable[[str, bytes], None]) -> None:
        """Hand the pickled entry of each path of `wanted` that the cache holds under the key given
        there to `take`, a row at a time: at 10,000 articles they are ~180 MB, which a build should not
        hold all at once besides what they hold."""
        def read(db):
            if len(wanted) > 200:
                for path, key, entry in db.execute("SELECT path, key, entry FROM parses"):
                    if wanted.get(path) == key:
                        take(path, entry)
                return
            for path, key in wanted.items():
                row = db.execute("SELECT entry FROM parses WHERE path = ? AND key = ?", (path, key)).fetchone()
                if row:
                    take(path, row[0])
        self._query(read, None)

    def bodies(self, paths: list[str]) -> dict[str, bytes]:
        """path -> the pickled body (body_html, paragraphs) kept apart from each of those parses."""
        def read(db):
            found = {}
            for start in range(0, len(paths), _BATCH):
                batch = paths[start:start + _BATCH]
                marks = ",".join("?" * len(batch))
                found.update(db.execute(f"SELECT path, body FROM parses WHERE path IN ({marks})", batch))
            return found
        return self._query(read, {})

    def probe(self, path: str) -> str | None:
        row = self._query(lambda db: db.execute("SELECT probe FROM parses WHERE path = ?", (path,)).fetchone(), None)
        return row[0] if row else None

    def outputs(self, out: str) -> dict[str, bytes]:
        """site path -> pickled record of every file the last build into `out` wrote."""
        return self._query(lambda db: dict(db.execute("SELECT path, record FROM outputs WHERE out = ?", (out,))), {})

    def save_parses(self, rows: list[tuple[str, bytes, bytes, bytes, str]], fragments: dict[bytes, str]) -> None:
        """Store article parses (path, key, pickled entry, pickled body, probe) and their fragments at
        once: a parse is a parse of that text whatever becomes of the build."""
        def write(db):
            db.executemany("INSERT OR REPLACE INTO parses VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", list(fragments.items()))
        self._query(_transaction(write), None)

    def fragments(self, keys: list[bytes]) -> dict[bytes, str]:
        """The stored texts of those keys (at most _BATCH at once)."""
        marks = ",".join("?" * len(keys))
        return self._query(lambda db: dict(db.execute(f"SELECT key, text FROM fragments WHERE key IN ({marks})",
                                                      keys)), {})

    def fragment_keys(self) -> list[bytes]:
        return self._query(lambda db: [key for (key,) in db.execute("SELECT key FROM fragments")], [])

    def save_fragments(self, new: dict[bytes, str], unused: list[bytes]) -> None:
        def write(db):
            db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", list(new.items()))
            db.executemany("DELETE FROM fragments WHERE key = ?", [(key,) for key in unused])
        self._query(_transaction(write), None)

    def layout(self) -> tuple | None:
        """Where the last data/briefing.json made holds its fragments (see data_export.DataExport)."""
        return self.get_state("data-layout")

    def save_layout(self, layout: tuple) -> None:
        self._query(_transaction(lambda db: db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (
            "data-layout", pickle.dumps(layout, protocol=5)))), None)

    def get_state(self, name: str):
        row = self._query(lambda db: db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone(), None)
        return pickle.loads(row[0]) if row else None

    # Writing: one transaction per build --------------------------------------

    def save(self, dropped_parses: list[str], out: str, outputs: dict[str, bytes] | None,
             state: dict[str, object], gone: Iterable[str] | None = None) -> None:
        """Store a finished build: the output records of `out` (all of them; or, given the paths
        `gone`, those that changed since the records stored), state values; forget parses of files
        that are gone."""
        def write(db):
            db.executemany("DELETE FROM parses WHERE path = ?", [(path,) for path in dropped_parses])
            if outputs is not None:
                if gone is None:
                    db.execute("DELETE FROM outputs WHERE out = ?", (out,))
                else:
                    db.executemany("DELETE FROM outputs WHERE out = ? AND path = ?", [(out, path) for path in gone])
                db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)",
                               [(out, path, record) for path, record in outputs.items()])
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)",
                           [(name, pickle.dumps(value, protocol=5)) for name, value in state.items()])
            # Records of output folders that are gone (a finished preview's temporary site).
            for (folder,) in db.execute("SELECT DISTINCT out FROM outputs").fetchall():
                if not Path(folder).is_dir():
                    db.execute("DELETE FROM outputs WHERE out = ?", (folder,))
                    db.execute("DELETE FROM state WHERE name = ?", (f"last:{folder}",))
        self._query(_transaction(write), None)

    def reconnect(self) -> None:
        """Go on with a connection of this process's own: a forked process must not use its parent's
        (sqlite.org/howtocorrupt.html, 2.6), and must not close it either, which could let go of the
        parent's locks; it is kept, unused, until the process ends."""
        self._inherited = self.db
        try:
            self.db = _connect(self.path)
        except sqlite3.Error as error:
            self.failed = True
            _warn(f"the build cache {self.path} failed ({error}); building without it")

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def _query(self, action, fallback):
        if self.failed:
            return fallback
        try:
            return action(self.db)
        except sqlite3.Error as error:
            self.failed = True
            _warn(f"the build cache {self.path} failed ({error}); building without it")
            return fallback


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _transaction(action):
    """`action(db)` in one transaction: all of it is stored, or none."""
    def run(db):
        db.execute("BEGIN IMMEDIATE")
        try:
            action(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return run


def _warn(message: str) -> None:
    print(f"briefing: warning: {message}", file=sys.stderr)
