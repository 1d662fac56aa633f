"""``as_safe_channel``: async generators behind a channel, the structured way.

The generator runs in a background task of a nursery that lives exactly as
long as the ``async with`` block, and hands its values over a rendezvous
(buffer 0) memory channel. A semaphore makes the generator compute a value
only when the consumer asks for one (each ``receive`` releases it once), so
values are produced lazily, as with plain iteration, and none is computed and
then lost when the consumer stops early.

On the way out the nursery is cancelled (closing the generator if it is still
suspended) and, when exactly one exception remains, it is raised on its own
instead of inside the nursery's :exc:`ExceptionGroup`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ._abc import ReceiveChannel
from ._channel import MemoryReceiveChannel, MemorySendChannel, open_memory_channel
from ._core import BrokenResourceError, Cancelled, TaskStatus, open_nursery
from ._sync import Semaphore
from ._util import final, raise_saving_context

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable
    from contextlib import AbstractAsyncContextManager
    from types import TracebackType
    from typing import Self

T = TypeVar("T")
P = ParamSpec("P")

_CLEANUP_NOTE = (
    "Encountered exception during cleanup of generator object, as well as "
    "exception in the contextmanager body - unable to unwrap."
)


@final
class _SafeReceiveChannel(ReceiveChannel[T]):
    """What ``async with`` on an :func:`as_safe_channel` function gives:
    a receive channel that asks the generator for one value per receive."""

    __slots__ = ("_recv_chan", "_send_semaphore")

    def __init__(self, recv_chan: MemoryReceiveChannel[T], send_semaphore: Semaphore) -> None:
        self._recv_chan = recv_chan
        self._send_semaphore = send_semaphore

    def __repr__(self) -> str:
        return f"<tether.as_safe_channel receive channel wrapping {self._recv_chan!r}>"

    async def receive(self) -> T:
        """Ask the generator for its next value and receive it.

        Raises:
            tether.EndOfChannel: if the generator is exhausted (or failed).
            tether.ClosedResourceError: if this channel was closed.
        """
        self._send_semaphore.release()
        return await self._recv_chan.receive()

    async def aclose(self) -> None:
        """Close the channel; the generator is closed at its next request."""
        await self._recv_chan.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._recv_chan.close()


def _single_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception ``group`` stands for, or None if it holds several
    that are not :exc:`~tether.Cancelled`.

    A KeyboardInterrupt or SystemExit in the group is raised at once (a new
    one of the same type, caused by the group). Otherwise the only
    non-Cancelled exception wins, or the first Cancelled if that is all
    there is.
    """
    for exc in group.exceptions:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise type(exc)(*exc.args) from group
    first_cancelled: BaseException | None = None
    other: BaseException | None = None
    for exc in group.exceptions:
        if isinstance(exc, Cancelled):
            if first_cancelled is None:
                first_cancelled = exc
        elif other is None:
            other = exc
        else:
            return None
    return other if other is not None else first_cancelled


def _flatten(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _flatten(sub)]
    return [exc]


async def _close_agen(agen: AsyncGenerator[object, None]) -> None:
    """``agen.aclose()``, also when the generator answers with the
    GeneratorExit wrapped in an exception group (a nursery around its
    ``yield`` does that), which ``aclose`` itself does not recognise."""
    try:
        await agen.aclose()
    except BaseExceptionGroup as group:
        genexits, rest = group.split(GeneratorExit)
        if genexits is not None and len(_flatten(genexits)) > 1:
            extra = AssertionError("More than one GeneratorExit found.")
            rest = group.derive([extra]) if rest is None else rest.derive([*rest.exceptions, extra])
        if rest is not None:
            raise rest from None


async def _feed_channel(
    agen: AsyncGenerator[T, None],
    send_chan: MemorySendChannel[T],
    send_semaphore: Semaphore,
    task_status: TaskStatus[None],
) -> None:
    # A sync ``with``: ``async with send_chan`` would checkpoint on the way
    # out, and a Cancelled from there could replace the generator's error.
    with send_chan:
        try:
            task_status.started()
            while True:
                await send_semaphore.acquire()  # a receive() asked for a value
                if not send_chan.statistics().open_receive_channels:
                    break  # nobody can receive it: don't compute it
                try:
                    value = await agen.__anext__()
                except StopAsyncIteration:
                    return
                try:
                    await send_chan.send(value)
                except BrokenResourceError:
                    break  # the receiver closed meanwhile
        finally:
            await _close_agen(agen)


def as_safe_channel(
    fn: Callable[P, AsyncGenerator[T, None]],
) -> Callable[P, AbstractAsyncContextManager[ReceiveChannel[T]]]:
    """Turn an async generator function into one that is safe to iterate.

    Iterating an async generator directly breaks structured concurrency
    when it yields from inside a cancel scope or a nursery, and leaves its
    cleanup to the garbage collector unless every caller remembers
    :func:`contextlib.aclosing`. The decorated function instead returns an
    async context manager that runs the generator in a background task and
    gives you a :class:`~tether.abc.ReceiveChannel` of its values::

        @tether.as_safe_channel
        async def ticks(n: int) -> AsyncGenerator[int]:
            for i in range(n):
                await tether.sleep(1)
                yield i

        async with ticks(3) as channel:
            async for i in channel:
                print(i)

    The generator computes a value only when the channel is asked for one,
    and stops (is closed) when the ``async with`` block ends. If the
    generator raises, the exception comes out of the ``async with``
    statement; receivers see :exc:`~tether.EndOfChannel` first. If the
    generator and the block both raise, you get both in an
    :exc:`ExceptionGroup` (with a note saying so); a lone exception is
    never wrapped.

    Args:
        fn: an async generator function.

    Returns:
        A function taking ``fn``'s arguments and returning an async context
        manager that yields a :class:`~tether.abc.ReceiveChannel`.
    """

    @asynccontextmanager
    @wraps(fn)
    async def context_manager(
        *args: P.args, **kwargs: P.kwargs
    ) -> AsyncGenerator[ReceiveChannel[T], None]:
        send_chan, recv_chan = open_memory_channel[T](0)
        try:
            async with open_nursery(strict_exception_groups=True) as nursery:
                agen = fn(*args, **kwargs)
                send_semaphore = Semaphore(0)
                # start(), not start_soon(): once it returns, the task owns
                # send_chan and agen and will close both.
                await nursery.start(_feed_channel, agen, send_chan, send_semaphore)
                # A sync ``with``: aclose() is a checkpoint, and its Cancelled
                # could replace an exception leaving the block.
                with _SafeReceiveChannel(recv_chan, send_semaphore) as wrapped:
                    yield wrapped
                # The block is over: stop a generator that is still alive.
                nursery.cancel_scope.cancel("exited tether.as_safe_channel context manager")
        except BaseExceptionGroup as group:
            single = _single_exception(group)
            if single is None:
                group.add_note(_CLEANUP_NOTE)
                raise group from None
            raise_saving_context(single)

    return context_manager
