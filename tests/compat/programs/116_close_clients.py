"""Server.close_clients()/abort_clients() (3.13+; absent before): closing
the accepted connections, gracefully or not, and what clients see."""

import asyncio

handlers = []


async def handle(reader, writer):
    handlers.append(writer)
    try:
        data = await reader.read()
        print("handler read", data)
    except Exception as exc:
        print("handler error", type(exc).__name__)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(
        "has close_clients",
        hasattr(server, "close_clients"),
        "abort_clients",
        hasattr(server, "abort_clients"),
    )
    clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    while len(handlers) < 3:  # noqa: ASYNC110 - server side
        await asyncio.sleep(0.01)
    handlers[0].write(b"pending data")
    server.close()
    if hasattr(server, "close_clients"):
        server.close_clients()
        for reader, _ in clients:
            print("client sees", await reader.read())
        await server.wait_closed()
        print("wait_closed returned")
        server2 = await asyncio.start_server(handle, "127.0.0.1", 0)
        port2 = server2.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port2)
        while len(handlers) < 4:  # noqa: ASYNC110 - server side
            await asyncio.sleep(0.01)
        handlers[3].write(b"dropped")
        server2.close()
        server2.abort_clients()
        print("after abort", handlers[3].is_closing())
        await server2.wait_closed()
        try:
            print("client sees", await reader.read())
        except ConnectionResetError:
            print("client sees a reset")
        writer.close()
    else:
        for w in handlers:
            w.close()
        for reader, _ in clients:
            print("client sees", await reader.read())
        await server.wait_closed()
        print("wait_closed returned")
    for _, writer in clients:
        writer.close()
    await asyncio.sleep(0.05)


asyncio.run(main())
