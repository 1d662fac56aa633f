"""Running blocking code in worker threads, and getting back into the run
from them.

``to_thread_run_sync`` hands a function to a thread from the core's cache
(``start_thread_soon``) and parks the calling task until the thread's
outcome comes back through the run's token. While it waits, the task also
serves requests from that thread: ``from_thread.run``/``run_sync`` called
in a worker whose call is not abandonable run *inside the waiting task*, so
they share its cancel scopes (cancelling the ``to_thread.run_sync`` call
cancels them too). Abandonable workers and foreign threads (which pass a
token) get a fresh system task instead.

What a worker needs to know about its caller lives in a thread-local
(``_WORKER``), set for the duration of the job only: worker threads are
reused.

Cancellation is captured by the abort function, in the run's thread: the
exception is made there (making a Cancelled needs the run) and stored for
``from_thread.check_cancelled`` to re-raise in the worker. An interrupt
(KeyboardInterrupt, or an asyncio-style cancel) that reaches a waiting task
whose thread cannot be abandoned is raised as soon as the thread's result is
back, instead of the result.
"""

from __future__ import annotations

import contextvars
import inspect
import queue
import threading
from itertools import count
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import outcome

from . import _core
from ._sync import CapacityLimiter
from ._thread_count import _track_active_thread
from ._util import coroutine_or_error

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import TypeVarTuple

    Ts = TypeVarTuple("Ts")

_sniffio_cvar: contextvars.ContextVar[str | None] | None
try:
    from sniffio import current_async_library_cvar as _sniffio_cvar
except ImportError:  # pragma: no cover - sniffio is optional
    _sniffio_cvar = None

RetT = TypeVar("RetT")

DEFAULT_LIMIT = 40

_default_limiter: _core.RunVar[CapacityLimiter] = _core.RunVar("tether.to_thread.limiter")
_job_counter = count()


class _CallState:
    """What one ``to_thread.run_sync`` call shares with its worker thread."""

    __slots__ = ("abandon_on_cancel", "cancelled", "task", "token")

    def __init__(self, token: _core.TetherToken, task: _core.Task, abandon: bool) -> None:
        self.token = token
        self.abandon_on_cancel = abandon
        # The waiting task, or None once it has abandoned the thread.
        self.task: _core.Task | None = task
        # The exception the cancellation (or interrupt) of the call made.
        self.cancelled: BaseException | None = None


class _WorkerData(threading.local):
    state: _CallState


_WORKER = _WorkerData()


