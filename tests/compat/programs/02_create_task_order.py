import asyncio


async def child(i):
    print("start", i)
    await asyncio.sleep(0)
    print("end", i)
    return i * 10


async def main():
    tasks = [asyncio.create_task(child(i)) for i in range(6)]
    print([t.get_name() for t in tasks])
    print([t.done() for t in tasks])
    results = [await t for t in tasks]
    print(results, [t.done() for t in tasks])


asyncio.run(main())
