"""drain() blocks while the peer does not read (a Unix socket, whose kernel
buffer is small), and returns once it does; the peer's transport stops
reading while its reader is full; the write-buffer limits and their checks."""

import asyncio
import os
import tempfile

BIG = 4 * 1024 * 1024


async def main():
    go = asyncio.Event()
    seen = []

    async def handle(reader, writer):
        await go.wait()
        seen.append(("server reading before", writer.transport.is_reading()))
        data = await reader.readexactly(BIG)
        seen.append(("server got", len(data), data[:3], data[-3:]))
        writer.close()
        await writer.wait_closed()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        server = await asyncio.start_unix_server(handle, path)
        reader, writer = await asyncio.open_unix_connection(path)
        transport = writer.transport
        print("limits", transport.get_write_buffer_limits())
        writer.write(b"abc" + b"\0" * (BIG - 6) + b"xyz")
        print("buffered", transport.get_write_buffer_size() > 0)
        drain = asyncio.create_task(writer.drain())
        await asyncio.sleep(0.2)
        print("drain done while the peer is not reading:", drain.done())
        go.set()
        await drain
        print(
            "drain done after the peer read",
            drain.done(),
            transport.get_write_buffer_size() <= 16384,
        )
        print("eof", await reader.read())
        print(*seen, sep="\n")
        for high, low in ((10, 20), (None, -1)):
            try:
                transport.set_write_buffer_limits(high=high, low=low)
            except ValueError as exc:
                print("limits", high, low, exc)
        transport.set_write_buffer_limits(low=100)
        print("new limits", transport.get_write_buffer_limits())
        transport.set_write_buffer_limits(high=1000)
        print("new limits", transport.get_write_buffer_limits())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()


asyncio.run(main())
