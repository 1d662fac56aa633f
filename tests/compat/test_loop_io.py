"""The loop's readers/writers, signal handlers and socket helpers, alone and
mixed with tether code (cancel scopes, the mock clock, tether's own I/O)."""

from __future__ import annotations

import errno
import gc
import os
import signal
import socket
import threading
import warnings
from typing import TYPE_CHECKING, Any

import pytest

import tether
import tether.lowlevel
import tether_asyncio
from tether.testing import MockClock

if TYPE_CHECKING:
    from collections.abc import Iterator


def _runner(clock: MockClock | None = None) -> tether_asyncio.Runner:
    return tether_asyncio.Runner(loop_factory=lambda: tether_asyncio.TetherLoop(clock=clock))


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with a, b:
        yield a, b


def _watch_is_free(fd: int | socket.socket) -> bool:
    """Inside the run: whether nothing watches ``fd`` for reading any more."""
    try:
        watch = tether.lowlevel.watch_readable(fd, print)
    except tether.BusyResourceError:
        return False
    watch.cancel()
    return True


# -- readers and writers ---------------------------------------------------------------


def test_reader_uses_one_persistent_watch(pair: tuple[socket.socket, socket.socket]) -> None:
    r, w = pair

    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        got: list[bytes] = []
        done = loop.create_future()

        def on_read() -> None:
            data = r.recv(100)
            got.append(data)
            if len(got) == 3:
                done.set_result(None)

        loop.add_reader(r, on_read)
        entry = loop._entries()[r.fileno()]
        watch = entry.read_watch
        assert watch is not None
        assert watch.active
        for chunk in (b"a", b"b", b"c"):
            w.send(chunk)
            await tether_asyncio.sleep(0.001)
        await done
        same_watch = entry.read_watch is watch and watch.active
        # Replacing the callback keeps the watch: only its arguments change.
        loop.add_reader(r, print)
        replaced_keeps_watch = entry.read_watch is watch
        removed = (loop.remove_reader(r), loop.remove_reader(r))
        return [got, same_watch, replaced_keeps_watch, removed, watch.active, _watch_is_free(r)]

    with _runner() as runner:
        assert runner.run(main()) == [[b"a", b"b", b"c"], True, True, (True, False), False, True]


def test_replaced_reader_does_not_run(pair: tuple[socket.socket, socket.socket]) -> None:
    r, w = pair
    calls: list[str] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        w.send(b"x")
        loop.add_reader(r, calls.append, "old")
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        # The old reader's run queued in this iteration is skipped.
        loop.add_reader(r, calls.append, "new")
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        loop.remove_reader(r)

    with _runner() as runner:
        runner.run(main())
    assert calls == ["old", "new"]


def test_reader_and_writer_on_one_fd(pair: tuple[socket.socket, socket.socket]) -> None:
    r, w = pair

    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        seen: list[str] = []
        loop.add_writer(r, seen.append, "w")
        loop.add_reader(r, seen.append, "r")
        w.send(b"x")
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        both = set(seen)
        removed_writer = loop.remove_writer(r)
        seen.clear()
        await tether_asyncio.sleep(0)
        only_reader = set(seen)
        return [both, removed_writer, only_reader, loop.remove_reader(r), loop._entries()]

    with _runner() as runner:
        assert runner.run(main()) == [{"w", "r"}, True, {"r"}, True, {}]


def test_callback_errors_go_to_the_exception_handler(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    r, w = pair
    contexts: list[dict[str, Any]] = []

    def bad() -> None:
        raise ZeroDivisionError("boom")

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, ctx: contexts.append(ctx))
        loop.add_reader(r, bad)
        w.send(b"x")
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        assert loop.remove_reader(r)

    with _runner() as runner:
        runner.run(main())
    assert contexts
    ctx = contexts[0]
    assert ctx["message"].startswith("Exception in callback ")
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert type(ctx["handle"]).__name__ == "Handle"


def test_bad_file_objects() -> None:
    class NoFileno:
        pass

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        with pytest.raises(ValueError, match="Invalid file object"):
            loop.add_reader(NoFileno(), print)
        with pytest.raises(ValueError, match="Invalid file descriptor: -1"):
            loop.add_writer(-1, print)
        rfd, wfd = os.pipe()
        os.close(rfd)
        os.close(wfd)
        with pytest.raises(OSError, match="Bad file descriptor") as info:
            loop.add_reader(rfd, print)
        assert info.value.errno == errno.EBADF
        assert loop.remove_reader(rfd) is False
        with pytest.raises(PermissionError):
            loop.add_reader(regular_file, print)
        assert loop._entries() == {}

    with open(__file__) as regular_file, _runner() as runner:
        runner.run(main())


