"""An echo server and client over TCP: who runs when, what each side reads,
Task names, and what remains after closing."""

import asyncio


async def handle(reader, writer):
    task = asyncio.current_task()
    print("handler", task.get_name(), "tasks", len(asyncio.all_tasks()))
    while True:
        line = await reader.readline()
        if not line:
            break
        print("server got", line)
        writer.write(line.upper())
        await writer.drain()
    print("server sees eof", reader.at_eof())
    writer.close()
    await writer.wait_closed()
    print("server closed", writer.is_closing())


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("serving", server.is_serving(), len(server.sockets))
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("client", asyncio.current_task().get_name())
    print(
        "types", isinstance(reader, asyncio.StreamReader), isinstance(writer, asyncio.StreamWriter)
    )
    for word in (b"alpha\n", b"beta\n", b"gamma\n"):
        writer.write(word)
        await writer.drain()
        print("client got", await reader.readline())
    print("can_write_eof", writer.can_write_eof())
    writer.write_eof()
    print("client read rest", await reader.read())
    print("client at_eof", reader.at_eof())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("server serving", server.is_serving(), server.sockets)
    print("left", sorted(t.get_name() for t in asyncio.all_tasks()))


asyncio.run(main())
