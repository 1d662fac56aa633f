"""run_coroutine_threadsafe from a worker thread: results, exceptions,
cancellation from the thread, a task cancelled in the loop, and bad input."""

import asyncio
import concurrent.futures
import threading

loop_log = []


async def add(a, b):
    await asyncio.sleep(0)
    return a + b


async def fail():
    await asyncio.sleep(0)
    raise LookupError("in the loop")


async def wait_forever(started):
    started.set()
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        loop_log.append("coroutine saw CancelledError")
        raise


async def cancel_itself():
    asyncio.current_task().cancel()
    await asyncio.sleep(0)


def thread_side(loop):
    out = []
    fut = asyncio.run_coroutine_threadsafe(add(2, 3), loop)
    out.append(("type", type(fut).__name__, isinstance(fut, concurrent.futures.Future)))
    out.append(("result", fut.result(timeout=10)))

    fut = asyncio.run_coroutine_threadsafe(fail(), loop)
    try:
        fut.result(timeout=10)
    except LookupError as exc:
        out.append(("exception", type(exc).__name__, str(exc)))

    started = threading.Event()
    fut = asyncio.run_coroutine_threadsafe(wait_forever(started), loop)
    started.wait(10)
    out.append(("cancel", fut.cancel(), fut.cancelled()))
    try:
        fut.result(timeout=10)
    except concurrent.futures.CancelledError:
        out.append(("result after cancel", "CancelledError"))

    fut = asyncio.run_coroutine_threadsafe(cancel_itself(), loop)
    try:
        fut.result(timeout=10)
    except concurrent.futures.CancelledError:
        out.append(("task cancelled in loop", fut.cancelled()))

    try:
        asyncio.run_coroutine_threadsafe(add, loop)
    except TypeError as exc:
        out.append(("TypeError", str(exc)))
    return out


async def main():
    loop = asyncio.get_running_loop()
    for item in await asyncio.to_thread(thread_side, loop):
        print(*item)
    for _ in range(3):
        await asyncio.sleep(0)
    print(loop_log)

    # From the loop's own thread, the future completes once the loop runs it.
    fut = asyncio.run_coroutine_threadsafe(add(10, 20), loop)
    print("done before awaiting:", fut.done())
    print("wrapped:", await asyncio.wrap_future(fut))
    return loop


loop = asyncio.run(main())
try:
    asyncio.run_coroutine_threadsafe(add(1, 1), loop)
except RuntimeError as exc:
    print("closed loop:", exc)
