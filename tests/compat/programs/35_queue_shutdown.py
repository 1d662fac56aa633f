import asyncio
import sys


async def getter(q, name):
    try:
        item = await q.get()
        print(name, "got", item)
    except BaseException as exc:
        print(name, type(exc).__name__)


async def putter(q, name, item):
    try:
        await q.put(item)
        print(name, "put", item)
    except BaseException as exc:
        print(name, type(exc).__name__)


async def main():
    print("has shutdown:", hasattr(asyncio.Queue, "shutdown"), hasattr(asyncio, "QueueShutDown"))
    if sys.version_info < (3, 13):
        return
    q = asyncio.Queue()
    gs = [asyncio.create_task(getter(q, f"g{i}")) for i in range(2)]
    await asyncio.sleep(0)
    q.shutdown()
    print(str(q))
    await asyncio.gather(*gs)
    try:
        q.put_nowait(1)
    except asyncio.QueueShutDown:
        print("put_nowait QueueShutDown")

    q = asyncio.Queue(1)
    q.put_nowait("a")
    ps = [asyncio.create_task(putter(q, f"p{i}", i)) for i in range(2)]
    await asyncio.sleep(0)
    q.shutdown()
    await asyncio.gather(*ps)
    print("get after shutdown:", await q.get())
    try:
        await q.get()
    except asyncio.QueueShutDown:
        print("get QueueShutDown")

    q = asyncio.Queue()
    for i in range(3):
        q.put_nowait(i)

    async def joiner():
        await q.join()
        print("joined", str(q))

    j = asyncio.create_task(joiner())
    await asyncio.sleep(0)
    q.shutdown(immediate=True)
    print(str(q), q.qsize())
    await j
    try:
        q.get_nowait()
    except asyncio.QueueShutDown:
        print("get_nowait QueueShutDown")


asyncio.run(main())
