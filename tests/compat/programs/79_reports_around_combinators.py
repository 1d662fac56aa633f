"""Which exceptions count as retrieved when combinators and runners are
involved, and the reports made when asyncio.run() shuts down."""

import asyncio
import gc
import logging
import re
import sys


class _NoAddresses(logging.Formatter):
    def format(self, record):
        return re.sub(r"0x[0-9a-f]+", "0x?", super().format(record))


_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.setFormatter(_NoAddresses("LOG %(levelname)s %(name)s: %(message)s"))
logging.getLogger("asyncio").addHandler(_log_handler)
logging.getLogger("asyncio").propagate = False


def handler(loop, context):
    exc = context.get("exception")
    print("handler:", context["message"], repr(exc), sorted(context))


async def boom(tag):
    await asyncio.sleep(0)
    raise ValueError(tag)


async def stubborn():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        raise KeyError("refuses to be cancelled quietly") from None


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    gc.disable()

    print("-- gather(return_exceptions=True): retrieved")
    print(await asyncio.gather(boom(1), boom(2), return_exceptions=True))
    gc.collect()

    print("-- gather: the first error propagates, the others are retrieved too")
    try:
        await asyncio.gather(boom(3), boom(4))
    except ValueError as exc:
        print("gather raised", exc)
    await asyncio.sleep(0)
    gc.collect()

    print("-- wait(): done tasks keep their exceptions until freed")
    tasks = [asyncio.create_task(boom(5)), asyncio.create_task(boom(6))]
    done, pending = await asyncio.wait(tasks)
    print(len(done), len(pending))
    del done, pending
    print("drop the first")
    del tasks[0]
    print("drop the second")
    del tasks[0]
    gc.collect()

    print("-- shield: the inner task's error after the outer was cancelled")
    inner = asyncio.create_task(boom(7))
    outer = asyncio.shield(inner)
    outer.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    del inner, outer
    gc.collect()

    print("-- wait_for: a timeout")
    try:
        await asyncio.wait_for(boom(8), timeout=0)
    except (TimeoutError, ValueError) as exc:
        print("wait_for raised", type(exc).__name__)
    await asyncio.sleep(0)
    gc.collect()

    print("-- left running for asyncio.run() to cancel")
    asyncio.create_task(stubborn())  # noqa: RUF006 - left to asyncio.run()
    asyncio.create_task(asyncio.sleep(3600))  # noqa: RUF006
    await asyncio.sleep(0)
    gc.enable()


asyncio.run(main())
print("-- run_until_complete() of a failing coroutine")
loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
try:
    loop.run_until_complete(boom(9))
except ValueError as exc:
    print("raised", exc)
loop.close()
gc.collect()
print("end")
