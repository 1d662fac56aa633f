"""Eager tasks (3.12+): the coroutine runs inside create_task() until it first
suspends. On 3.11 the program prints the same lines without using them."""

import asyncio

HAS_EAGER = hasattr(asyncio, "eager_task_factory")


def say(*args):
    print(*args)


async def quick(tag):
    say("  quick", tag, "runs; current task is itself:", asyncio.current_task() is not None)
    return tag


async def suspends(tag):
    me = asyncio.current_task()
    say("  suspends", tag, "first step")
    await asyncio.sleep(0)
    say("  suspends", tag, "resumed; same task:", asyncio.current_task() is me)
    return tag


async def fails(tag):
    raise ValueError(tag)


async def awaits_done_future(fut):
    return await fut


async def main():
    loop = asyncio.get_running_loop()
    if not HAS_EAGER:
        print("no eager tasks on this Python")
        coro = quick(0)
        try:
            asyncio.Task(coro, eager_start=True)
        except TypeError as exc:
            print("TypeError:", exc)
        coro.close()
        return
    loop.set_task_factory(asyncio.eager_task_factory)
    print("factory is eager_task_factory:", loop.get_task_factory() is asyncio.eager_task_factory)

    print("-- finishing in the first step")
    say("before create_task")
    t = asyncio.create_task(quick(1))
    say("after create_task: done", t.done(), "result", t.result())
    say("in all_tasks:", t in asyncio.all_tasks())
    t.add_done_callback(lambda t: say("  done callback of the eager task"))
    say("callback added")
    await asyncio.sleep(0)

    print("-- suspending in the first step")
    t = asyncio.create_task(suspends(2))
    say("after create_task: done", t.done(), "in all_tasks:", t in asyncio.all_tasks())
    say("result:", await t)

    print("-- failing in the first step")
    t = asyncio.create_task(fails("eager failure"))
    say("done", t.done(), "exception", repr(t.exception()))

    print("-- awaiting a future that is already done")
    fut = loop.create_future()
    fut.set_result("ready")
    t = asyncio.create_task(awaits_done_future(fut))
    say("done", t.done(), "result", t.result())

    print("-- order against other callbacks")
    loop.call_soon(say, "  call_soon before")
    t1 = asyncio.create_task(suspends(3))
    loop.call_soon(say, "  call_soon after")
    await t1

    print("-- gather")
    results = await asyncio.gather(quick(4), suspends(5), quick(6))
    say("gather:", results)
    outer = asyncio.gather(quick(7), quick(8))
    say("gather of eager children done at once:", outer.done())
    say(await outer)

    print("-- TaskGroup")
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(quick(9))
        b = tg.create_task(suspends(10))
        say("in the group: a done", a.done(), "b done", b.done())
    say("after the group:", a.result(), b.result())
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(suspends(11))
            tg.create_task(fails("in group"))
            say("group body goes on after the eager failure")
    except* ValueError as group:
        say("group failed with", [str(e) for e in group.exceptions])

    print("-- Task(..., eager_start=True) and the factory")
    t = asyncio.Task(quick(12), loop=loop, eager_start=True)
    say("explicit eager Task done:", t.done())
    try:
        asyncio.Task(quick(13), eager_start=True)
    except AttributeError as exc:
        say("without loop=:", type(exc).__name__, exc)
    await asyncio.sleep(0)

    class MyTask(asyncio.Task):
        pass

    loop.set_task_factory(asyncio.create_eager_task_factory(MyTask))
    t = asyncio.create_task(quick(14))
    say("custom constructor:", type(t).__name__, "done", t.done())
    loop.set_task_factory(None)
    t = asyncio.create_task(quick(15))
    say("no factory: done", t.done())
    await t


if __name__ == "__main__":
    asyncio.run(main())
