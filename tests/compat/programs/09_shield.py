import asyncio


async def inner():
    await asyncio.sleep(0.02)
    print("inner done")
    return "inner result"


async def outer(t):
    return await asyncio.shield(t)


async def main():
    t = asyncio.create_task(inner())
    o = asyncio.create_task(outer(t))
    await asyncio.sleep(0)
    o.cancel()
    try:
        await o
    except asyncio.CancelledError:
        print("outer cancelled", t.done())
    print(await t)
    print(await asyncio.shield(asyncio.sleep(0, "direct")))


asyncio.run(main())
