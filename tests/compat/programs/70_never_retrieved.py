"""Exceptions nobody retrieved: what the handler gets, what the log says, and
when (at once, when the last reference goes, with the garbage collector off)."""

import asyncio
import contextlib
import gc
import logging
import re
import sys
import weakref


class _NoAddresses(logging.Formatter):
    def format(self, record):
        return re.sub(r"0x[0-9a-f]+", "0x?", super().format(record))


_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.setFormatter(_NoAddresses("LOG %(levelname)s %(name)s: %(message)s"))
logging.getLogger("asyncio").addHandler(_log_handler)
logging.getLogger("asyncio").propagate = False


def handler(loop, context):
    exc = context.get("exception")
    print(
        "handler:",
        context["message"],
        type(exc).__name__,
        sorted(context),
        "task" in context,
        "future" in context,
    )


class MyFuture(asyncio.Future):
    pass


class MyTask(asyncio.Task):
    pass


async def boom(msg="boom"):
    raise ValueError(msg)


async def await_failed(fut):
    await fut


async def fine():
    return 1


async def main():
    loop = asyncio.get_running_loop()
    gc.disable()

    print("-- custom handler")
    loop.set_exception_handler(handler)
    t = asyncio.create_task(boom())
    await asyncio.sleep(0)
    print("task done:", t.done())
    ref = weakref.ref(t)
    del t
    print("after del task; alive:", ref() is not None)

    f = loop.create_future()
    f.set_exception(KeyError("k"))
    del f
    print("after del future")

    f = MyFuture()
    f.set_exception(OSError)
    del f
    t = MyTask(boom("subclass"))
    await asyncio.sleep(0)
    del t
    print("after subclasses")

    print("-- retrieved, cancelled or cleared: no report")
    t = asyncio.create_task(boom())
    await asyncio.sleep(0)
    t.exception()
    del t
    f = loop.create_future()
    f.set_exception(ValueError())
    with contextlib.suppress(ValueError):
        f.result()
    del f
    f = loop.create_future()
    f.set_exception(ValueError())
    f._log_traceback = False
    del f
    try:
        loop.create_future()._log_traceback = True
    except ValueError as exc:
        print("ValueError:", exc)
    t = asyncio.create_task(boom())
    await asyncio.sleep(0)
    t.cancel()
    del t
    t = asyncio.create_task(fine())
    await asyncio.sleep(0)
    del t
    print("nothing reported")

    print("-- a task failing because what it awaited failed")
    inner = loop.create_future()
    t = asyncio.create_task(await_failed(inner))
    await asyncio.sleep(0)
    inner.set_exception(RuntimeError("inner"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    inner.exception()
    del inner, t
    print("after del")

    print("-- the default handler, logging")
    loop.set_exception_handler(None)
    t = asyncio.create_task(boom("logged"))
    await asyncio.sleep(0)
    del t
    f = loop.create_future()
    f.set_exception(KeyError("logged"))
    del f
    inner = loop.create_future()
    t = asyncio.create_task(await_failed(inner))
    await asyncio.sleep(0)
    inner.set_exception(RuntimeError("inner logged"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    inner.exception()
    del inner, t
    print("-- gather children")
    g = asyncio.gather(boom("child 1"), boom("child 2"))
    try:
        await g
    except ValueError as exc:
        print("gather raised", exc)
    del g
    await asyncio.sleep(0)
    gc.collect()
    print("end of main")


asyncio.run(main())
print("after run")
