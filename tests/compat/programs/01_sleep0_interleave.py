import asyncio


async def worker(name, n):
    for i in range(n):
        print(name, i)
        await asyncio.sleep(0)
    return name


async def main():
    a = asyncio.create_task(worker("a", 3))
    b = asyncio.create_task(worker("b", 2))
    print("main before")
    await asyncio.sleep(0)
    print("main after one sleep(0)")
    print(await a, await b)


asyncio.run(main())
