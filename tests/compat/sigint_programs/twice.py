"""Two Ctrl-C: the second raises KeyboardInterrupt at once, in the cleanup."""
import asyncio
import functools


def ask_for_sigint():
    # From a callback, so the signal lands while the task is blocked.
    asyncio.get_running_loop().call_soon(functools.partial(print, "ready", flush=True))


async def child():
    try:
        await asyncio.sleep(60)
    finally:
        print("child finally", flush=True)


async def main():
    child_task = asyncio.create_task(child())
    ask_for_sigint()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        ask_for_sigint()  # cleanup that takes long: second Ctrl-C
        await asyncio.sleep(30)
    return child_task


try:
    asyncio.run(main())
except KeyboardInterrupt as exc:
    print("KeyboardInterrupt", type(exc.__context__).__name__)
