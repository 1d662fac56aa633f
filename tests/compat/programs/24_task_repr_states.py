import asyncio


async def ok():
    return 1


async def fails():
    raise RuntimeError("bad")


async def main():
    a = asyncio.create_task(ok(), name="A")
    b = asyncio.create_task(fails(), name="B")
    await asyncio.sleep(0)
    print(a.done(), a.result(), b.done(), repr(b.exception()))
    print(a.cancelled(), b.cancelled())
    print(asyncio.current_task() in asyncio.all_tasks())
    print(asyncio.iscoroutine(ok()), asyncio.iscoroutinefunction(ok))


asyncio.run(main())
