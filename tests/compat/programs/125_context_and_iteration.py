"""Connections see the context of the code that started the server (a
contextvar set before start_server is visible in handlers, one set after
is not), and a handler can iterate over its reader."""

import asyncio
import contextvars

request = contextvars.ContextVar("request", default="unset")


async def handle(reader, writer):
    print("handler sees", request.get())
    request.set("changed in handler")
    async for line in reader:
        writer.write(line.upper())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    request.set("before start_server")
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    request.set("after start_server")
    port = server.sockets[0].getsockname()[1]
    for _ in range(2):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"a\nb\nc")
        writer.write_eof()
        print("reply", await reader.read())
        writer.close()
        await writer.wait_closed()
    print("main still sees", request.get())
    server.close()
    await server.wait_closed()


asyncio.run(main())