class _ThreadPlaceholder:
    """Stands in for a worker thread as a borrower of the limiter's token."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<thread placeholder {self.name!r}>"


def current_default_thread_limiter() -> CapacityLimiter:
    """Return the :class:`~tether.CapacityLimiter` that
    :func:`tether.to_thread.run_sync` uses when given no ``limiter``.

    Each run has its own, created on first use with 40 tokens. Change its
    :attr:`~tether.CapacityLimiter.total_tokens` to allow more (or fewer)
    threads at once.

    Returns:
        The current run's default thread limiter.

    Raises:
        RuntimeError: if called outside a tether run.
    """
    try:
        return _default_limiter.get()
    except LookupError:
        limiter = CapacityLimiter(DEFAULT_LIMIT)
        _default_limiter.set(limiter)
        return limiter


def _not_async_error(fn: object) -> TypeError:
    return TypeError(
        "tether expected a synchronous function, but {!r} appears to be asynchronous".format(
            getattr(fn, "__qualname__", fn)
        )
    )


# ----------------------------------------------------------------- messages
# Requests from a worker (or foreign) thread to the run. The thread blocks
# on ``reply`` until the request has been carried out.


class _RunAsync(Generic[RetT]):
    __slots__ = ("afn", "args", "context", "reply")

    def __init__(self, afn: Callable[..., Awaitable[RetT]], args: tuple[object, ...]) -> None:
        self.afn = afn
        self.args = args
        self.context = contextvars.copy_context()
        self.reply: queue.SimpleQueue[outcome.Outcome[RetT]] = queue.SimpleQueue()

    @_core.disable_ki_protection
    async def _call(self) -> RetT:
        return await coroutine_or_error(self.afn, self.args)

    async def run_in_task(self) -> None:
        """Run the request in the waiting ``to_thread.run_sync`` task."""
        task = _core.current_task()
        saved = task.context
        task.context = self.context.copy()
        # Schedule points (that cannot raise) make the context switch take
        # effect, and undo it.
        await _core.cancel_shielded_checkpoint()
        result = await outcome.acapture(self._call)
        task.context = saved
        await _core.cancel_shielded_checkpoint()
        self.reply.put(result)

    async def _run_system(self) -> None:
        self.reply.put(await outcome.acapture(self._call))

    def submit_to_system_task(self, token: _core.TetherToken) -> None:
        def spawn() -> None:
            try:
                _core.spawn_system_task(self._run_system, name=self.afn, context=self.context)
            except RuntimeError:  # the run is shutting down
                self.reply.put(outcome.Error(_core.RunFinishedError("system nursery is closed")))

        token.run_sync_soon(spawn)


class _RunSync(Generic[RetT]):
    __slots__ = ("args", "context", "fn", "reply")

    def __init__(self, fn: Callable[..., RetT], args: tuple[object, ...]) -> None:
        self.fn = fn
        self.args = args
        self.context = contextvars.copy_context()
        self.reply: queue.SimpleQueue[outcome.Outcome[RetT]] = queue.SimpleQueue()

    @_core.disable_ki_protection
    def _call(self) -> RetT:
        result = self.context.run(self.fn, *self.args)
        if inspect.iscoroutine(result):
            result.close()
            raise _not_async_error(self.fn)
        return result

    def run_now(self) -> None:
        self.reply.put(outcome.capture(self._call))

    def submit_to_system_task(self, token: _core.TetherToken) -> None:
        token.run_sync_soon(self.run_now)


def _submit_to_waiting_task(state: _CallState, message: _RunAsync[Any] | _RunSync[Any]) -> None:
    def wake() -> None:
        task = state.task
        assert task is not None, "a thread that cannot be abandoned has a waiting task"
        _core.reschedule(task, outcome.Value(message))

    state.token.run_sync_soon(wake)


# ----------------------------------------------------------------- to_thread


@_core.enable_ki_protection
async def to_thread_run_sync(
    sync_fn: Callable[[*Ts], RetT],
    *args: *Ts,
    thread_name: str | None = None,
    abandon_on_cancel: bool = False,
    limiter: CapacityLimiter | None = None,
) -> RetT:
    """Run a blocking function in a worker thread, without blocking the run.

    ``await tether.to_thread.run_sync(fn, *args)`` does what ``fn(*args)``
    does, but other tasks keep running meanwhile. The thread comes from a
    cache of idle worker threads, so starting one is cheap. It runs ``fn``
    in a copy of the caller's :mod:`contextvars` context, and may call back
    into the run with the functions in :mod:`tether.from_thread`.

    This is a checkpoint: it checks for cancellation before it starts the
    thread. Once the thread runs, cancelling the call does one of two things:

    * ``abandon_on_cancel=False`` (the default): nothing, at first. A thread
      cannot be interrupted, so the call waits for ``fn`` to finish and
      returns (or raises) what it did, like a synchronous call would. ``fn``
      may notice the cancellation with
      :func:`tether.from_thread.check_cancelled`, and calls it makes to
      :func:`tether.from_thread.run` see the cancellation too.
    * ``abandon_on_cancel=True``: the call raises :exc:`~tether.Cancelled`
      at once and the thread is *abandoned*: it runs on in the background,
      and whatever it returns or raises is discarded. Only use this for
      work that is safe to leave running, such as a DNS lookup.

    Keep long CPU-bound work out of threads: because of the GIL it slows
    down the run's own thread. A worker process is a better fit.

    Args:
        sync_fn: the synchronous function to call.
        *args: positional arguments for ``sync_fn`` (use
            :func:`functools.partial` for keyword arguments).
        thread_name: the thread's name while it runs ``sync_fn`` (also its
            OS-level name where supported, truncated to 15 bytes on Linux).
            Defaults to ``"<sync_fn's __name__> from <task name>"``.
        abandon_on_cancel: whether cancelling the call abandons the thread
            (see above).
        limiter: limits how many threads run at once: the call holds one of
            its tokens (borrowed on behalf of the thread) until the thread
            has actually finished, even if the call was abandoned. Any
            object with :meth:`~tether.CapacityLimiter.acquire_on_behalf_of`
            and :meth:`~tether.CapacityLimiter.release_on_behalf_of` will
            do. Default: :func:`current_default_thread_limiter`.

    Returns:
        What ``sync_fn(*args)`` returned.

    Raises:
        Exception: whatever ``sync_fn(*args)`` raised.
        tether.Cancelled: if the call was cancelled before the thread
            started, or, with ``abandon_on_cancel=True``, while it ran.
        TypeError: if ``sync_fn`` turns out to be an async function.
    """
    await _core.checkpoint_if_cancelled()
    abandon = bool(abandon_on_cancel)
    if limiter is None:
        limiter = current_default_thread_limiter()
    task = _core.current_task()
    token = _core.current_tether_token()
    state = _CallState(token, task, abandon)
    placeholder = _ThreadPlaceholder(f"tether.to_thread.run_sync-{next(_job_counter)}")
    if thread_name is None:
        thread_name = f"{getattr(sync_fn, '__name__', None)} from {task.name}"

    context = contextvars.copy_context()
    if _sniffio_cvar is not None:
        # The thread is not in async context, whatever the caller's says.
        context.run(_sniffio_cvar.set, None)

    def worker() -> RetT:
        _WORKER.state = state
        try:
            result = context.run(sync_fn, *args)
            if inspect.iscoroutine(result):
                result.close()
                raise _not_async_error(sync_fn)
            return result
        finally:
            del _WORKER.state

    def report_back(result: outcome.Outcome[RetT]) -> None:
        # In the run's thread. Releasing may raise (a user-supplied
        # limiter): that error replaces the result, chained to it.
        def release_then_unwrap() -> RetT:
            try:
                return result.unwrap()
            finally:
                limiter.release_on_behalf_of(placeholder)

        final = outcome.capture(release_then_unwrap)
        if state.task is not None:
            _core.reschedule(state.task, outcome.Value(final))

    def deliver(result: outcome.Outcome[RetT]) -> None:
        # In the worker thread. If the run is over, the task is long gone
        # (it abandoned us): drop the result.
        try:
            token.run_sync_soon(report_back, result)
        except _core.RunFinishedError:
            pass

    def abort(raise_cancel: _core.RaiseCancelT) -> _core.Abort:
        captured = outcome.capture(raise_cancel)
        assert isinstance(captured, outcome.Error)
        state.cancelled = captured.error
        if abandon:
            state.task = None
            _core.reschedule(task, captured)
        return _core.Abort.FAILED

    await limiter.acquire_on_behalf_of(placeholder)
    with _track_active_thread():
        try:
            _core.start_thread_soon(worker, deliver, name=thread_name)
        except BaseException:
            limiter.release_on_behalf_of(placeholder)
            raise
        while True:
            message: (
                outcome.Outcome[RetT] | _RunAsync[Any] | _RunSync[Any]
            ) = await _core.wait_task_rescheduled(abort)
            if isinstance(message, outcome.Outcome):
                interrupt = state.cancelled
                if interrupt is not None and not isinstance(interrupt, _core.Cancelled):
                    # An interrupt consumed by our abort function: deliver it
                    # now, in place of the result.
                    state.cancelled = None
                    raise interrupt
                return message.unwrap()
            if isinstance(message, _RunAsync):
                await message.run_in_task()
            else:
                message.run_now()
            del message


# ----------------------------------------------------------------- from_thread


def _worker_state() -> _CallState | None:
    try:
        return _WORKER.state
    except AttributeError:
        return None


def _send_to_run(
    trio_token: _core.TetherToken | None, message: _RunAsync[RetT] | _RunSync[RetT]
) -> RetT:
    state = _worker_state()
    if trio_token is None:
        if state is None:
            raise RuntimeError("this thread wasn't created by tether, pass kwarg trio_token=...")
        token = state.token
    elif isinstance(trio_token, _core.TetherToken):
        token = trio_token
    else:
        raise RuntimeError("Passed kwarg trio_token is not of type TrioToken")
    if _core.in_tether_run():
        raise RuntimeError("this is a blocking function; call it from a thread")

    if trio_token is not None or state is None or state.abandon_on_cancel:
        message.submit_to_system_task(token)
    else:
        _submit_to_waiting_task(state, message)
    return message.reply.get().unwrap()


def from_thread_run(
    afn: Callable[[*Ts], Awaitable[RetT]],
    *args: *Ts,
    trio_token: _core.TetherToken | None = None,
) -> RetT:
    """Call an async function in the run, from another thread, and wait
    for it.

    From a thread started by :func:`tether.to_thread.run_sync` the run is
    found implicitly. If that call was made with ``abandon_on_cancel=False``
    (the default), ``afn`` runs inside the task waiting in
    ``to_thread.run_sync``: it is cancelled when that call is, and sees the
    context variables the thread has (a copy of them). Otherwise, and
    whenever ``trio_token`` is given, ``afn`` runs in a new system task,
    which is cancelled only when the run shuts down.

    Args:
        afn: the async function to call.
        *args: positional arguments for ``afn``.
        trio_token: the :class:`~tether.lowlevel.TetherToken` of the run to
            call into (get it inside the run with
            :func:`tether.lowlevel.current_tether_token`). Needed in a thread
            that tether did not start.

    Returns:
        What ``afn(*args)`` returned.

    Raises:
        Exception: whatever ``afn(*args)`` raised; typically
            :exc:`~tether.Cancelled` if the ``to_thread.run_sync`` call (or,
            with a token, the run) was cancelled meanwhile.
        tether.RunFinishedError: if the run has finished, or is too far into
            its shutdown to start a system task.
        RuntimeError: if called from the run's own thread (it would
            deadlock), or without ``trio_token`` from a thread tether did
            not start.
        TypeError: if ``afn`` is not an async function.
    """
    return _send_to_run(trio_token, _RunAsync(afn, args))


def from_thread_run_sync(
    fn: Callable[[*Ts], RetT],
    *args: *Ts,
    trio_token: _core.TetherToken | None = None,
) -> RetT:
    """Call a synchronous function in the run's thread, from another thread,
    and wait for it.

    Use it to touch the run's objects safely (set a :class:`tether.Event`,
    call ``send_nowait`` on a channel, ...). The run is found as for
    :func:`tether.from_thread.run`; ``fn`` runs in a copy of the calling
    thread's :mod:`contextvars` context.

    Args:
        fn: the synchronous function to call.
        *args: positional arguments for ``fn``.
        trio_token: the :class:`~tether.lowlevel.TetherToken` of the run to
            call into; needed in a thread that tether did not start.

    Returns:
        What ``fn(*args)`` returned.

    Raises:
        Exception: whatever ``fn(*args)`` raised.
        tether.RunFinishedError: if the run has finished.
        RuntimeError: if called from the run's own thread (it would
            deadlock), or without ``trio_token`` from a thread tether did
            not start.
        TypeError: if ``fn`` is an async function.
    """
    return _send_to_run(trio_token, _RunSync(fn, args))


def from_thread_check_cancelled() -> None:
    """Raise :exc:`~tether.Cancelled` if the ``to_thread.run_sync`` call
    that started this thread has been cancelled.

    Call it now and then in long-running code in a worker thread to stop
    early: with ``abandon_on_cancel=False`` the call waits for the thread,
    and with ``abandon_on_cancel=True`` the abandoned thread would run on
    for nothing.

    To be exact, it raises once cancellation has been *delivered* to the
    waiting task, even if a shield raised meanwhile would hide it from a
    normal checkpoint. It is cheap (no round trip to the run).

    Raises:
        tether.Cancelled: if the call was cancelled.
        RuntimeError: if this thread was not started by
            :func:`tether.to_thread.run_sync`.
    """
    state = _worker_state()
    if state is None:
        raise RuntimeError("this thread wasn't created by tether, can't check for cancellation")
    exc = state.cancelled
    if isinstance(exc, _core.Cancelled):
        # A fresh exception for each raise: the waiting task may be raising
        # the original right now.
        raise type(exc)._create(source=exc.source, source_task=exc.source_task, reason=exc.reason)
    if exc is not None:
        raise exc
