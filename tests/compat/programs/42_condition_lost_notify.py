import asyncio


async def plain(cond, name):
    async with cond:
        try:
            print(name, "wait ->", await cond.wait())
        except asyncio.CancelledError as exc:
            print(name, "cancelled", repr(exc), "locked =", cond.locked())
            raise


async def main():
    cond = asyncio.Condition()
    p0 = asyncio.create_task(plain(cond, "p0"))
    p1 = asyncio.create_task(plain(cond, "p1"))
    await asyncio.sleep(0)
    async with cond:
        cond.notify(1)
    p0.cancel("stop p0")
    for i in range(4):
        await asyncio.sleep(0)
        print("step", i, "p0 done", p0.done(), "p1 done", p1.done())
    async with cond:
        cond.notify_all()
    await asyncio.gather(p0, p1, return_exceptions=True)
    print(p0.cancelled(), p1.result())

    # Cancelled while blocked re-acquiring the lock, twice.
    cond = asyncio.Condition()
    q = asyncio.create_task(plain(cond, "q"))
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify()
    await asyncio.sleep(0)
    q.cancel("first")
    await asyncio.sleep(0)
    q.cancel("second")
    await asyncio.sleep(0)
    cond.release()
    try:
        await q
    except asyncio.CancelledError as exc:
        print("q raised", repr(exc))
    print(q.cancelled(), cond.locked())


asyncio.run(main())
