"""StreamWriter details: writes after close are dropped, close() and
wait_closed() are idempotent, bad data types, writelines, and the
transport's buffer reporting."""

import asyncio


async def handle(reader, writer):
    print("server received", await reader.read())
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for bad in ("text", 42, None):
        try:
            writer.write(bad)
        except TypeError as exc:
            print("write", type(bad).__name__, "->", exc)
    try:
        writer.writelines([b"ok", "text"])
    except TypeError as exc:
        print("writelines with text ->", type(exc).__name__)
    writer.write(b"")
    writer.write(bytearray(b"bytearray "))
    writer.write(memoryview(b"memoryview "))
    writer.writelines([b"line1 ", bytearray(b"line2 "), memoryview(b"line3")])
    await writer.drain()
    print("buffer after drain", writer.transport.get_write_buffer_size())
    print("is_closing", writer.is_closing())
    writer.close()
    print("is_closing", writer.is_closing(), writer.transport.is_closing())
    writer.write(b"dropped")
    writer.close()
    await writer.wait_closed()
    await writer.wait_closed()
    print("reader after close", await reader.read(), reader.at_eof())
    writer.write(b"dropped too")
    try:
        await writer.drain()
    except ConnectionResetError as exc:
        print("drain after close ->", exc)
    print(repr(writer).startswith("<StreamWriter transport=<"))
    server.close()
    await server.wait_closed()


asyncio.run(main())
