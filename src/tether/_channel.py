"""Memory channels: ``open_memory_channel`` and its two ends.

Semantics follow Trio's: ``send`` and ``receive`` are checkpoints (a cancel
point before the operation and a schedule point after it), every operation
is atomic with respect to cancellation (either it happened, or it raised
Cancelled and changed nothing), and waiting senders and receivers are served
in FIFO order from ordered dicts, so cancelling one is O(1).

When a value can be handed over at once (room in the buffer, or a receiver
already waiting), ``send`` does no parking at all: one inline cancel check,
the hand-over, and a fast-path schedule point, which switches tasks only
once every ``FAST_PATH_YIELD_INTERVAL`` (64) of them (see ``_core/_traps.py``
and docs/trio-differences.rst); ``receive`` with an item waiting likewise.
(``send``, ``receive`` and ``__anext__`` do the cancel check and the
hand-over inline rather than through helper calls: they are the hot paths.)

A blocked sender or receiver is represented by one slotted object (a
:class:`_SendWait` / :class:`_ReceiveWait`) that is both the entry in the
channel's ordered dict of waiting tasks and the wait's abort function. A
value handed to a waiting receiver travels in that object, and the receiver
is woken with the shared ``VALUE_NONE`` outcome: no outcome object per
hand-over.
"""

from __future__ import annotations

import types
from collections import OrderedDict, deque
from math import inf
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from outcome import Error

from ._abc import ReceiveChannel, SendChannel
from ._core import (
    Abort,
    BrokenResourceError,
    ClosedResourceError,
    EndOfChannel,
    Task,
    WouldBlock,
    cancel_shielded_checkpoint,
    checkpoint,
    current_task,
    enable_ki_protection,
)
from ._core._context import GLOBAL_RUN_CONTEXT
from ._core._traps import _FAST_PATH_MASK, WaitTaskRescheduled
from ._util import NoPublicConstructor, final

if TYPE_CHECKING:
    from collections.abc import Generator
    from types import TracebackType
    from typing import Self

    from ._core import RaiseCancelT

T = TypeVar("T")
SendType = TypeVar("SendType")
ReceiveType = TypeVar("ReceiveType")


class _Nothing:
    __slots__ = ()


# What _take() returns when receiving would block (None is a valid item).
_NOTHING = _Nothing()


@attrs.frozen
class MemoryChannelStatistics:
    """What ``statistics()`` on either end of a memory channel returns.

    Attributes:
        current_buffer_used: items in the buffer now.
        max_buffer_size: the buffer's capacity (an int or ``math.inf``).
        open_send_channels: open :class:`MemorySendChannel` clones.
        open_receive_channels: open :class:`MemoryReceiveChannel` clones.
        tasks_waiting_send: tasks blocked in ``send``.
        tasks_waiting_receive: tasks blocked in ``receive``.
        peak_buffer_used: the most items ever buffered at once.
    """

    current_buffer_used: int
    max_buffer_size: int | float
    open_send_channels: int
    open_receive_channels: int
    tasks_waiting_send: int
    tasks_waiting_receive: int
    peak_buffer_used: int = 0


class _State(Generic[T]):
    __slots__ = (
        "data",
        "max_buffer_size",
        "open_receive_channels",
        "open_send_channels",
        "peak_buffer_used",
        "receive_tasks",
        "send_tasks",
    )

    def __init__(self, max_buffer_size: int | float) -> None:  # noqa: PYI041
        self.max_buffer_size = max_buffer_size
        self.data: deque[T] = deque()
        self.open_send_channels = 0
        self.open_receive_channels = 0
        # The blocked tasks, oldest first, with their waits.
        self.send_tasks: OrderedDict[Task, _SendWait] = OrderedDict()
        self.receive_tasks: OrderedDict[Task, _ReceiveWait] = OrderedDict()
        self.peak_buffer_used = 0

    def statistics(self) -> MemoryChannelStatistics:
        return MemoryChannelStatistics(
            current_buffer_used=len(self.data),
            max_buffer_size=self.max_buffer_size,
            open_send_channels=self.open_send_channels,
            open_receive_channels=self.open_receive_channels,
            tasks_waiting_send=len(self.send_tasks),
            tasks_waiting_receive=len(self.receive_tasks),
            peak_buffer_used=self.peak_buffer_used,
        )


