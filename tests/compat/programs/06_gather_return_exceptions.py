import asyncio


async def bad(n):
    await asyncio.sleep(0)
    raise KeyError(n)


async def good(n):
    return n


async def main():
    res = await asyncio.gather(good(1), bad(2), good(3), return_exceptions=True)
    print([type(r).__name__ for r in res], res[0], res[2])
    t = asyncio.create_task(asyncio.sleep(10))
    g = asyncio.gather(t, good(4), return_exceptions=True)
    await asyncio.sleep(0)
    t.cancel("stop")
    res = await g
    print([repr(r) for r in res])


asyncio.run(main())
