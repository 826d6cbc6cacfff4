"""Write a build atomically: into a fresh directory beside the output, swapped in only when complete.

A failed or killed build therefore never leaves a half-written site: the
previous output stays as it was, and the leftover directory of an interrupted
build is removed by the next one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

_STAGING = ".{name}.building-"
_RETIRED = ".{name}.previous-"
_RENAME_EXCHANGE = 2


class SiteWriter:
    """Collects a build's files in a staging directory; `commit()` swaps it in."""

    def __init__(self, out: Path):
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        self.staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=out.name), dir=out.parent))
        self.count = 0

    def write(self, path: str, data: bytes) -> None:
        target = self.staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.count += 1

    def write_all(self, files: Iterable[tuple[str, bytes]]) -> None:
        for path, data in files:
            self.write(path, data)

    def commit(self) -> None:
        os.chmod(self.staging, 0o755)
        if not self.out.exists():
            os.rename(self.staging, self.out)
        elif _exchange(self.staging, self.out):
            shutil.rmtree(self.staging, ignore_errors=True)  # after the swap it holds the old site
        else:
            retired = self.out.parent / (_RETIRED.format(name=self.out.name) + self.staging.name.rsplit("-", 1)[-1])
            os.rename(self.out, retired)
            os.rename(self.staging, self.out)
            shutil.rmtree(retired, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


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
