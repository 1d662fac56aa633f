"""readuntil/readline against the limit, on a reader fed by hand and on a
connection: LimitOverrunError's message and ``consumed``, what stays in the
buffer, and readline's ValueError."""

import asyncio


def show(exc):
    extra = getattr(exc, "consumed", None)
    return f"{type(exc).__name__}({exc}) consumed={extra}"


async def fed():
    reader = asyncio.StreamReader(limit=8)
    reader.feed_data(b"0123456789abcdef!rest")
    reader.feed_eof()
    try:
        await reader.readuntil(b"!")
    except asyncio.LimitOverrunError as exc:
        print("found too far:", show(exc))
    print("kept:", await reader.readexactly(4))
    reader2 = asyncio.StreamReader(limit=4)
    reader2.feed_data(b"abcdefghij")
    try:
        await reader2.readuntil(b"XYZ")
    except asyncio.LimitOverrunError as exc:
        print("not found:", show(exc))
    reader2.feed_eof()
    try:
        await reader2.readuntil(b"XYZ")
    except asyncio.LimitOverrunError as exc:
        print("still over:", show(exc))
    print("read all:", await reader2.read())
    reader3 = asyncio.StreamReader(limit=5)
    reader3.feed_data(b"toolongline\nok\nalsotoolong")
    for _ in range(3):
        try:
            print("line:", await reader3.readline())
        except ValueError as exc:
            print("readline:", type(exc).__name__, exc)
    reader3.feed_eof()
    print("rest:", await reader3.read())
    reader4 = asyncio.StreamReader(limit=3)
    reader4.feed_data(b"ab\n")
    print("exactly at limit:", await reader4.readuntil(b"\n"))
    reader4.feed_data(b"abc\n")
    print("limit+1:", await reader4.readuntil(b"\n"))
    reader4.feed_data(b"abcd\n")
    try:
        await reader4.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        print("limit+2:", show(exc))


async def handle(reader, writer):
    writer.write(b"x" * 300 + b"\nshort\n" + b"y" * 50)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def networked():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=100)
    try:
        await reader.readline()
    except ValueError as exc:
        print("net readline:", exc)
    print("net next line:", await reader.readline())
    try:
        await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        print("net incomplete:", len(exc.partial), exc.expected)
    print("net eof:", reader.at_eof())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


async def main():
    await fed()
    await networked()


asyncio.run(main())
