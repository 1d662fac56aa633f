"""open_connection with happy_eyeballs_delay/interleave: it connects, and
the Tasks the race starts are numbered as in stock asyncio."""

import asyncio


async def handle(reader, writer):
    writer.write(b"hi\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for kwargs in (
        {"happy_eyeballs_delay": 0.25},
        {"happy_eyeballs_delay": 0.1, "interleave": 2},
        {"interleave": 1},
    ):
        before = asyncio.create_task(asyncio.sleep(0))
        reader, writer = await asyncio.open_connection("127.0.0.1", port, **kwargs)
        after = asyncio.create_task(asyncio.sleep(0))
        print(
            sorted(kwargs),
            await reader.readline(),
            int(after.get_name().split("-")[1]) - int(before.get_name().split("-")[1]),
        )
        writer.close()
        await writer.wait_closed()
        await before
        await after
    server.close()
    await server.wait_closed()
    try:
        await asyncio.open_connection("127.0.0.1", port, happy_eyeballs_delay=0.1)
    except OSError as exc:
        print("refused with happy eyeballs:", type(exc).__name__, exc.errno)


asyncio.run(main())
