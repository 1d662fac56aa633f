import asyncio


async def work():
    try:
        await asyncio.sleep(10)
    finally:
        print("work finally", asyncio.current_task().cancelling())


async def main():
    try:
        await asyncio.wait_for(work(), 0.01)
    except TimeoutError as exc:
        print("timeout", type(exc).__name__, type(exc.__cause__).__name__)
    print("cancelling", asyncio.current_task().cancelling())
    print(await asyncio.wait_for(asyncio.sleep(0.001, "fast"), 1))


asyncio.run(main())
