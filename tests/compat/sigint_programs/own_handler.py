"""A SIGINT handler installed by the program is left alone by run()."""
import asyncio
import functools
import signal


def ask_for_sigint():
    # From a callback, so the signal lands while the task is blocked.
    asyncio.get_running_loop().call_soon(functools.partial(print, "ready", flush=True))

got = []


async def main():
    loop = asyncio.get_running_loop()
    event = asyncio.Event()

    def handler(signum, frame):
        got.append(signum)
        loop.call_soon_threadsafe(event.set)

    signal.signal(signal.SIGINT, handler)
    ask_for_sigint()
    await event.wait()
    print("handler called:", got == [signal.SIGINT])
    return handler


handler = asyncio.run(main())
print("handler still installed:", signal.getsignal(signal.SIGINT) is handler)
