import asyncio
import re


def r(obj):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(obj))


async def worker(sem, name, hold):
    print(name, "acquiring", r(sem))
    try:
        async with sem:
            print(name, "in", r(sem))
            for _ in range(hold):
                await asyncio.sleep(0)
            print(name, "out")
    except asyncio.CancelledError:
        print(name, "cancelled", r(sem))
        raise


async def ticker(n):
    for i in range(n):
        print("tick", i)
        await asyncio.sleep(0)


async def main():
    try:
        asyncio.Semaphore(-1)
    except ValueError as exc:
        print("ValueError:", exc)
    sem = asyncio.Semaphore(2)
    print(r(sem), sem.locked())
    tasks = [asyncio.create_task(worker(sem, f"w{i}", 2)) for i in range(5)]
    tick = asyncio.create_task(ticker(8))
    await asyncio.sleep(0)
    print("main sees", r(sem))
    tasks[3].cancel()
    await asyncio.gather(*tasks, tick, return_exceptions=True)
    print("after", r(sem))

    # Woken waiter cancelled before it runs.
    sem = asyncio.Semaphore(0)
    a = asyncio.create_task(worker(sem, "a", 1))
    b = asyncio.create_task(worker(sem, "b", 1))
    c = asyncio.create_task(worker(sem, "c", 1))
    await asyncio.sleep(0)
    sem.release()
    a.cancel()
    print("released + cancelled a", r(sem))
    await asyncio.sleep(0)
    print("step", r(sem))
    sem.release()
    sem.release()
    print("two releases", r(sem))
    await asyncio.gather(a, b, c, return_exceptions=True)
    print("end", r(sem), a.cancelled())

    # Several releases at once.
    sem = asyncio.Semaphore(0)
    ts = [asyncio.create_task(worker(sem, f"m{i}", 0)) for i in range(3)]
    await asyncio.sleep(0)
    for _ in range(3):
        sem.release()
    print("3 releases", r(sem))
    await asyncio.gather(*ts)
    print("done", r(sem))

    bs = asyncio.BoundedSemaphore(1)
    print(r(bs))
    await bs.acquire()
    bs.release()
    try:
        bs.release()
    except ValueError as exc:
        print("ValueError:", exc)
    print(r(bs))


asyncio.run(main())
