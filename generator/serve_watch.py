"""Watch the project's sources and rebuild once per burst of saves.

One thread watches the trees (`Watcher`: told by inotify where the system has
it, else by scanning every POLL seconds) and runs the builds, so builds never
overlap and the logic stays in one place:

* a change starts a burst; the build starts once QUIET seconds pass with no
  further change (editors that write several files, or save twice, cause one
  rebuild, not many);
* changes that arrive while a build runs are seen by the first poll after it
  and cause exactly one more build (after their own quiet period).

The builds themselves run in a child process (`serve_worker`), which the
server can kill at once when it stops.

Builds leave the search index and data/briefing.json as they were, so that a
save shows without waiting for them (seconds on a large briefing). Once the
saves have been quiet for INDEX_QUIET seconds, a second process brings them up
to date in the background (pipeline.catch_up); a save while it runs stops it
(that process is killed: the build process, which keeps what it read and wrote
in memory between builds, is not), and they are brought up to date after the
next build instead.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .serve_inotify import IS_DIR, Inotify, Overflow

POLL = 0.05  # seconds between two scans of the watched trees (without inotify)
RESCAN = 2.0  # seconds between two scans of the watched trees with inotify (see Watcher)
QUIET = 0.1  # seconds without a change before a burst counts as finished
INDEX_QUIET = 0.5  # seconds after a build, without a change, before catch_up runs

_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules"}
_IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload")

Snapshot = dict[str, tuple[int, int, int]]  # path -> (mtime_ns, size, inode)


def ignored(name: str) -> bool:
    """Editor droppings (swap files, backups, lock files) and hidden files never trigger a build."""
    return name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES) or name == "4913"


def snapshot(roots: list[Path], watch: Callable[[str], object] | None = None) -> Snapshot:
    """Every watched file with what tells a change: modification time, size and inode (editors that
    replace a file). `watch(folder)` is called for each folder before it is listed, so that a file
    made while the scan runs is either listed or heard of."""
    found: Snapshot = {}
    seen_dirs: set[tuple[int, int]] = set()

    def walk(directory: str) -> None:
        try:
            info = os.stat(directory)
        except OSError:
            return
        if (info.st_dev, info.st_ino) in seen_dirs:  # a symbolic link loop
            return
        seen_dirs.add((info.st_dev, info.st_ino))
        if watch is not None:
            watch(directory)
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            if ignored(entry.name) or entry.name in _IGNORED_DIRS:
                continue
            try:
                st = entry.stat()  # follows symbolic links, as the build does
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                walk(entry.path)
            elif stat.S_ISREG(st.st_mode):
                found[entry.path] = (st.st_mtime_ns, st.st_size, st.st_ino)

    for root in roots:
        if root.is_file():
            st = root.stat()
            found[str(root)] = (st.st_mtime_ns, st.st_size, st.st_ino)
        else:
            walk(str(root))
    return found


Changes = dict[str, tuple[int, int, int] | None]  # path -> as in Snapshot; None: removed


def save_time(changes: Changes) -> float:
    """When the newest of these changes was saved (wall clock), for the save-to-reload latency."""
    now = time.time()
    times = [stamp[0] / 1e9 for stamp in changes.values() if stamp is not None]
    return min(max(times), now) if times else now


class Watcher:
    """Which watched files changed, and when.

    Where the system has inotify, a save is heard the moment it is written, and the trees are
    scanned all the same every RESCAN seconds: a network or container mount may send no events,
    a file reached through a symbolic link changes in a folder that is not watched, and a watched
    folder that did not exist at the start (templates/) is made in one that is not. A change to a
    watched folder (a folder added, removed or renamed in it) is followed by a scan at once.
    Without inotify (or with BRIEFING_WATCH=poll) the trees are scanned every POLL seconds; a scan
    of a briefing of 10,000 articles takes ~80 ms."""

    def __init__(self, roots: list[Path], wait: Callable[[float], object] = time.sleep):
        self.roots, self.wait = roots, wait
        self.inotify = None if os.environ.get("BRIEFING_WATCH") == "poll" else Inotify.open()
        self.known: Snapshot = {}
        self.scanned = 0.0
        self._scan()

    @property
    def listening(self) -> bool:
        return self.inotify is not None

    def changes(self, timeout: float) -> Changes:
        """The files that changed since the last call, waiting up to `timeout` seconds for one."""
        if self.inotify is None:
            self.wait(timeout)
            return self._scan()
        if time.monotonic() - self.scanned >= RESCAN:
            return self._scan()
        try:
            events = self.inotify.events(timeout)
        except Overflow:
            return self._scan()
        changed: Changes = {}
        for path, mask in events:
            if mask & IS_DIR or path in self.inotify.folders.values():
                return {**changed, **self._scan()}
            if not ignored(os.path.basename(path)):
                self._file_event(path, changed)
        return changed

    def close(self) -> None:
        if self.inotify is not None:
            self.inotify.close()
            self.inotify = None

    def _file_event(self, path: str, changed: Changes) -> None:
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino) if stat.S_ISREG(st.st_mode) else None
        except OSError:
            stamp = None
        if stamp != self.known.get(path):
            changed[path] = stamp
            if stamp is None:
                self.known.pop(path, None)
            else:
                self.known[path] = stamp

    def _scan(self) -> Changes:
        watched = set(self.inotify.folders.values()) if self.inotify is not None else set()
        refused = []

        def watch(folder: str) -> None:
            if self.inotify is not None and folder not in watched and not self.inotify.watch(folder):
                refused.append(folder)

        now = snapshot(self.roots, watch)
        if refused:
            self.close()  # the system's limit of watches: scan instead
        changed: Changes = {path: now.get(path) for path in self.known.keys() | now.keys()
                            if self.known.get(path) != now.get(path)}
        self.known, self.scanned = now, time.monotonic()
        return changed


@dataclass
class BuildOutcome:
    ok: bool
    pages: int
    seconds: float  # the build alone, as the pipeline measures it
    wall: float  # from the end of the burst to the reply, including the hand-over to the worker
    message: str
    diagnostics: list[dict]
    changed: list[str] = field(default_factory=list)  # project-relative paths of the burst; [] for the first build
    saved_at: float | None = None  # wall-clock time of the burst's last save; None for the first build


class Worker:
    """The build process: started once, asked to build, killed at the end."""

    def __init__(self):
        import generator

        package_parent = str(Path(generator.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([package_parent] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator.serve_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
            env=env, text=True, encoding="utf-8", bufsize=1,
        )
        self.builds = 0  # build requests it was sent

    def build(self, project: Path, out: Path, base_url: str | None, op: str = "build",
              changed: list[str] | None = None) -> dict | None:
        """The worker's reply, or None when it died (killed at shutdown, or crashed). `op` 'catch_up' brings
        the search index and data/briefing.json of the last build up to date instead (see serve_worker).
        `changed`: the files (relative to the project) changed since the last build request; None: unknown."""
        request = {"op": op, "project": str(project), "out": str(out), "base_url": base_url, "changed": changed}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except (OSError, ValueError):
            return None
        return json.loads(line) if line else None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass


class Rebuilder(threading.Thread):
    """Polls the watched paths, debounces, builds, and reports every outcome to `report` (from this thread)."""

    def __init__(self, project: Path, out: Path, base_url: str | None, roots: list[Path],
                 report: Callable[[BuildOutcome], None], note: Callable[[str], None] = print):
        super().__init__(name="briefing-rebuilder", daemon=True)
        self.project = project
        self.out = out
        self.base_url = base_url
        self.roots = roots
        self.report = report
        self.stopping = threading.Event()
        self._worker_lock = threading.Lock()
        self.worker: Worker | None = None
        self.index_worker: Worker | None = None
        self.note = note  # for what the catching up in the background has to say
        self.builds = 0  # builds run, good or bad
        self._saved_at = 0.0  # the newest save of the pending burst
        self._index_due = False  # a build changed the site since catch_up last ran
        self._indexer: threading.Thread | None = None
        self._built_at = 0.0

    def run(self) -> None:
        watcher = Watcher(self.roots, self.stopping.wait)
        try:
            self._watch(watcher)
        finally:
            watcher.close()

    def _watch(self, watcher: Watcher) -> None:
        self._build([], None)
        pending: set[str] = set()
        last_change = 0.0
        while not self.stopping.is_set():
            try:
                quiet_left = last_change + QUIET - time.monotonic()  # a burst ends as soon as it is quiet
                changes = watcher.changes(min(POLL, max(0.0, quiet_left)) if pending else POLL)
                if self.stopping.is_set():
                    return
                if changes:
                    pending |= changes.keys()
                    last_change = time.monotonic()
                    self._saved_at = max(self._saved_at, save_time(changes))
                    self._stop_indexing()
                elif pending and time.monotonic() - last_change >= QUIET:
                    burst, pending = sorted(pending), set()
                    saved_at, self._saved_at = self._saved_at, 0.0
                    self._build(burst, saved_at)
                elif self._index_due and not pending and self._indexer is None \
                        and time.monotonic() - max(last_change, self._built_at) >= INDEX_QUIET:
                    self._indexer = threading.Thread(target=self._index, name="briefing-indexer", daemon=True)
                    self._indexer.start()
            except Exception:  # a bug here must not silently end the rebuilding
                traceback.print_exc()
                time.sleep(1)

    def _build(self, changed: list[str], saved_at: float | None) -> None:
        worker = self._live_worker()
        if worker is None:
            return
        started = time.monotonic()
        changed = [self._relative(p) for p in changed]
        # A build process started anew (the first, or after one died) knows nothing yet: it looks at every file.
        reply = worker.build(self.project, self.out, self.base_url,
                             changed=changed if worker.builds else None)
        worker.builds += 1
        if self.stopping.is_set():
            return
        self.builds += 1
        self._built_at = time.monotonic()
        if reply is not None and reply.get("behind"):
            self._index_due = True
        if reply is None:
            reply = {"ok": False, "pages": 0, "seconds": 0.0, "diagnostics": [],
                     "message": "the build process died (see the messages above); the next save tries again"}
        self.report(BuildOutcome(
            ok=reply["ok"], pages=reply["pages"], seconds=reply["seconds"], wall=time.monotonic() - started,
            message=reply["message"], diagnostics=reply["diagnostics"],
            changed=changed, saved_at=saved_at,
        ))

    def _live_worker(self, role: str = "worker") -> Worker | None:
        """The build process (`role` 'worker') or the indexing one ('index_worker'), started anew if it
        died; None when stopping."""
        with self._worker_lock:
            if self.stopping.is_set():
                return None
            worker = getattr(self, role)
            if worker is None or not worker.alive():
                worker = Worker()
                setattr(self, role, worker)
            return worker

    def _index(self) -> None:
        """Bring the search index and data/briefing.json up to date (on a thread of its own, so that saves
        are still seen)."""
        worker = self._live_worker("index_worker")
        if worker is None:
            self._indexer = None
            return
        self._index_due = False
        reply = worker.build(self.project, self.out, self.base_url, op="catch_up")
        if reply is None or not reply["ok"]:
            self._index_due = reply is None  # stopped by a save: again after its build; a failure: not forever
            if reply is not None:
                self.note("the search index and data/briefing.json could not be brought up to date: "
                          + reply["message"])
        elif reply.get("changed"):
            self.note(f"search index and data/briefing.json brought up to date in {reply['seconds']:.2f} s")
        self._indexer = None

    def _stop_indexing(self) -> None:
        """A save came: stop the catching up in progress, if any, by killing its process."""
        indexer = self._indexer
        if indexer is None or not indexer.is_alive():
            return
        with self._worker_lock:
            if self.index_worker is not None:
                self.index_worker.kill()
                self.index_worker = None
        indexer.join()
        self._index_due = True

    def _relative(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.project).as_posix()
        except ValueError:
            return path

    def stop(self) -> None:
        """Stop polling and kill a build or an indexing in progress; returns at once."""
        self.stopping.set()
        with self._worker_lock:
            for worker in (self.worker, self.index_worker):
                if worker is not None:
                    worker.kill()
