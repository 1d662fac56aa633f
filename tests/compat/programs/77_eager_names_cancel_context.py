"""Eager tasks (3.12+): names and counters, contextvars, nesting, and
cancellation requested during the eager step. On 3.11 the program says so
and stops."""

import asyncio
import contextvars

var = contextvars.ContextVar("var", default="unset")


async def named():
    print("  inside:", asyncio.current_task().get_name())
    await asyncio.sleep(0)
    print("  later:", asyncio.current_task().get_name())


async def sees_context(tag):
    print("  eager step sees", var.get())
    var.set(tag)
    await asyncio.sleep(0)
    print("  resumed, sees", var.get())


async def inner():
    print("    inner eager step; all_tasks has it:", asyncio.current_task() in asyncio.all_tasks())
    await asyncio.sleep(0)
    return "inner"


async def outer():
    me = asyncio.current_task()
    print("  outer eager step")
    child = asyncio.create_task(inner())
    print("  back in outer; current task is outer:", asyncio.current_task() is me)
    return await child


async def cancels_itself():
    asyncio.current_task().cancel("from the eager step")
    print("  requested; cancelling() =", asyncio.current_task().cancelling())
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError as exc:
        print("  CancelledError at the first suspension:", exc.args)
        raise


async def immediate():
    return None


async def waits(fut):
    try:
        await fut
    except asyncio.CancelledError:
        print("  waiter cancelled; fut cancelled:", fut.cancelled())
        raise


async def main():
    loop = asyncio.get_running_loop()
    if not hasattr(asyncio, "eager_task_factory"):
        print("no eager tasks on this Python")
        return
    loop.set_task_factory(asyncio.eager_task_factory)

    print("-- names")
    t = asyncio.create_task(named())
    print("unnamed:", t.get_name())
    await t
    t = asyncio.create_task(named(), name="given")
    print("named:", t.get_name())
    await t
    t = loop.create_task(named(), name="via loop")
    print("named via the loop:", t.get_name())
    await t
    t = asyncio.Task(named(), loop=loop, name="direct", eager_start=True)
    print("Task(name=...):", t.get_name())
    await t
    t = asyncio.create_task(named())
    t.set_name("renamed")
    await t

    print("-- contextvars")
    var.set("main's value")
    t = asyncio.create_task(sees_context("task's value"))
    print("main still sees", var.get())
    await t
    ctx = contextvars.copy_context()
    ctx.run(var.set, "explicit context")
    t = asyncio.create_task(sees_context("changed"), context=ctx)
    await t
    print("explicit context now holds", ctx[var])

    print("-- nested eager tasks")
    print("result:", await asyncio.create_task(outer()))

    print("-- cancelled during the eager step")
    t = asyncio.create_task(cancels_itself())
    print("done:", t.done(), "cancelling:", t.cancelling())
    try:
        await t
    except asyncio.CancelledError:
        print("awaiting it: CancelledError; cancelled:", t.cancelled())

    print("-- cancelled right after the eager step")
    fut = loop.create_future()
    t = asyncio.create_task(waits(fut))
    print("cancel():", t.cancel("stop"))
    await asyncio.sleep(0)
    print("cancelled:", t.cancelled())

    print("-- an eager task that finished cannot be cancelled")
    t = asyncio.create_task(immediate())
    print("done:", t.done(), "cancel():", t.cancel(), "cancelled:", t.cancelled())


asyncio.run(main())
