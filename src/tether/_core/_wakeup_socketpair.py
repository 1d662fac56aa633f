"""A socketpair used to wake the run loop from other threads and from signal handlers."""

from __future__ import annotations

import signal
import socket
import warnings

from .._util import is_main_thread


class WakeupSocketpair:
    """Writing a byte to one end makes the other end readable, which wakes
    an I/O wait. Both ends are non-blocking; a full buffer just means a
    wake-up is already pending."""

    __slots__ = ("_old_wakeup_fd", "wakeup_sock", "write_sock")

    def __init__(self) -> None:
        self.wakeup_sock, self.write_sock = socket.socketpair()
        self.wakeup_sock.setblocking(False)
        self.write_sock.setblocking(False)
        # Small buffers: we only ever need one byte in flight.
        try:
            self.write_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
        except OSError:  # pragma: no cover
            pass
        self._old_wakeup_fd: int | None = None

    def wakeup_thread_and_signal_safe(self) -> None:
        try:
            self.write_sock.send(b"\x00")
        except (BlockingIOError, OSError):
            pass

    def drain(self) -> None:
        try:
            while True:
                if not self.wakeup_sock.recv(2**16):
                    return
        except BlockingIOError:
            pass

    def wakeup_on_signals(self) -> None:
        """Route C-level signal wake-ups to us, so a signal arriving while
        the loop is blocked in the kernel wakes it at once."""
        assert self._old_wakeup_fd is None
        if not is_main_thread():
            return
        fd = self.write_sock.fileno()
        self._old_wakeup_fd = signal.set_wakeup_fd(fd, warn_on_full_buffer=False)
        if self._old_wakeup_fd != -1:
            warnings.warn(
                RuntimeWarning(
                    "It looks like tether's signal handling code might have collided "
                    "with another library you're using. If you're running tether in "
                    "guest mode, then this might mean you should set "
                    "host_uses_signal_set_wakeup_fd=True. Otherwise, file a bug on "
                    "tether and we'll help you figure out what's going on."
                ),
                stacklevel=1,
            )

    def close(self) -> None:
        self.wakeup_sock.close()
        self.write_sock.close()
        if self._old_wakeup_fd is not None:
            signal.set_wakeup_fd(self._old_wakeup_fd)
            self._old_wakeup_fd = None
