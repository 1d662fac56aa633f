"""Running out of file descriptors while accepting, for real.

Each scenario runs in a child process (this file, run as a script), so that
lowering ``RLIMIT_NOFILE`` there cannot hurt the test runner. The child lowers
the soft limit, fills the descriptor table with ``/dev/null`` descriptors
until ``EMFILE``, then frees exactly ``2 * N + 1`` of them: ``N`` loopback
connections (a client and an accepted socket each) fit, and the ``N + 1``-th
client socket takes the very last descriptor, so the server's ``accept`` of
that connection fails with ``EMFILE`` while the connection waits in the
listen queue. Nothing sleeps to synchronise: every step waits for an event
(a connection handed to the handler, an error logged), and time is a
``MockClock`` with ``autojump_threshold=0``, so the 100 ms back-off is
measured on the virtual clock.

The same scenarios run under Trio, whose observable behaviour tether
mirrors: ``SocketListener.accept`` propagates ``EMFILE`` as an ``OSError``
(the pending connection stays queued and is accepted once descriptors are
free), and ``serve_listeners`` logs the error, sleeps, and keeps serving.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import math
import os
import resource
import subprocess
import sys
from typing import Any

import pytest

# Connections that fit before the one whose accept fails.
N_CONNECTIONS = 3


def _open_fd_count() -> int:
    return len(os.listdir("/proc/self/fd")) - 1  # minus the listdir's own descriptor


class _Starved:
    """Fills the descriptor table, leaving exactly ``free`` descriptors."""

    def __init__(self, free: int) -> None:
        self.soft, self.hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        # A small limit keeps the filling quick; it is restored in release().
        resource.setrlimit(resource.RLIMIT_NOFILE, (_open_fd_count() + 64, self.hard))
        self.fillers: list[int] = []
        while True:
            try:
                self.fillers.append(os.open(os.devnull, os.O_RDONLY))
            except OSError as exc:
                if exc.errno != errno.EMFILE:
                    raise
                break
        for _ in range(free):
            os.close(self.fillers.pop())

    def release(self) -> None:
        while self.fillers:
            os.close(self.fillers.pop())
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.soft, self.hard))


class _RecordingHandler(logging.Handler):
    def __init__(self, on_record: Any) -> None:
        super().__init__()
        self.on_record = on_record

    def emit(self, record: logging.LogRecord) -> None:
        self.on_record(record)


async def _serve_scenario(lib: Any) -> dict[str, Any]:
    """serve_tcp on loopback through an EMFILE: logged, backed off, still serving."""
    report: dict[str, Any] = {}
    events_in, events_out = lib.open_memory_channel(math.inf)
    logger = logging.getLogger(f"{lib.__name__}.serve_listeners")
    logger.propagate = False  # no stderr output (formatting it would need descriptors)
    records: list[logging.LogRecord] = []

    def on_record(record: logging.LogRecord) -> None:
        records.append(record)
        events_in.send_nowait(("logged", lib.current_time()))

    logger.addHandler(_RecordingHandler(on_record))
    accepted = 0

    async def echo(stream: Any) -> None:
        nonlocal accepted
        accepted += 1
        events_in.send_nowait(("accepted", lib.current_time()))
        async for chunk in stream:
            await stream.send_all(chunk)

    fds_before = _open_fd_count()
    clients: list[Any] = []
    async with lib.open_nursery() as nursery:
        serve = functools.partial(lib.serve_tcp, host="127.0.0.1")
        listeners = await nursery.start(serve, echo, 0)
        port = listeners[0].socket.getsockname()[1]
        starved = _Starved(free=2 * N_CONNECTIONS + 1)
        try:
            sequence: list[str] = []
            for _ in range(N_CONNECTIONS + 1):
                clients.append(await lib.open_tcp_stream("127.0.0.1", port))
                kind, failed_at = await events_out.receive()
                sequence.append(kind)
            report["sequence"] = sequence
            # Out of descriptors: the server must not have crashed, and is
            # sleeping before it retries (nothing else happens until then).
            report["listener_open"] = listeners[0].socket.fileno() != -1
        finally:
            starved.release()  # descriptors free again
        kind, accepted_at = await events_out.receive()
        report["after_release"] = kind
        report["backed_off_for_at_least_100ms"] = accepted_at - failed_at >= 0.1
        # The connection that waited in the queue is served, and so are new ones.
        clients.append(await lib.open_tcp_stream("127.0.0.1", port))
        report["new_connection"] = (await events_out.receive())[0]
        echoes = []
        for index, client in enumerate(clients):
            await client.send_all(b"ping %d" % index)
            echoes.append((await client.receive_some()).decode())
        report["echoes"] = echoes
        for client in clients:
            await client.aclose()
        nursery.cancel_scope.cancel()
    # Nothing escaped the nursery; check what was logged.
    report["records"] = [
        {
            "level": record.levelname,
            "mentions_emfile": "EMFILE" in record.getMessage(),
            "exc_errno": record.exc_info[1].errno
            if record.exc_info and isinstance(record.exc_info[1], OSError)
            else None,
        }
        for record in records
    ]
    report["accepted"] = accepted
    report["fds_leaked"] = _open_fd_count() - fds_before
    return report


async def _listener_scenario(lib: Any) -> dict[str, Any]:
    """SocketListener.accept when the process is out of descriptors."""
    report: dict[str, Any] = {}
    fds_before = _open_fd_count()
    (listener,) = await lib.open_tcp_listeners(0, host="127.0.0.1")
    port = listener.socket.getsockname()[1]
    starved = _Starved(free=1)
    try:
        client = await lib.open_tcp_stream("127.0.0.1", port)  # takes the last descriptor
        try:
            await listener.accept()
        except OSError as exc:
            report["error"] = [type(exc).__name__, exc.errno]
        else:
            report["error"] = None
    finally:
        starved.release()
    # The listener is intact and the queued connection is still there.
    server = await listener.accept()
    await client.send_all(b"hello")
    report["received"] = (await server.receive_some()).decode()
    await client.aclose()
    await server.aclose()
    await listener.aclose()
    report["fds_leaked"] = _open_fd_count() - fds_before
    return report


def _child(scenario: str, library: str) -> None:
    if library == "trio":
        import trio
        import trio.testing

        lib: Any = trio
        clock: Any = trio.testing.MockClock(autojump_threshold=0)
    else:
        import tether
        import tether.testing

        lib = tether
        clock = tether.testing.MockClock(autojump_threshold=0)
    main = {"serve": _serve_scenario, "listener": _listener_scenario}[scenario]
    print(json.dumps(lib.run(main, lib, clock=clock)))


def _run_child(scenario: str, library: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, scenario, library],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_serve_tcp_backs_off_on_emfile_and_keeps_serving() -> None:
    report = _run_child("serve", "tether")
    assert report["sequence"] == ["accepted"] * N_CONNECTIONS + ["logged"]
    assert report["listener_open"] is True
    assert report["after_release"] == "accepted"
    assert report["backed_off_for_at_least_100ms"] is True
    assert report["new_connection"] == "accepted"
    assert report["echoes"] == [f"ping {i}" for i in range(N_CONNECTIONS + 2)]
    # Exactly one failure: the retry came after the descriptors were freed.
    assert report["records"] == [
        {"level": "ERROR", "mentions_emfile": True, "exc_errno": errno.EMFILE}
    ]
    assert report["accepted"] == N_CONNECTIONS + 2
    assert report["fds_leaked"] == 0


def test_serve_tcp_on_emfile_matches_trio() -> None:
    pytest.importorskip("trio")
    assert _run_child("serve", "tether") == _run_child("serve", "trio")


def test_socket_listener_accept_propagates_emfile() -> None:
    report = _run_child("listener", "tether")
    assert report == {"error": ["OSError", errno.EMFILE], "received": "hello", "fds_leaked": 0}


def test_socket_listener_accept_on_emfile_matches_trio() -> None:
    pytest.importorskip("trio")
    assert _run_child("listener", "tether") == _run_child("listener", "trio")


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
