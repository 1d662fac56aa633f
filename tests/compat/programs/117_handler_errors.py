"""What happens when a client callback fails: the loop's exception handler
is told (with stock's message), the connection is closed; a plain
(non-coroutine) callback works too."""

import asyncio


def handler(loop, context):
    print(
        "exception handler:",
        context["message"],
        repr(context.get("exception")),
        "transport" in context,
    )


async def failing(reader, writer):
    await reader.readline()
    raise ZeroDivisionError("handler failed")


def plain(reader, writer):
    print("plain callback, task:", asyncio.current_task())
    writer.write(b"from a plain callback\n")
    writer.close()


async def main():
    asyncio.get_running_loop().set_exception_handler(handler)
    server = await asyncio.start_server(failing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"trigger\n")
    print("client sees", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("client sees", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
