"""One Ctrl-C, swallowed by the main task: run() returns its result."""
import asyncio
import functools


def ask_for_sigint():
    # From a callback, so the signal lands while the task is blocked.
    asyncio.get_running_loop().call_soon(functools.partial(print, "ready", flush=True))


async def main():
    ask_for_sigint()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        print("swallowed", asyncio.current_task().uncancel(), flush=True)
    await asyncio.sleep(0)
    return "result"


print("run returned", asyncio.run(main()))
