"""open_tcp_stream: happy eyeballs, under virtual time with fake sockets."""

from __future__ import annotations

import socket as stdlib_socket
from typing import Any

import pytest

import tether
import tether.socket as tsocket
from tether._highlevel_open_tcp_stream import (
    format_host_port,
    reorder_for_rfc_6555_section_5_4,
)
from tether.abc import HostnameResolver, SocketFactory
from tether.testing import MockClock


@pytest.fixture
def autojump_clock() -> MockClock:
    return MockClock(autojump_threshold=0)


def test_reorder_for_rfc_6555() -> None:
    def entries(*families: int) -> list[Any]:
        return [(f, 1, 6, "", (str(i), 80)) for i, f in enumerate(families)]

    v4, v6 = stdlib_socket.AF_INET, stdlib_socket.AF_INET6
    targets = entries(v6, v6, v6, v4, v4)
    reorder_for_rfc_6555_section_5_4(targets)
    assert [t[4][0] for t in targets] == ["0", "3", "1", "2", "4"]
    targets = entries(v4, v4)
    reorder_for_rfc_6555_section_5_4(targets)
    assert [t[4][0] for t in targets] == ["0", "1"]
    assert format_host_port("::1", 80) == "[::1]:80"
    assert format_host_port(b"example.com", "80") == "example.com:80"


# -- fakes -----------------------------------------------------------------------------


class FakeSocket(tsocket.SocketType):
    def __init__(self, scenario: Scenario, family: int, type: int, proto: int) -> None:
        super().__init__()
        self.scenario = scenario
        self._family = family
        self._type = type
        self._proto = proto
        self.closed = False
        self.bound: Any = None
        self.opts: dict[tuple[int, int], Any] = {}

    @property
    def family(self) -> stdlib_socket.AddressFamily:
        return stdlib_socket.AddressFamily(self._family)

    @property
    def type(self) -> stdlib_socket.SocketKind:
        return stdlib_socket.SocketKind(self._type)

    @property
    def proto(self) -> int:
        return self._proto

    def fileno(self) -> int:
        return -1 if self.closed else 99

    def setsockopt(self, level: int, optname: int, value: Any, optlen: int | None = None) -> None:
        self.opts[level, optname] = value

    def getsockopt(self, level: int, optname: int, buflen: int | None = None) -> Any:
        return self.opts.get((level, optname), 0)

    async def bind(self, address: Any) -> None:
        if address[0] == "1.1.1.1" and self._family == stdlib_socket.AF_INET6:
            raise OSError("wrong family")
        self.bound = address

    async def connect(self, address: Any) -> None:
        host = address[0]
        self.scenario.attempts.append((host, tether.current_time()))
        delay, ok = self.scenario.behaviour[host]
        try:
            await tether.sleep(delay)
        except tether.Cancelled:
            self.scenario.cancelled.append(host)
            raise
        if not ok:
            raise OSError(f"{host} refused")
        self.scenario.connected.append(host)

    def close(self) -> None:
        self.closed = True


