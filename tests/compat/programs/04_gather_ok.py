import asyncio


async def f(x, delay):
    await asyncio.sleep(delay)
    print("done", x)
    return x


async def main():
    print(await asyncio.gather(f(1, 0.02), f(2, 0.01), f(3, 0)))
    print(await asyncio.gather())
    fut = asyncio.get_running_loop().create_future()
    fut.set_result("ready")
    print(await asyncio.gather(fut, f(4, 0)))


asyncio.run(main())
