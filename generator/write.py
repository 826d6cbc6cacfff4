"""Write a build atomically: into a directory beside the output, swapped in only when complete.

A failed or killed build therefore never leaves a half-written site: the
previous output stays as it was, and the leftover directory of an interrupted
build is removed by the next one.

An incremental build fills the staging directory with hard links to the
previous site's files that did not change (`link`) and new files for the rest
(`open`): making the new site costs a link per unchanged file, an
unchanged file keeps its inode, bytes and modification time, and the old site
is never written to (every new file is a new inode; nothing is opened for
writing in place), so it stays intact until the swap.

A `spare` makes this cheaper still. The site a swap retires is not deleted
but kept there (in the build cache), and the next build starts from it rather
than from an empty directory: a file it holds that is the very file (the same
inode) of the live site is left where it is, anything else is replaced or, at
the commit, removed. Making the new site then costs what changed since the
site before last, not a folder and a link for each of the site's files (and
deleting as many after the swap): at 10,000 articles, ~10,000 folders and
~96,000 files, about four seconds on a slow file system. What the spare holds
is never trusted: it is listed afresh (names and inodes, from the directory
entries) when the build takes it. What the build replaces or removes of it is
moved aside (`.NAME.replaced-<pid>`) and deleted once the new site is in place
(see SiteWriter._set_aside).

The preview (`briefing serve`) writes its own output folder `in_place`: the
files a build changed are made in the staging directory as above, then each is
renamed over the old one, and the files the build no longer makes are
removed. A reader then gets every file whole, old or new, and a save costs
what it changed rather than a link and an unlink for every file of the site
(the search index alone is tens of thousands of files on a large briefing).
`briefing build` never does this: a build killed during those renames would
leave a mixture.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterable

_STAGING = ".{name}.building-"
_RETIRED = ".{name}.previous-"
_REPLACED = ".{name}.replaced-"
_RENAME_EXCHANGE = 2


class SiteWriter:
    """Collects a build's files in a staging directory; `commit()` swaps it in (or, `in_place`, moves
    the new files into the existing output folder; see the module's docstring)."""

    def __init__(self, out: Path, in_place: bool = False, spare: Path | None = None, seed: Path | None = None):
        """`seed`: where the unchanged files are taken from while `out` does not exist yet (another
        build's site, on the same file system: see incremental.Engine.seed)."""
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        # The previous site, whose files `link` takes over.
        self.previous = seed if seed is not None and not out.is_dir() else out
        self.in_place = in_place and out.is_dir()
        self.spare = None if self.in_place else spare
        self.staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=out.name), dir=out.parent))
        # Paths as strings, and the folders made as names: a first edit after a cold build links every
        # file of the site (~96,000 at 10,000 articles), and Path objects took two thirds of that time.
        self._staging, self._previous = str(self.staging), str(self.previous)
        self._made: set[str] = {""}  # the staging directory's folders known to exist, from its root
        self._trash: Path | None = None
        # What the spare left in the staging directory and this build has not claimed yet: path -> inode.
        self._held: dict[str, int] = {}
        self._empty: list[str] = []  # its empty folders
        self._from_spare = False
        self._replaced = 0  # files set aside by this process (see _set_aside)
        if self.spare is not None and self.spare.is_dir():
            try:
                os.rename(self.spare, self.staging)  # onto the empty directory mkdtemp made
                self._held, self._empty = _inventory(self.staging)
                self._from_spare = True
            except OSError:  # another file system after all, gone, unreadable: start from nothing
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging.mkdir(mode=0o700, exist_ok=True)
                self._held, self._empty = {}, []

    def open(self, path: str):
        """A new file at `path` in the staging directory, open for writing bytes."""
        target = self._target(path)
        if self._held.pop(path, None) is not None:
            self._set_aside(target)  # the spare's file may be a link to a file of the live site: never write into it
        try:
            return open(target, "xb")
        except (FileExistsError, IsADirectoryError):
            if not self._from_spare:
                raise
            self._clear_way(path)
            return open(target, "xb")

    def link(self, path: str, inode: int | None = None) -> None:
        """Take `path` over from the previous site unchanged: a hard link (a copy where links fail).
        `inode`: the previous site's file's, when known (a spare may already hold that very file)."""
        if self.in_place:  # in place, it simply stays
            return
        held = self._held.pop(path, None)
        if held is not None and held == inode:
            return
        target = self._target(path)
        if held is not None:
            self._set_aside(target)
        try:
            link_or_copy(f"{self._previous}/{path}", target)
        except FileExistsError:
            if not self._from_spare:
                raise
            self._clear_way(path)
            link_or_copy(f"{self._previous}/{path}", target)

    def discard(self, path: str) -> None:
        """Remove a file this build wrote (its bytes turned out to equal the previous site's)."""
        self._set_aside(self.staging / path)

    def link_tree(self, folder: str) -> bool:
        """Take a whole folder of the previous site over; False when the previous site has none."""
        source = self.previous / folder
        if not source.is_dir() or source.is_symlink():
            return False
        if not self.in_place:
            held, _ = _inventory(source, folder)
            for path, inode in held.items():
                self.link(path, inode)
        return True

    def claim(self, paths: Iterable[str]) -> None:
        """Files this build made or took over, maybe in forked workers (each with its own copy of this
        writer): what the spare held at those paths is theirs now, not to be removed at the commit."""
        for path in paths:
            self._held.pop(path, None)

    def give(self, folder: str, coming: Iterable[str] = ()) -> None:
        """Hand the staging directory's `folder` to code that makes it on its own (the search index,
        maybe in another thread while this writer makes the files `coming`), once every other file
        is in: what a spare left elsewhere and this build does not make is removed now, and what it
        left in `folder` is that code's to take over or remove."""
        prefix = folder + "/"
        for path in [path for path in self._held if path.startswith(prefix)]:
            del self._held[path]
        self._empty = [path for path in self._empty if not (path + "/").startswith(prefix)]
        self._drop_unclaimed(keep=set(coming))

    def stat(self, path: str) -> os.stat_result:
        return os.stat(self.staging / path)

    def read(self, path: str) -> bytes:
        """The bytes of a file this build wrote."""
        return (self.staging / path).read_bytes()

    def _target(self, path: str) -> str:
        folder = path.rpartition("/")[0]
        if folder not in self._made:
            try:
                os.makedirs(f"{self._staging}/{folder}", exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                if not self._from_spare:
                    raise
                self._clear_way(path)
                os.makedirs(f"{self._staging}/{folder}", exist_ok=True)
            self._made.add(folder)
        return f"{self._staging}/{path}"

    def _clear_way(self, path: str) -> None:
        """Remove what the spare left where this build puts `path`: a file in place of one of its
        folders, a folder in place of the file."""
        parts = path.split("/")
        for n in range(1, len(parts)):
            folder = "/".join(parts[:n])
            if self._held.pop(folder, None) is not None:
                self._set_aside(self.staging / folder)
        target = self.staging / path
        if target.is_dir() and not target.is_symlink():
            self._set_aside(target)
            for held in [held for held in self._held if held.startswith(path + "/")]:
                del self._held[held]
        self._made = {""}

    def commit(self, gone: Iterable[str] = ()) -> None:
        """Put the new site in place. `gone`: files of the previous site this build no longer makes
        (only an in-place commit needs telling; a swapped-in site never had them)."""
        if self.in_place:
            self._move_in(gone)
        else:
            self._drop_unclaimed()
            os.chmod(self.staging, 0o755)
            replace_dir(self.staging, self.out,
                        self.out.parent / (_RETIRED.format(name=self.out.name) + self.staging.name.rsplit("-", 1)[-1]),
                        keep=self.spare)
        _drop_replaced(self.out)

    def _set_aside(self, target: Path | str) -> None:
        """Move a file (or a folder) out of the staging directory, to be deleted once the new site is in place: on
        ext4, files created right after as many were deleted took ~7 times as long to create, and a
        build that starts from a spare replaces files throughout. Each process of a build (render
        workers too) has a folder of its own beside the output."""
        trash = self.out.parent / (_REPLACED.format(name=self.out.name) + str(os.getpid()))
        if trash != self._trash:  # a forked worker has a pid, and so a folder, of its own
            trash.mkdir(exist_ok=True)
            self._trash = trash
        self._replaced += 1
        os.rename(target, trash / str(self._replaced))

    def _drop_unclaimed(self, keep: set[str] = frozenset()) -> None:
        """Remove what the spare left that the new site does not have (but the files `keep`, still to
        be made), and the folders left empty."""
        folders = set(self._empty)
        for path in self._held.keys() - keep:
            # A worker may have cleared it away already (see _clear_way), or made a folder there.
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                if not stat.S_ISDIR(os.lstat(self.staging / path).st_mode):
                    self._set_aside(self.staging / path)
            folders.add(path.rpartition("/")[0])
        for folder in sorted(folders, key=lambda folder: folder.count("/"), reverse=True):
            if folder:
                _prune_empty(self.staging, self.staging / folder)
        self._held, self._empty = {path: self._held[path] for path in keep if path in self._held}, []

    def _move_in(self, gone: Iterable[str]) -> None:
        for folder, _, names in os.walk(self.staging):
            target = self.out / os.path.relpath(folder, self.staging)
            target.mkdir(parents=True, exist_ok=True)
            for name in names:
                os.replace(os.path.join(folder, name), target / name)
        for path in gone:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.out / path)
            _prune_empty(self.out, (self.out / path).parent)
        shutil.rmtree(self.staging, ignore_errors=True)

    def abort(self) -> None:
        """Drop the unfinished site; with a spare, keep it as the spare (whatever it holds, the next
        build lists it afresh, and no file of it was ever written in place)."""
        _drop_replaced(self.out)
        if self.spare is not None:
            with contextlib.suppress(OSError):
                _keep_as(self.staging, self.spare)
                return
        shutil.rmtree(self.staging, ignore_errors=True)


