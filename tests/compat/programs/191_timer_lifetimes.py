"""Timers armed by sleep(), timeout() and wait_for() keep nothing alive
once they no longer matter: a finished task that used them is freed (and
reports its unretrieved exception) as soon as it is dropped, and tasks cut
loose from a closed loop while waiting on them are freed when dropped.

(Each check comes after one ``sleep(0)``: tether's run loop keeps the last
trap message a task yielded until the next task step, which keeps a task
that has just exited alive until then.)"""

import asyncio
import gc
import sys
import weakref


def handler(loop, context):
    exc = context.get("exception")
    print("handler:", context["message"], type(exc).__name__ if exc else None)


class Payload:
    pass


async def sleeps_then_fails():
    await asyncio.sleep(0.001)
    raise ValueError("after sleeping")


async def timeout_then_fails():
    async with asyncio.timeout(3600):
        await asyncio.sleep(0)
    raise ValueError("after a timeout block")


async def wait_for_then_fails():
    await asyncio.wait_for(asyncio.sleep(0), 3600)
    raise ValueError("after wait_for")


async def sleeper_cancelled_early():
    await asyncio.sleep(3600)


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)

    print("-- finished tasks are freed when dropped")
    for fn in (sleeps_then_fails, timeout_then_fails, wait_for_then_fails):
        task = asyncio.create_task(fn())
        await asyncio.wait([task])
        ref = weakref.ref(task)
        print(fn.__name__, "done:", task.done())
        del task
        await asyncio.sleep(0)  # (see the note at the top)
        print("freed:", ref() is None)

    print("-- a sleep cancelled long before its deadline")
    task = asyncio.create_task(sleeper_cancelled_early())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait([task])
    ref = weakref.ref(task)
    del task
    await asyncio.sleep(0)
    print("freed:", ref() is None)

    print("-- sleep's result")
    payload = Payload()
    got = await asyncio.sleep(0.001, payload)
    print("result is the payload:", got is payload)
    ref = weakref.ref(payload)
    del got, payload
    print("payload freed:", ref() is None)

    print("-- timeouts and sleeps still fire")
    try:
        async with asyncio.timeout(0.001):
            await asyncio.sleep(3600)
    except TimeoutError:
        print("timeout fired")
    try:
        await asyncio.wait_for(asyncio.sleep(3600), 0.001)
    except TimeoutError:
        print("wait_for timed out")
    cm = asyncio.timeout(3600)
    async with cm:
        cm.reschedule(loop.time() + 0.001)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print("rescheduled timeout cancelled the sleep")
            raise
    print("unreachable")


async def waits_in_timeout():
    async with asyncio.timeout(3600):
        await asyncio.sleep(7200)


async def waits_in_wait_for():
    await asyncio.wait_for(asyncio.sleep(7200), 3600)


async def sleeps():
    await asyncio.sleep(3600)


gc.disable()
try:
    asyncio.run(main())
except TimeoutError:
    print("TimeoutError from the rescheduled timeout")

print("-- tasks cut loose from a closed loop while timers are armed")
loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
tasks = [loop.create_task(fn()) for fn in (waits_in_timeout, waits_in_wait_for, sleeps)]
loop.run_until_complete(asyncio.sleep(0.001))
loop.close()
refs = [weakref.ref(t) for t in tasks]
del tasks
gc.collect()
print("freed after collection:", [r() is None for r in refs])
sys.stdout.flush()
print("end")
