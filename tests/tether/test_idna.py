"""IDNA 2008 host-name encoding and the optional ``tether[idna]`` extra.

Both paths are tested: with the ``idna`` package (installed by the ``test``
extra), names are encoded exactly as Trio encodes them; with ``idna`` hidden
(``sys.modules["idna"] = None`` in-process, or an import blocker in a
subprocess), ASCII names and numeric addresses still work and a non-ASCII
name raises an :exc:`ImportError` naming the extra.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest
import trio
import trio.abc
import trio.lowlevel
import trio.socket
import trio.testing
import trustme

import tether
import tether.socket as tsocket
import tether.testing
from tether.abc import HostnameResolver

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


HINT = 'pip install "tether[idna]"'

# Names whose IDNA 2003 (Python's "idna" codec) and IDNA 2008 encodings
# differ, names that need the UTS #46 mapping, and plain ones.
VALID_NAMES = [
    "example.com",
    "EXAMPLE.com",
    "127.0.0.1",
    "::1",
    "bücher.example",
    "straße.de",  # IDNA 2003: strasse.de, another host
    "ÉXAMPLE.com",  # UTS #46 lower-cases
    "ＡＢＣ．com",  # full-width letters and dot
    "ü.example.",  # trailing dot kept
    "Ⅻ.com",  # compatibility mapping
    "παράδειγμα.δοκιμή",
    "ς.gr",  # final sigma kept by IDNA 2008
]
INVALID_NAMES = [
    "a..bü",  # empty label
    "-ü.de",  # leading hyphen
    "ü" * 70 + ".de",  # label too long
    "\u200d.com",  # joiner without context
]


class RecordingResolver(HostnameResolver):
    """Records the hosts it is asked for and maps every name to 127.0.0.1."""

    def __init__(self) -> None:
        self.hosts: list[bytes | None] = []

    async def getaddrinfo(
        self,
        host: bytes | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, Any, int, str, tuple[str, int] | tuple[str, int, int, int]]]:
        self.hosts.append(host)
        return await tsocket.getaddrinfo("127.0.0.1", port, tsocket.AF_INET, type, proto, flags)

    async def getnameinfo(
        self, sockaddr: tuple[str, int] | tuple[str, int, int, int], flags: int
    ) -> tuple[str, str]:
        raise AssertionError("not used")


@pytest.fixture
def resolver() -> RecordingResolver:
    return RecordingResolver()


@pytest.fixture
def no_idna(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import idna`` fail, as when the extra is not installed."""
    monkeypatch.setitem(sys.modules, "idna", None)


def _check_hint(excinfo: pytest.ExceptionInfo[ImportError], hostname: str) -> None:
    message = str(excinfo.value)
    assert HINT in message
    assert repr(hostname) in message
    assert excinfo.value.name == "idna"
    assert isinstance(excinfo.value.__cause__, ImportError)


def _ca_and_server_context(identity: str) -> tuple[Any, ssl.SSLContext]:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(identity).configure_cert(server_ctx)
    return ca, server_ctx


# -- with the idna package ---------------------------------------------------------------


@pytest.mark.parametrize("name", VALID_NAMES)
def test_encode_hostname_matches_trio(name: str) -> None:
    assert tether.lowlevel.encode_hostname(name) == trio.lowlevel.encode_hostname(name)


