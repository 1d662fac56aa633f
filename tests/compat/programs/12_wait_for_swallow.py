import asyncio


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("swallowed")
        return "value anyway"


async def main():
    res = await asyncio.wait_for(stubborn(), 0.01)
    print("result", res)


asyncio.run(main())
