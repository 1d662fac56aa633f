import asyncio
import re


def r(text):
    return re.sub(r" at 0x[0-9a-f]+", "", str(text))


lock = asyncio.Lock()
event = asyncio.Event()
queue = asyncio.Queue()


async def first():
    # Uncontended operations do not bind the primitive to the loop.
    async with lock:
        pass
    queue.put_nowait(1)
    print("got", await queue.get())

    async def hold():
        async with lock:
            await asyncio.sleep(0.01)

    t = asyncio.create_task(hold())
    await asyncio.sleep(0)
    w = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    print("bound now:", r(lock))
    await t
    await w
    lock.release()
    e = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    event.set()
    await e
    event.clear()
    g = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(2)
    print("got", await g)


async def second():
    await lock.acquire()
    lock.release()
    print("uncontended acquire works on another loop")

    async def hold():
        async with lock:
            await asyncio.sleep(0.01)

    t = asyncio.create_task(hold())
    await asyncio.sleep(0)
    for name, aw in [("lock", lock.acquire()), ("event", event.wait()), ("queue", queue.get())]:
        try:
            await aw
        except RuntimeError as exc:
            print(name, "RuntimeError:", r(exc))
    await t


asyncio.run(first())
asyncio.run(second())
