"""A connection the peer resets (abort(), or SO_LINGER 0): the reader
raises ConnectionResetError, drain() and wait_closed() report it."""

import asyncio
import socket
import struct


async def main():
    accepted = asyncio.Queue()

    async def handle(reader, writer):
        await accepted.put((reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    _, swriter = await accepted.get()
    swriter.transport.abort()
    print("server side after abort:", swriter.is_closing())
    try:
        await reader.read(10)
    except ConnectionResetError as exc:
        print("client read:", type(exc).__name__, exc.errno)
    else:
        print("client read: eof")
    await swriter.wait_closed()
    print("server wait_closed after abort: ok")
    writer.close()
    await writer.wait_closed()

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    _, swriter = await accepted.get()
    raw = swriter.get_extra_info("socket")
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    swriter.close()
    await swriter.wait_closed()
    try:
        print("client got", await reader.read(10))
    except ConnectionResetError as exc:
        print("client read:", type(exc).__name__, exc.errno)
    print("reader exception:", type(reader.exception()).__name__)
    for attempt in range(2):
        writer.write(b"x" * 10)
        try:
            await writer.drain()
            print("drain", attempt, "ok")
        except ConnectionResetError as exc:
            print("drain", attempt, type(exc).__name__, exc)
    print("closing:", writer.is_closing())
    try:
        await writer.wait_closed()
    except ConnectionResetError as exc:
        print("wait_closed:", type(exc).__name__, exc.errno)
    writer.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
