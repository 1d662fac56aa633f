"""End of file: half-closes in both directions, partial lines at EOF,
``async for`` over a reader, and reads after EOF."""

import asyncio


async def handle(reader, writer):
    lines = [line async for line in reader]
    print("server lines", lines)
    print("server at_eof", reader.at_eof(), "read after eof", await reader.read(10))
    writer.write(b"bye\nno newline at the end")
    writer.write_eof()
    print("server wrote eof", writer.is_closing())
    await writer.drain()
    try:
        writer.write(b"more")
    except RuntimeError as exc:
        print("write after write_eof:", exc)
    await asyncio.sleep(0.05)
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.writelines([b"one\n", b"two\n", b"three"])
    writer.write_eof()
    try:
        writer.writelines([b"x"])
    except RuntimeError as exc:
        print("writelines after write_eof:", exc)
    print("client line", await reader.readline())
    print("client line", await reader.readline())
    print("client line", await reader.readline())
    print("at_eof", reader.at_eof())
    print("readexactly at eof:", end=" ")
    try:
        await reader.readexactly(1)
    except asyncio.IncompleteReadError as exc:
        print(type(exc).__name__, exc.partial, exc.expected, str(exc))
    print("readuntil at eof:", end=" ")
    try:
        await reader.readuntil(b"!")
    except asyncio.IncompleteReadError as exc:
        print(exc.partial, exc.expected, str(exc))
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
