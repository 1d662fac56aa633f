"""Tasks still pending when their loop is closed: nothing happens at close();
each reports "Task was destroyed but it is pending!" when it is freed."""

import asyncio
import gc
import logging
import re
import sys
import warnings
import weakref


class _NoAddresses(logging.Formatter):
    def format(self, record):
        return re.sub(r"0x[0-9a-f]+", "0x?", super().format(record))


_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.setFormatter(_NoAddresses("LOG %(levelname)s %(name)s: %(message)s"))
logging.getLogger("asyncio").addHandler(_log_handler)
logging.getLogger("asyncio").propagate = False


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print("WARNING:", category.__name__, message)


warnings.showwarning = _show_warning
warnings.simplefilter("always")


def handler(loop, context):
    print("handler:", context["message"], sorted(context), "task" in context)


async def waiter(fut):
    await fut


async def sleeper():
    await asyncio.sleep(3600)


async def never():
    print("never runs")


gc.disable()

print("-- a task awaiting a future, a sleeping task, a task that never ran")
loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
fut = loop.create_future()
t1 = loop.create_task(waiter(fut))
t2 = loop.create_task(sleeper())
loop.run_until_complete(asyncio.sleep(0))
t3 = loop.create_task(never())
print("states:", t1._state, t2._state, t3._state)
loop.close()
print("closed; t1 waits for its future:", t1._fut_waiter is fut)
r1, r2, r3 = weakref.ref(t1), weakref.ref(t2), weakref.ref(t3)
del t3
print("del t3; alive:", r3() is not None)
del t2
print("del t2; alive:", r2() is not None)
gc.collect()
print("collected; t2 alive:", r2() is not None)
del t1
print("del t1; alive:", r1() is not None, "(its future keeps it)")
del fut
print("del fut; alive:", r1() is not None)
gc.collect()
print("collected; t1 alive:", r1() is not None)

print("-- never scheduled: the loop closes before it runs")
loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
loop.create_task(never())  # noqa: RUF006 - dropped on purpose
print("close")
loop.close()
print("closed")

print("-- the default handler, logging")
loop = asyncio.new_event_loop()
fut = loop.create_future()
task = loop.create_task(waiter(fut))
loop.run_until_complete(asyncio.sleep(0))
loop.close()
del task, fut
gc.collect()

print("-- a task created on a closed loop")
try:
    asyncio.Task(never(), loop=loop)
except RuntimeError as exc:
    print("RuntimeError:", exc)

print("-- run_until_complete's own task is not reported")
loop = asyncio.new_event_loop()


async def stops():
    loop.stop()
    await asyncio.sleep(3600)


try:
    loop.run_until_complete(stops())
except RuntimeError as exc:
    print("RuntimeError:", exc)
loop.close()
gc.collect()
print("end")