@final
class open_memory_channel(tuple["MemorySendChannel[T]", "MemoryReceiveChannel[T]"]):
    """Open a channel for passing objects between tasks in one run.

    Returns ``(send_channel, receive_channel)``: data flows left to right.
    ``open_memory_channel[int](0)`` gives typed ends.

    Args:
        max_buffer_size: how many items can wait in the channel before
            ``send`` blocks: an int >= 0, or ``math.inf``. 0 means every send
            waits for a receiver (a rendezvous). If in doubt, use 0.

    Raises:
        TypeError: if ``max_buffer_size`` is neither an int nor ``math.inf``.
        ValueError: if it is negative.
    """

    def __new__(  # type: ignore[misc]
        cls, max_buffer_size: int | float  # noqa: PYI041
    ) -> tuple[MemorySendChannel[T], MemoryReceiveChannel[T]]:
        if max_buffer_size != inf and not isinstance(max_buffer_size, int):
            raise TypeError("max_buffer_size must be an integer or math.inf")
        if max_buffer_size < 0:
            raise ValueError("max_buffer_size must be >= 0")
        state: _State[T] = _State(max_buffer_size)
        return (
            MemorySendChannel[T]._create(state),
            MemoryReceiveChannel[T]._create(state),
        )

    def __init__(self, max_buffer_size: int | float) -> None:  # noqa: PYI041
        pass


@final
class MemorySendChannel(SendChannel[SendType], metaclass=NoPublicConstructor):
    """The sending end of a memory channel (see :func:`open_memory_channel`)."""

    __slots__ = ("__weakref__", "_closed", "_state", "_tasks")

    def __init__(self, state: _State[SendType]) -> None:
        self._state = state
        self._closed = False
        # The tasks blocked in send() on this clone.
        self._tasks: set[Task] = set()
        state.open_send_channels += 1

    def __repr__(self) -> str:
        return f"<send channel at {id(self):#x}, using buffer at {id(self._state):#x}>"

    def statistics(self) -> MemoryChannelStatistics:
        """Return a :class:`MemoryChannelStatistics` for the channel."""
        return self._state.statistics()

    @enable_ki_protection
    def send_nowait(self, value: SendType) -> None:
        """Send ``value`` if that can be done without blocking.

        Raises:
            tether.WouldBlock: if the buffer is full and no receiver waits.
            tether.ClosedResourceError: if this end is closed.
            tether.BrokenResourceError: if every receiving end is closed.
        """
        if not self._offer(value):
            raise WouldBlock

    def _offer(self, value: SendType) -> bool:
        # send_nowait() without the exception: False means "would block"
        # (raising WouldBlock costs more than a whole fast-path send).
        if self._closed:
            raise ClosedResourceError
        state = self._state
        if state.open_receive_channels == 0:
            raise BrokenResourceError
        if state.receive_tasks:
            task, wait = state.receive_tasks.popitem(last=False)
            wait.channel._tasks.remove(task)
            wait.value = value
            task._runner.reschedule(task)
            return True
        data = state.data
        used = len(data)
        if used < state.max_buffer_size:
            data.append(value)
            if used >= state.peak_buffer_used:
                state.peak_buffer_used = used + 1
            return True
        return False

    @enable_ki_protection
    async def send(self, value: SendType) -> None:
        """Send ``value``, waiting while the buffer is full.

        Raises:
            tether.ClosedResourceError: if this end is closed, before or
                while waiting.
            tether.BrokenResourceError: if every receiving end is closed,
                before or while waiting.
        """
        # (cancel_point_task() and _offer(), inline: the hot path.)
        try:
            task = GLOBAL_RUN_CONTEXT.task
        except AttributeError:
            task = current_task()  # raises the friendly RuntimeError
        task._cancel_points += 1
        if task._cancel_status.effectively_cancelled or task._pending_interrupts is not None:
            task._raise_pending()
        if self._closed:
            raise ClosedResourceError
        state = self._state
        if state.open_receive_channels == 0:
            raise BrokenResourceError
        if state.receive_tasks:
            receiver, wait = state.receive_tasks.popitem(last=False)
            wait.channel._tasks.remove(receiver)
            wait.value = value
            receiver._runner.reschedule(receiver)
        else:
            data = state.data
            used = len(data)
            if used >= state.max_buffer_size:
                # Full: wait for a receiver to take the value.
                self._tasks.add(task)
                send_wait = _SendWait(self, task, value)
                state.send_tasks[task] = send_wait
                await _wait(send_wait)
                return
            data.append(value)
            if used >= state.peak_buffer_used:
                state.peak_buffer_used = used + 1
        points = task._schedule_points + 1
        if points & _FAST_PATH_MASK:
            task._schedule_points = points  # a schedule point that did not need to yield
        else:
            await cancel_shielded_checkpoint()

    @enable_ki_protection
    def clone(self) -> MemorySendChannel[SendType]:
        """Another send end for the same channel.

        Receivers get :exc:`~tether.EndOfChannel` only after *every* clone
        is closed, which is how several producers each close their own.

        Raises:
            tether.ClosedResourceError: if this end is closed.
        """
        if self._closed:
            raise ClosedResourceError
        return MemorySendChannel._create(self._state)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @enable_ki_protection
    def close(self) -> None:
        """Close this end, at once. Idempotent.

        Tasks blocked in ``send`` on this end get
        :exc:`~tether.ClosedResourceError`; when the last send end closes,
        blocked receivers get :exc:`~tether.EndOfChannel`.
        """
        if self._closed:
            return
        self._closed = True
        state = self._state
        for task in self._tasks:
            task._runner.reschedule(task, Error(ClosedResourceError()))
            del state.send_tasks[task]
        self._tasks.clear()
        state.open_send_channels -= 1
        if state.open_send_channels == 0:
            for task, wait in state.receive_tasks.items():
                wait.channel._tasks.remove(task)
                task._runner.reschedule(task, Error(EndOfChannel()))
            state.receive_tasks.clear()

    @enable_ki_protection
    async def aclose(self) -> None:
        """Close this end (see :meth:`close`); also a checkpoint."""
        self.close()
        await checkpoint()


