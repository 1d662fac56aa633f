"""Closing a server with a connection still open: the connection keeps
working, and wait_closed() follows each version's rule (3.11: returns at
once once closed; 3.12+: waits until the connection is gone)."""

import asyncio

events = []


async def handle(reader, writer):
    events.append("handler started")
    while line := await reader.readline():
        writer.write(b"still here: " + line)
        await writer.drain()
    events.append("handler saw eof")
    writer.close()
    await writer.wait_closed()
    events.append("handler closed")


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"one\n")
    print(await reader.readline())
    waiter = asyncio.create_task(server.wait_closed())
    await asyncio.sleep(0.05)
    print("wait_closed done while serving:", waiter.done())
    server.close()
    print("serving", server.is_serving(), "sockets", server.sockets)
    await asyncio.sleep(0.05)
    print("wait_closed done after close, connection open:", waiter.done())
    late = asyncio.create_task(server.wait_closed())
    await asyncio.sleep(0.05)
    print("late wait_closed done:", late.done())
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError as exc:
        print("new connection refused:", exc.errno)
    writer.write(b"two\n")
    print(await reader.readline())
    writer.close()
    await writer.wait_closed()
    await waiter
    await late
    print("wait_closed done after the connection closed")
    print(*events, sep="\n")
    server.close()
    await server.wait_closed()
    print("closing twice is fine")


asyncio.run(main())
