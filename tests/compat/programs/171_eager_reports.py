"""Eager tasks (3.12+) and error reporting: a task that fails after its eager
step is reported when it is freed, by reference counting; in debug mode an
eager step is part of the step or callback that created it. On 3.11 the
program says so and stops.

(Not shown: a task that fails *in* its eager step and is dropped. The C Task
of 3.12.1 and 3.13.0 keeps it alive through a reference cycle, gh-128552,
until the garbage collector runs; the facade frees it at once.)"""

import asyncio
import gc
import logging
import re
import sys
import weakref

HERE = __file__


def normalise(text):
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    return re.sub(
        r"(/[^ \"'>\]]+):(\d+)",
        lambda m: m.group(0) if m.group(1) == HERE else "<elsewhere>",
        text,
    )


class _Normalised(logging.Formatter):
    def format(self, record):
        return normalise(super().format(record))


_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.setFormatter(_Normalised("LOG %(levelname)s %(name)s: %(message)s"))
logging.getLogger("asyncio").addHandler(_log_handler)
logging.getLogger("asyncio").propagate = False

clock = [0.0]


def handler(loop, context):
    print("handler:", context["message"], repr(context.get("exception")), sorted(context))


async def fails(tag):
    raise ValueError(tag)


async def fails_later(tag):
    await asyncio.sleep(0)
    raise ValueError(tag)


async def slow_eager(seconds):
    clock[0] += seconds


def creates_slow_eager_task():
    asyncio.Task(slow_eager(0.3), loop=asyncio.get_running_loop(), eager_start=True)


async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    loop.set_exception_handler(handler)
    gc.disable()

    print("-- failing in the eager step, retrieved")
    task = asyncio.create_task(fails("eager"))
    print("done:", task.done(), repr(task.exception()))
    del task

    print("-- failing later, dropped")
    task = asyncio.create_task(fails_later("later"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    ref = weakref.ref(task)
    del task
    print("after del; alive:", ref() is not None)

    gc.enable()

    print("-- debug mode: an eager step is part of its creator's step or callback")
    loop.set_exception_handler(None)
    loop.set_debug(True)
    loop.time = lambda: clock[0]
    await asyncio.sleep(0)
    loop.call_soon(creates_slow_eager_task)
    await asyncio.sleep(0)
    asyncio.create_task(slow_eager(0.2))  # noqa: RUF006 - done eagerly
    await asyncio.sleep(0)
    task = asyncio.create_task(fails("debug"))
    print("source traceback here:", [f.name for f in task._source_traceback if f.filename == HERE])
    task.exception()
    loop.set_debug(False)


if hasattr(asyncio, "eager_task_factory"):
    asyncio.run(main())
else:
    print("no eager tasks on this Python")
