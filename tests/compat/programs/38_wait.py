import asyncio


async def job(name, steps, fail=False):
    for _ in range(steps):
        await asyncio.sleep(0)
    print(name, "finishing")
    if fail:
        raise ValueError(name)
    return name


def names(tasks):
    return sorted(t.get_name() for t in tasks)


async def ticker(n):
    for i in range(n):
        print("tick", i)
        await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()
    for bad in (None, []):
        try:
            await asyncio.wait(bad or [])
        except ValueError as exc:
            print("ValueError:", exc)
    fut = loop.create_future()
    for bad in (fut,):
        try:
            await asyncio.wait(bad)
        except TypeError as exc:
            print("TypeError:", exc)
    try:
        await asyncio.wait([fut], return_when="sometimes")
    except ValueError as exc:
        print("ValueError:", exc)
    coro = job("c", 0)
    try:
        await asyncio.wait([coro])
    except TypeError as exc:
        print("TypeError:", exc)
    coro.close()

    ts = [asyncio.create_task(job(f"a{i}", i), name=f"a{i}") for i in range(3)]
    tick = asyncio.create_task(ticker(5))
    done, pending = await asyncio.wait(ts)
    print("ALL_COMPLETED", names(done), names(pending))
    await tick

    ts = [asyncio.create_task(job(f"b{i}", i), name=f"b{i}") for i in range(3)]
    tick = asyncio.create_task(ticker(5))
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED)
    print("FIRST_COMPLETED", names(done), names(pending))
    await asyncio.wait(pending)
    await tick

    ts = [
        asyncio.create_task(job("e0", 0), name="e0"),
        asyncio.create_task(job("e1", 2, fail=True), name="e1"),
        asyncio.create_task(job("e2", 5), name="e2"),
    ]
    tick = asyncio.create_task(ticker(7))
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    print("FIRST_EXCEPTION", names(done), names(pending))
    for t in done:
        if t.exception() is not None:
            print(t.get_name(), repr(t.exception()))
    await asyncio.wait(pending)
    await tick

    # FIRST_EXCEPTION without an exception behaves like ALL_COMPLETED.
    ts = [asyncio.create_task(job(f"g{i}", i), name=f"g{i}") for i in range(2)]
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    print("FIRST_EXCEPTION (none)", names(done), names(pending))

    # Timeout: no exception, the pending set is returned.
    slow = asyncio.create_task(asyncio.sleep(10), name="slow")
    quick = asyncio.create_task(asyncio.sleep(0.001), name="quick")
    done, pending = await asyncio.wait([slow, quick], timeout=0.05)
    print("timeout", names(done), names(pending))
    done, pending = await asyncio.wait([slow], timeout=0)
    print("timeout 0", names(done), names(pending))

    # Already-done futures.
    f = loop.create_future()
    f.set_result(1)
    print("done future", await asyncio.wait([f]) == ({f}, set()))

    # Cancelling the waiter does not cancel the awaited tasks.
    async def waiter():
        try:
            await asyncio.wait([slow])
        except asyncio.CancelledError:
            print("wait cancelled; slow cancelled?", slow.cancelled())
            raise

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    w.cancel()
    await asyncio.gather(w, return_exceptions=True)
    slow.cancel()
    done, pending = await asyncio.wait([slow])
    print("slow", slow.cancelled(), names(done))


asyncio.run(main())
