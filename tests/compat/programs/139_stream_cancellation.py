"""Task.cancel() on stream operations: a cancelled readline or drain leaves
the stream usable; a cancelled handler Task closes its connection on 3.13
(3.11/3.12 report the cancelled callback and keep the connection)."""

import asyncio
import os
import tempfile

handlers = []
writers = []
reports = []


async def handle(reader, writer):
    handlers.append(asyncio.current_task())
    writers.append(writer)
    await reader.read()


async def main():
    asyncio.get_running_loop().set_exception_handler(
        lambda loop, ctx: reports.append(ctx["message"].split("(")[0])
    )
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    task = asyncio.create_task(reader.readline())
    await asyncio.sleep(0.05)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("readline cancelled", task.cancelled())
    while not handlers:  # noqa: ASYNC110 - server side
        await asyncio.sleep(0.01)
    handlers[0].cancel()
    try:
        print("after the handler was cancelled:", await asyncio.wait_for(reader.read(), 1.0))
    except TimeoutError:
        print("after the handler was cancelled: still open")
    await asyncio.sleep(0.05)
    print("reports", reports)
    writer.close()
    await writer.wait_closed()
    writers[0].close()  # (3.11/3.12 left the handler's connection open)
    server.close()
    await server.wait_closed()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s")
        got = asyncio.Queue()
        finished = asyncio.Event()

        async def slow(reader, writer):
            await got.put(reader)
            await finished.wait()
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_unix_server(slow, path)
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(b"z" * 4_000_000)
        drain = asyncio.create_task(writer.drain())
        await asyncio.sleep(0.1)
        drain.cancel()
        try:
            await drain
        except asyncio.CancelledError:
            print("drain cancelled; still buffered", writer.transport.get_write_buffer_size() > 0)
        peer = await got.get()
        data = await peer.readexactly(4_000_000)
        await writer.drain()
        print("peer read everything", len(data))
        finished.set()
        print("then eof", await reader.read())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()


asyncio.run(main())
