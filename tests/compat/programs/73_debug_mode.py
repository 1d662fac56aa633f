"""Debug mode (asyncio.run(debug=True)): where objects were created, the
thread checks, callback checks, coroutine origin tracking, and what the
reports then contain. Frames and positions outside this file (the event
loop's own) are shown as <elsewhere>."""

import asyncio
import gc
import logging
import re
import sys
import threading
import warnings

HERE = __file__


def normalise(text):
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    text = re.sub(
        r"(/[^ \"'>\]]+):(\d+)",
        lambda m: m.group(0) if m.group(1) == HERE else "<elsewhere>",
        text,
    )
    out = []
    in_elsewhere = False
    for line in text.splitlines():
        frame = re.match(r'  File "(.*)", line \d+, in ', line)
        if frame:
            if frame.group(1) == HERE:
                out.append(line)
                in_elsewhere = False
            elif not in_elsewhere:
                out.append("  File <elsewhere>")
                in_elsewhere = True
            continue
        if in_elsewhere and line.startswith("    "):
            continue
        in_elsewhere = False
        out.append(line)
    return "\n".join(out)


class _Normalised(logging.Formatter):
    def format(self, record):
        return normalise(super().format(record))


_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.setFormatter(_Normalised("LOG %(levelname)s %(name)s: %(message)s"))
logging.getLogger("asyncio").addHandler(_log_handler)
logging.getLogger("asyncio").propagate = False


def _show_warning(message, category, filename, lineno, file=None, line=None):
    lines = str(message).splitlines()
    print("WARNING:", category.__name__, lines[0])
    print("  origin recorded:", len(lines) > 1)
    if len(lines) > 1:
        print(normalise("\n".join(lines[-2:])))


warnings.showwarning = _show_warning
warnings.simplefilter("always")


def here(stack):
    """The frames of this file in a recorded stack, innermost last."""
    return [(frame.name, frame.lineno) for frame in stack if frame.filename == HERE]


def cb(*args):
    pass


async def coro():
    await asyncio.sleep(0)


async def fails():
    raise ValueError("debug")


async def main():
    loop = asyncio.get_running_loop()
    print("debug:", loop.get_debug(), "slow_callback_duration:", loop.slow_callback_duration)
    print("origin tracking depth while running:", sys.get_coroutine_origin_tracking_depth())

    print("-- where things were created")
    fut = asyncio.Future()
    print(normalise(repr(fut)), here(fut._source_traceback)[-1])
    fut2 = loop.create_future()
    print(normalise(repr(fut2)), here(fut2._source_traceback)[-1])
    task = asyncio.create_task(coro())
    print(normalise(repr(task)), here(task._source_traceback)[-1])
    await task
    print(normalise(repr(task)))
    handle = loop.call_soon(cb, 1)
    print(normalise(repr(handle)), here(handle._source_traceback)[-1])
    timer = loop.call_later(10, cb)
    print(here(timer._source_traceback)[-1], timer._source_traceback[-1].name)
    timer.cancel()
    threadsafe = loop.call_soon_threadsafe(cb)
    print(here(threadsafe._source_traceback)[-1], threadsafe._source_traceback[-1].name)
    await asyncio.sleep(0)

    print("-- callbacks are checked")
    for bad in (coro, 42):
        try:
            loop.call_soon(bad)
        except TypeError as exc:
            print("TypeError:", exc)
    try:
        loop.call_later(1, coro)
    except TypeError as exc:
        print("TypeError:", exc)
    try:
        loop.call_soon_threadsafe(42)
    except TypeError as exc:
        print("TypeError:", exc)

    print("-- non-thread-safe calls from another thread")
    results = []

    def other_thread():
        for name, call in [
            ("call_soon", lambda: loop.call_soon(cb)),
            ("call_later", lambda: loop.call_later(1, cb)),
            ("call_at", lambda: loop.call_at(loop.time() + 1, cb)),
            ("set_result with a callback", lambda: fut.set_result(1)),
        ]:
            try:
                call()
                results.append(f"{name}: allowed")
            except RuntimeError as exc:
                results.append(f"{name}: RuntimeError: {exc}")
        loop.call_soon_threadsafe(results.append, "call_soon_threadsafe: allowed")

    fut.add_done_callback(cb)
    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    while len(results) < 5:  # noqa: ASYNC110 - until call_soon_threadsafe's callback ran
        await asyncio.sleep(0)
    print("\n".join(results))
    print("fut still pending:", not fut.done())

    print("-- a coroutine never awaited")
    c = coro()
    del c
    gc.collect()

    print("-- reports in debug mode")
    gc.disable()
    f = asyncio.Future()
    f.set_exception(KeyError("debug"))
    del f
    t = asyncio.create_task(fails())
    await asyncio.sleep(0)
    del t
    loop.call_soon(lambda: 1 / 0)
    await asyncio.sleep(0)
    gc.enable()


asyncio.run(main(), debug=True)
print("origin tracking depth after:", sys.get_coroutine_origin_tracking_depth())

print("-- not in debug mode")


async def plain():
    loop = asyncio.get_running_loop()
    print("debug:", loop.get_debug(), "depth:", sys.get_coroutine_origin_tracking_depth())
    fut = loop.create_future()
    print("source traceback:", fut._source_traceback, normalise(repr(fut)))
    loop.set_exception_handler(lambda loop, ctx: print("handler:", ctx["message"]))
    loop.call_soon(42)  # not checked
    await asyncio.sleep(0)
    results = []
    thread = threading.Thread(target=lambda: results.append(loop.call_later(3600, cb).cancel()))
    thread.start()
    thread.join()
    print("call_later from another thread allowed:", results)
    c = coro()
    del c


asyncio.run(plain())
