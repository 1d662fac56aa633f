"""open_connection's errors: a refused connection, and bad arguments
(stock's exception types and messages)."""

import asyncio
import socket


def show(exc):
    return f"{type(exc).__name__}: {exc}"


async def main():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError as exc:
        print(
            "refused:",
            exc.errno,
            str(exc).startswith("[Errno 111] Connect call failed ('127.0.0.1', "),
        )
    calls = [
        ("sock and host", lambda: asyncio.open_connection("127.0.0.1", port, sock=socket.socket())),
        ("nothing", lambda: asyncio.open_connection()),
        ("unknown kwarg", lambda: asyncio.open_connection("127.0.0.1", port, bogus=1)),
        ("limit 0", lambda: asyncio.open_connection("127.0.0.1", port, limit=0)),
        (
            "handshake timeout without ssl",
            lambda: asyncio.open_connection("127.0.0.1", port, ssl_handshake_timeout=1),
        ),
        (
            "shutdown timeout without ssl",
            lambda: asyncio.open_connection("127.0.0.1", port, ssl_shutdown_timeout=1),
        ),
        ("udp sock", lambda: asyncio.open_connection(sock=socket.socket(type=socket.SOCK_DGRAM))),
        (
            "bad local_addr",
            lambda: asyncio.open_connection("127.0.0.1", port, local_addr=("1.2.3.4", 0)),
        ),
        ("bad port", lambda: asyncio.open_connection("127.0.0.1", "notaport")),
    ]
    for name, call in calls:
        try:
            await call()
        except Exception as exc:
            text = show(exc)
            if name == "udp sock":
                text = text.split(",")[0]
            print(name, "->", text)
    try:
        await asyncio.open_connection("127.0.0.1", port, all_errors=True)
    except Exception as exc:
        print(
            "all_errors ->",
            type(exc).__name__,
            [type(e).__name__ for e in getattr(exc, "exceptions", [])],
        )


asyncio.run(main())
