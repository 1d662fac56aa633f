"""Errors in callbacks and in exception handlers: the context the handler
gets, the context it runs in (3.12+: the task's, future's or handle's), and
the default handler's log text."""

import asyncio
import contextvars
import functools
import logging
import re
import sys


class _NoAddresses(logging.Formatter):
    def format(self, record):
        text = re.sub(r"0x[0-9a-f]+", "0x?", super().format(record))
        # The loop's own frame (a failing handler is called from it) is
        # the stdlib's or the facade's: show where, not which file.
        lines = []
        skipping = False
        for line in text.splitlines():
            if re.match(r'  File ".*", line \d+, in call_exception_handler$', line):
                lines.append("  File <the loop>, in call_exception_handler")
                skipping = True
            elif skipping and line.startswith("    "):
                continue
            else:
                skipping = False
                lines.append(line)
        return "\n".join(lines)


_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.setFormatter(_NoAddresses("LOG %(levelname)s %(name)s: %(message)s"))
logging.getLogger("asyncio").addHandler(_log_handler)
logging.getLogger("asyncio").propagate = False

where = contextvars.ContextVar("where", default="main context")


def handler(loop, context):
    handle = context.get("handle")
    print(
        "handler:",
        context["message"],
        type(context.get("exception")).__name__,
        sorted(context),
        "| runs in:",
        where.get(),
    )
    if isinstance(handle, asyncio.TimerHandle):
        print("  a TimerHandle; cancelled:", handle.cancelled())
    elif handle is not None:
        print("  handle:", handle)


def bad(*args):
    raise ZeroDivisionError(f"bad{args}")


def on_done(fut):
    raise KeyError("in a done callback")


async def fails():
    raise ValueError("task")


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)

    print("-- call_soon, call_later, partial, done callback")
    loop.call_soon(bad, 1, "two")
    loop.call_soon(functools.partial(bad, 3), 4)
    loop.call_later(0.001, bad)
    await asyncio.sleep(0.01)
    fut = loop.create_future()
    fut.add_done_callback(on_done)
    fut.set_result(1)
    await asyncio.sleep(0)

    print("-- in the context of what the report is about")
    ctx = contextvars.copy_context()
    ctx.run(where.set, "the handle's context")
    loop.call_soon(bad, 5, context=ctx)
    await asyncio.sleep(0)

    async def in_task():
        where.set("the task's context")
        raise ValueError("never retrieved")

    t = asyncio.create_task(in_task())
    await asyncio.sleep(0)
    del t
    await asyncio.sleep(0)

    print("-- call_exception_handler directly")
    loop.call_exception_handler({"message": "plain"})
    loop.call_exception_handler({"message": "with keys", "zeta": 1, "alpha": [2]})

    print("-- a failing handler")

    def failing_handler(loop, context):
        print("failing handler called for:", context["message"])
        raise RuntimeError("handler failed")

    loop.set_exception_handler(failing_handler)
    loop.call_soon(bad, 6)
    await asyncio.sleep(0)

    print("-- the default handler")
    loop.set_exception_handler(None)
    loop.call_soon(bad, 7)
    await asyncio.sleep(0)
    loop.call_exception_handler({"message": "no exception", "b": "x", "a": 1})
    loop.call_exception_handler({})
    loop.call_exception_handler({"exception": KeyError("k")})
    loop.default_exception_handler({"message": "called directly", "future": fut})
    try:
        raise OSError("with a traceback")
    except OSError as exc:
        loop.call_exception_handler({"message": "caught", "exception": exc})
    print("get_exception_handler:", loop.get_exception_handler())
    try:
        loop.set_exception_handler("not callable")
    except TypeError as exc:
        print("TypeError:", exc)


asyncio.run(main())
