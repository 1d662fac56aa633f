"""The Tasks asyncio creates behind the scenes (a per-connection setup
Task, a Task for the callback, one to connect a child's pipes, three in
communicate()) are created here too: the Task-N numbers line up."""

import asyncio
import sys


def number(task):
    return int(task.get_name().rsplit("-", 1)[1])


async def handle(reader, writer):
    print("handler task is", number(asyncio.current_task()) - base)
    print("handler sees tasks", sorted(number(t) - base for t in asyncio.all_tasks()))
    writer.close()
    await writer.wait_closed()


async def main():
    global base
    base = number(asyncio.create_task(asyncio.sleep(0)))
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("after start_server", number(asyncio.create_task(asyncio.sleep(0))) - base)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.read()
    writer.close()
    await writer.wait_closed()
    print("after a connection", number(asyncio.create_task(asyncio.sleep(0))) - base)
    server.close()
    await server.wait_closed()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "print('x')", stdout=asyncio.subprocess.PIPE
    )
    print("after create_subprocess_exec", number(asyncio.create_task(asyncio.sleep(0))) - base)
    await proc.communicate()
    print("after communicate", number(asyncio.create_task(asyncio.sleep(0))) - base)
    await asyncio.sleep(0)


asyncio.run(main())
