import asyncio


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("swallowed once")
    await asyncio.sleep(0)
    print("carried on")
    return 42


async def raiser():
    await asyncio.sleep(0)
    raise asyncio.CancelledError("by hand")


async def main():
    t = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    t.cancel()
    print(await t, t.cancelled(), t.cancelling())
    r = asyncio.create_task(raiser())
    try:
        await r
    except asyncio.CancelledError as exc:
        print("raiser", r.cancelled(), exc.args)


asyncio.run(main())
