import asyncio
import re


def r(obj):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(obj))


async def worker(lock, name, hold):
    print(name, "acquiring")
    try:
        async with lock:
            print(name, "holds", r(lock))
            for _ in range(hold):
                await asyncio.sleep(0)
            print(name, "releasing")
    except asyncio.CancelledError:
        print(name, "cancelled", r(lock))
        raise


async def ticker(n):
    for i in range(n):
        print("tick", i)
        await asyncio.sleep(0)


async def main():
    lock = asyncio.Lock()
    print(r(lock), lock.locked())
    t = asyncio.create_task(ticker(2))
    print("uncontended:", await lock.acquire(), "(tick not run yet)")
    lock.release()
    await t
    try:
        lock.release()
    except RuntimeError as exc:
        print("RuntimeError:", exc)

    tasks = [asyncio.create_task(worker(lock, f"w{i}", 2)) for i in range(4)]
    tick = asyncio.create_task(ticker(8))
    await asyncio.sleep(0)
    print("main sees", r(lock))
    tasks[2].cancel()
    await asyncio.gather(*tasks, tick, return_exceptions=True)
    print("after", r(lock))

    # Wake-the-next dance: a waiter woken by release() but cancelled
    # before it runs passes the lock on.
    await lock.acquire()
    a = asyncio.create_task(worker(lock, "a", 1))
    b = asyncio.create_task(worker(lock, "b", 1))
    await asyncio.sleep(0)
    lock.release()
    a.cancel()
    print("released and cancelled a:", r(lock))
    await asyncio.gather(a, b, return_exceptions=True)
    print("a", a.cancelled(), "b", b.done(), r(lock))

    # Cancelled while holding: the context manager releases.
    async def holder():
        async with lock:
            await asyncio.sleep(10)

    h = asyncio.create_task(holder())
    await asyncio.sleep(0)
    print("held", lock.locked())
    h.cancel()
    await asyncio.gather(h, return_exceptions=True)
    print("after cancel", lock.locked())

    # A fresh contender barges in if every waiter is cancelled.
    await lock.acquire()
    c = asyncio.create_task(worker(lock, "c", 0))
    await asyncio.sleep(0)
    c.cancel()
    lock.release()
    print("barge:", await lock.acquire())
    lock.release()
    await asyncio.gather(c, return_exceptions=True)
    print(c.cancelled(), r(lock))


asyncio.run(main())
