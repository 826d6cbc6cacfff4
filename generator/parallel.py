"""Work on every core: a pool of forked processes that inherit the build's state.

The build parses articles and renders pages independently of each other, so
both spread over processes. The workers are forked *after* the state they need
(the briefing, the renderer) exists, so nothing large is pickled to reach them;
only each task's item goes in and its (small) result comes back. Results come
back in the order of the items, so a parallel build writes exactly what a
single-process build writes.

BRIEFING_JOBS=1 (or a machine with one core, or a system without fork) runs
everything in this process.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import threading
from typing import Callable, Iterable, Iterator

_task: tuple[Callable, object] | None = None  # (function, state), inherited by forked workers


def cores() -> int:
    """How many processes a build uses: BRIEFING_JOBS, else the cores this process may run on."""
    wanted = os.environ.get("BRIEFING_JOBS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def parallel_map(function: Callable, state, items: Iterable, jobs: int, chunksize: int = 1,
                 count: int | None = None) -> list:
    """[function(state, item) for item in items], computed by `jobs` forked processes when that pays."""
    return list(parallel_iter(function, state, items, jobs, chunksize, count))


def parallel_iter(function: Callable, state, items: Iterable, jobs: int, chunksize: int = 1,
                  count: int | None = None) -> Iterator:
    """function(state, item) for each item, in their order, as they come: the caller may be done with
    each result before the next (a cold build stores its parses as they come rather than holding
    10,000 of them with their fragments). `items` may be a generator (then `count` says how many it
    yields): it is drawn from as the workers take their tasks (a few tasks ahead, in a thread of this
    process), not all at once."""
    global _task
    count = len(items) if count is None else count
    if jobs <= 1 or count < 2 * jobs or "fork" not in multiprocessing.get_all_start_methods():
        for item in items:
            yield function(state, item)
        return
    _task = (function, state)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, count), initializer=_start_worker) as pool:
            yield from pool.imap(_run, items, chunksize)
    finally:
        _task = None


class Alongside:
    """`function(*args)`, made while this process goes on (see `alongside`). `result()` waits for it
    and raises what it raised; leaving the `with` waits for it too or, when the block failed, stops
    it (a forked process is killed; a thread is waited for): nothing it does outlives the block."""

    def __init__(self, function: Callable, args: tuple, forked: bool, in_child: Callable[[], None] | None):
        self._work = (function, args, in_child)
        self._forked = forked
        self._outcome: tuple | None = None

    def __enter__(self) -> Alongside:
        if self._forked:
            context = multiprocessing.get_context("fork")
            self._receiving, sending = context.Pipe(duplex=False)
            # Forked: the function and its arguments are inherited, not pickled.
            self._process = context.Process(target=_run_alongside, args=(*self._work, sending), daemon=True)
            self._process.start()
            sending.close()
        else:
            self._thread = threading.Thread(target=self._run, name="alongside", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        function, args, _ = self._work
        try:
            self._outcome = (True, function(*args))
        except BaseException as error:  # handed to result(), in the thread that asks
            self._outcome = (False, error)

    def result(self):
        if self._outcome is None:
            if self._forked:
                try:
                    self._outcome = self._receiving.recv()
                except EOFError:
                    self._process.join()
                    self._outcome = (False, RuntimeError(
                        f"a process of the build ended without its result (exit status {self._process.exitcode})"))
            else:
                self._thread.join()
        done, value = self._outcome
        if not done:
            raise value
        return value

    def __exit__(self, kind, error, trace) -> None:
        if not self._forked:
            self._thread.join()
            return
        if kind is not None and self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receiving.close()


def alongside(function: Callable, args: tuple, jobs: int, in_child: Callable[[], None] | None = None) -> Alongside:
    """`function(*args)` made meanwhile, as `with alongside(...) as work: ...; work.result()`: in a
    forked process when the build has a core to spare for it (`jobs` > 1), so that neither waits for
    the other's turn at the GIL, else in a thread. `in_child`: called first in the forked process,
    to open what it must not share with this one. The result comes back pickled: keep it small."""
    forked = jobs > 1 and "fork" in multiprocessing.get_all_start_methods()
    return Alongside(function, args, forked, in_child)


def _run_alongside(function: Callable, args: tuple, in_child: Callable[[], None] | None, sending) -> None:
    _start_worker()
    try:
        if in_child is not None:
            in_child()
        outcome = (True, function(*args))
    except BaseException as error:
        outcome = (False, error if _portable(error) else RuntimeError(f"{type(error).__name__}: {error}"))
    sending.send(outcome)


def _portable(error: BaseException) -> bool:
    """Whether the exception comes back from a pickle as itself (one whose __init__ wants other
    arguments than it keeps does not)."""
    try:
        return type(pickle.loads(pickle.dumps(error))) is type(error)
    except Exception:
        return False


def return_freed_memory() -> None:
    """Hand back to the system what this process freed and glibc's allocator would otherwise keep
    (after loading 10,000 articles: their texts, ~150 MB), so that workers forked next do not start
    with it."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _run(item):
    function, state = _task
    return function(state, item)


def _start_worker() -> None:
    """A worker collects its garbage (it may be forked while the build has the collector off, see
    pipeline._collector_off) and must not outlive a build that was killed: it would write into a
    directory being cleaned up."""
    gc.enable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)
