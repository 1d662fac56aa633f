"""What code in the wild reads and sets on futures and tasks: the callback
list as the C Future shows it, attributes set by hand, subclasses that add
attributes or override the class-level defaults."""

import asyncio
import gc


def show_callbacks(label, fut):
    cbs = fut._callbacks
    if cbs is None:
        print(label, None)
    else:
        names = [getattr(cb, "__qualname__", type(cb).__name__) for cb, _ in cbs]
        print(label, type(cbs).__name__, names, [type(ctx).__name__ for _, ctx in cbs])


def first(fut):
    print("first called", fut.result())


def second(fut):
    print("second called", fut.result())


def third(fut):
    print("third called", fut.result())


class MyFuture(asyncio.Future):
    tag = "class tag"

    def __init__(self, *, loop=None, label="f"):
        super().__init__(loop=loop)
        self.label = label
        self.extra = []


class QuietTask(asyncio.Task):
    _log_destroy_pending = False

    def __init__(self, coro, *, loop=None, name=None, context=None, note="n"):
        super().__init__(coro, loop=loop, name=name, context=context)
        self.note = note


class SlottedFuture(asyncio.Future):
    __slots__ = ("slot_value",)


async def child(value):
    await asyncio.sleep(0)
    return value


async def main():
    loop = asyncio.get_running_loop()

    print("-- the callback list")
    fut = loop.create_future()
    show_callbacks("new:", fut)
    fut.add_done_callback(first)
    show_callbacks("one:", fut)
    fut.add_done_callback(second)
    fut.add_done_callback(third)
    show_callbacks("three:", fut)
    print("removed first:", fut.remove_done_callback(first))
    show_callbacks("after removing the first:", fut)
    fut.add_done_callback(first)
    show_callbacks("first again, at the end:", fut)
    print("removed second:", fut.remove_done_callback(second))
    print("removed absent:", fut.remove_done_callback(print))
    show_callbacks("now:", fut)
    print("removed third:", fut.remove_done_callback(third))
    print("removed first:", fut.remove_done_callback(first))
    show_callbacks("emptied:", fut)
    fut.add_done_callback(second)
    show_callbacks("one again:", fut)
    fut.set_result(1)
    show_callbacks("done:", fut)
    await asyncio.sleep(0)
    try:
        fut._callbacks = []
    except AttributeError:
        print("_callbacks is read-only")
    else:
        print("_callbacks was set")

    print("-- a task waiting on a future is its first callback")
    fut = loop.create_future()
    fut.add_done_callback(first)
    waiter = asyncio.ensure_future(fut)
    task = asyncio.create_task(asyncio.wait_for(fut, None))
    await asyncio.sleep(0)
    show_callbacks("with a waiting task:", fut)
    print("waiter is the future itself:", waiter is fut)
    fut.set_result("v")
    print("awaited:", await task)

    print("-- callbacks in registration order, a waiting task among them")
    fut = loop.create_future()

    async def await_it():
        print("task woke with", await fut)

    t = asyncio.create_task(await_it())
    await asyncio.sleep(0)
    fut.add_done_callback(first)
    show_callbacks("task then callback:", fut)
    print("removed first:", fut.remove_done_callback(first))
    fut.add_done_callback(second)
    fut.set_result("x")
    await t

    print("-- attributes set by hand")
    fut = loop.create_future()
    fut.custom = 42
    fut._asyncio_future_blocking = True
    print("custom:", fut.custom, "blocking:", fut._asyncio_future_blocking)
    print("isfuture:", asyncio.isfuture(fut))
    fut._asyncio_future_blocking = False
    fut.set_result(None)
    t = asyncio.create_task(child(7))
    t.custom = "task attr"
    print("task custom:", t.custom, "result:", await t)
    fut = loop.create_future()
    fut._log_traceback = False
    try:
        fut._log_traceback = True
    except ValueError as exc:
        print("ValueError:", exc)
    fut.cancel()

    print("-- a Future subclass with attributes")
    mf = MyFuture(loop=loop, label="mine")
    print(mf.label, mf.extra, mf.tag, asyncio.isfuture(mf))
    mf.extra.append(1)
    mf.tag = "instance tag"
    print(mf.tag, MyFuture.tag)
    loop.call_soon(mf.set_result, "from callback")
    print("awaited subclass:", await mf)
    print("repr starts:", repr(mf).split(" ")[0])

    print("-- a slotted Future subclass")
    sf = SlottedFuture(loop=loop)
    sf.slot_value = "slot"
    sf.anything = "else"
    sf.set_result(sf.slot_value)
    print("slotted:", await sf, sf.anything)

    print("-- a Task subclass overriding a class-level default")
    qt = QuietTask(asyncio.sleep(3600), loop=loop, note="quiet")
    print(qt.note, qt._log_destroy_pending, QuietTask._log_destroy_pending)
    qt.cancel()
    try:
        await qt
    except asyncio.CancelledError:
        print("quiet task cancelled; cancelling():", qt.cancelling())
    loud = QuietTask(child(3), loop=loop)
    loud._log_destroy_pending = True
    print("instance override:", loud._log_destroy_pending, "class:", QuietTask._log_destroy_pending)
    print("loud result:", await loud)

    print("-- task-level defaults read before they are set")
    t = asyncio.create_task(child(1))
    print(t._must_cancel, t._fut_waiter, t._log_destroy_pending, t.cancelling())
    await asyncio.sleep(0)
    print("waiting on:", type(t._fut_waiter).__name__ if t._fut_waiter else None)
    await t
    print("after:", t._fut_waiter, t._must_cancel)


gc.disable()
asyncio.run(main())
print("end")
