import asyncio


def cb(tag, *args):
    print("callback", tag, args)


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(cb, "a")
    h = loop.call_soon(cb, "b")
    loop.call_soon(cb, "c", 1, 2)
    h.cancel()
    print("cancelled", h.cancelled())
    loop.call_later(0.02, cb, "later2")
    loop.call_later(0.01, cb, "later1")
    loop.call_at(loop.time() + 0.01, cb, "at-same-time")
    t = loop.call_later(0.015, cb, "never")
    t.cancel()
    print("before sleep")
    await asyncio.sleep(0)
    print("after sleep(0)")
    await asyncio.sleep(0.05)
    print(type(loop.time()).__name__)


asyncio.run(main())
