"""``async with server`` and serve_forever: the body runs while serving,
leaving closes the server (and, on 3.12+, waits for connections)."""

import asyncio


async def handle(reader, writer):
    data = await reader.read()
    writer.write(data * 2)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def client(port, text):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(text)
    writer.write_eof()
    reply = await reader.read()
    writer.close()
    await writer.wait_closed()
    return reply


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server as entered:
        print("entered is server", entered is server, server.is_serving())
        print("loop", server.get_loop() is asyncio.get_running_loop())
        print("is a Server:", isinstance(server, asyncio.Server), type(server).__name__)
        port = server.sockets[0].getsockname()[1]
        print(await asyncio.gather(*(client(port, bytes([65 + i])) for i in range(5))))
    print("after with: serving", server.is_serving(), server.sockets)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def stopper():
        print(await client(port, b"last"))
        server.close()

    stopping = asyncio.create_task(stopper())
    try:
        async with server:
            await server.serve_forever()
    except asyncio.CancelledError:
        print("serve_forever cancelled by close()")
    await stopping
    print("serving", server.is_serving())


asyncio.run(main())
