"""A byte stream over a raw Unix file descriptor (a pipe end, a tty).

The stream owns the descriptor: it switches it to non-blocking mode when it
is wrapped, and on close it puts the original blocking mode back (the mode
belongs to the shared *open file description*, so leaving it non-blocking
would surprise any other process holding the same pipe) and closes it.
"""

from __future__ import annotations

import errno
import os
from typing import Final

from . import _core
from ._abc import Stream
from ._conflict import ConflictDetector
from ._util import final

DEFAULT_RECEIVE_SIZE: Final = 65536


class _OwnedFd:
    """The descriptor and its original blocking flag; ``fd == -1`` once closed."""

    __slots__ = ("_was_blocking", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = -1  # so that __del__ is harmless if the checks below fail
        if not isinstance(fd, int):
            raise TypeError(f"file descriptor must be an int, not {type(fd).__name__}")
        self._was_blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)
        self.fd = fd

    @property
    def closed(self) -> bool:
        return self.fd == -1

    def close_raw(self) -> None:
        fd, self.fd = self.fd, -1
        if fd == -1:
            return
        try:
            os.set_blocking(fd, self._was_blocking)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self.fd != -1:
            _core.notify_closing(self.fd)
            self.close_raw()

    def __del__(self) -> None:
        # Garbage collection may happen outside a run: no notify_closing.
        try:
            self.close_raw()
        except OSError:  # pragma: no cover - someone closed it behind our back
            pass


def _closed_error() -> _core.ClosedResourceError:
    return _core.ClosedResourceError("this file descriptor stream was already closed")


@final
class FdStream(Stream):
    """A :class:`~tether.abc.Stream` over a file descriptor: a pipe, a tty...

    The descriptor must be open for reading and/or writing and support
    non-blocking I/O (pipes, ttys and sockets do; files on disk do not). The
    stream takes ownership: closing it closes ``fd``, so don't use ``fd``
    yourself afterwards (wrap a copy, ``FdStream(os.dup(fd))``, to keep one).

    Wrapping switches the descriptor to non-blocking mode, and closing the
    stream restores the mode it had. The mode is a property of the *open file
    description*, shared with every duplicate of the descriptor in this and
    other processes: while the stream is open, other users of the same pipe
    or terminal (``sys.stdin``, a logger writing to a tty, a parent shell)
    see non-blocking I/O too and may fail with :exc:`BlockingIOError`.

    Only one task may send and one task may receive at a time.

    Args:
        fd: the file descriptor to wrap.

    Raises:
        TypeError: if ``fd`` is not an ``int``.
        OSError: if the descriptor is invalid.

    Example:
        Reading a child's output through a pipe::

            read_fd, write_fd = os.pipe()
            async with tether.lowlevel.FdStream(read_fd) as stream:
                data = await stream.receive_some()
    """

    __slots__ = ("_fd", "_receive_guard", "_send_guard")

    def __init__(self, fd: int) -> None:
        self._fd = _OwnedFd(fd)
        self._send_guard = ConflictDetector("another task is using this stream for sending")
        self._receive_guard = ConflictDetector("another task is using this stream for receiving")

    def __repr__(self) -> str:
        state = "closed" if self._fd.closed else f"fd={self._fd.fd}"
        return f"<tether.lowlevel.FdStream {state}>"

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Write all of ``data`` to the descriptor, waiting while it is full.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.ClosedResourceError: if the stream was closed, before or
                during the call.
            tether.BrokenResourceError: if the write failed, for example
                because the pipe's reading end is closed (``EPIPE``); the
                :exc:`OSError` is the ``__cause__``.
        """
        with self._send_guard:
            if self._fd.closed:
                raise _closed_error()
            await _core.checkpoint()
            with memoryview(data) as view:
                total = view.nbytes
                sent = 0
                while sent < total:
                    with view[sent:] as rest:
                        try:
                            sent += os.write(self._fd.fd, rest)
                        except BlockingIOError:
                            await _core.wait_writable(self._fd.fd)
                        except OSError as exc:
                            if exc.errno == errno.EBADF or self._fd.closed:
                                raise _closed_error() from None
                            raise _core.BrokenResourceError(str(exc)) from exc

    async def wait_send_all_might_not_block(self) -> None:
        """Block until the descriptor is writable.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.ClosedResourceError: if the stream was closed.
        """
        with self._send_guard:
            if self._fd.closed:
                raise _closed_error()
            await _core.wait_writable(self._fd.fd)

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Read at least one byte (at most ``max_bytes``), waiting for data.

        Args:
            max_bytes: the most to return; 65536 if omitted.

        Returns:
            The data read, or ``b""`` at end of file.

        Raises:
            TypeError: if ``max_bytes`` is not an integer.
            ValueError: if ``max_bytes`` is less than 1.
            tether.BusyResourceError: if another task is receiving.
            tether.ClosedResourceError: if the stream was closed, before or
                during the call.
            tether.BrokenResourceError: if the read failed (the
                :exc:`OSError` is the ``__cause__``).
        """
        with self._receive_guard:
            if max_bytes is None:
                max_bytes = DEFAULT_RECEIVE_SIZE
            elif not isinstance(max_bytes, int):
                raise TypeError("max_bytes must be an integer >= 1")
            elif max_bytes < 1:
                raise ValueError("max_bytes must be an integer >= 1")
            if self._fd.closed:
                raise _closed_error()
            await _core.checkpoint()
            while True:
                try:
                    return os.read(self._fd.fd, max_bytes)
                except BlockingIOError:
                    await _core.wait_readable(self._fd.fd)
                except OSError as exc:
                    if exc.errno == errno.EBADF or self._fd.closed:
                        raise _closed_error() from None
                    raise _core.BrokenResourceError(str(exc)) from exc

    def close(self) -> None:
        """Close the stream (and the descriptor) at once, without blocking.

        Tasks blocked in :meth:`send_all` or :meth:`receive_some` wake up with
        :exc:`~tether.ClosedResourceError`. Idempotent.
        """
        self._fd.close()

    async def aclose(self) -> None:
        """Close the stream, as :meth:`close` does; this is also a checkpoint."""
        self.close()
        await _core.checkpoint()

    def fileno(self) -> int:
        """The wrapped file descriptor, or -1 once the stream is closed."""
        return self._fd.fd
