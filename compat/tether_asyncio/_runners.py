"""``asyncio.run`` and ``asyncio.Runner``.

A Runner owns one :class:`~tether_asyncio._loop.TetherLoop`; each
``run()`` is a ``run_until_complete`` on it, so tasks created in one call
stay asleep in the stepped tether run and carry on in the next.
``close()`` cancels the leftover tasks and waits for them, as stock
asyncio's ``_cancel_all_tasks`` does, then closes the loop.

Ctrl-C as in asyncio: while ``run()`` runs in the main thread (and nobody
has customised SIGINT), the first Ctrl-C cancels the main task and the
second raises KeyboardInterrupt at once; a main task that ends cancelled
after a Ctrl-C raises KeyboardInterrupt from ``run()``. The loop runs every
SIGINT handler through its stepped run's ``sigint_guard()``, so the handler
never fires inside tether's own code (where stock asyncio would sometimes
corrupt its state); inside a running loop ``signal.getsignal(SIGINT)``
therefore shows that guard's wrapper rather than the handler itself.
"""

from __future__ import annotations

import contextvars
import enum
import functools
import signal
import threading
from typing import TYPE_CHECKING, Any, Self

from . import _pyversion
from ._combinators import gather
from ._exceptions import CancelledError
from ._executors import THREAD_JOIN_TIMEOUT
from ._loop import TetherLoop, _get_running_loop, new_event_loop, set_event_loop
from ._tasks import all_tasks, iscoroutine

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType


class _State(enum.Enum):
    CREATED = "created"
    INITIALIZED = "initialized"
    CLOSED = "closed"


class Runner:
    """A context manager that runs coroutines on one loop, then closes it."""

    def __init__(
        self,
        *,
        debug: bool | None = None,
        loop_factory: Callable[[], TetherLoop] | None = None,
    ) -> None:
        self._state = _State.CREATED
        self._debug = debug
        self._loop_factory = loop_factory
        self._loop: TetherLoop | None = None
        self._context: contextvars.Context | None = None
        self._set_event_loop = False
        self._interrupt_count = 0

    def __enter__(self) -> Self:
        self._lazy_init()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._state is not _State.INITIALIZED:
            return
        loop = self._loop
        assert loop is not None
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if _pyversion.SHUTDOWN_EXECUTOR_HAS_TIMEOUT:
                loop.run_until_complete(loop.shutdown_default_executor(THREAD_JOIN_TIMEOUT))
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if self._set_event_loop:
                set_event_loop(None)
            loop.close()
            self._loop = None
            self._state = _State.CLOSED

    def get_loop(self) -> TetherLoop:
        self._lazy_init()
        assert self._loop is not None
        return self._loop

    def run(self, coro: Any, *, context: contextvars.Context | None = None) -> Any:
        if not iscoroutine(coro):
            raise ValueError(f"a coroutine was expected, got {coro!r}")
        if _get_running_loop() is not None:
            raise RuntimeError("Runner.run() cannot be called from a running event loop")
        self._lazy_init()
        assert self._loop is not None
        if context is None:
            context = self._context
        task = self._loop.create_task(coro, context=context)

        sigint_handler: Callable[..., None] | None = None
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            sigint_handler = functools.partial(self._on_sigint, main_task=task)
            try:
                signal.signal(signal.SIGINT, sigint_handler)
            except ValueError:  # an embedded interpreter without signals
                sigint_handler = None

        self._interrupt_count = 0
        try:
            return self._loop.run_until_complete(task)
        except CancelledError:
            if self._interrupt_count > 0 and task.uncancel() == 0:
                raise KeyboardInterrupt()  # noqa: B904 (chained to the CancelledError, as stock)
            raise
        finally:
            if sigint_handler is not None and signal.getsignal(signal.SIGINT) is sigint_handler:
                signal.signal(signal.SIGINT, signal.default_int_handler)

    def _on_sigint(self, signum: int, frame: object, main_task: Any) -> None:
        self._interrupt_count += 1
        if self._interrupt_count == 1 and not main_task.done():
            main_task.cancel()
            # (No wake-up needed: the loop's SIGINT guard already woke it.)
            return
        raise KeyboardInterrupt()

    def _lazy_init(self) -> None:
        if self._state is _State.CLOSED:
            raise RuntimeError("Runner is closed")
        if self._state is _State.INITIALIZED:
            return
        if self._loop_factory is None:
            self._loop = new_event_loop()
            if not self._set_event_loop:
                set_event_loop(self._loop)
                self._set_event_loop = True
        else:
            self._loop = self._loop_factory()
        if self._debug is not None:
            self._loop.set_debug(self._debug)
        self._context = contextvars.copy_context()
        self._state = _State.INITIALIZED


def _cancel_all_tasks(loop: TetherLoop) -> None:
    to_cancel = all_tasks(loop)
    if not to_cancel:
        return
    for task in to_cancel:
        task.cancel()
    loop.run_until_complete(gather(*to_cancel, return_exceptions=True))
    for task in to_cancel:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during asyncio.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )


def run(main: Any, *, debug: bool | None = None, **kwargs: Any) -> Any:
    """Run the coroutine ``main`` on a new loop and return its result.

    3.12+ also accepts ``loop_factory=``.
    """
    loop_factory = kwargs.pop("loop_factory", None)
    if kwargs or (loop_factory is not None and not _pyversion.RUN_HAS_LOOP_FACTORY):
        bad = next(iter(kwargs), "loop_factory")
        raise TypeError(f"run() got an unexpected keyword argument {bad!r}")
    if _get_running_loop() is not None:
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    with Runner(debug=debug, loop_factory=loop_factory) as runner:
        return runner.run(main)
