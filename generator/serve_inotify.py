"""Linux's inotify, through ctypes: hear of a change under some folders the moment it is made.

The preview's watcher (serve_watch.Watcher) otherwise finds changes by scanning
every watched file, which on a briefing of 10,000 articles takes ~80 ms a scan:
a save would wait for the next scan and its quiet period for the one after.
Only Linux has inotify; elsewhere, or when the system refuses (the limit of
watches reached), `Inotify.open` gives None and the watcher scans.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import sys

_MODIFY, _ATTRIB, _CLOSE_WRITE = 0x002, 0x004, 0x008
_MOVED_FROM, _MOVED_TO, _CREATE, _DELETE = 0x040, 0x080, 0x100, 0x200
_DELETE_SELF, _MOVE_SELF = 0x400, 0x800
_Q_OVERFLOW, _IGNORED = 0x4000, 0x8000
_ONLYDIR = 0x01000000
IS_DIR = 0x40000000
_MASK = _MODIFY | _ATTRIB | _CLOSE_WRITE | _MOVED_FROM | _MOVED_TO | _CREATE | _DELETE | _DELETE_SELF | _MOVE_SELF
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name, NUL-padded)


class Overflow(Exception):
    """The kernel dropped events (its queue was full): only a full scan can tell what changed."""


class Inotify:
    def __init__(self, fd: int, libc):
        self.fd, self.libc = fd, libc
        self.folders: dict[int, str] = {}  # watch descriptor -> folder

    @classmethod
    def open(cls) -> Inotify | None:
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError, TypeError):
            return None
        return cls(fd, libc) if fd >= 0 else None

    def watch(self, folder: str) -> bool:
        """Watch one folder (not its subfolders); False when the system refuses."""
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(folder), _MASK | _ONLYDIR)
        if wd < 0:
            return False
        self.folders[wd] = folder
        return True

    def events(self, timeout: float) -> list[tuple[str, int]]:
        """(path, mask) of each event that arrives within `timeout` seconds (all that are queued, once
        one is); raises Overflow when the kernel dropped some."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        found = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return found
            except OSError as error:
                if error.errno == errno.EINTR:
                    continue
                raise
            offset = 0
            while offset < len(data):
                wd, mask, _, size = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size: offset + _EVENT.size + size].split(b"\0", 1)[0]
                offset += _EVENT.size + size
                if mask & _Q_OVERFLOW:
                    raise Overflow()
                folder = self.folders.get(wd)
                if mask & _IGNORED:  # the folder was removed, or its watch dropped
                    self.folders.pop(wd, None)
                    continue
                if folder is None:
                    continue
                found.append((os.path.join(folder, os.fsdecode(name)) if name else folder, mask))

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass
