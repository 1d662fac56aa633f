"""Timeouts and cancellation around work in threads: the awaiting side gives
up, the thread carries on, and the loop keeps serving other tasks."""

import asyncio
import concurrent.futures
import threading


async def ticker(log, n):
    for i in range(n):
        log.append(f"tick{i}")
        await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()

    release = threading.Event()
    try:
        await asyncio.wait_for(asyncio.to_thread(release.wait), 0.01)
    except TimeoutError:
        print("wait_for: TimeoutError")
    release.set()

    release = threading.Event()
    try:
        async with asyncio.timeout(0.01):
            await loop.run_in_executor(None, release.wait)
    except TimeoutError:
        print("timeout(): TimeoutError")
    release.set()

    # Cancelling the awaiting task: a running concurrent future is left alone.
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        started = threading.Event()
        release = threading.Event()
        outcome = []

        def work():
            started.set()
            release.wait()
            outcome.append("work finished")
            return "result nobody reads"

        async def waiter(fut):
            return await asyncio.shield(fut)

        fut = loop.run_in_executor(ex, work)
        task = asyncio.create_task(waiter(fut))
        await asyncio.to_thread(started.wait)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            print("task cancelled; wrapper still pending:", not fut.done())
        fut.cancel()
        print("wrapper cancelled:", fut.cancelled())
        release.set()
    print(outcome)

    # Other tasks keep running while threads work.
    log = []
    release = threading.Event()
    threaded = loop.run_in_executor(None, release.wait)
    await ticker(log, 3)
    release.set()
    print("thread result:", await threaded, log)

    # Many calls at once, results in order.
    results = await asyncio.gather(*(asyncio.to_thread(pow, 2, i) for i in range(10)))
    print(results)

    # Exceptions from several threads, collected.
    def boom(i):
        raise ValueError(i)

    errors = await asyncio.gather(*(asyncio.to_thread(boom, i) for i in range(3)),
                                  return_exceptions=True)
    print([(type(e).__name__, e.args) for e in errors])

    # A TaskGroup waiting on threads, one of which fails.
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(asyncio.to_thread(boom, "tg"))
            tg.create_task(asyncio.sleep(3600))
    except* ValueError as eg:
        print("TaskGroup:", [e.args for e in eg.exceptions])


asyncio.run(main())
