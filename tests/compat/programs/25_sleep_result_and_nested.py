import asyncio


async def level(n):
    if n == 0:
        return await asyncio.sleep(0.001, "bottom")
    return await level(n - 1)


async def main():
    print(await asyncio.sleep(0, "zero"))
    print(await level(5))
    print(await asyncio.ensure_future(level(2)))
    print(asyncio.get_event_loop() is asyncio.get_running_loop())


asyncio.run(main())
