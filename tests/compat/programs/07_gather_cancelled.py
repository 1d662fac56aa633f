import asyncio


async def child(n):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("child cancelled", n)
        raise


async def main():
    c1 = asyncio.create_task(child(1))
    c2 = asyncio.create_task(child(2))
    g = asyncio.gather(c1, c2)
    await asyncio.sleep(0)
    print("cancel returns", g.cancel())
    try:
        await g
    except asyncio.CancelledError:
        print("gather raised CancelledError", g.cancelled())
    print(c1.cancelled(), c2.cancelled())


asyncio.run(main())
