import asyncio


async def bad():
    await asyncio.sleep(0)
    raise ValueError("boom")


async def slow():
    await asyncio.sleep(0.02)
    print("slow finished")
    return "slow"


async def main():
    s = asyncio.create_task(slow())
    try:
        await asyncio.gather(bad(), s)
    except ValueError as exc:
        print("caught", type(exc).__name__, exc, s.done())
    print(await s)


asyncio.run(main())
