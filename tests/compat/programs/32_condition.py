import asyncio
import re


def r(obj):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(obj))


async def waiter(cond, name, state):
    async with cond:
        print(name, "waiting", r(cond))
        try:
            got = await cond.wait_for(lambda: state["value"] >= 2)
            print(name, "predicate true", got, cond.locked())
        except asyncio.CancelledError:
            print(name, "cancelled, locked =", cond.locked())
            raise


async def plain(cond, name):
    async with cond:
        try:
            print(name, "wait ->", await cond.wait())
        except asyncio.CancelledError:
            print(name, "cancelled, locked =", cond.locked())
            raise
        print(name, "holds again")


async def main():
    cond = asyncio.Condition()
    print(r(cond))
    try:
        await cond.wait()
    except RuntimeError as exc:
        print("RuntimeError:", exc)
    try:
        cond.notify()
    except RuntimeError as exc:
        print("RuntimeError:", exc)

    state = {"value": 0}
    tasks = [asyncio.create_task(waiter(cond, f"w{i}", state)) for i in range(3)]
    await asyncio.sleep(0)
    print("main", r(cond))
    for v in range(1, 4):
        async with cond:
            state["value"] = v
            print("notify_all at", v)
            cond.notify_all()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)

    ps = [asyncio.create_task(plain(cond, f"p{i}")) for i in range(4)]
    await asyncio.sleep(0)
    async with cond:
        cond.notify(2)
        print("notified 2", r(cond))
    await asyncio.sleep(0)
    print("cancel p3")
    ps[3].cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    async with cond:
        cond.notify()
    await asyncio.gather(*ps, return_exceptions=True)
    print([p.cancelled() for p in ps], r(cond))

    # Cancelled while re-acquiring the lock after being notified.
    lock = asyncio.Lock()
    cond = asyncio.Condition(lock)
    q = asyncio.create_task(plain(cond, "q"))
    await asyncio.sleep(0)
    await lock.acquire()
    cond.notify()
    await asyncio.sleep(0)
    q.cancel()
    await asyncio.sleep(0)
    print("q done?", q.done())
    lock.release()
    res = await asyncio.gather(q, return_exceptions=True)
    print("q:", type(res[0]).__name__, q.cancelled(), lock.locked())


asyncio.run(main())
