"""Failure paths of the I/O issue that the other test files left uncovered.

An audit of every failure path the I/O issue names (see the table the lead
keeps with the issue) found these without a test of their own:

* a ``connect`` cancelled while the connection is really in progress (the
  other tests cancel before the system call, or use fake sockets);
* the run woken by another thread while it is blocked in ``epoll_wait``
  with no deadline (the other tests cannot tell whether the wake-up came
  before or during the kernel wait);
* Ctrl-C while a task waits for a thread that cannot be abandoned;
* :class:`tether.Path` methods and :func:`tether.open_file` really running in
  worker threads;
* a client :class:`tether.SSLStream` on a default context refusing to run
  without ``server_hostname``, and :func:`tether.open_ssl_over_tcp_stream`'s
  default context verifying certificates and host names.
"""

from __future__ import annotations

import io
import os
import ssl
import subprocess
import sys
import textwrap
import threading
from typing import TYPE_CHECKING, Any

import pytest
import trustme

import tether
import tether.lowlevel
import tether.socket as tsocket
import tether.testing
from tether.abc import Instrument
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    import pathlib


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


async def _listener_with_a_full_queue() -> tuple[tsocket.SocketType, tsocket.SocketType]:
    """A loopback listener whose accept queue is full (``listen(0)`` holds one
    connection), so a further connect stays in progress: Linux drops the SYN.
    Returns the listener and the client whose connection fills the queue."""
    listener = tsocket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    first = tsocket.socket()
    await first.connect(listener.getsockname())
    return listener, first


async def test_connect_cancelled_while_in_progress_closes_the_socket() -> None:
    listener, first = await _listener_with_a_full_queue()
    with listener, first:
        before = open_fds()
        client = tsocket.socket()
        connecting = tether.CancelScope()
        outcome: list[str] = []

        async def connect() -> None:
            with connecting:
                await client.connect(listener.getsockname())
                outcome.append("connected")  # pragma: no cover - the queue is full

        async with tether.open_nursery() as nursery:
            nursery.start_soon(connect)
            await wait_all_tasks_blocked()
            # Really in progress: blocked in the kernel's connect, not before it.
            assert client.fileno() != -1
            stats = tether.lowlevel.current_statistics().io_statistics
            assert getattr(stats, "tasks_waiting_write", None) == 1
            connecting.cancel()
        assert connecting.cancelled_caught
        assert outcome == []
        assert client.fileno() == -1  # a half-made connection is closed
        assert open_fds() <= before
        # The listener is unharmed: the queued connection is still there.
        server, _ = await listener.accept()
        with server:
            await first.send(b"ok")
            assert await server.recv(2) == b"ok"


async def test_open_tcp_stream_cancelled_while_connecting_leaks_nothing() -> None:
    listener, first = await _listener_with_a_full_queue()
    with listener, first:
        port = listener.getsockname()[1]
        before = open_fds()
        async with tether.open_nursery() as nursery:

            async def connect() -> None:
                await tether.open_tcp_stream("127.0.0.1", port)

            nursery.start_soon(connect)
            await wait_all_tasks_blocked()
            stats = tether.lowlevel.current_statistics().io_statistics
            assert getattr(stats, "tasks_waiting_write", None) == 1
            nursery.cancel_scope.cancel()
        assert nursery.cancel_scope.cancelled_caught
        assert open_fds() == before


class _BlockedInTheKernel(Instrument):
    """Sets ``blocked`` when the run is about to wait in the kernel for long."""

    def __init__(self) -> None:
        self.blocked = threading.Event()
        self.timeouts: list[float] = []

    def before_io_wait(self, timeout: float) -> None:
        self.timeouts.append(timeout)
        if timeout > 60:
            self.blocked.set()


def test_thread_wakeup_interrupts_a_wait_in_the_kernel() -> None:
    """The run blocks in epoll_wait with no deadline (the one-day cap), and a
    ``run_sync_soon`` from another thread ends that wait."""
    instrument = _BlockedInTheKernel()

    async def main() -> bool:
        token = tether.lowlevel.current_trio_token()
        with tether.CancelScope() as scope:

            def wake() -> None:
                assert instrument.blocked.wait(30), "the run never blocked"
                token.run_sync_soon(scope.cancel)

            thread = threading.Thread(target=wake)
            thread.start()
            await tether.sleep_forever()
        thread.join()
        return scope.cancelled_caught

    assert tether.run(main, instruments=[instrument])
    assert 86400.0 in instrument.timeouts


