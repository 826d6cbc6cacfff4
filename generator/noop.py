"""Is there anything to build? The no-op layer of the incremental build (see incremental.py).

When no file a build reads (content/, the templates, the generator itself) and no option changed
since the last build into the same folder, and that folder still holds exactly the files that build
left, there is nothing to do: the last build's result stands, warnings included.

This module is light on purpose: `briefing build` asks it before it imports the rest of the
pipeline (Jinja, Markdown, Pagefind's API and the generator's own modules: ~0.3 s of a no-op
build's ~0.9 s at 10,000 articles), and reads the cache without opening it for writing.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import builtin_templates
from .cache import BuildCache, code_version, digest
from .errors import Diagnostic
from .urls import SEARCH_INDEX_DIR

VERIFY = "BRIEFING_VERIFY_INCREMENTAL"  # set: every build checks its keys, so none is skipped


@dataclass
class LastBuild:
    """What a finished build into a directory left in the cache."""

    inputs: bytes  # fingerprint() of what it read
    site: bytes  # site_fingerprint() of what it left
    pages: int
    diagnostics: list[Diagnostic]


def options(base_url: str | None, strict: bool, source_date: datetime | None) -> tuple:
    """The build's options, as its fingerprint takes them."""
    return base_url, strict, source_date


def state_name(out: Path) -> str:
    """The cache's name for the LastBuild of builds into `out`."""
    return f"last:{out}"


def verifying() -> bool:
    return os.environ.get(VERIFY, "") not in ("", "0")


def unchanged(project: Path, out: Path, build_options: tuple) -> tuple[LastBuild | None, bytes]:
    """The last build into `out` when there is nothing to do (else None), and the fingerprint of
    the inputs, which the build that follows is given rather than make it again."""
    inputs = fingerprint(project, out, build_options)
    if verifying():
        return None, inputs
    return current(BuildCache.peek_state(project, state_name(out)), out, inputs), inputs


def current(last, out: Path, inputs: bytes) -> LastBuild | None:
    """`last` (a stored state value) when it is a LastBuild of these inputs and `out` holds what it left."""
    if isinstance(last, LastBuild) and last.inputs == inputs and last.site == site_fingerprint(out):
        return last
    return None


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


def fingerprint(project: Path, out: Path, build_options: tuple) -> bytes:
    return digest("fingerprint", code_version(), str(project), str(out), repr(build_options),
                  _listing(input_stats(project)))


def _listing(found: list[tuple]) -> bytes:
    """A digest of _walk's tuples (of str and int), made at C speed: tens of thousands on a large site."""
    return hashlib.blake2b(repr(sorted(found)).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def written_fingerprint(out: Path, files: dict[str, tuple[int, int, int]]) -> bytes:
    """site_fingerprint(out) of an output folder that holds exactly `files` (site path -> size,
    modification time, inode, as the build that wrote them recorded them) besides its search index,
    which is looked at: a build at 10,000 articles then states none of its ~10,000 files again
    (~0.3 s). Should `out` hold anything else, the next build's look at it finds a difference and
    builds, as it would after any change to the folder."""
    root = str(out)
    found: list = []
    names: dict[str, set[str]] = {root: set()}
    for path, (size, mtime_ns, inode) in files.items():
        parent, *folders, name = [root, *path.split("/")]
        for folder in folders:
            names[parent].add(folder)
            parent = f"{parent}/{folder}"
            names.setdefault(parent, set())
        names[parent].add(name)
        found.append((f"{parent}/{name}", size, mtime_ns, inode))
    index = out / SEARCH_INDEX_DIR
    if os.path.isdir(index):
        names[root].add(SEARCH_INDEX_DIR)
        _walk(str(index), found, str(index))
    found += [(folder, "dir", len(inside), 0) for folder, inside in names.items()]
    return _listing(found)


def site_fingerprint(out: Path) -> bytes:
    """Every file in the output directory with its size, modification time and inode; of the search
    index (a file a page or event, named after its bytes), the outline `_walk` takes."""
    found: list = []
    if out.is_dir():
        _walk(str(out), found, str(out / SEARCH_INDEX_DIR))
    return _listing(found)
