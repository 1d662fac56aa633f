"""loop.run_in_executor with the default executor (created on first use),
custom executors, set_default_executor, shutdown_default_executor, and
cancelling the returned future."""

import asyncio
import concurrent.futures
import threading


def name_of_thread(x):
    return x, threading.current_thread().name.rsplit("_", 1)[0]


async def coro_fn():
    pass


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.run_in_executor(None, name_of_thread, 1)
    print("future:", type(fut).__name__, asyncio.isfuture(fut), fut.get_loop() is loop)
    print(await fut)

    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="mine") as ex:
        calls = [loop.run_in_executor(ex, name_of_thread, i) for i in range(3)]
        print(await asyncio.gather(*calls))

    try:
        loop.set_default_executor(object())
    except TypeError as exc:
        print("TypeError", exc)
    custom = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="default2")
    loop.set_default_executor(custom)
    print(await loop.run_in_executor(None, name_of_thread, 2))

    # Cancelling the asyncio future cancels a concurrent future not started yet.
    gate = threading.Event()
    busy = loop.run_in_executor(custom, gate.wait)
    queued = loop.run_in_executor(custom, name_of_thread, "never")
    queued.cancel()
    await asyncio.sleep(0)
    gate.set()
    print("busy:", await busy, "queued cancelled:", queued.cancelled())

    # Exceptions come back as they are.
    try:
        await loop.run_in_executor(None, int, "nope")
    except ValueError as exc:
        print("ValueError", exc)

    # Debug mode refuses coroutine functions.
    loop.set_debug(True)
    try:
        loop.run_in_executor(None, coro_fn)
    except TypeError as exc:
        print("debug:", exc)
    loop.set_debug(False)

    await loop.shutdown_default_executor()
    try:
        loop.run_in_executor(None, print)
    except RuntimeError as exc:
        print("after shutdown:", exc)
    joined = not any(t.name.startswith("default2") for t in threading.enumerate())
    print("custom threads joined:", joined)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        print("explicit executor still works:", await loop.run_in_executor(ex, abs, -5))
    await loop.shutdown_default_executor()
    print("second shutdown: ok")


asyncio.run(main())

loop = asyncio.new_event_loop()
print(loop.run_until_complete(loop.run_in_executor(None, abs, -3)))
loop.close()
try:
    loop.run_in_executor(None, abs, -3)
except RuntimeError as exc:
    print("closed:", exc)

# A loop that never used its default executor: shutting down is immediate.
loop = asyncio.new_event_loop()
loop.run_until_complete(loop.shutdown_default_executor())
try:
    loop.run_in_executor(None, abs, 1)
except RuntimeError as exc:
    print("never used:", exc)
loop.close()
