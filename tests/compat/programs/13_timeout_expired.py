import asyncio


async def main():
    try:
        async with asyncio.timeout(0.01) as cm:
            print(repr(cm)[:17], cm.expired())
            await asyncio.sleep(10)
    except TimeoutError as exc:
        print("TimeoutError", type(exc.__cause__).__name__, cm.expired(), repr(cm))
    print("cancelling", asyncio.current_task().cancelling())
    async with asyncio.timeout(None) as cm2:
        await asyncio.sleep(0)
    print(cm2.when(), cm2.expired(), repr(cm2))
    async with asyncio.timeout(1) as cm3:
        await asyncio.sleep(0)
    print(cm3.expired(), repr(cm3))


asyncio.run(main())
