import asyncio


async def inner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("inner cancelled")
        raise


async def waiter():
    try:
        await asyncio.wait_for(inner(), 5)
    except asyncio.CancelledError:
        print("waiter cancelled", asyncio.current_task().cancelling())
        raise


async def main():
    t = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("t cancelled", t.cancelled())


asyncio.run(main())