KI_IN_THREAD = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import tether, tether.from_thread, tether.to_thread

    def blocker():
        os.kill(os.getpid(), signal.SIGINT)
        # Wait (bounded) until the interrupt has reached the waiting task;
        # a thread that cannot be abandoned then finishes its work.
        for _ in range(4000):
            try:
                tether.from_thread.check_cancelled()
            except KeyboardInterrupt:
                print("worker: interrupt delivered, finishing", flush=True)
                return "result"
            time.sleep(0.005)
        print("worker: the interrupt never arrived", flush=True)
        return "result"

    async def main():
        try:
            value = await tether.to_thread.run_sync(blocker)
            print("task: got", value, flush=True)
            await tether.lowlevel.checkpoint()
        except KeyboardInterrupt:
            print("task: KeyboardInterrupt", flush=True)
            raise

    try:
        tether.run(main)
    except KeyboardInterrupt:
        print("run: KeyboardInterrupt", flush=True)
    left = [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and not t.daemon]
    print("non-daemon threads left:", left, flush=True)
    """
)


def test_keyboard_interrupt_while_waiting_for_a_thread_that_cannot_be_abandoned() -> None:
    """Ctrl-C does not abandon the thread: the task waits for it to finish,
    then KeyboardInterrupt comes out of ``tether.run``.

    (Trio hands the task the thread's result first and raises at the next
    checkpoint; tether raises in place of the result, as ``_threads``
    documents. Either way the program stops with no thread left.)
    """
    result = subprocess.run(
        [sys.executable, "-c", KI_IN_THREAD],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "worker: interrupt delivered, finishing", result
    assert "task: KeyboardInterrupt" in lines
    assert lines[-2:] == ["run: KeyboardInterrupt", "non-daemon threads left: []"]
    assert result.returncode == 0, result.stderr


# -- files and paths go through worker threads -------------------------------------------


async def test_path_methods_and_open_file_run_in_worker_threads(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_thread = threading.get_ident()
    calls: list[tuple[str, int]] = []
    real_stat, real_open = os.stat, io.open
    target = str(tmp_path)

    def recording_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if os.fspath(path).startswith(target):
            calls.append(("stat", threading.get_ident()))
        return real_stat(path, *args, **kwargs)

    def recording_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and os.fspath(file).startswith(target):
            calls.append(("open", threading.get_ident()))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "stat", recording_stat)
    monkeypatch.setattr(io, "open", recording_open)

    path = tether.Path(tmp_path) / "notes.txt"
    await path.write_text("hello")
    assert await path.exists()
    async with await path.open() as f:
        assert await f.read() == "hello"
    async with await tether.open_file(path) as f:
        assert await f.read() == "hello"

    def opener(name: str, flags: int) -> int:
        calls.append(("opener", threading.get_ident()))
        return os.open(name, flags)

    async with await tether.open_file(path, opener=opener) as f:
        assert await f.read() == "hello"

    kinds = [kind for kind, _ in calls]
    assert kinds.count("open") >= 3  # write_text, Path.open, open_file
    assert "stat" in kinds
    assert "opener" in kinds
    assert all(thread != run_thread for _, thread in calls), calls


# -- TLS is verified by default ----------------------------------------------------------


async def test_default_client_context_needs_a_server_hostname() -> None:
    """``wrap_bio`` (unlike ``wrap_socket``) accepts a client without a host
    name even when the context checks host names, and the handshake then
    skips the check; tether refuses instead (Trio lets it through)."""
    client_transport, _ = tether.testing.memory_stream_pair()
    ctx = ssl.create_default_context()
    with pytest.raises(ValueError, match="check_hostname requires server_hostname"):
        tether.SSLStream(client_transport, ctx)
    # Turning the check off is an explicit decision, and then allowed.
    ctx.check_hostname = False
    assert tether.SSLStream(client_transport, ctx).server_hostname is None
    # Servers never have a host name to check.
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    assert tether.SSLStream(client_transport, server_ctx, server_side=True).server_side


async def test_open_ssl_over_tcp_stream_default_context_verifies() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    (listener,) = await tether.open_ssl_over_tcp_listeners(0, server_ctx, host="127.0.0.1")
    transport = listener.transport_listener
    assert isinstance(transport, tether.SocketListener)
    port = transport.socket.getsockname()[1]
    async with listener, tether.open_nursery() as nursery:

        async def serve_one() -> None:
            stream = await listener.accept()
            with pytest.raises(tether.BrokenResourceError):
                await stream.do_handshake()  # the client refuses our certificate
            await stream.aclose()

        nursery.start_soon(serve_one)
        client = await tether.open_ssl_over_tcp_stream("127.0.0.1", port)
        assert client.context.verify_mode == ssl.CERT_REQUIRED
        assert client.context.check_hostname
        with pytest.raises(tether.BrokenResourceError) as excinfo:
            await client.do_handshake()  # the test CA is not in the system store
        assert isinstance(excinfo.value.__cause__, ssl.SSLCertVerificationError)
        await client.aclose()
