"""Event loop policies, and the names asyncio keeps for its loop classes.

The policy decides what ``get_event_loop()``, ``set_event_loop()`` and
``new_event_loop()`` do outside a running loop; :class:`EventLoopPolicy`
(also ``DefaultEventLoopPolicy``) behaves as stock asyncio's default policy
on Unix, making :class:`~tether_asyncio.TetherLoop` loops. A program may
install its own policy with :func:`set_event_loop_policy`, as with stock
asyncio (its loops must be facade loops to run facade tasks).

``BaseEventLoop``, ``SelectorEventLoop`` and (3.13) ``EventLoop`` are
:class:`~tether_asyncio.TetherLoop`, so ``isinstance(loop,
asyncio.BaseEventLoop)`` holds and ``asyncio.SelectorEventLoop()`` makes a
loop that works.

Child watchers (3.11/3.12; deprecated in 3.12, still listed in 3.13): the
facade's subprocesses wait for their children with tether's own
machinery (pidfd), so watchers are never needed. The policy keeps the one a
program sets (and makes one when asked, with stock's deprecation warnings)
so that programs written for older Pythons still run.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from typing import Any

from . import _pyversion
from ._loop import TetherLoop

BaseEventLoop = TetherLoop
SelectorEventLoop = TetherLoop
EventLoop = TetherLoop


class EventLoopPolicy(asyncio.AbstractEventLoopPolicy):
    """The facade's default policy: one current loop per thread, made on
    first use only in the main thread (as stock asyncio's default policy)."""

    _loop_factory: type[TetherLoop] = TetherLoop

    class _Local(threading.local):
        loop: Any = None
        set_called = False

    def __init__(self) -> None:
        self._local = self._Local()
        self._watcher: Any = None

    def get_event_loop(self) -> Any:
        """The thread's current loop; in the main thread one is made (and
        set) if none was ever set, with 3.12's DeprecationWarning."""
        local = self._local
        if (
            local.loop is None
            and not local.set_called
            and threading.current_thread() is threading.main_thread()
        ):
            if _pyversion.PY312:
                warnings.warn(
                    "There is no current event loop", DeprecationWarning, stacklevel=_stacklevel()
                )
            self.set_event_loop(self.new_event_loop())
        if local.loop is None:
            raise RuntimeError(
                f"There is no current event loop in thread {threading.current_thread().name!r}."
            )
        return local.loop

    def set_event_loop(self, loop: Any) -> None:
        """Make ``loop`` (or None) the thread's current loop."""
        self._local.set_called = True
        if loop is not None and not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(
                "loop must be an instance of AbstractEventLoop or None, "
                f"not '{type(loop).__name__}'"
            )
        self._local.loop = loop
        if (
            self._watcher is not None
            and threading.current_thread() is threading.main_thread()
        ):
            self._watcher.attach_loop(loop)

    def new_event_loop(self) -> Any:
        """A new loop (not made current)."""
        return self._loop_factory()

    # -- child watchers (3.11-3.13) ---------------------------------------------

    def get_child_watcher(self) -> Any:
        """The watcher set with :meth:`set_child_watcher` (a
        ``ThreadedChildWatcher`` if none was); the facade's subprocesses
        do not use it."""
        if self._watcher is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self._watcher = asyncio.ThreadedChildWatcher()
        if _pyversion.PY312:
            _warn_watcher_deprecated("get_child_watcher")
        return self._watcher

    def set_child_watcher(self, watcher: Any) -> None:
        """Keep ``watcher`` (closing the previous one), as stock does."""
        if watcher is not None and not isinstance(watcher, asyncio.AbstractChildWatcher):
            raise TypeError(f"expected an AbstractChildWatcher or None, got {watcher!r}")
        if self._watcher is not None:
            self._watcher.close()
        self._watcher = watcher
        if _pyversion.PY312:
            _warn_watcher_deprecated("set_child_watcher")


DefaultEventLoopPolicy = EventLoopPolicy

_lock = threading.Lock()
_policy: asyncio.AbstractEventLoopPolicy | None = None


def get_event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    """The current event loop policy (a :class:`EventLoopPolicy` by default)."""
    global _policy
    if _policy is None:
        with _lock:
            if _policy is None:
                _policy = DefaultEventLoopPolicy()
    return _policy


def set_event_loop_policy(policy: asyncio.AbstractEventLoopPolicy | None) -> None:
    """Install ``policy``; None puts back the default one."""
    global _policy
    if policy is not None and not isinstance(policy, asyncio.AbstractEventLoopPolicy):
        raise TypeError(
            "policy must be an instance of AbstractEventLoopPolicy or None, "
            f"not '{type(policy).__name__}'"
        )
    _policy = policy


def get_child_watcher() -> Any:
    """``get_event_loop_policy().get_child_watcher()``."""
    return get_event_loop_policy().get_child_watcher()


def set_child_watcher(watcher: Any) -> None:
    """``get_event_loop_policy().set_child_watcher(watcher)``."""
    get_event_loop_policy().set_child_watcher(watcher)


def _warn_watcher_deprecated(name: str) -> None:
    warnings.warn(
        f"{name!r} is deprecated as of Python 3.12 and will be removed in Python 3.14.",
        DeprecationWarning,
        stacklevel=_stacklevel(),
    )


def _stacklevel() -> int:
    """The stacklevel that points a warning at the first frame outside the facade."""
    import sys

    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module == "tether_asyncio" or module.startswith("tether_asyncio.")):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
