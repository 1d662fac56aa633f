"""wrap_future: results and exceptions crossing from concurrent futures,
cancellation both ways, exception conversion, and bad input."""

import asyncio
import concurrent.futures
import threading


async def main():
    loop = asyncio.get_running_loop()

    # Completed later by a thread.
    cf = concurrent.futures.Future()
    wrapped = asyncio.wrap_future(cf)
    print("wrapped:", type(wrapped).__name__, wrapped.get_loop() is loop, wrapped.done())
    threading.Thread(target=cf.set_result, args=("from thread",)).start()
    print(await wrapped)

    # Already done.
    cf = concurrent.futures.Future()
    cf.set_result(42)
    wrapped = asyncio.wrap_future(cf, loop=loop)
    print("done at wrap:", wrapped.done())
    print(await wrapped)

    # An exception, and whether it is the same object (3.12 renews TimeoutError).
    for exc in (ValueError("v"), TimeoutError("t")):
        cf = concurrent.futures.Future()
        cf.set_exception(exc)
        try:
            await asyncio.wrap_future(cf)
        except Exception as got:
            print("raised:", type(got).__name__, got, "same object:", got is exc)

    # concurrent.futures.CancelledError set as an exception becomes asyncio's.
    cf = concurrent.futures.Future()
    cf.set_exception(concurrent.futures.CancelledError("cf"))
    wrapped = asyncio.wrap_future(cf)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("converted:", type(wrapped.exception()).__name__,
          isinstance(wrapped.exception(), asyncio.CancelledError))

    # Cancelling the wrapper cancels a pending concurrent future ...
    cf = concurrent.futures.Future()
    wrapped = asyncio.wrap_future(cf)
    wrapped.cancel()
    await asyncio.sleep(0)
    print("wrapper cancelled -> cf:", cf.cancelled())

    # ... but not a running one, and its result is then dropped.
    cf = concurrent.futures.Future()
    cf.set_running_or_notify_cancel()
    wrapped = asyncio.wrap_future(cf)
    wrapped.cancel()
    await asyncio.sleep(0)
    cf.set_result("late")
    await asyncio.sleep(0)
    print("running cf not cancelled:", cf.cancelled(), wrapped.cancelled())

    # Cancelling the concurrent future cancels the wrapper.
    cf = concurrent.futures.Future()
    wrapped = asyncio.wrap_future(cf)
    cf.cancel()
    try:
        await wrapped
    except asyncio.CancelledError:
        print("cf cancelled -> wrapper:", wrapped.cancelled())

    # An asyncio future is returned as it is.
    fut = loop.create_future()
    print("same future:", asyncio.wrap_future(fut) is fut)

    try:
        asyncio.wrap_future("not a future")
    except AssertionError as exc:
        print("AssertionError", exc)

    # Wrapping for another loop, run by another thread.
    cf = concurrent.futures.Future()
    wrapped = asyncio.wrap_future(cf, loop=other)
    cf.set_result("other loop")
    print("other loop before running:", wrapped.done())
    print(await asyncio.to_thread(other.run_until_complete, wrapped))


other = asyncio.new_event_loop()
asyncio.run(main())
other.close()
