"""asyncio.to_thread: arguments, the copied context, the default executor's
threads, exceptions, and cancelling the awaiting task."""

import asyncio
import contextvars
import threading

var = contextvars.ContextVar("var", default="unset")


def work(a, b=0, *, c=0):
    seen = var.get()
    var.set("changed in thread")  # does not leak back
    name = threading.current_thread().name
    in_main = threading.current_thread() is threading.main_thread()
    return a + b + c, seen, name.rsplit("_", 1)[0], in_main


def fail():
    raise KeyError("from thread")


async def main():
    var.set("main")
    print(await asyncio.to_thread(work, 1, 2, c=3))
    print("after:", var.get())

    # Each call gets a copy of the context as it is at the call.
    var.set("second")
    results = await asyncio.gather(*(asyncio.to_thread(var.get) for _ in range(3)))
    print("gathered:", results)

    # 'func' is positional-only: the keyword goes to the function.
    print(await asyncio.to_thread(dict, func=1))

    try:
        await asyncio.to_thread(fail)
    except KeyError as exc:
        print("KeyError", exc)

    # Cancelling the waiting task does not stop the thread.
    started = threading.Event()
    release = threading.Event()
    finished = []

    def blocking():
        started.set()
        release.wait()
        finished.append("thread finished")
        return "ignored"

    task = asyncio.create_task(asyncio.to_thread(blocking))
    while not started.is_set():  # noqa: ASYNC110 (a threading.Event, set by the worker)
        await asyncio.sleep(0.001)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("cancelled:", task.cancelled())
    release.set()
    # The default executor is shut down (joined) by asyncio.run().
    return finished


finished = asyncio.run(main())
print(finished)
left = [t.name for t in threading.enumerate() if t.name.startswith("asyncio")]
print("asyncio threads left:", left)