def test_encode_hostname_is_idna_2008_not_2003() -> None:
    assert tether.lowlevel.encode_hostname("straße.de") == b"xn--strae-oqa.de"
    assert "straße.de".encode("idna") == b"strasse.de"  # what IDNA 2003 would say
    assert tether.lowlevel.encode_hostname("bücher.example") == b"xn--bcher-kva.example"


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_names_raise_like_trio(name: str) -> None:
    with pytest.raises(UnicodeError) as ours:
        tether.lowlevel.encode_hostname(name)
    with pytest.raises(UnicodeError) as theirs:
        trio.lowlevel.encode_hostname(name)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_getaddrinfo_hands_the_resolver_what_trio_does() -> None:
    """The same calls under tether and under trio, each with a recording resolver."""
    names = ["bücher.example", "straße.de", "ÉXAMPLE.com", "example.com", "127.0.0.1"]

    async def with_tether() -> list[bytes | None]:
        resolver = RecordingResolver()
        tsocket.set_custom_hostname_resolver(resolver)
        for name in names:
            await tsocket.getaddrinfo(name, 80)
        return resolver.hosts

    async def with_trio() -> list[bytes | None]:
        seen: list[bytes | None] = []

        class TrioResolver(trio.abc.HostnameResolver):
            async def getaddrinfo(
                self,
                host: bytes | None,
                port: bytes | str | int | None,
                family: int = 0,
                type: int = 0,
                proto: int = 0,
                flags: int = 0,
            ) -> list[Any]:
                seen.append(host)
                return []

            async def getnameinfo(
                self, sockaddr: tuple[str, int] | tuple[str, int, int, int], flags: int
            ) -> tuple[str, str]:
                raise AssertionError("not used")

        trio.socket.set_custom_hostname_resolver(TrioResolver())
        for name in names:
            await trio.socket.getaddrinfo(name, 80)
        return seen

    ours = tether.run(with_tether)
    theirs = trio.run(with_trio)
    assert ours == theirs
    # The numeric address never reached either resolver.
    assert ours == [b"xn--bcher-kva.example", b"xn--strae-oqa.de", b"xn--xample-9ua.com",
                    b"example.com"]  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "a..bü",  # invalid for IDNA 2003 too: the numeric-only first try reports it
        "\u0e33.th",  # valid IDNA 2003, but IDNA 2008 forbids a leading combining mark
    ],
)
def test_getaddrinfo_rejects_an_invalid_name_like_trio(name: str) -> None:
    async def with_tether() -> tuple[BaseException, list[bytes | None]]:
        resolver = RecordingResolver()
        tsocket.set_custom_hostname_resolver(resolver)
        with pytest.raises(UnicodeError) as excinfo:
            await tsocket.getaddrinfo(name, 80)
        return excinfo.value, resolver.hosts

    async def with_trio() -> BaseException:
        with pytest.raises(UnicodeError) as excinfo:
            await trio.socket.getaddrinfo(name, 80)
        return excinfo.value

    ours, hosts = tether.run(with_tether)
    theirs = trio.run(with_trio)
    assert hosts == []  # never resolved
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)


async def test_open_tcp_stream_connects_to_the_idna_2008_name(
    resolver: RecordingResolver,
) -> None:
    tsocket.set_custom_hostname_resolver(resolver)
    (listener,) = await tether.open_tcp_listeners(0, host="127.0.0.1")
    port = listener.socket.getsockname()[1]
    async with listener:
        client = await tether.open_tcp_stream("straße.de", port)
        server = await listener.accept()
        async with client, server:
            await client.send_all(b"hi")
            assert await server.receive_some(2) == b"hi"
    assert resolver.hosts == [trio.lowlevel.encode_hostname("straße.de")]


def test_sslstream_server_hostname_matches_trio() -> None:
    ctx = ssl.create_default_context()
    for name in ["bücher.example", "straße.de", "example.com"]:
        ours = tether.SSLStream(tether.testing.memory_stream_pair()[0], ctx, server_hostname=name)

        async def trio_hostname(name: str = name) -> str | None:
            stream = trio.SSLStream(trio.testing.memory_stream_pair()[0], ctx, server_hostname=name)
            hostname: str | None = stream.server_hostname
            return hostname

        assert ours.server_hostname == trio.run(trio_hostname)
    assert ours.server_hostname == "example.com"


async def _serve_tls_once(
    server_ctx: ssl.SSLContext, task_status: tether.TaskStatus[int] = tether.TASK_STATUS_IGNORED
) -> None:
    (listener,) = await tether.open_ssl_over_tcp_listeners(0, server_ctx, host="127.0.0.1")
    async with listener:
        transport = listener.transport_listener
        assert isinstance(transport, tether.SocketListener)
        task_status.started(transport.socket.getsockname()[1])
        stream = await listener.accept()
        async with stream:
            # BrokenResourceError: the client rejected our certificate.
            with contextlib.suppress(tether.BrokenResourceError):
                await stream.send_all(await stream.receive_some())


async def _connect_tls(name: str, ca: Any, run_server: Callable[[], Awaitable[int]]) -> str:
    port = await run_server()
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    stream = await tether.open_ssl_over_tcp_stream(name, port, ssl_context=client_ctx)
    async with stream:
        await stream.send_all(b"ping")
        assert await stream.receive_some() == b"ping"
        hostname = stream.server_hostname
        assert isinstance(hostname, str)
        return hostname


async def test_tls_verifies_the_idna_2008_name(resolver: RecordingResolver) -> None:
    """A certificate for xn--strae-oqa.de (straße.de in IDNA 2008) is accepted."""
    tsocket.set_custom_hostname_resolver(resolver)
    ca, server_ctx = _ca_and_server_context("straße.de")  # trustme encodes with idna too
    async with tether.open_nursery() as nursery:
        hostname = await _connect_tls(
            "straße.de", ca, lambda: nursery.start(_serve_tls_once, server_ctx)
        )
    assert hostname == "xn--strae-oqa.de"
    assert resolver.hosts == [b"xn--strae-oqa.de"]


