"""A task cancelled and then uncancelled before its first step: on 3.13
the pending cancellation is withdrawn and the body runs; before 3.13 it
still never runs."""

import asyncio


async def body() -> str:
    print("body ran")
    await asyncio.sleep(0)
    return "done"


async def main() -> None:
    task = asyncio.create_task(body())
    task.cancel("early")
    print("uncancel ->", task.uncancel())
    try:
        print("result:", await task)
    except asyncio.CancelledError as exc:
        print("cancelled:", exc.args)
    print("cancelled():", task.cancelled())


asyncio.run(main())
