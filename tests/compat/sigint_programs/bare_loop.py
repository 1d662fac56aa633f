"""No Runner: Ctrl-C raises KeyboardInterrupt out of run_until_complete, and
the loop can still be used afterwards."""
import asyncio
import functools


def ask_for_sigint():
    # From a callback, so the signal lands while the task is blocked.
    asyncio.get_running_loop().call_soon(functools.partial(print, "ready", flush=True))


async def main():
    ask_for_sigint()
    await asyncio.sleep(30)


loop = asyncio.new_event_loop()
try:
    loop.run_until_complete(main())
except KeyboardInterrupt:
    print("KeyboardInterrupt out of run_until_complete")
print("still usable:", loop.run_until_complete(asyncio.sleep(0, "yes")))
leftover = list(asyncio.all_tasks(loop))
print("leftover tasks:", len(leftover))
for t in leftover:
    t.cancel()
loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
loop.close()
