import asyncio


async def work():
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        print("work cancelled")
        raise


async def main():
    try:
        await asyncio.wait_for(work(), 0)
    except TimeoutError as exc:
        print("TimeoutError", type(exc.__cause__).__name__)
    print(await asyncio.wait_for(asyncio.sleep(0, "quick"), None))
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(7)
    print(await asyncio.wait_for(fut, 0))


asyncio.run(main())
