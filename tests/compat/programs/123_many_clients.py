"""Fifty clients at once against one server: every reply reaches the right
client, and the server's handler Tasks all finish."""

import asyncio

finished = 0


async def handle(reader, writer):
    global finished
    name = await reader.readline()
    await asyncio.sleep(0.01)
    writer.write(b"hello " + name)
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    finished += 1


async def client(port, i):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"client-{i}\n".encode())
    reply = await reader.readline()
    rest = await reader.read()
    writer.close()
    await writer.wait_closed()
    return reply.decode().strip(), rest


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=100)
    port = server.sockets[0].getsockname()[1]
    results = await asyncio.gather(*(client(port, i) for i in range(50)))
    print(
        all(reply == f"hello client-{i}" and rest == b"" for i, (reply, rest) in enumerate(results))
    )
    print(results[0], results[-1])
    while finished < 50:  # noqa: ASYNC110 - server side
        await asyncio.sleep(0.01)
    print("handlers finished", finished)
    server.close()
    await server.wait_closed()
    print("tasks left", len(asyncio.all_tasks()))


asyncio.run(main())
