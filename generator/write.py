"""Write a build atomically: into a fresh directory beside the output, swapped in only when complete.

A failed or killed build therefore never leaves a half-written site: the
previous output stays as it was, and the leftover directory of an interrupted
build is removed by the next one.

An incremental build fills the staging directory with hard links to the
previous site's files that did not change (`link`) and new files for the rest
(`write`, `open`): making the new site costs a link per unchanged file, an
unchanged file keeps its inode, bytes and modification time, and the old site
is never written to (every new file is a new inode; nothing is opened for
writing in place), so it stays intact until the swap.

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
_RENAME_EXCHANGE = 2


class SiteWriter:
    """Collects a build's files in a staging directory; `commit()` swaps it in (or, `in_place`, moves
    the new files into the existing output folder; see the module's docstring)."""

    def __init__(self, out: Path, in_place: bool = False):
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        self.in_place = in_place and out.is_dir()
        self.staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=out.name), dir=out.parent))
        self.count = 0
        self._folders: set[Path] = {self.staging}

    def write(self, path: str, data: bytes) -> os.stat_result:
        with self.open(path) as stream:
            stream.write(data)
        return self.stat(path)

    def open(self, path: str):
        """A new file at `path` in the staging directory, open for writing bytes."""
        target = self._target(path)
        self.count += 1
        return open(target, "xb")

    def link(self, path: str) -> None:
        """Take `path` over from the previous site unchanged: a hard link (a copy where links fail)."""
        if not self.in_place:  # in place, it simply stays
            link_or_copy(self.out / path, self._target(path))
        self.count += 1

    def discard(self, path: str) -> None:
        """Remove a file this build wrote (its bytes turned out to equal the previous site's)."""
        os.unlink(self.staging / path)
        self.count -= 1

    def link_tree(self, folder: str) -> bool:
        """Take a whole folder of the previous site over; False when the previous site has none."""
        source = self.out / folder
        if not source.is_dir() or source.is_symlink():
            return False
        if self.in_place:
            return True
        shutil.copytree(source, self.staging / folder, copy_function=link_or_copy, dirs_exist_ok=True)
        return True

    def stat(self, path: str) -> os.stat_result:
        return os.stat(self.staging / path)

    def read(self, path: str) -> bytes:
        """The bytes of a file this build wrote."""
        return (self.staging / path).read_bytes()

    def _target(self, path: str) -> Path:
        target = self.staging / path
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def write_all(self, files: Iterable[tuple[str, bytes]]) -> None:
        for path, data in files:
            self.write(path, data)

    def commit(self, gone: Iterable[str] = ()) -> None:
        """Put the new site in place. `gone`: files of the previous site this build no longer makes
        (only an in-place commit needs telling; a swapped-in site never had them)."""
        if self.in_place:
            self._move_in(gone)
            return
        os.chmod(self.staging, 0o755)
        replace_dir(self.staging, self.out,
                    self.out.parent / (_RETIRED.format(name=self.out.name) + self.staging.name.rsplit("-", 1)[-1]))

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
        shutil.rmtree(self.staging, ignore_errors=True)


def _prune_empty(root: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `root` while they are empty (an article's old folder)."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def replace_dir(new: Path, old: Path, retired: Path | None = None) -> None:
    """Put the directory `new` where `old` is, in one step where the system can, and delete the old one.

    Without an atomic exchange, `old` is first renamed to `retired` (which `recover` restores
    when the process dies before the second rename)."""
    if not old.exists():
        os.rename(new, old)
    elif _exchange(new, old):
        shutil.rmtree(new, ignore_errors=True)  # after the swap it holds the old directory
    else:
        retired = retired or old.parent / f".{old.name}.retired-{os.getpid()}"
        os.rename(old, retired)
        os.rename(new, old)
        shutil.rmtree(retired, ignore_errors=True)


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
    """Clean up after a build that was killed: drop its staging directory, restore a retired site."""
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
