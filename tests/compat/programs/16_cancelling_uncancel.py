import asyncio


async def body():
    task = asyncio.current_task()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("caught, cancelling =", task.cancelling())
        print("uncancel ->", task.uncancel())
    await asyncio.sleep(0)
    print("still running")
    task.cancel()
    task.cancel()
    print("cancelling after two cancels", task.cancelling())
    print("uncancel ->", task.uncancel(), task.uncancel(), task.uncancel())
    try:
        await asyncio.sleep(0)
        print("pending cancel withdrawn")
    except asyncio.CancelledError:
        print("pending cancel delivered")
    return "done"


async def main():
    t = asyncio.create_task(body())
    await asyncio.sleep(0)
    t.cancel()
    print(await t, t.cancelled())


asyncio.run(main())
