"""Unix-domain sockets in a temporary directory: echo, addresses, a stale
socket file, and what happens to the file when the server closes (3.13
removes it)."""

import asyncio
import os
import socket
import tempfile


async def handle(reader, writer):
    print(
        "server peer",
        repr(writer.get_extra_info("peername")),
        "sock",
        writer.get_extra_info("sockname")[-4:],
    )
    data = await reader.read()
    writer.write(data[::-1])
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "echo.sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        print("stale file exists", os.path.exists(path))  # noqa: ASYNC240
        server = await asyncio.start_unix_server(handle, path)
        print("server sockets", len(server.sockets), server.sockets[0].family.name)
        reader, writer = await asyncio.open_unix_connection(path)
        print("client peer", writer.get_extra_info("peername")[-4:])
        sock = writer.get_extra_info("socket")
        print("socket", type(sock).__name__, sock.family.name, sock.type.name)
        writer.write(b"hello unix")
        writer.write_eof()
        print("reply", await reader.read())
        writer.close()
        await writer.wait_closed()
        try:
            await asyncio.open_unix_connection(os.path.join(tmp, "missing.sock"))
        except OSError as exc:
            print("missing:", type(exc).__name__, exc.errno)
        try:
            await asyncio.open_unix_connection(path, server_hostname="x")
        except ValueError as exc:
            print("server_hostname:", exc)
        try:
            await asyncio.open_unix_connection()
        except ValueError as exc:
            print("nothing:", exc)
        try:
            await asyncio.start_unix_server(handle)
        except ValueError as exc:
            print("no path:", exc)
        server.close()
        await server.wait_closed()
        print("file after close", os.path.exists(path))  # noqa: ASYNC240
        with socket.socket(socket.AF_UNIX) as raw:
            raw.bind(os.path.join(tmp, "raw.sock"))
            raw.listen()
            server = await asyncio.start_unix_server(handle, sock=raw)
            reader, writer = await asyncio.open_unix_connection(sock=_connect(tmp))
            writer.write(b"via sock")
            writer.write_eof()
            print("reply", await reader.read())
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()


def _connect(tmp):
    client = socket.socket(socket.AF_UNIX)
    client.connect(os.path.join(tmp, "raw.sock"))
    return client


asyncio.run(main())
