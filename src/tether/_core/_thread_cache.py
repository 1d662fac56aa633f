"""A cache of idle worker threads, so running a function in a thread does
not pay for creating one each time.

Each worker waits on its own lock for a job; an idle worker parks itself
in a stack (most recently used first, which keeps the set of hot threads
small) and exits after ``IDLE_TIMEOUT`` seconds without work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from itertools import count
from typing import TYPE_CHECKING, Generic, TypeVar

import outcome

if TYPE_CHECKING:
    from collections.abc import Callable

RetT = TypeVar("RetT")

IDLE_TIMEOUT = 10.0

_name_counter = count()


def _make_set_os_thread_name() -> Callable[[int, str], None] | None:
    if sys.platform != "linux":  # pragma: no cover
        return None
    libpthread_path = ctypes.util.find_library("pthread") or ctypes.util.find_library("c")
    if not libpthread_path:  # pragma: no cover
        return None
    try:
        libpthread = ctypes.CDLL(libpthread_path)
        setname = libpthread.pthread_setname_np
    except (OSError, AttributeError):  # pragma: no cover
        return None
    setname.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    setname.restype = ctypes.c_int

    def set_name(ident: int, name: str) -> None:
        # Linux limits thread names to 15 bytes plus NUL.
        setname(ident, name.encode("utf-8", "replace")[:15])

    return set_name


_set_os_thread_name = _make_set_os_thread_name()


class _Job(Generic[RetT]):
    __slots__ = ("deliver", "fn", "name")

    def __init__(
        self,
        fn: Callable[[], RetT],
        deliver: Callable[[outcome.Outcome[RetT]], object],
        name: str | None,
    ) -> None:
        self.fn = fn
        self.deliver = deliver
        self.name = name


class _Worker:
    def __init__(self, cache: ThreadCache) -> None:
        self._cache = cache
        self._job: _Job[object] | None = None
        # Held while there is no job; released to hand one over.
        self._worker_lock = threading.Lock()
        self._worker_lock.acquire()
        self._default_name = f"tether-worker-{next(_name_counter)}"
        thread = threading.Thread(target=self._run, name=self._default_name, daemon=True)
        thread.start()

    def _handle_job(self) -> None:
        job = self._job
        assert job is not None
        self._job = None
        thread = threading.current_thread()
        if job.name is not None:
            thread.name = job.name
            if _set_os_thread_name is not None and thread.ident is not None:
                _set_os_thread_name(thread.ident, job.name)
        result = outcome.capture(job.fn)
        if job.name is not None:
            thread.name = self._default_name
            if _set_os_thread_name is not None and thread.ident is not None:
                _set_os_thread_name(thread.ident, self._default_name)
        # Park ourselves before delivering, so a caller that immediately
        # starts another job can reuse this thread.
        self._cache._idle_workers[self] = None
        try:
            job.deliver(result)
        except BaseException as exc:
            print("Exception while delivering result of thread", file=sys.stderr)
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__)

    def _run(self) -> None:
        # The OS-level name matches the Python one (handy in `top -H`), so
        # a job's thread_name can be undone exactly.
        ident = threading.get_ident()
        if _set_os_thread_name is not None:
            _set_os_thread_name(ident, self._default_name)
        while True:
            if self._worker_lock.acquire(timeout=IDLE_TIMEOUT):
                self._handle_job()
            else:
                # Timed out: leave, unless someone grabbed us just now.
                try:
                    del self._cache._idle_workers[self]
                except KeyError:
                    continue  # a job is being handed to us
                return


class ThreadCache:
    """See the module docstring."""

    def __init__(self) -> None:
        self._idle_workers: dict[_Worker, None] = {}

    def start_thread_soon(
        self,
        fn: Callable[[], RetT],
        deliver: Callable[[outcome.Outcome[RetT]], object],
        name: str | None = None,
    ) -> None:
        job: _Job[RetT] = _Job(fn, deliver, name)
        try:
            worker, _ = self._idle_workers.popitem()
        except KeyError:
            worker = _Worker(self)
        worker._job = job  # type: ignore[assignment]
        worker._worker_lock.release()


THREAD_CACHE = ThreadCache()


def start_thread_soon(
    fn: Callable[[], RetT],
    deliver: Callable[[outcome.Outcome[RetT]], object],
    *,
    name: str | None = None,
) -> None:
    """Run ``fn()`` in a worker thread, then call ``deliver(outcome)`` in
    that same thread.

    A low-level building block (see :func:`tether.to_thread.run_sync` for
    the friendly version): no limit on the number of threads, no
    cancellation, and it works outside a run too. Threads are reused.
    ``deliver`` must not raise; if it does, the error is printed.

    Args:
        name: the thread's name while it runs ``fn`` (also set as the OS
            thread name where the platform allows it).
    """
    THREAD_CACHE.start_thread_soon(fn, deliver, name)