def _inventory(root: Path, prefix: str = "") -> tuple[dict[str, int], list[str]]:
    """Every file under `root` (path from `root`, after `prefix`) with its inode, and the empty
    folders. The inodes come from the directory entries: no file is stat'ed."""
    files: dict[str, int] = {}
    empty: list[str] = []

    def walk(folder: str, relative: str) -> None:
        with os.scandir(folder) as entries:
            found = False
            for entry in entries:
                found = True
                path = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, path)
                else:
                    files[path] = entry.inode()
        if not found and relative:
            empty.append(relative)

    walk(str(root), prefix)
    return files, empty


def _drop_replaced(out: Path) -> None:
    """Delete what the processes of a build into `out` set aside (see SiteWriter._set_aside)."""
    for trash in out.parent.glob(_REPLACED.format(name=out.name) + "*"):
        shutil.rmtree(trash, ignore_errors=True)


def _keep_as(folder: Path, keep: Path) -> None:
    """Move `folder` to `keep`, replacing whatever is there."""
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(keep, ignore_errors=True)
    os.rename(folder, keep)


def _prune_empty(root: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `root` while they are empty (an article's old folder)."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def replace_dir(new: Path, old: Path, retired: Path | None = None, keep: Path | None = None) -> None:
    """Put the directory `new` where `old` is, in one step where the system can, and delete the old one
    (or, given `keep`, move it there, in place of whatever `keep` was).

    Without an atomic exchange, `old` is first renamed to `retired` (which `recover` restores
    when the process dies before the second rename)."""
    if not old.exists():
        os.rename(new, old)
        return
    if _exchange(new, old):
        previous = new  # after the swap it holds the old directory
    else:
        previous = retired or old.parent / f".{old.name}.retired-{os.getpid()}"
        os.rename(old, previous)
        os.rename(new, old)
    if keep is not None:
        with contextlib.suppress(OSError):
            _keep_as(previous, keep)
            return
    shutil.rmtree(previous, ignore_errors=True)


def replace_file(path: Path, chunks: Iterable[bytes]) -> bool:
    """Put a file made of `chunks` at `path` in one rename (a reader gets it whole, old or new); a file
    already holding those bytes is left alone. True when the file changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
        if same_bytes(Path(temporary), path):
            os.unlink(temporary)
            return False
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        return True
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def same_bytes(a: Path, b: Path) -> bool:
    """Whether the file `b` exists, is a regular file and holds the bytes of the file `a`."""
    try:
        sb = b.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(sb.st_mode) or a.stat().st_size != sb.st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            ca, cb = fa.read(1 << 20), fb.read(1 << 20)
            if ca != cb:
                return False
            if not ca:
                return True


def link_or_copy(source, target) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        shutil.copy2(source, target)  # a file system without hard links: a copy, with its times


_NO_LINKS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES}


def recover(out: Path) -> None:
    """Clean up after a build that was killed: drop its staging directory and what it set aside,
    restore a retired site."""
    _drop_replaced(out)
    for leftover in sorted(out.parent.glob(_STAGING.format(name=out.name) + "*")):
        shutil.rmtree(leftover, ignore_errors=True)
    for retired in sorted(out.parent.glob(_RETIRED.format(name=out.name) + "*")):
        if out.exists():
            shutil.rmtree(retired, ignore_errors=True)
        else:  # killed between the two renames of a swap: the retired site is the last good one
            os.rename(retired, out)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
