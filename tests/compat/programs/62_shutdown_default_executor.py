"""shutdown_default_executor across versions: the timeout argument (3.12+),
the RuntimeWarning when it expires (3.13 bounds the wait, 3.12 only the
join), and asyncio.run() joining the default executor's threads."""

import asyncio
import sys
import threading
import warnings

log = []


def slow(release):
    release.wait()
    log.append("slow done")


async def leave_work_behind():
    loop = asyncio.get_running_loop()
    release = threading.Event()
    loop.run_in_executor(None, slow, release)
    loop.call_later(0.05, release.set)
    # Returns at once: asyncio.run() waits for the executor when it closes.
    return "main done"


print(asyncio.run(leave_work_behind()), log)
log.clear()


async def with_timeout():
    loop = asyncio.get_running_loop()
    release = threading.Event()
    loop.run_in_executor(None, slow, release)
    loop.call_later(0.5, release.set)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            await loop.shutdown_default_executor(0.01)
        except TypeError:
            print("no timeout argument on this version")
            await loop.shutdown_default_executor()
    print("warnings:", [(w.category.__name__, str(w.message)) for w in caught])
    print("slow finished before shutdown returned:", log == ["slow done"])
    while not release.is_set():  # noqa: ASYNC110 (a threading.Event, set by a thread)
        await asyncio.sleep(0.01)


asyncio.run(with_timeout())
print("done", sys.version_info >= (3, 12))
