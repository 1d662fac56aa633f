import asyncio


async def leaf():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("leaf cancelled")
        raise


async def middle(t):
    try:
        await t
    except asyncio.CancelledError:
        print("middle cancelled", t.cancelled())
        raise


async def main():
    t = asyncio.create_task(leaf())
    m = asyncio.create_task(middle(t))
    await asyncio.sleep(0)
    m.cancel()
    for _ in range(4):
        await asyncio.sleep(0)
        print(t.done(), m.done())


asyncio.run(main())
