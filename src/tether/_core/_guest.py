"""Driving the run loop from outside: guest mode and stepped runs.

The run loop (``_run.unrolled_run``) is a generator that yields how long it
may block and receives the I/O events. :func:`run` drives it directly;
this module has the two other drivers: :func:`start_guest_run`, which
turns each iteration into a callback on a host event loop and blocks in a
worker thread, and :class:`SteppedRun`, which lets the caller turn the
crank one iteration at a time. (A stepped run's generator polls for I/O
itself and yields between iterations: ``step()`` is one ``send()``.)
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import signal
import sys
import types
from math import inf
from typing import TYPE_CHECKING, Any

from outcome import Error, Outcome, Value, capture

from .._util import is_main_thread
from ._context import GLOBAL_RUN_CONTEXT
from ._exceptions import TetherInternalError
from ._ki import ki_protection_enabled
from ._run import STEP_DONE, setup_runner, unrolled_run
from ._thread_cache import start_thread_soon

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence

    from ._abc import Clock, Instrument
    from ._entry_queue import TetherToken
    from ._run import Runner


def _nothing() -> None:
    pass


class _GuestState:
    """What guest mode keeps between ticks."""

    def __init__(
        self,
        runner: Runner,
        run_sync_soon_threadsafe: Callable[[Callable[[], object]], object],
        run_sync_soon_not_threadsafe: Callable[[Callable[[], object]], object],
        done_callback: Callable[[Outcome[Any]], object],
        gen: Generator[float, Any, None],
    ) -> None:
        self.runner = runner
        self.run_sync_soon_threadsafe = run_sync_soon_threadsafe
        self.run_sync_soon_not_threadsafe = run_sync_soon_not_threadsafe
        self.done_callback = done_callback
        self.gen = gen
        self.next_send: Outcome[Any] = Value(None)

    def guest_tick(self) -> None:
        runner = self.runner
        try:
            timeout = self.next_send.send(self.gen)
        except StopIteration:
            assert runner.main_task_outcome is not None
            self.done_callback(runner.main_task_outcome)
            return
        except TetherInternalError as exc:
            self.done_callback(Error(exc))
            return
        # Avoid the thread hop when there is work to do right now.
        events = capture(runner.io_manager.get_events, 0)
        if timeout <= 0 or type(events) is Error or events.value:
            self.next_send = events
            runner.guest_tick_scheduled = True
            self.run_sync_soon_not_threadsafe(self.guest_tick)
            return
        runner.guest_tick_scheduled = False

        def get_events() -> object:
            return runner.io_manager.get_events(timeout)

        def deliver(events_outcome: Outcome[object]) -> None:
            def in_host_thread() -> None:
                self.next_send = events_outcome
                runner.guest_tick_scheduled = True
                self.guest_tick()

            self.run_sync_soon_threadsafe(in_host_thread)

        start_thread_soon(get_events, deliver, name="tether guest I/O wait")


def start_guest_run(
    async_fn: Callable[..., Awaitable[object]],
    *args: object,
    run_sync_soon_threadsafe: Callable[[Callable[[], object]], object],
    done_callback: Callable[[Outcome[Any]], object],
    run_sync_soon_not_threadsafe: Callable[[Callable[[], object]], object] | None = None,
    host_uses_signal_set_wakeup_fd: bool = False,
    clock: Clock | None = None,
    instruments: Sequence[Instrument] = (),
    restrict_keyboard_interrupt_to_checkpoints: bool = False,
    strict_exception_groups: bool = True,
) -> None:
    """Start ``async_fn(*args)`` as a *guest* inside another event loop (the *host*).

    Tether's tasks then run on the host's thread, interleaved with the
    host's own work: each scheduler iteration is a callback on the host,
    and the blocking I/O wait happens in a worker thread. Returns at once;
    the run's outcome goes to ``done_callback`` (an
    :class:`outcome.Outcome`) when it ends.

    Args:
        run_sync_soon_threadsafe: the host's "call this soon" function that
            may be called from any thread (e.g. asyncio's
            ``loop.call_soon_threadsafe``).
        done_callback: called on the host thread with the run's outcome.
        run_sync_soon_not_threadsafe: a cheaper same-thread variant, if the
            host has one (e.g. ``loop.call_soon``).
        host_uses_signal_set_wakeup_fd: pass True if the host loop uses
            :func:`signal.set_wakeup_fd` (asyncio does, on the main thread),
            so tether leaves it alone.

    The other arguments are as for :func:`run`.
    """
    runner = setup_runner(
        clock,
        instruments,
        restrict_keyboard_interrupt_to_checkpoints,
        strict_exception_groups,
        is_guest=True,
    )
    gen = unrolled_run(runner, async_fn, args, host_uses_signal_set_wakeup_fd)
    try:
        # The first iteration always yields, so start-up errors (a bad
        # clock, say) are raised here, in the caller.
        gen.send(None)
    except BaseException:
        gen.close()
        raise
    guest = _GuestState(
        runner,
        run_sync_soon_threadsafe,
        run_sync_soon_not_threadsafe or run_sync_soon_threadsafe,
        done_callback,
        gen,
    )
    guest.next_send = Value([])
    runner.guest_state = guest
    runner.guest_tick_scheduled = True
    guest.run_sync_soon_not_threadsafe(guest.guest_tick)


class SteppedRun:
    """A run that you drive by hand, one scheduler iteration at a time.

    This is what an event-loop-compatibility layer needs to implement
    "run until this completes, then stop, and carry on later":
    :meth:`step` performs one iteration of the loop (the I/O wait, capped by
    ``max_block``, then the timers, then one batch of ready tasks), or as
    many as its ``keep_going`` allows, and the run's tasks simply stay
    asleep between calls. Create
    one with :func:`open_stepped_run`; always finish with :meth:`close`.

    Between steps the calling thread is *not* inside the run: tether's
    functions called there raise RuntimeError, as they do outside
    :func:`run`, and another run may be stepped or started in between.
    """

    def __init__(self, runner: Runner, gen: Generator[float, Any, None]) -> None:
        self._runner = runner
        self._gen = gen
        self._started = False
        self._done = False
        self._closed = False
        self._in_step = False
        self._pending_sigint: Callable[[], object] | None = None

    @property
    def done(self) -> bool:
        """Whether the run has finished (its main task and all others exited)."""
        return self._done

    @property
    def outcome(self) -> Outcome[Any]:
        """The main task's :class:`outcome.Outcome`, once :attr:`done`.

        Raises:
            RuntimeError: if the run is not done yet.
        """
        if not self._done or self._runner.main_task_outcome is None:
            raise RuntimeError("the run has not finished yet")
        return self._runner.main_task_outcome

    @property
    def token(self) -> TetherToken:
        """The run's token, for waking it from other threads."""
        return self._runner.token

    @contextlib.contextmanager
    def sigint_guard(self) -> Iterator[None]:
        """Keep SIGINT out of tether's internals while the block steps the run.

        For a driver that leaves Ctrl-C to Python's usual handlers (see
        ``deliver_keyboard_interrupt`` in :func:`open_stepped_run`): inside
        the block, in the main thread, the SIGINT handler installed when
        the block starts (Python's default, or the driver's own) is wrapped
        so that it is called where it is safe, once per signal:

        * at once, where the signal lands, if that is code in a task or the
          driver's code between steps (as Python would);
        * if it lands in tether's own code or in the I/O wait, the run is
          woken and the handler is called as soon as the current
          :meth:`step` is done, inside the run (as in :meth:`entered`).

        Whatever the handler raises (KeyboardInterrupt) propagates from
        where it was called, :meth:`step` included, and the run stays
        usable. The previous handler is back when the block ends (unless
        the block installed another one).
        """
        previous = signal.getsignal(signal.SIGINT) if is_main_thread() else None
        if not callable(previous):
            yield
            return
        handler_fn = previous

        def wrapper(signum: int, frame: types.FrameType | None) -> None:
            if self._in_step and ki_protection_enabled(frame):
                self._pending_sigint = functools.partial(handler_fn, signum, None)
                self._runner.keep_stepping = None  # (the step ends after this iteration)
                with contextlib.suppress(RuntimeError):  # the run is finishing
                    self._runner.entry_queue.run_sync_soon(_nothing, idempotent=True)
                return
            handler_fn(signum, frame)

        signal.signal(signal.SIGINT, wrapper)
        try:
            yield
        finally:
            if signal.getsignal(signal.SIGINT) is wrapper:
                signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Make the run current in this thread for the ``with`` block, between steps.

        Inside, the non-blocking parts of tether's API that need a run work
        as they do from a callback: :func:`schedule_callback`,
        :func:`spawn_owned`, :func:`reschedule`, :func:`current_time`,
        :func:`deliver_interrupt`... Nothing runs until the next
        :meth:`step`; don't await anything in the block.

        Raises:
            RuntimeError: if the run is done, or another run is current in
                this thread.
        """
        if self._done:
            raise RuntimeError("the run has finished")
        if not self._started:
            raise RuntimeError("step() the run once before entering it")
        ctx = GLOBAL_RUN_CONTEXT
        current = ctx.__dict__.get("runner")
        if current is self._runner:
            yield  # already inside (nested use)
            return
        if current is not None:
            raise RuntimeError("another tether run is current in this thread")
        ctx.runner = self._runner
        try:
            yield
        finally:
            # (The next step works out its I/O timeout when it starts, so
            # whatever the block scheduled is taken into account.)
            ctx.__dict__.pop("runner", None)

    def step(
        self, max_block: float = inf, keep_going: Callable[[], bool] | None = None
    ) -> bool:
        """Run one iteration, blocking in the I/O wait for at most
        ``max_block`` seconds (less if the run has something due sooner;
        zero or less: not at all).

        With ``keep_going``, the step goes on with further iterations, each
        one as a step would make it (an I/O wait, again capped by
        ``max_block``, then the timers, then a batch), for as long as
        ``keep_going()`` returns True when an iteration ends. It is called
        inside the run, once per iteration, and must not raise. A step also
        ends once a SIGINT handler waits to be run (see :meth:`sigint_guard`).
        This spares a driver that only checks a flag between iterations a
        return to it per iteration.

        Returns False once the run is done.
        """
        if self._done:
            return False
        current = GLOBAL_RUN_CONTEXT.__dict__.get("runner")
        if current is not None and current is not self._runner:
            raise RuntimeError("can't step a tether run from inside another run in this thread")
        self._in_step = True
        try:
            if not self._started:
                # Start the generator: it runs the run's set-up and stops
                # at the start of the first step, before any task has run.
                self._started = True
                self._gen.send(None)
            # One iteration (or, with keep_going, as many as it allows). The
            # generator polls for I/O itself when the poll would not block;
            # otherwise it yields how long to wait (at most max_block) and we
            # make the wait here, outside it.
            self._runner.keep_stepping = keep_going
            timeout = self._gen.send(max_block)
            while timeout != STEP_DONE:
                timeout = self._gen.send(self._runner.io_manager.get_events(timeout))
        except StopIteration:
            self._done = True
            return False
        except BaseException:
            self._done = True
            raise
        finally:
            self._runner.keep_stepping = None
            self._in_step = False
            if self._pending_sigint is not None:
                self._run_pending_sigint()
        return True

    def _run_pending_sigint(self) -> None:
        handler = self._pending_sigint
        self._pending_sigint = None
        assert handler is not None
        if self._done:
            handler()
        else:
            with self.entered():
                handler()

    def close(self) -> None:
        """Abandon the run if it is not done (its tasks are closed without
        running any more tether code) and release its resources. Idempotent.

        This includes a run that a :meth:`step` left unfinished by raising
        (an exception from a signal handler in the I/O wait, say).
        """
        if self._closed:
            return
        self._closed = self._done = True
        runner = self._runner
        if not self._started:
            # Never started: the generator's cleanup would never run. (Check
            # this first: when a dropped loop is collected, the garbage
            # collector may already have finalized the generator.)
            runner.abandoned = True
            self._gen.close()
            runner.close()
            return
        if inspect.getgeneratorstate(self._gen) == inspect.GEN_CLOSED:
            return  # finished: its cleanup has released everything
        runner.abandoned = True
        # Close each task's coroutine now, in a controlled way, rather than
        # leaving them to the garbage collector: nurseries and cancel scopes
        # see that their run was abandoned and unwind without touching it.
        # They recognise that by finding no current task, so if this thread
        # is inside another run (closing a loop from a tether task, say),
        # that run's context is set aside meanwhile.
        ctx = GLOBAL_RUN_CONTEXT.__dict__
        outer: dict[str, Any] = {key: ctx.pop(key) for key in ("runner", "task") if key in ctx}
        try:
            for task in list(runner.tasks):
                try:
                    task.coro.close()
                except BaseException as exc:  # a finally block that awaited or raised
                    # (sys.UnraisableHookArgs is not constructible from Python;
                    # the hook only reads these attributes.)
                    report = types.SimpleNamespace(
                        exc_type=type(exc),
                        exc_value=exc,
                        exc_traceback=exc.__traceback__,
                        err_msg="Exception ignored while closing an abandoned task",
                        object=task.coro,
                    )
                    sys.unraisablehook(report)
            self._gen.close()
        finally:
            ctx.update(outer)


def open_stepped_run(
    async_fn: Callable[..., Awaitable[object]],
    *args: object,
    clock: Clock | None = None,
    instruments: Sequence[Instrument] = (),
    strict_exception_groups: bool = True,
    deliver_keyboard_interrupt: bool = True,
    sniffio_name: str | None = None,
    after_io_wait: Callable[[], object] | None = None,
) -> SteppedRun:
    """Create a :class:`SteppedRun` for ``async_fn(*args)``; nothing runs
    until its first :meth:`~SteppedRun.step`.

    Ctrl-C: by default it is delivered to the main task at a checkpoint,
    as in :func:`run`. With ``deliver_keyboard_interrupt=False`` the run
    installs no SIGINT handler and leaves Ctrl-C to Python's usual handlers
    (an asyncio-style loop wants that); step it inside
    :meth:`~SteppedRun.sigint_guard` so a signal never lands in tether's
    own code.

    ``sniffio_name``: what the run tells :mod:`sniffio` during its steps
    (default: tether's own name; an asyncio-compatible loop says
    ``"asyncio"``, so libraries take their asyncio code path).

    ``after_io_wait``: a function the run calls with no arguments at the
    start of every step, inside the run, right after the I/O wait and the
    wake-ups it brought, before due timers fire and before the step's batch
    is taken from the run queue: what it schedules (with
    :func:`schedule_callback`, :func:`reschedule`...) runs in that same
    step, after the tasks the I/O woke. An event-loop layer uses it to
    perform work queued between steps. It is a plain call, cheaper than an
    instrument's ``after_io_wait`` hook (which stays available); it must not
    raise: an exception from it crashes the run, which then ends with
    :exc:`~tether.TetherInternalError`.

    A step polls for I/O every time, as stock asyncio's loop does, except
    when that poll could only come back empty: with no fd registered and no
    wake-up pending, a step that would not block skips the system call.
    """
    if after_io_wait is not None and not callable(after_io_wait):
        raise TypeError(f"after_io_wait must be callable or None, not {after_io_wait!r}")
    # Creating one inside a run is fine (it may be stepped by another
    # thread, or later); stepping it there is not.
    runner = setup_runner(
        clock,
        instruments,
        True,
        strict_exception_groups,
        ki=deliver_keyboard_interrupt,
        nested_ok=True,
    )
    runner.steps_per_io_poll = 0
    runner.sniffio_name = sniffio_name
    runner.stepped = True
    runner.after_io_wait_hook = after_io_wait
    # Several stepped runs may take turns in one thread: none of them claims
    # the process-wide signal wake-up fd.
    gen = unrolled_run(runner, async_fn, args, host_uses_signal_set_wakeup_fd=True)
    return SteppedRun(runner, gen)
