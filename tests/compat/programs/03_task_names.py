import asyncio


async def noop():
    return asyncio.current_task().get_name()


async def main():
    print(asyncio.current_task().get_name())
    t1 = asyncio.create_task(noop())
    t2 = asyncio.create_task(noop(), name="custom")
    t3 = asyncio.create_task(noop())
    t2.set_name("renamed")
    print(await t1, await t2, await t3)
    print(len(asyncio.all_tasks()))


asyncio.run(main())
asyncio.run(main())
