"""Plain stream connections move their bytes with readiness watches, not tasks.

An idle plain TCP or Unix connection has no tether task: a persistent read
watch feeds its StreamReader, a write watch exists only while data is
unsent, and the write buffer, the drain waiters and the ``wait_closed()``
future are made only when needed. These tests bound what an idle
connection costs and check the paths that differ from a task's: watches
made or dropped from outside the running loop, the write watch coming and
going, and a connection still open when its loop goes away.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import socket
import subprocess
import tracemalloc
import warnings
from typing import TYPE_CHECKING, Any

import tether.lowlevel
import tether_asyncio

if TYPE_CHECKING:
    from collections.abc import Iterator

# Both ends of one idle connection (transports, protocols, readers, writers,
# sockets, watches), as tracemalloc counts them: about 3.9 KiB on 3.11-3.13
# (stock asyncio: 6.3-8.3 KiB; with a tether task per connection, as before
# the watches, about 20 KiB). The bound leaves room for small changes.
PAIR_BYTES_BOUND = 6 * 1024


def _open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


@contextlib.contextmanager
def _no_fd_left_behind() -> Iterator[None]:
    before = _open_fds()
    yield
    gc.collect()
    assert _open_fds() - before == set()


def _small_buffer_socket(port: int) -> socket.socket:
    """A connected client socket with the smallest send buffer, so that a
    large write leaves data unsent until the peer reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def _drop_and_collect(objects: list[Any]) -> None:
    objects.clear()
    gc.collect()


def test_idle_connections_have_no_task_and_a_bounded_size() -> None:
    count = 200

    async def main() -> tuple[int, int, float]:
        kept: list[tuple[Any, Any]] = []

        def on_connect(reader: Any, writer: Any) -> None:  # a plain callback: no Task
            kept.append((reader, writer))

        server = await tether_asyncio.start_server(on_connect, "127.0.0.1", 0, backlog=count)
        port = server.sockets[0].getsockname()[1]
        # One connection first, so that whatever is made once is not counted.
        first = await tether_asyncio.open_connection("127.0.0.1", port)
        while not kept:
            await tether_asyncio.sleep(0.001)
        for _ in range(3):
            await tether_asyncio.sleep(0)
        gc.collect()
        tasks_before = tether.lowlevel.current_statistics().tasks_living
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            pairs = [await tether_asyncio.open_connection("127.0.0.1", port) for _ in range(count)]
            while len(kept) < count + 1:
                await tether_asyncio.sleep(0.001)
            for _ in range(3):
                await tether_asyncio.sleep(0)
            gc.collect()
            per_pair = (tracemalloc.get_traced_memory()[0] - base) / count
        finally:
            tracemalloc.stop()
        tasks_after = tether.lowlevel.current_statistics().tasks_living
        # Every connection is alive and watched for reading.
        assert all("read=polling" in repr(writer.transport) for _, writer in pairs)
        assert all("read=polling" in repr(writer.transport) for _, writer in kept)
        for _, writer in [*pairs, first, *kept]:
            writer.close()
        for _, writer in [*pairs, first, *kept]:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return tasks_before, tasks_after, per_pair

    with _no_fd_left_behind():
        tasks_before, tasks_after, per_pair = tether_asyncio.run(main())
    assert tasks_after == tasks_before
    assert per_pair < PAIR_BYTES_BOUND, f"{per_pair:.0f} bytes per idle connection pair"


def test_the_write_watch_exists_only_while_data_is_unsent() -> None:
    size = 1024 * 1024

    async def main() -> list[Any]:
        seen: list[Any] = []
        release = tether_asyncio.Event()
        received = tether_asyncio.Future()

        async def handle(reader: Any, writer: Any) -> None:
            await release.wait()
            received.set_result(len(await reader.readexactly(size)))
            writer.close()
            await writer.wait_closed()

        server = await tether_asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await tether_asyncio.open_connection(sock=_small_buffer_socket(port))
        transport = writer.transport
        seen.append("write=<idle, bufsize=0>" in repr(transport))
        writer.write(b"x" * size)
        buffered = transport.get_write_buffer_size()
        seen.append(0 < buffered < size)
        seen.append("write=<polling" in repr(transport))
        release.set()
        await writer.drain()  # the peer reads: below the low-water mark
        seen.append(await received)
        seen.append(transport.get_write_buffer_size())
        seen.append("write=<idle, bufsize=0>" in repr(transport))
        seen.append(await reader.read())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return seen

    with _no_fd_left_behind():
        assert tether_asyncio.run(main()) == [True, True, True, size, 0, True, b""]