class _SendWait:
    """A blocked send: the value waiting to be taken, and the wait's abort
    function (a slotted object, not a closure)."""

    __slots__ = ("channel", "task", "value")

    def __init__(self, channel: MemorySendChannel[Any], task: Task, value: Any) -> None:
        self.channel = channel
        self.task = task
        self.value = value

    def __call__(self, _: RaiseCancelT) -> Abort:
        self.channel._tasks.remove(self.task)
        del self.channel._state.send_tasks[self.task]
        return Abort.SUCCEEDED


class _ReceiveWait:
    """A blocked receive: where a sender puts the value it hands over
    (before waking the task with ``VALUE_NONE``), and the wait's abort
    function."""

    __slots__ = ("channel", "task", "value")

    def __init__(self, channel: MemoryReceiveChannel[Any], task: Task) -> None:
        self.channel = channel
        self.task = task
        self.value: Any = None

    def __call__(self, _: RaiseCancelT) -> Abort:
        self.channel._tasks.remove(self.task)
        del self.channel._state.receive_tasks[self.task]
        return Abort.SUCCEEDED


@types.coroutine
def _wait(wait: _SendWait | _ReceiveWait) -> Generator[object, Any, None]:
    # (wait_task_rescheduled(), for the waits of this module.)
    (yield WaitTaskRescheduled(wait)).unwrap()


