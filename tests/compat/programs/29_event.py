import asyncio
import re


def r(obj):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(obj))


async def waiter(ev, name):
    print(name, "waiting")
    try:
        print(name, "got", await ev.wait())
    except asyncio.CancelledError:
        print(name, "cancelled")
        raise


async def ticker(n):
    for i in range(n):
        print("tick", i)
        await asyncio.sleep(0)


async def main():
    ev = asyncio.Event()
    print(r(ev), ev.is_set())
    tasks = [asyncio.create_task(waiter(ev, f"w{i}")) for i in range(3)]
    tick = asyncio.create_task(ticker(5))
    await asyncio.sleep(0)
    print(r(ev))
    tasks[1].cancel()
    await asyncio.sleep(0)
    print("after cancel", r(ev))
    ev.set()
    print("set", r(ev))
    ev.set()
    await asyncio.sleep(0)
    print("one step after set")
    await asyncio.sleep(0)
    print("two steps after set")
    await asyncio.gather(*tasks, tick, return_exceptions=True)
    # A set event does not suspend.
    t = asyncio.create_task(ticker(2))
    print("wait on set:", await ev.wait())
    print("no suspension happened; tick not yet run")
    await t
    ev.clear()
    print("cleared", ev.is_set(), r(ev))
    # set then clear before the waiter runs: the waiter still returns True.
    w = asyncio.create_task(waiter(ev, "late"))
    await asyncio.sleep(0)
    ev.set()
    ev.clear()
    await w
    print("final", r(ev))


asyncio.run(main())