def test_closed_socket_is_found_by_identity() -> None:
    async def main() -> bool:
        loop = tether_asyncio.get_running_loop()
        a, b = socket.socketpair()
        loop.add_reader(a, print)
        a.close()  # behind the loop's back: epoll drops it by itself
        b.close()
        return loop.remove_reader(a)

    with _runner() as runner:
        assert runner.run(main()) is True


def test_reader_added_before_the_loop_ever_runs(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    r, w = pair
    loop = tether_asyncio.TetherLoop()
    try:
        rfd, wfd = os.pipe()
        os.close(rfd)
        os.close(wfd)
        # The fd is checked at once even though the watch waits for the run.
        with pytest.raises(OSError, match="Bad file descriptor") as info:
            loop.add_reader(rfd, print)
        assert info.value.errno == errno.EBADF
        with open(__file__) as f, pytest.raises(PermissionError):
            loop.add_reader(f, print)

        got: list[bytes] = []

        def on_read() -> None:
            got.append(r.recv(10))
            loop.stop()

        loop.add_reader(r, on_read)
        w.send(b"early")
        loop.run_forever()
        assert got == [b"early"]
        assert loop.remove_reader(r)
    finally:
        loop.close()


def test_reader_added_between_runs_keeps_asyncio_order(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    r, w = pair
    loop = tether_asyncio.TetherLoop()
    order: list[str] = []
    try:
        loop.run_until_complete(tether_asyncio.sleep(0))
        w.send(b"x")
        loop.call_soon(order.append, "soon")

        def on_read() -> None:
            order.append("reader")
            loop.stop()

        loop.add_reader(r, on_read)
        loop.run_forever()
        # asyncio: ready callbacks, then this iteration's I/O events.
        assert order == ["soon", "reader"]
        loop.remove_reader(r)
    finally:
        loop.close()


def test_reader_added_from_another_thread(pair: tuple[socket.socket, socket.socket]) -> None:
    r, w = pair

    async def main() -> bytes:
        loop = tether_asyncio.get_running_loop()
        fut: tether_asyncio.Future = loop.create_future()

        def on_read() -> None:
            loop.remove_reader(r)
            fut.set_result(r.recv(100))

        def in_thread() -> None:
            # Not thread-safe in asyncio either, but it works there: the loop,
            # blocked in its I/O wait, picks the reader up.
            loop.add_reader(r, on_read)
            w.send(b"from thread")

        thread = threading.Thread(target=in_thread)
        thread.start()
        data: bytes = await fut
        thread.join()
        return data

    with _runner() as runner:
        assert runner.run(main()) == b"from thread"


def test_close_forgets_readers(pair: tuple[socket.socket, socket.socket]) -> None:
    r, _ = pair
    loop = tether_asyncio.TetherLoop()
    loop.run_until_complete(tether_asyncio.sleep(0))
    loop.add_reader(r, print)
    loop.close()
    assert loop.remove_reader(r) is False
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        loop.add_reader(r, print)


# -- socket helpers --------------------------------------------------------------------


def test_scope_cancelling_sock_recv_leaves_no_watch(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    r, w = pair

    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        with tether.move_on_after(1) as scope:
            await loop.sock_recv(r, 100)
        # The done callback that removes the reader runs one iteration later.
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        free = _watch_is_free(r)
        w.send(b"still there")
        data = await loop.sock_recv(r, 100)
        return [scope.cancelled_caught, free, loop._entries(), data]

    with _runner(MockClock(autojump_threshold=0)) as runner:
        assert runner.run(main()) == [True, True, {}, b"still there"]


def test_task_cancel_of_sock_sendall_removes_the_writer() -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)

    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        task = tether_asyncio.create_task(loop.sock_sendall(a, b"x" * 10_000_000))
        await tether_asyncio.sleep(0)
        task.cancel()
        with pytest.raises(tether_asyncio.CancelledError):
            await task
        await tether_asyncio.sleep(0)
        return [task.cancelled(), loop._entries()]

    with a, b, _runner() as runner:
        assert runner.run(main()) == [True, {}]


def test_sock_helpers_over_loopback() -> None:
    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        with socket.socket() as srv, socket.socket() as cli:
            srv.bind(("127.0.0.1", 0))
            srv.listen()
            srv.setblocking(False)
            cli.setblocking(False)
            accepting = tether_asyncio.ensure_future(loop.sock_accept(srv))
            # A host name goes through getaddrinfo in the default executor.
            await loop.sock_connect(cli, ("localhost", srv.getsockname()[1]))
            conn, _ = await accepting
            with conn:
                await loop.sock_sendall(cli, b"y" * 1_000_000)
                total = 0
                while total < 1_000_000:
                    total += len(await loop.sock_recv(conn, 1 << 16))
                buf = bytearray(4)
                await loop.sock_sendall(conn, b"abcd")
                n = await loop.sock_recv_into(cli, buf)
                blocking = conn.gettimeout() == 0
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u1,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u2,
        ):
            for s in (u1, u2):
                s.bind(("127.0.0.1", 0))
                s.setblocking(False)
            await loop.sock_sendto(u1, b"dgram", u2.getsockname())
            data, _ = await loop.sock_recvfrom(u2, 100)
            await loop.sock_sendto(u1, b"into", u2.getsockname())
            dbuf = bytearray(10)
            nbytes, _ = await loop.sock_recvfrom_into(u2, dbuf)
        return [total, bytes(buf[:n]), blocking, data, bytes(dbuf[:nbytes])]

    with _runner() as runner:
        assert runner.run(main()) == [1_000_000, b"abcd", True, b"dgram", b"into"]


def test_sock_helpers_refuse_blocking_sockets_in_debug_mode() -> None:
    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_debug(True)
        with socket.socket() as s:
            with pytest.raises(ValueError, match="the socket must be non-blocking"):
                await loop.sock_recv(s, 1)
            with pytest.raises(ValueError, match="the socket must be non-blocking"):
                await loop.sock_sendall(s, b"x")

    with _runner() as runner:
        runner.run(main())


def test_sock_recv_with_autojumping_mock_clock(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    r, w = pair

    async def sender() -> None:
        await tether_asyncio.sleep(3600)
        w.send(b"an hour later")

    async def main() -> tuple[bytes, float]:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()
        task = tether_asyncio.create_task(sender())
        data = await loop.sock_recv(r, 100)
        await task
        return data, loop.time() - start

    with _runner(MockClock(autojump_threshold=0)) as runner:
        assert runner.run(main()) == (b"an hour later", 3600)


def test_getaddrinfo_and_getnameinfo() -> None:
    async def main() -> tuple[Any, Any]:
        loop = tether_asyncio.get_running_loop()
        infos = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
        name = await loop.getnameinfo(
            ("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
        )
        return infos, name

    with _runner() as runner:
        infos, name = runner.run(main())
    assert [info[4] for info in infos] == [("127.0.0.1", 80)]
    assert name == ("127.0.0.1", "80")


# -- signals ---------------------------------------------------------------------------


def test_signal_handler_runs_on_the_loop() -> None:
    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        fut = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, fut.set_result, "usr1")
        os.kill(os.getpid(), signal.SIGUSR1)
        got = await fut
        return [got, loop.remove_signal_handler(signal.SIGUSR1)]

    with _runner() as runner:
        assert runner.run(main()) == ["usr1", True]
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1


def test_signal_wakes_a_loop_blocked_in_io_wait() -> None:
    async def main() -> str:
        loop = tether_asyncio.get_running_loop()
        fut = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR2, fut.set_result, "woken")
        # The loop has nothing to do until the signal arrives from a thread.
        threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGUSR2)).start()
        result: str = await fut
        return result

    with _runner() as runner:
        assert runner.run(main()) == "woken"
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL


