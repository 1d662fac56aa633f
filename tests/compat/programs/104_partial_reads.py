"""Partial reads: read(n) returns what has arrived, readexactly waits for
all of it, IncompleteReadError reports what came; data arriving while
nobody reads is buffered."""

import asyncio


async def handle(reader, writer):
    writer.write(b"abc")
    await writer.drain()
    print("server: waiting for go")
    print("server got", await reader.readexactly(2))
    writer.write(b"defgh")
    await writer.drain()
    await reader.readexactly(2)
    writer.write(b"ijk")
    writer.close()
    await writer.wait_closed()
    print("server done")


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.05)  # the data arrives while nobody reads
    print("buffered read(10):", await reader.read(10))
    print("read(0):", await reader.read(0))
    writer.write(b"go")
    await writer.drain()
    print("readexactly(3):", await reader.readexactly(3))
    print("read(1):", await reader.read(1))
    print("read(100):", await reader.read(100))
    writer.write(b"go")
    try:
        await reader.readexactly(10)
    except asyncio.IncompleteReadError as exc:
        print("incomplete:", exc.partial, exc.expected, exc)
    print("after:", await reader.read(), reader.at_eof())
    print("readexactly(0):", await reader.readexactly(0))
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