def test_reading_paused_and_resumed_and_writing_from_outside_the_running_loop() -> None:
    """Watches are made inside the run: a call made while the loop is not
    running takes effect when it runs next."""
    size = 1024 * 1024
    loop = tether_asyncio.new_event_loop()
    peer: list[Any] = []

    async def handle(reader: Any, writer: Any) -> None:
        peer.append((reader, writer))

    async def start() -> tuple[Any, Any, Any]:
        server = await tether_asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await tether_asyncio.open_connection(sock=_small_buffer_socket(port))
        while not peer:
            await tether_asyncio.sleep(0.001)
        return server, reader, writer

    async def settle() -> None:
        for _ in range(5):
            await tether_asyncio.sleep(0)

    async def peer_sends(data: bytes) -> None:
        peer[0][1].write(data)
        await peer[0][1].drain()

    with _no_fd_left_behind():
        try:
            server, reader, writer = loop.run_until_complete(start())
            transport = writer.transport
            transport.pause_reading()  # (outside the loop)
            assert not transport.is_reading()
            loop.run_until_complete(peer_sends(b"hello"))
            fd = transport.get_extra_info("socket").fileno()
            assert select.select([fd], [], [], 10)[0] == [fd]  # the bytes are there
            loop.run_until_complete(settle())
            assert "bytes" not in repr(reader)  # nothing was read while paused
            transport.resume_reading()  # (outside the loop)
            assert loop.run_until_complete(reader.read(5)) == b"hello"

            # A write the kernel does not take at once, from outside the loop.
            writer.write(b"y" * size)
            assert transport.get_write_buffer_size() > 0

            async def peer_reads() -> int:
                data = await peer[0][0].readexactly(size)
                await writer.drain()
                return len(data)

            assert loop.run_until_complete(peer_reads()) == size
            assert transport.get_write_buffer_size() == 0

            async def close_all() -> None:
                writer.close()
                peer[0][1].close()
                await writer.wait_closed()
                await peer[0][1].wait_closed()
                server.close()
                await server.wait_closed()

            loop.run_until_complete(close_all())
        finally:
            loop.close()


def test_connections_and_pipes_open_when_the_loop_closes_are_closed_with_it() -> None:
    """As stock asyncio's loop drops them when it closes (its selector goes),
    and they close with a ResourceWarning: here, at once, before any
    garbage collection."""
    kept: list[Any] = []
    fds: list[int] = []

    async def main() -> None:
        server = await tether_asyncio.start_server(
            lambda reader, writer: kept.append(writer), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        kept.append(await tether_asyncio.open_connection("127.0.0.1", port))
        while len(kept) < 2:
            await tether_asyncio.sleep(0.001)
        proc: Any = await tether_asyncio.create_subprocess_exec(
            "cat", stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        kept.append(proc)
        fds.append(kept[0].get_extra_info("socket").fileno())
        fds.append(kept[1][1].get_extra_info("socket").fileno())
        fds.append(proc.stdin.get_extra_info("pipe").fileno())
        fds.append(proc.stdout._transport.get_extra_info("pipe").fileno())
        server.close()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tether_asyncio.run(main())
        # The sockets and the pipes are closed (nothing has run since).
        assert _open_fds() & set(fds) == set()
        unclosed = [str(w.message) for w in caught if "unclosed transport" in str(w.message)]
        # The child saw its stdin close, so cat ends: reap it.
        child = kept[-1]._transport.get_extra_info("subprocess")
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        assert child.poll() == 0
        del child
        # (The writers warn too, as stock's do; the records keep what they
        # warn about alive, so they go first.)
        caught.clear()
        _drop_and_collect(kept)
        caught.clear()
    assert sum("_SocketTransport" in message for message in unclosed) == 2
    assert sum("PipeTransport" in message for message in unclosed) == 2