@final
class MemoryReceiveChannel(ReceiveChannel[ReceiveType], metaclass=NoPublicConstructor):
    """The receiving end of a memory channel (see :func:`open_memory_channel`)."""

    __slots__ = ("__weakref__", "_closed", "_state", "_tasks")

    def __init__(self, state: _State[ReceiveType]) -> None:
        self._state = state
        self._closed = False
        self._tasks: set[Task] = set()
        state.open_receive_channels += 1

    def __repr__(self) -> str:
        return f"<receive channel at {id(self):#x}, using buffer at {id(self._state):#x}>"

    def statistics(self) -> MemoryChannelStatistics:
        """Return a :class:`MemoryChannelStatistics` for the channel."""
        return self._state.statistics()

    @enable_ki_protection
    def receive_nowait(self) -> ReceiveType:
        """Receive a value if one is available without blocking.

        Raises:
            tether.WouldBlock: if nothing is available yet.
            tether.EndOfChannel: if every send end is closed and the buffer is empty.
            tether.ClosedResourceError: if this end is closed.
        """
        value = self._take()
        if value is _NOTHING:
            raise WouldBlock
        return value  # type: ignore[return-value]

    def _take(self) -> ReceiveType | _Nothing:
        # receive_nowait() without the exception: _NOTHING means "would block".
        if self._closed:
            raise ClosedResourceError
        state = self._state
        data = state.data
        if state.send_tasks:
            task, wait = state.send_tasks.popitem(last=False)
            wait.channel._tasks.remove(task)
            task._runner.reschedule(task)
            data.append(wait.value)
        if data:
            return data.popleft()
        if not state.open_send_channels:
            raise EndOfChannel
        return _NOTHING

    @enable_ki_protection
    async def receive(self) -> ReceiveType:
        """Receive the next value, waiting while there is none.

        Raises:
            tether.EndOfChannel: if every send end is closed and the buffer
                is empty.
            tether.ClosedResourceError: if this end is closed, before or
                while waiting.
        """
        # (cancel_point_task() and _take(), inline: the hot path.)
        try:
            task = GLOBAL_RUN_CONTEXT.task
        except AttributeError:
            task = current_task()  # raises the friendly RuntimeError
        task._cancel_points += 1
        if task._cancel_status.effectively_cancelled or task._pending_interrupts is not None:
            task._raise_pending()
        if self._closed:
            raise ClosedResourceError
        state = self._state
        data = state.data
        if state.send_tasks:
            sender, send_wait = state.send_tasks.popitem(last=False)
            send_wait.channel._tasks.remove(sender)
            sender._runner.reschedule(sender)
            data.append(send_wait.value)
        if not data:
            if not state.open_send_channels:
                raise EndOfChannel
            # Empty: wait for a sender to hand a value over.
            self._tasks.add(task)
            wait = _ReceiveWait(self, task)
            state.receive_tasks[task] = wait
            await _wait(wait)
            return wait.value  # type: ignore[no-any-return]
        value = data.popleft()
        points = task._schedule_points + 1
        if points & _FAST_PATH_MASK:
            task._schedule_points = points  # a schedule point that did not need to yield
        else:
            await cancel_shielded_checkpoint()
        return value

    @enable_ki_protection
    @types.coroutine
    def __anext__(self) -> Generator[Any, Any, ReceiveType]:
        # ``async for`` is how most consumers receive, so this is receive()
        # flattened into one generator frame: a received item costs one
        # frame resumption fewer than going through receive().
        # (receive(), with its trap inline too.)
        try:
            task = GLOBAL_RUN_CONTEXT.task
        except AttributeError:
            task = current_task()  # raises the friendly RuntimeError
        task._cancel_points += 1
        if task._cancel_status.effectively_cancelled or task._pending_interrupts is not None:
            task._raise_pending()
        if self._closed:
            raise ClosedResourceError
        state = self._state
        data = state.data
        if state.send_tasks:
            sender, send_wait = state.send_tasks.popitem(last=False)
            send_wait.channel._tasks.remove(sender)
            sender._runner.reschedule(sender)
            data.append(send_wait.value)
        if not data:
            if not state.open_send_channels:
                raise StopAsyncIteration
            self._tasks.add(task)
            wait = _ReceiveWait(self, task)
            state.receive_tasks[task] = wait
            try:
                (yield WaitTaskRescheduled(wait)).unwrap()
            except EndOfChannel:
                raise StopAsyncIteration from None
            return wait.value  # type: ignore[no-any-return]
        value = data.popleft()
        points = task._schedule_points + 1
        if points & _FAST_PATH_MASK:
            task._schedule_points = points  # a schedule point that did not need to yield
        else:
            yield from cancel_shielded_checkpoint()
        return value

    @enable_ki_protection
    def clone(self) -> MemoryReceiveChannel[ReceiveType]:
        """Another receive end for the same channel; each value goes to
        exactly one receiver.

        Raises:
            tether.ClosedResourceError: if this end is closed.
        """
        if self._closed:
            raise ClosedResourceError
        return MemoryReceiveChannel._create(self._state)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @enable_ki_protection
    def close(self) -> None:
        """Close this end, at once. Idempotent.

        Tasks blocked in ``receive`` on this end get
        :exc:`~tether.ClosedResourceError`; when the last receive end
        closes, blocked senders get :exc:`~tether.BrokenResourceError` and
        the buffer is discarded.
        """
        if self._closed:
            return
        self._closed = True
        state = self._state
        for task in self._tasks:
            task._runner.reschedule(task, Error(ClosedResourceError()))
            del state.receive_tasks[task]
        self._tasks.clear()
        state.open_receive_channels -= 1
        if state.open_receive_channels == 0:
            for task, wait in state.send_tasks.items():
                wait.channel._tasks.remove(task)
                task._runner.reschedule(task, Error(BrokenResourceError()))
            state.send_tasks.clear()
            state.data.clear()

    @enable_ki_protection
    async def aclose(self) -> None:
        """Close this end (see :meth:`close`); also a checkpoint."""
        self.close()
        await checkpoint()

