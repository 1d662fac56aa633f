"""A TCP echo server and a few clients, on loopback.

Written against Trio's API: it runs the same with ``import trio as tether``.

The server listens on an ephemeral port (``serve_tcp`` with port 0, started
with ``nursery.start`` so we learn the port once it is listening) and echoes
whatever each connection sends, upper-cased. Three clients connect
concurrently, each sends its lines and reads the answers back. When they are
done, cancelling the nursery stops the server, closing its connections.
"""

from __future__ import annotations

import functools

import tether

CLIENTS = {
    "alice": [b"hello", b"how are you"],
    "bob": [b"structured", b"concurrency"],
    "carol": [b"bye"],
}


async def echo_handler(stream: tether.SocketStream) -> None:
    async with stream:
        async for data in stream:
            await stream.send_all(data.upper())


async def client(port: int, name: str, lines: list[bytes], log: dict[str, list[str]]) -> None:
    stream = await tether.open_tcp_stream("127.0.0.1", port)
    async with stream:
        for line in lines:
            await stream.send_all(line)
            answer = b""
            while len(answer) < len(line):
                chunk = await stream.receive_some()
                if not chunk:
                    raise RuntimeError("server closed the connection early")
                answer += chunk
            log[name].append(f"{line.decode()} -> {answer.decode()}")


async def main() -> dict[str, list[str]]:
    log: dict[str, list[str]] = {name: [] for name in CLIENTS}
    async with tether.open_nursery() as nursery:
        serve = functools.partial(tether.serve_tcp, host="127.0.0.1")
        listeners = await nursery.start(serve, echo_handler, 0)
        port = listeners[0].socket.getsockname()[1]
        print("echo server listening on 127.0.0.1 (an ephemeral port)")
        async with tether.open_nursery() as clients:
            for name, lines in CLIENTS.items():
                clients.start_soon(client, port, name, lines, log)
        nursery.cancel_scope.cancel()  # stop serving
    for name, entries in log.items():
        for entry in entries:
            print(f"  {name:6} {entry}")
    print(f"{sum(map(len, log.values()))} lines echoed; server stopped")
    return log


if __name__ == "__main__":
    tether.run(main)
