"""Debug mode reports callbacks and task steps slower than
loop.slow_callback_duration. The loop's clock is replaced by one that only
moves when the program says so, so every duration is exact."""

import asyncio
import logging
import re
import sys
import time

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

# Below the real clock, so the step that installs it measures a negative time.
clock = [time.monotonic() - 1000.0]


def spend(seconds):
    clock[0] += seconds


def slow_callback(seconds):
    spend(seconds)


async def slow_task(first, second):
    spend(first)
    await asyncio.sleep(0)
    spend(second)
    return "done"


async def waits_on(fut, seconds):
    await fut
    spend(seconds)


async def main():
    loop = asyncio.get_running_loop()
    loop.time = lambda: clock[0]
    await asyncio.sleep(0)

    print("-- callbacks")
    loop.call_soon(slow_callback, 0.25)
    loop.call_soon(slow_callback, 0.05)
    loop.call_soon(slow_callback, 0.1)
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    print("-- task steps")
    task = asyncio.create_task(slow_task(0.3, 0.01), name="slow")
    print(await task)
    fut = loop.create_future()
    task = asyncio.create_task(waits_on(fut, 0.5))
    await asyncio.sleep(0)
    fut.set_result(None)
    await task

    print("-- this task's own step")
    spend(0.2)
    await asyncio.sleep(0)

    print("-- a higher threshold")
    loop.slow_callback_duration = 0.5
    loop.call_soon(slow_callback, 0.3)
    loop.call_soon(slow_callback, 0.75)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    loop.slow_callback_duration = 0.1

    print("-- debug mode off, then on again")
    loop.set_debug(False)
    loop.call_soon(slow_callback, 0.3)
    await asyncio.sleep(0)
    await slow_task(0.2, 0.2)
    spend(0.4)
    loop.set_debug(True)
    await asyncio.sleep(0)
    loop.call_soon(slow_callback, 0.35)
    await asyncio.sleep(0)
    print("end of main")


asyncio.run(main(), debug=True)

print("-- a loop not in debug mode reports nothing")


async def quiet():
    loop = asyncio.get_running_loop()
    loop.time = lambda: clock[0]
    loop.call_soon(slow_callback, 1.0)
    await asyncio.sleep(0)
    await slow_task(1.0, 1.0)
    print("debug:", loop.get_debug())


asyncio.run(quiet())
