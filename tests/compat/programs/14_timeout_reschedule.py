import asyncio


async def main():
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(None) as cm:
            print(cm.when())
            cm.reschedule(loop.time() + 0.01)
            print(cm.when() is not None)
            await asyncio.sleep(1)
    except TimeoutError:
        print("expired after reschedule", cm.expired())
    async with asyncio.timeout_at(loop.time() + 0.01) as cm:
        cm.reschedule(None)
        await asyncio.sleep(0.02)
    print("no timeout", cm.expired())
    try:
        cm.reschedule(1)
    except RuntimeError as exc:
        print("RuntimeError", exc)
    try:
        async with asyncio.timeout(-1):
            await asyncio.sleep(0)
    except TimeoutError:
        print("past deadline fires on next iteration")


asyncio.run(main())
