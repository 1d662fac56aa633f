import asyncio


async def main():
    print("about to fail")
    await asyncio.sleep(0)
    raise ValueError("escaped")


try:
    asyncio.run(main())
except ValueError as exc:
    print("run raised", repr(exc))
asyncio.run(main())
