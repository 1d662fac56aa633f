"""How futures and tasks describe themselves (the reports quote these):
states, results, callbacks, what a task waits for, stacks."""

import asyncio
import functools
import io
import re

HERE = __file__


def normalise(text):
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    return re.sub(
        r"(/[^ \"'>\]]+):(\d+)",
        lambda m: m.group(0) if m.group(1) == HERE else "<elsewhere>",
        text,
    )


def show(label, obj):
    print(f"{label}: {normalise(repr(obj))}")


def callback(fut):
    pass


class Callable:
    def __call__(self, fut):
        pass


async def waiter(fut):
    return await fut


async def nested(fut):
    return await waiter(fut)


async def fails():
    await asyncio.sleep(0)
    raise KeyError("inner")


async def main():
    loop = asyncio.get_running_loop()

    print("-- futures")
    fut = loop.create_future()
    show("pending", fut)
    fut.add_done_callback(callback)
    show("one callback", fut)
    fut.add_done_callback(functools.partial(callback))
    show("two callbacks", fut)
    fut.add_done_callback(Callable())
    fut.add_done_callback(lambda f: None)
    show("four callbacks", fut)
    fut.set_result("x" * 100)
    show("long result", fut)
    fut = loop.create_future()
    fut.set_exception(ValueError("v"))
    show("exception", fut)
    fut.exception()
    fut = loop.create_future()
    fut.cancel("why")
    show("cancelled", fut)

    print("-- tasks")
    inner = loop.create_future()
    task = asyncio.create_task(waiter(inner), name="waiter")
    show("not started", task)
    await asyncio.sleep(0)
    show("waiting", task)
    show("the future it waits for", inner)
    task.cancel()
    show("cancelling", task)
    await asyncio.sleep(0)
    show("cancelled", task)
    inner = loop.create_future()
    task = asyncio.create_task(nested(inner), name="nested")
    await asyncio.sleep(0)
    show("nested await", task)
    stack = task.get_stack()
    print("stack:", [(f.f_code.co_name, f.f_lineno) for f in stack])
    out = io.StringIO()
    task.print_stack(file=out)
    print(normalise(out.getvalue()), end="")
    inner.set_result(5)
    await task
    show("finished", task)
    print("stack when done:", task.get_stack())
    out = io.StringIO()
    task.print_stack(file=out)
    print(normalise(out.getvalue()), end="")

    failing = asyncio.create_task(fails(), name="fails")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    show("failed", failing)
    print("traceback frames:", [(f.f_code.co_name, f.f_lineno) for f in failing.get_stack()])
    print("limit=1:", [(f.f_code.co_name, f.f_lineno) for f in failing.get_stack(limit=1)])
    out = io.StringIO()
    failing.print_stack(file=out)
    print(normalise(out.getvalue()), end="")
    failing.exception()

    me = asyncio.current_task()
    show("the running task", me)
    print("running task's stack, innermost:", [f.f_code.co_name for f in me.get_stack()][-1:])
    print("get_coro:", me.get_coro().__qualname__)
    if hasattr(me, "get_context"):  # 3.12+
        print("get_context:", type(me.get_context()).__name__)
    else:
        print("no get_context")


asyncio.run(main())
