"""start_server's errors: an address in use, bad argument combinations,
and keyword arguments a version does not have."""

import asyncio
import socket


async def handle(reader, writer):
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, reuse_address=False)
    port = server.sockets[0].getsockname()[1]
    try:
        await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=False)
    except OSError as exc:
        print("in use:", type(exc).__name__, exc.errno, str(exc).replace(str(port), "PORT"))
    calls = [
        ("ssl=True", {"ssl": True}),
        ("handshake timeout", {"ssl_handshake_timeout": 1}),
        ("shutdown timeout", {"ssl_shutdown_timeout": 1}),
        ("host and sock", {"sock": socket.socket()}),
        ("bogus", {"bogus": True}),
        ("keep_alive", {"keep_alive": True}),
    ]
    for name, kwargs in calls:
        try:
            extra = await asyncio.start_server(handle, "127.0.0.1", 0, **kwargs)
        except Exception as exc:
            print(name, "->", type(exc).__name__, exc)
        else:
            print(name, "-> accepted", extra.is_serving())
            extra.close()
            await extra.wait_closed()
    try:
        await asyncio.start_server(handle)
    except ValueError as exc:
        print("nothing ->", exc)
    udp = socket.socket(type=socket.SOCK_DGRAM)
    try:
        await asyncio.start_server(handle, sock=udp)
    except ValueError as exc:
        print("udp ->", str(exc).split(",")[0])
    udp.close()
    try:
        await asyncio.start_server(handle, "127.0.0.1", 0, limit=-1)
    except ValueError as exc:
        print("limit -1 at connection time ->", exc)
    else:
        print("limit -1 accepted until a connection arrives")
    server.close()
    await server.wait_closed()
    many = await asyncio.start_server(handle, ["127.0.0.1", "127.0.0.1"], 0)
    print("hosts listed twice bind", len(many.sockets))
    many.close()
    await many.wait_closed()


asyncio.run(main())
