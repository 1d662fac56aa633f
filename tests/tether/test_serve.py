"""serve_tcp / serve_listeners / open_tcp_listeners."""

from __future__ import annotations

import errno
import functools
import logging

import pytest

import tether
import tether.socket as tsocket
from tether.testing import MockClock, wait_all_tasks_blocked


@pytest.fixture
def autojump_clock() -> MockClock:
    return MockClock(autojump_threshold=0)


async def echo(stream: tether.SocketStream) -> None:
    async for chunk in stream:
        await stream.send_all(chunk)


async def test_serve_tcp_echo() -> None:
    async with tether.open_nursery() as nursery:
        listeners = await nursery.start(tether.serve_tcp, echo, 0)
        families = {listener.socket.family for listener in listeners}
        assert tsocket.AF_INET in families
        for listener in listeners:
            host = "127.0.0.1" if listener.socket.family == tsocket.AF_INET else "::1"
            port = listener.socket.getsockname()[1]
            async with await tether.open_tcp_stream(host, port) as stream:
                await stream.send_all(b"ping")
                assert await stream.receive_some() == b"ping"
        nursery.cancel_scope.cancel()
    for listener in listeners:
        assert listener.socket.fileno() == -1


async def test_open_tcp_listeners_options() -> None:
    listeners = await tether.open_tcp_listeners(0, host="127.0.0.1", backlog=5)
    async with listeners[0] as listener:
        assert len(listeners) == 1
        sock = listener.socket
        assert sock.getsockopt(tsocket.SOL_SOCKET, tsocket.SO_REUSEADDR)
        assert sock.getsockname()[0] == "127.0.0.1"
    with pytest.raises(TypeError):
        await tether.open_tcp_listeners("80")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await tether.open_tcp_listeners(0, backlog="5")  # type: ignore[arg-type]
    # Binding a port that is taken fails, and closes what it opened.
    async with (await tether.open_tcp_listeners(0, host="127.0.0.1"))[0] as taken:
        port = taken.socket.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            await tether.open_tcp_listeners(port, host="127.0.0.1")


async def test_ipv6_only_listener() -> None:
    try:
        listeners = await tether.open_tcp_listeners(0, host="::1")
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    async with listeners[0] as listener:
        assert listener.socket.getsockopt(tsocket.IPPROTO_IPV6, tsocket.IPV6_V6ONLY)
        port = listener.socket.getsockname()[1]
        async with (
            await tether.open_tcp_stream("::1", port) as client,
            await listener.accept() as server,
        ):
            await client.send_all(b"6")
            assert await server.receive_some() == b"6"


class FakeStream(tether.abc.AsyncResource):
    closed = False

    async def aclose(self) -> None:
        self.closed = True


class FakeListener(tether.abc.Listener[FakeStream]):
    def __init__(self, errors: list[OSError]) -> None:
        self.errors = errors
        self.accepted: list[FakeStream] = []
        self.closed = False

    async def accept(self) -> FakeStream:
        await tether.lowlevel.checkpoint()
        if self.errors:
            raise self.errors.pop(0)
        if len(self.accepted) >= 2:
            await tether.sleep_forever()
        stream = FakeStream()
        self.accepted.append(stream)
        return stream

    async def aclose(self) -> None:
        self.closed = True


async def test_serve_listeners_survives_emfile(
    autojump_clock: MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    listener = FakeListener(
        [OSError(errno.EMFILE, "Too many open files"), OSError(errno.ENOBUFS, "no buffers")]
    )
    handled: list[FakeStream] = []

    async def handler(stream: FakeStream) -> None:
        handled.append(stream)

    start = tether.current_time()
    with caplog.at_level(logging.ERROR, logger="tether.serve_listeners"):
        async with tether.open_nursery() as nursery:
            result = await nursery.start(tether.serve_listeners, handler, [listener])
            assert result == [listener]
            await wait_all_tasks_blocked()
            await tether.sleep(1)
            nursery.cancel_scope.cancel()
    assert tether.current_time() - start >= 0.2  # slept 100 ms after each error
    assert handled == listener.accepted
    assert len(handled) == 2
    assert all(stream.closed for stream in handled)  # closed after the handler
    assert listener.closed
    messages = [record.getMessage() for record in caplog.records]
    assert any("EMFILE" in m for m in messages)
    assert any("ENOBUFS" in m for m in messages)
    assert all(record.exc_info for record in caplog.records)


async def test_serve_listeners_other_errors_propagate() -> None:
    listener = FakeListener([OSError(errno.EINVAL, "bad")])

    async def handler(stream: FakeStream) -> None:
        raise AssertionError("never called")

    with pytest.RaisesGroup(pytest.RaisesExc(OSError, match="bad"), flatten_subgroups=True):
        await tether.serve_listeners(handler, [listener])
    assert listener.closed


async def test_handler_nursery() -> None:
    listener = FakeListener([])
    seen: list[FakeStream] = []

    async def handler(stream: FakeStream) -> None:
        seen.append(stream)

    async with tether.open_nursery() as handlers, tether.open_nursery() as nursery:
        await nursery.start(
            functools.partial(tether.serve_listeners, handler_nursery=handlers), handler, [listener]
        )
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert len(seen) == 2