class Scenario(HostnameResolver, SocketFactory):
    def __init__(self, port: int, ips: list[str], behaviour: dict[str, tuple[float, bool]]):
        self.port = port
        self.ips = ips
        self.behaviour = behaviour
        self.sockets: list[FakeSocket] = []
        self.attempts: list[tuple[str, float]] = []
        self.cancelled: list[str] = []
        self.connected: list[str] = []

    async def getaddrinfo(
        self,
        host: bytes | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[Any]:
        assert host == b"test.example.com"
        result: list[Any] = []
        for ip in self.ips:
            if ":" in ip:
                result.append((stdlib_socket.AF_INET6, type, 6, "", (ip, port, 0, 0)))
            else:
                result.append((stdlib_socket.AF_INET, type, 6, "", (ip, port)))
        return result

    async def getnameinfo(self, sockaddr: Any, flags: int) -> tuple[str, str]:
        raise NotImplementedError

    def socket(
        self, family: int | None = None, type: int | None = None, proto: int | None = None
    ) -> tsocket.SocketType:
        assert family is not None
        assert type is not None
        assert proto is not None
        sock = FakeSocket(self, family, type, proto)
        self.sockets.append(sock)
        return sock


async def run_scenario(
    ips: list[str],
    behaviour: dict[str, tuple[float, bool]],
    **kwargs: Any,
) -> tuple[Scenario, FakeSocket | BaseException]:
    scenario = Scenario(80, ips, behaviour)
    tsocket.set_custom_hostname_resolver(scenario)
    tsocket.set_custom_socket_factory(scenario)
    try:
        stream = await tether.open_tcp_stream("test.example.com", 80, **kwargs)
    except OSError as exc:
        result: FakeSocket | BaseException = exc
    else:
        assert isinstance(stream.socket, FakeSocket)
        result = stream.socket
    finally:
        tsocket.set_custom_hostname_resolver(None)
        tsocket.set_custom_socket_factory(None)
    for sock in scenario.sockets:
        assert sock.closed == (sock is not result)
    return scenario, result


async def test_first_address_wins_fast(autojump_clock: MockClock) -> None:
    start = tether.current_time()
    scenario, sock = await run_scenario(["1.1.1.1", "::1"], {"1.1.1.1": (0.1, True)})
    assert isinstance(sock, FakeSocket)
    assert scenario.attempts == [("1.1.1.1", start)]
    assert tether.current_time() - start == pytest.approx(0.1)


async def test_slow_first_address_starts_the_next_after_the_delay(
    autojump_clock: MockClock,
) -> None:
    start = tether.current_time()
    scenario, sock = await run_scenario(
        ["::1", "::2", "1.1.1.1", "1.1.1.2"],
        {"::1": (10, True), "1.1.1.1": (10, True), "::2": (0.1, True)},
    )
    # Reordered: ::1, 1.1.1.1, ::2 ... each 0.25 s apart; ::2 wins at 0.6.
    assert [(h, round(t - start, 6)) for h, t in scenario.attempts] == [
        ("::1", 0.0),
        ("1.1.1.1", 0.25),
        ("::2", 0.5),
    ]
    assert isinstance(sock, FakeSocket)
    assert scenario.connected == ["::2"]
    assert sorted(scenario.cancelled) == ["1.1.1.1", "::1"]
    assert tether.current_time() - start == pytest.approx(0.6)


async def test_failure_starts_the_next_at_once(autojump_clock: MockClock) -> None:
    start = tether.current_time()
    scenario, sock = await run_scenario(
        ["1.1.1.1", "1.1.1.2", "1.1.1.3"],
        {"1.1.1.1": (0.1, False), "1.1.1.2": (0.05, False), "1.1.1.3": (0.2, True)},
        happy_eyeballs_delay=1,
    )
    assert [(h, round(t - start, 6)) for h, t in scenario.attempts] == [
        ("1.1.1.1", 0.0),
        ("1.1.1.2", 0.1),
        ("1.1.1.3", 0.15),
    ]
    assert isinstance(sock, FakeSocket)


async def test_all_fail(autojump_clock: MockClock) -> None:
    _scenario, exc = await run_scenario(
        ["1.1.1.1", "::1"], {"1.1.1.1": (0.5, False), "::1": (0.1, False)}
    )
    assert isinstance(exc, OSError)
    assert "all attempts to connect to test.example.com:80 failed" in str(exc)
    group = exc.__cause__
    assert isinstance(group, ExceptionGroup)
    assert sorted(str(e) for e in group.exceptions) == ["1.1.1.1 refused", "::1 refused"]


async def test_none_delay_means_default(autojump_clock: MockClock) -> None:
    start = tether.current_time()
    scenario, _ = await run_scenario(
        ["1.1.1.1", "1.1.1.2"],
        {"1.1.1.1": (10, True), "1.1.1.2": (0, True)},
        happy_eyeballs_delay=None,
    )
    assert scenario.attempts[1][1] - start == pytest.approx(0.25)


async def test_local_address(autojump_clock: MockClock) -> None:
    _scenario, sock = await run_scenario(
        ["::1", "1.1.1.1"],
        {"::1": (0, True), "1.1.1.1": (0, True)},
        local_address="1.1.1.1",
    )
    # The IPv6 attempt cannot bind an IPv4 local address: it fails, IPv4 wins.
    assert isinstance(sock, FakeSocket)
    assert sock.bound == ("1.1.1.1", 0)
    assert sock.opts[tsocket.IPPROTO_IP, tsocket.IP_BIND_ADDRESS_NO_PORT] == 1


async def test_argument_checks() -> None:
    with pytest.raises(ValueError, match="host"):
        await tether.open_tcp_stream(123, 80)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="port"):
        await tether.open_tcp_stream("127.0.0.1", "80")  # type: ignore[arg-type]


async def test_real_connect_and_refused() -> None:
    listeners = await tether.open_tcp_listeners(0, host="127.0.0.1")
    async with listeners[0] as listener:
        port = listener.socket.getsockname()[1]
        stream = await tether.open_tcp_stream("127.0.0.1", port, local_address="127.0.0.1")
        async with stream, await listener.accept() as server:
            assert stream.socket.getsockname()[0] == "127.0.0.1"
            await stream.send_all(b"x")
            assert await server.receive_some() == b"x"
    # The listener is closed now: refused.
    with pytest.raises(OSError, match="all attempts") as info:
        await tether.open_tcp_stream("127.0.0.1", port)
    assert isinstance(info.value.__cause__, ExceptionGroup)
    assert isinstance(info.value.__cause__.exceptions[0], ConnectionRefusedError)


async def test_cancelled_open_tcp_stream_leaks_nothing(autojump_clock: MockClock) -> None:
    scenario = Scenario(80, ["1.1.1.1", "1.1.1.2"], {"1.1.1.1": (10, True), "1.1.1.2": (10, True)})
    tsocket.set_custom_hostname_resolver(scenario)
    tsocket.set_custom_socket_factory(scenario)
    try:
        with tether.move_on_after(1) as scope:
            await tether.open_tcp_stream("test.example.com", 80)
    finally:
        tsocket.set_custom_hostname_resolver(None)
        tsocket.set_custom_socket_factory(None)
    assert scope.cancelled_caught
    assert len(scenario.sockets) == 2
    assert all(sock.closed for sock in scenario.sockets)
