"""A handler that returns without closing its writer: on 3.13 the writer is
garbage-collected and that closes the connection (the client sees EOF); on
3.11/3.12 the server keeps the writer, so the connection stays open."""

import asyncio
import warnings

warnings.simplefilter("ignore", ResourceWarning)


async def handle(reader, writer):
    writer.write(b"partial answer\n")
    await writer.drain()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print(await reader.readline())
    try:
        print("then", await asyncio.wait_for(reader.read(), 1.0))
    except TimeoutError:
        print("then nothing: the connection is still open")
    writer.close()
    await writer.wait_closed()
    server.close()  # (no wait_closed(): on 3.12 it would wait for that connection)


asyncio.run(main())
