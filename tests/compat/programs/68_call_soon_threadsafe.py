"""call_soon_threadsafe: waking a loop blocked in its I/O wait from another
thread, keeping order with call_soon between runs, and contexts."""

import asyncio
import contextvars
import threading

var = contextvars.ContextVar("var", default="default")


async def wait_for_thread(loop):
    fut = loop.create_future()

    def worker():
        # The loop has nothing else to do: it is blocked in its I/O wait.
        loop.call_soon_threadsafe(fut.set_result, "woken by thread")

    t = threading.Thread(target=worker)
    t.start()
    result = await fut
    t.join()
    return result


async def several_from_thread(loop):
    seen = []
    done = loop.create_future()

    def worker():
        for i in range(5):
            loop.call_soon_threadsafe(seen.append, i)
        loop.call_soon_threadsafe(done.set_result, None)

    t = threading.Thread(target=worker)
    t.start()
    await done
    t.join()
    return seen


loop = asyncio.new_event_loop()
print(loop.run_until_complete(wait_for_thread(loop)))
print(loop.run_until_complete(several_from_thread(loop)))

# Between runs, from the loop's own thread: one FIFO with call_soon.
order = []
loop.call_soon_threadsafe(order.append, "threadsafe 1")
loop.call_soon(order.append, "soon 1")
loop.call_soon_threadsafe(order.append, "threadsafe 2")
loop.call_soon(order.append, "soon 2")


async def main():
    order.append("main")
    await asyncio.sleep(0)
    order.append("main again")


loop.run_until_complete(main())
print(order)

# Between runs, from another thread.
order.clear()
t = threading.Thread(target=loop.call_soon_threadsafe, args=(order.append, "from thread"))
t.start()
t.join()
loop.call_soon(order.append, "soon after")
loop.run_until_complete(main())
print(order)

# The handle: context and cancel.
var.set("outer")
ctx = contextvars.copy_context()
var.set("changed")
got = []
loop.call_soon_threadsafe(lambda: got.append(var.get()), context=ctx)
h = loop.call_soon_threadsafe(got.append, "cancelled")
print(type(h).__name__, h.cancelled())
h.cancel()
loop.call_soon_threadsafe(lambda: got.append(var.get()))
loop.run_until_complete(asyncio.sleep(0))
print(got)

try:
    loop.call_soon_threadsafe(main)
except TypeError as exc:
    print("TypeError", exc)
loop.close()
try:
    loop.call_soon_threadsafe(print)
except RuntimeError as exc:
    print("closed:", exc)
