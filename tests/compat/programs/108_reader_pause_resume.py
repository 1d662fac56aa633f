"""The reading side's flow control: the connection stops reading when the
reader holds more than twice its limit, and resumes when reads bring it
back under the limit."""

import asyncio

TOTAL = 100_000


async def handle(reader, writer):
    writer.write(b"z" * TOTAL)
    await writer.drain()
    await reader.read()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1000)
    print("reading at first", writer.transport.is_reading())
    await asyncio.sleep(0.3)
    print("reading with a full buffer", writer.transport.is_reading())
    got = await reader.read(500)
    print("read", len(got), "reading", writer.transport.is_reading())
    got = await reader.readexactly(20_000)
    print("readexactly", len(got), "reading", writer.transport.is_reading())
    total = 500 + 20_000
    while total < TOTAL:
        total += len(await reader.read(1000))
    print("all", total)
    writer.transport.pause_reading()
    print("paused by hand", writer.transport.is_reading())
    writer.transport.resume_reading()
    print("resumed by hand", writer.transport.is_reading())
    writer.write_eof()
    print("eof", await reader.read(), reader.at_eof())
    writer.close()
    await writer.wait_closed()
    print("closing", writer.transport.is_closing(), writer.transport.is_reading())
    server.close()
    await server.wait_closed()


asyncio.run(main())
