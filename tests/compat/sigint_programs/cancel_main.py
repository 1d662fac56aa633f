"""One Ctrl-C: the main task is cancelled; asyncio.run raises KeyboardInterrupt."""
import asyncio
import functools


def ask_for_sigint():
    # From a callback, so the signal lands while the task is blocked.
    asyncio.get_running_loop().call_soon(functools.partial(print, "ready", flush=True))


async def main():
    ask_for_sigint()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError as exc:
        print("main cancelled", type(exc).__name__, asyncio.current_task().cancelling(), flush=True)
        raise


asyncio.run(main())
