"""serve_forever(): cancelling it closes the server; a second
serve_forever, or one on a closed server, is refused; is_serving follows."""

import asyncio


async def handle(reader, writer):
    writer.write(b"hi\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, start_serving=False)
    print("serving before", server.is_serving())
    task = asyncio.create_task(server.serve_forever(), name="forever")
    await asyncio.sleep(0)
    print("serving in serve_forever", server.is_serving())
    try:
        await server.serve_forever()
    except RuntimeError as exc:
        print("second serve_forever:", "is already being awaited on serve_forever()" in str(exc))
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("client got", await reader.readline())
    writer.close()
    await writer.wait_closed()
    task.cancel("stop serving")
    try:
        await task
    except asyncio.CancelledError as exc:
        print("serve_forever ended:", type(exc).__name__, exc.args)
    print("serving after", server.is_serving(), server.sockets)
    try:
        await server.serve_forever()
    except RuntimeError as exc:
        print("serve_forever on a closed server:", "is closed" in str(exc))
    try:
        await server.start_serving()
    except TypeError as exc:
        print("start_serving on a closed server:", exc)


asyncio.run(main())
