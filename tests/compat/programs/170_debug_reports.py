"""Reports in debug mode: source_traceback for what was created in debug
mode, and handle_traceback (where the running callback or task step was
scheduled from) added by the default handler. Only this file's frames are
shown."""

import asyncio
import gc
import sys

HERE = __file__


def frames(stack):
    return [(frame.name, frame.lineno) for frame in stack if frame.filename == HERE]


def handler(loop, context):
    keys_before = sorted(context)
    loop.default_exception_handler(context)  # may add handle_traceback
    print("handler:", context["message"], keys_before, "->", sorted(context))
    for key in ("source_traceback", "handle_traceback"):
        if key in context:
            print(f"  {key} here:", frames(context[key]))


def report(loop, what):
    loop.call_exception_handler({"message": what})


async def waits(fut):
    await fut
    report(asyncio.get_running_loop(), "in a step after a wake-up")


async def yields():
    await asyncio.sleep(0)
    report(asyncio.get_running_loop(), "in a step after sleep(0)")


async def first_step():
    report(asyncio.get_running_loop(), "in a first step")


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    # The default handler logs too; keep that out of the transcript.
    import logging

    logging.getLogger("asyncio").disabled = True

    print("-- where the report is made from")
    loop.call_soon(report, loop, "in a callback")
    await asyncio.sleep(0)
    await asyncio.create_task(first_step())
    fut = loop.create_future()
    task = asyncio.create_task(waits(fut))
    await asyncio.sleep(0)
    fut.set_result(None)
    await task
    await asyncio.create_task(yields())

    print("-- objects created in debug mode")
    gc.disable()
    f = loop.create_future()
    f.set_exception(KeyError())
    del f
    pending = loop.create_future()
    asyncio.create_task(waits(pending))  # noqa: RUF006 - dropped on purpose
    await asyncio.sleep(0)


loop = asyncio.new_event_loop()
loop.set_debug(True)
loop.run_until_complete(main())
print("-- the loop is closed; a pending task is dropped")
loop.close()
gc.collect()
print("origin tracking:", sys.get_coroutine_origin_tracking_depth())
