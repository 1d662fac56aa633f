import asyncio


async def slow():
    await asyncio.sleep(0.02)
    print("slow finished")
    return 1


async def main():
    victim = asyncio.create_task(asyncio.sleep(10))
    other = asyncio.create_task(slow())
    g = asyncio.gather(victim, other)
    await asyncio.sleep(0)
    victim.cancel()
    try:
        await g
    except asyncio.CancelledError:
        print("gather raised", g.cancelled(), other.cancelled())
    print(await other)


asyncio.run(main())