async def test_tls_rejects_the_idna_2003_name(resolver: RecordingResolver) -> None:
    """A certificate for strasse.de (what IDNA 2003 would connect to) is refused."""
    tsocket.set_custom_hostname_resolver(resolver)
    ca, server_ctx = _ca_and_server_context("strasse.de")
    async with tether.open_nursery() as nursery:
        with pytest.raises(tether.BrokenResourceError) as excinfo:
            await _connect_tls("straße.de", ca, lambda: nursery.start(_serve_tls_once, server_ctx))
    assert isinstance(excinfo.value.__cause__, ssl.SSLCertVerificationError)
    assert "xn--strae-oqa.de" in str(excinfo.value.__cause__)


# -- without the idna package ------------------------------------------------------------


@pytest.mark.usefixtures("no_idna")
def test_encode_hostname_without_idna() -> None:
    assert tether.lowlevel.encode_hostname("example.com") == b"example.com"
    assert tether.lowlevel.encode_hostname("::1") == b"::1"
    with pytest.raises(ImportError) as excinfo:
        tether.lowlevel.encode_hostname("bücher.example")
    _check_hint(excinfo, "bücher.example")


@pytest.mark.usefixtures("no_idna")
async def test_getaddrinfo_without_idna(resolver: RecordingResolver) -> None:
    tsocket.set_custom_hostname_resolver(resolver)
    # Numeric and ASCII names need nothing.
    result = await tsocket.getaddrinfo("127.0.0.1", 80, type=tsocket.SOCK_STREAM)
    assert result[0][-1] == ("127.0.0.1", 80)
    await tsocket.getaddrinfo("example.com", 80)
    assert resolver.hosts == [b"example.com"]
    with pytest.raises(ImportError) as excinfo:
        await tsocket.getaddrinfo("bücher.example", 80)
    _check_hint(excinfo, "bücher.example")
    assert resolver.hosts == [b"example.com"]  # never got the unencodable name


@pytest.mark.usefixtures("no_idna")
async def test_open_tcp_stream_without_idna(resolver: RecordingResolver) -> None:
    tsocket.set_custom_hostname_resolver(resolver)
    (listener,) = await tether.open_tcp_listeners(0, host="127.0.0.1")
    port = listener.socket.getsockname()[1]
    async with listener:
        with pytest.raises(ImportError) as excinfo:
            await tether.open_tcp_stream("straße.de", port)
        _check_hint(excinfo, "straße.de")
        # An ASCII name (and an already-encoded one) still connects.
        for name in ["localhost.example", "xn--strae-oqa.de"]:
            client = await tether.open_tcp_stream(name, port)
            server = await listener.accept()
            await client.aclose()
            await server.aclose()
    assert resolver.hosts == [b"localhost.example", b"xn--strae-oqa.de"]


@pytest.mark.usefixtures("no_idna")
def test_sslstream_without_idna() -> None:
    ctx = ssl.create_default_context()
    transport = tether.testing.memory_stream_pair()[0]
    with pytest.raises(ImportError) as excinfo:
        tether.SSLStream(transport, ctx, server_hostname="bücher.example")
    _check_hint(excinfo, "bücher.example")
    names: list[str | bytes] = ["example.com", b"xn--bcher-kva.example"]
    for name in names:
        stream = tether.SSLStream(transport, ctx, server_hostname=name)
        assert stream.server_hostname in ("example.com", "xn--bcher-kva.example")


def test_tether_works_with_idna_not_installed() -> None:
    """In a fresh interpreter where ``import idna`` fails like a missing package.

    tether imports without it (and never imports it eagerly even when it is
    installed), ASCII names and numeric addresses resolve, and a non-ASCII
    name gets the ImportError naming the extra.
    """
    script = textwrap.dedent(
        """
        import importlib.abc, json, sys

        class NoIdna(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "idna" or name.startswith("idna."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, NoIdna())
        import ssl
        import tether, tether.socket, tether.lowlevel, tether.testing
        report = {"idna_imported": "idna" in sys.modules}

        async def main():
            info = await tether.socket.getaddrinfo("127.0.0.1", 80)
            report["numeric"] = info[0][-1][0]
            report["ascii"] = tether.lowlevel.encode_hostname("Example.COM").decode()
            try:
                await tether.socket.getaddrinfo("bücher.example", 80)
            except ImportError as exc:
                report["error"] = [type(exc).__name__, str(exc), exc.name]
            try:
                tether.SSLStream(tether.testing.memory_stream_pair()[0],
                                 ssl.create_default_context(),
                                 server_hostname="bücher.example")
            except ImportError as exc:
                report["ssl_error"] = str(exc)

        tether.run(main)
        print(json.dumps(report))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["idna_imported"] is False
    assert report["numeric"] == "127.0.0.1"
    assert report["ascii"] == "Example.COM"
    kind, message, name = report["error"]
    assert kind == "ImportError"
    assert HINT in message
    assert name == "idna"
    assert HINT in report["ssl_error"]


def test_import_tether_does_not_import_idna() -> None:
    script = "import sys, tether, tether.socket, tether.lowlevel; print('idna' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"
