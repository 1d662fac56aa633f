"""Reprs of a task waiting on a future with callbacks (no recursion through
the wake-up callback), of gather and of shielded futures."""
import asyncio
import re


def show(obj):
    print(re.sub(r" at 0x[0-9a-f]+| at [^ ]+\.py:\d+|running at [^ >]+", "", repr(obj)))


def cb(fut):
    pass


async def waiter(fut):
    return await fut


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    task = asyncio.create_task(waiter(fut), name="waiter")
    await asyncio.sleep(0)
    fut.add_done_callback(cb)
    show(task)
    show(fut)
    g = asyncio.gather(task)
    show(g)
    s = asyncio.shield(task)
    show(s)
    fut.set_result(5)
    show(fut)
    print(await g, await s)
    show(task)


asyncio.run(main())
