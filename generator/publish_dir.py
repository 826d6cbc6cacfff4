"""Publish a built site into a directory a web server reads: make it an exact copy.

New and changed files are written atomically (a temporary file in the same
directory, fsync, os.replace), so a server reading the directory meanwhile sees
each file either whole-old or whole-new, never half-written. Files whose bytes
are already right are not touched (they keep their mtime). Stale files and
directories go last, after every new page and asset is in place.

A directory we deployed to holds a small manifest, `.briefing-deploy.json`; one
that is non-empty and has no manifest belongs to someone else, and we refuse to
empty it unless forced.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BriefingError
from .write import same_bytes

MANIFEST = ".briefing-deploy.json"
TMP_SUFFIX = ".briefing-tmp"
_CHUNK = 1 << 20


@dataclass
class DirResult:
    target: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return (f"{len(self.added)} new, {len(self.changed)} changed, "
                f"{len(self.removed)} removed, {self.unchanged} unchanged")


# --- which directories we refuse ---------------------------------------------------------------

def check_target(target: Path, project: Path, site: Path, *, force: bool = False) -> None:
    """Raise BriefingError unless `target` (absolute, resolved) is a safe place to deploy to.

    The dangerous places are refused even with --force; --force only overrides
    the refusal of a non-empty directory that holds no briefing deployment.
    """
    home = Path.home().resolve()
    content = project / "content"

    def refuse(why: str) -> BriefingError:
        return BriefingError(f"refusing to deploy to {target}: {why}")

    if target == Path(target.anchor):
        raise refuse("that is the root of the file system")
    if target == home:
        raise refuse("that is your home directory")
    if target == project:
        raise refuse("that is the project itself; pick a directory of its own, e.g. /var/www/briefing")
    if project.is_relative_to(target):
        raise refuse(f"it contains the project {project}")
    if target.is_relative_to(content):
        raise refuse("it is the project's content/ (or inside it)")
    if target.is_relative_to(site):
        raise refuse(f"it is the build output {site} (or inside it); deploy copies that directory elsewhere")
    if target.exists() and not target.is_dir():
        raise refuse("it exists and is not a directory")
    if not force and is_foreign(target):
        raise refuse(f"it is not empty and holds no site deployed by briefing (no {MANIFEST}). "
                     "Pass --force to make it an exact copy of the site anyway, "
                     "deleting everything else in it")


def read_manifest(target: Path) -> dict | None:
    """The manifest of an earlier deployment into `target`, or None."""
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("generator") == "briefing":
        return data
    return None


def is_foreign(target: Path) -> bool:
    """True when `target` is a non-empty directory that no briefing deploy wrote."""
    if not target.is_dir():
        return False
    if read_manifest(target) is not None:
        return False
    with os.scandir(target) as entries:
        return any(True for _ in entries)


# --- the copy ----------------------------------------------------------------------------------

def _scan(root: Path) -> tuple[dict[str, Path], set[str]]:
    """Relative posix paths of the non-directories and of the directories under `root`.

    Symbolic links are not followed into: a link counts as a file (so a stale
    one is removed, not what it points to); in the site, a link to a file is
    published with the bytes it points to.
    """
    files: dict[str, Path] = {}
    dirs: set[str] = set()

    def walk(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    dirs.add(rel)
                    walk(Path(entry.path), rel + "/")
                else:
                    files[rel] = Path(entry.path)

    walk(root, "")
    return files, dirs


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(dst: Path, source: Path | bytes, mode: int) -> None:
    """Replace `dst` by the bytes of `source` so no reader ever sees a partial file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=TMP_SUFFIX, dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(source, bytes):
                out.write(source)
            else:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out, _CHUNK)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _publish_order(rel: str) -> tuple:
    # Pages last: when a new page appears, the assets it links to are already there.
    return (rel.endswith((".html", ".htm")), rel.count("/"), rel)


def publish_dir(site: Path, target: Path, *, project: Path, force: bool = False) -> DirResult:
    """Make `target` an exact copy of `site` (plus our manifest)."""
    check_target(target, project, site, force=force)
    site_files, site_dirs = _scan(site)
    if MANIFEST in site_files:
        raise BriefingError(f"the built site holds a file named {MANIFEST}, which deploy keeps for itself")

    result = DirResult(target)
    mode = _file_mode()
    try:
        target.mkdir(parents=True, exist_ok=True)
        old_files, old_dirs = _scan(target)
        old_files.pop(MANIFEST, None)
        manifest = json.dumps({"generator": "briefing", "format": 1, "files": sorted(site_files)},
                              indent=1).encode() + b"\n"
        if read_manifest(target) is None:
            # Claim the directory first, so a deploy interrupted halfway is still ours next time.
            atomic_write(target / MANIFEST, manifest, mode)

        touched: set[Path] = {target}
        for rel in sorted(site_dirs, key=lambda r: (r.count("/"), r)):
            path = target / rel
            if rel in old_files:  # a file (or link) where the site has a directory
                path.unlink()
                result.removed.append(rel)
                del old_files[rel]
            if not path.is_dir():
                path.mkdir()
                touched.add(path.parent)

        for rel in sorted(site_files, key=_publish_order):
            path = target / rel
            if rel in old_dirs:  # a directory where the site has a file
                shutil.rmtree(path)
                result.removed.append(rel + "/")
                old_files = {k: v for k, v in old_files.items() if not k.startswith(rel + "/")}
                old_dirs = {d for d in old_dirs if d != rel and not d.startswith(rel + "/")}
            if rel in old_files and same_bytes(site_files[rel], path):
                result.unchanged += 1
                continue
            atomic_write(path, site_files[rel], mode)
            touched.add(path.parent)
            (result.changed if rel in old_files else result.added).append(rel)

        for rel in sorted(set(old_files) - set(site_files)):
            _remove(target / rel)
            touched.add((target / rel).parent)
            result.removed.append(rel)
        for rel in sorted(old_dirs - site_dirs, key=lambda r: (-r.count("/"), r)):
            path = target / rel
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)  # empty by now: everything in it was stale
                touched.add(path.parent)

        try:
            current = (target / MANIFEST).read_bytes()
        except FileNotFoundError:
            current = None
        if current != manifest:
            atomic_write(target / MANIFEST, manifest, mode)
        for directory in touched:
            if directory.is_dir():
                _fsync_dir(directory)
    except OSError as error:
        raise BriefingError(f"could not deploy to {target}: {error}; "
                            "every file there is either its old or its new version, run deploy again") from error
    return result
