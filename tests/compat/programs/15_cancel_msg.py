import asyncio


async def sleeper():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as exc:
        print("inside", repr(exc))
        raise


async def main():
    t = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    print(t.cancel("the message"), t.cancelling())
    try:
        await t
    except asyncio.CancelledError as exc:
        print("outside", exc.args)
    print(t.cancelled(), t.done(), t.cancel())
    u = asyncio.create_task(sleeper())
    u.cancel("before start")
    try:
        await u
    except asyncio.CancelledError as exc:
        print("never started", exc.args, u.cancelled())


asyncio.run(main())