def test_signal_handler_errors() -> None:
    async def coro_fn() -> None:
        pass

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        with pytest.raises(RuntimeError, match="sig 9 cannot be caught"):
            loop.add_signal_handler(signal.SIGKILL, print)
        with pytest.raises(ValueError, match="invalid signal number 0"):
            loop.add_signal_handler(0, print)
        with pytest.raises(TypeError, match="sig must be an int"):
            loop.add_signal_handler("SIGUSR1", print)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="coroutines cannot be used"):
            loop.add_signal_handler(signal.SIGUSR1, coro_fn)
        assert loop.remove_signal_handler(signal.SIGUSR1) is False

        def from_thread() -> str:
            try:
                loop.add_signal_handler(signal.SIGUSR1, print)
            except RuntimeError as exc:
                return str(exc)
            return "no error"

        message = await tether_asyncio.to_thread(from_thread)
        assert "main thread" in message

    with _runner() as runner:
        runner.run(main())
    assert signal.set_wakeup_fd(-1) == -1


def test_signal_before_the_loop_ever_runs() -> None:
    loop = tether_asyncio.TetherLoop()
    got: list[str] = []
    try:

        def on_signal() -> None:
            got.append("usr1")
            loop.stop()

        loop.add_signal_handler(signal.SIGUSR1, on_signal)
        os.kill(os.getpid(), signal.SIGUSR1)
        loop.run_forever()
        assert got == ["usr1"]
    finally:
        loop.close()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1


def test_close_removes_signal_handlers() -> None:
    loop = tether_asyncio.TetherLoop()
    loop.add_signal_handler(signal.SIGUSR1, print)
    loop.add_signal_handler(signal.SIGUSR2, print)
    assert sorted(loop._signal_handlers) == [signal.SIGUSR1, signal.SIGUSR2]
    loop.close()
    assert loop._signal_handlers == {}
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1


def test_abandoned_loop_puts_signals_back() -> None:
    loop = tether_asyncio.TetherLoop()
    loop.add_signal_handler(signal.SIGUSR1, print)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        del loop
        gc.collect()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1
