"""Large transfers in both directions with write()+drain(): every byte
arrives, in order."""

import asyncio
import hashlib

SIZE = 8 * 1024 * 1024
CHUNK = 64 * 1024


def payload(size):
    block = bytes(range(256)) * (CHUNK // 256)
    return [block] * (size // CHUNK)


async def handle(reader, writer):
    digest = hashlib.sha256()
    total = 0
    while total < SIZE:
        data = await reader.read(100_000)
        if not data:
            break
        digest.update(data)
        total += len(data)
    print("server received", total)
    writer.write(digest.hexdigest().encode() + b"\n")
    for block in payload(SIZE // 2):
        writer.write(block)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    expected = hashlib.sha256()
    for block in payload(SIZE):
        writer.write(block)
        expected.update(block)
        await writer.drain()
    print(
        "client drained, buffer below the low-water mark:",
        writer.transport.get_write_buffer_size() <= 16 * 1024,
    )
    line = await reader.readline()
    print("hash matches", line.strip().decode() == expected.hexdigest())
    back = await reader.readexactly(SIZE // 2)
    print("got back", len(back), hashlib.sha256(back).hexdigest()[:16])
    print("then eof", await reader.read(), reader.at_eof())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
