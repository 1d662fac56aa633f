import asyncio
import sys


async def job(name, steps, fail=False):
    for _ in range(steps):
        await asyncio.sleep(0)
    print(name, "finishing")
    if fail:
        raise ValueError(name)
    return name


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    try:
        for _ in asyncio.as_completed(fut):
            pass
    except TypeError as exc:
        print("TypeError:", exc)

    ts = [asyncio.create_task(job(f"a{i}", 3 - i)) for i in range(3)]
    for aw in asyncio.as_completed(ts):
        print("got", await aw)

    ts = [
        asyncio.create_task(job("b0", 2)),
        asyncio.create_task(job("b1", 0, fail=True)),
        asyncio.create_task(job("b2", 1)),
    ]
    for aw in asyncio.as_completed(ts):
        try:
            print("got", await aw)
        except ValueError as exc:
            print("error", repr(exc))

    # Coroutines are wrapped in tasks.
    results = []
    for aw in asyncio.as_completed([job("c0", 1), job("c1", 0)]):
        results.append(await aw)
    print("coros", results)

    # Timeout.
    slow = asyncio.create_task(asyncio.sleep(10, "slow"))
    quick = asyncio.create_task(asyncio.sleep(0.001, "quick"))
    try:
        for aw in asyncio.as_completed([slow, quick], timeout=0.05):
            print("got", await aw)
    except TimeoutError:
        print("TimeoutError")
    slow.cancel()

    print("empty", list(asyncio.as_completed([])))

    if sys.version_info >= (3, 13):
        ts = [asyncio.create_task(job(f"d{i}", 2 - i)) for i in range(2)]
        async for t in asyncio.as_completed(ts):
            print("async for got task", t in ts, t.result())
        it = asyncio.as_completed([asyncio.sleep(0, "x")])
        print(iter(it) is it, it.__aiter__() is it)
        print(await next(it))
    else:
        print("async for got task True d1")
        print("async for got task True d0")
        print("True True")
        print("x")


asyncio.run(main())
