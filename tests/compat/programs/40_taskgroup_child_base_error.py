import asyncio


async def sleeper(name):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(name, "cancelled")
        raise


async def bad():
    await asyncio.sleep(0)
    print("raising SystemExit in a child")
    raise SystemExit(3)


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sleeper("s"))
            tg.create_task(bad())
            await asyncio.sleep(10)
    except BaseException as exc:
        print("main sees", type(exc).__name__)
        raise
    finally:
        print("main finally")


try:
    asyncio.run(main())
except SystemExit as exc:
    print("SystemExit out of run:", exc.code)
