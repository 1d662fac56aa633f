import asyncio
import re


def r(obj):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(obj))


async def producer(q, name, items):
    for item in items:
        print(name, "put", item)
        try:
            await q.put(item)
        except asyncio.CancelledError:
            print(name, "cancelled in put", str(q))
            raise
        print(name, "put done", item)


async def consumer(q, name, n):
    got = []
    for _ in range(n):
        try:
            item = await q.get()
        except asyncio.CancelledError:
            print(name, "cancelled in get", str(q))
            raise
        print(name, "got", item)
        got.append(item)
        q.task_done()
    return got


async def ticker(n):
    for i in range(n):
        print("tick", i)
        await asyncio.sleep(0)


async def main():
    q = asyncio.Queue()
    print(r(q), str(q), q.maxsize, q.qsize(), q.empty(), q.full())
    try:
        q.get_nowait()
    except asyncio.QueueEmpty:
        print("QueueEmpty")
    t = asyncio.create_task(ticker(2))
    await q.put(1)
    print("put with room did not suspend", q.qsize())
    print("get with item:", await q.get(), "(tick not run yet)")
    await t
    q.task_done()
    try:
        q.task_done()
    except ValueError as exc:
        print("ValueError:", exc)

    q = asyncio.Queue(maxsize=2)
    q.put_nowait("a")
    q.put_nowait("b")
    print(str(q), q.full())
    try:
        q.put_nowait("c")
    except asyncio.QueueFull:
        print("QueueFull")
    p1 = asyncio.create_task(producer(q, "p1", ["c", "d"]))
    p2 = asyncio.create_task(producer(q, "p2", ["e"]))
    c = asyncio.create_task(consumer(q, "c", 5))
    tick = asyncio.create_task(ticker(6))
    print(await asyncio.gather(p1, p2, c, tick))
    print(str(q))

    # join waits for every task_done.
    q = asyncio.Queue()
    for i in range(3):
        q.put_nowait(i)

    async def joiner():
        print("joining", str(q))
        await q.join()
        print("joined", str(q))

    j = asyncio.create_task(joiner())
    w = asyncio.create_task(consumer(q, "jc", 3))
    await asyncio.gather(j, w)
    await q.join()
    print("join on finished queue does not block")

    # Cancellation while blocked in get, and in put.
    q = asyncio.Queue(1)
    g1 = asyncio.create_task(consumer(q, "g1", 1))
    g2 = asyncio.create_task(consumer(q, "g2", 1))
    await asyncio.sleep(0)
    print(str(q))
    q.put_nowait("x")
    g1.cancel()
    print("put + cancel g1", str(q))
    print(await asyncio.gather(g1, g2, return_exceptions=True))
    q.put_nowait("y")
    pp = asyncio.create_task(producer(q, "pp", ["z"]))
    await asyncio.sleep(0)
    print(str(q))
    pp.cancel()
    await asyncio.gather(pp, return_exceptions=True)
    print(str(q), q.get_nowait())

    # Priority and Lifo.
    pq = asyncio.PriorityQueue()
    for item in [(3, "c"), (1, "a"), (2, "b")]:
        pq.put_nowait(item)
    print(str(pq), [pq.get_nowait() for _ in range(3)])
    lq = asyncio.LifoQueue()
    for item in "xyz":
        await lq.put(item)
    print(str(lq), [await lq.get() for _ in range(3)])
    print(asyncio.Queue[int].__name__ if hasattr(asyncio.Queue[int], "__name__") else "alias")


asyncio.run(main())
