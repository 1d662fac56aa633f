"""start_serving=False: the socket is bound and listening (the kernel
queues connections) but nothing is accepted until start_serving()."""

import asyncio

accepted = []


async def handle(reader, writer):
    accepted.append(await reader.readline())
    writer.write(b"welcome\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, start_serving=False, backlog=5)
    port = server.sockets[0].getsockname()[1]
    print("serving", server.is_serving())
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"queued\n")
    await asyncio.sleep(0.05)
    print("accepted before start_serving", accepted)
    await server.start_serving()
    print("serving", server.is_serving())
    print("reply", await reader.readline())
    print("accepted", accepted)
    await server.start_serving()
    print("start_serving twice is fine", server.is_serving())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
