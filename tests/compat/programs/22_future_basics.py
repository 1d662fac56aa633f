import asyncio


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    print(repr(fut), fut.done())
    try:
        fut.result()
    except asyncio.InvalidStateError as exc:
        print("InvalidStateError", exc)
    fut.add_done_callback(lambda f: print("cb1", f.result()))
    fut.add_done_callback(lambda f: print("cb2"))
    loop.call_soon(fut.set_result, "value")
    print(await fut, repr(fut))
    f2 = loop.create_future()
    f2.set_exception(KeyError("k"))
    print(repr(f2), repr(f2.exception()))
    f3 = loop.create_future()
    print(f3.cancel("why"), f3.cancelled(), repr(f3))
    try:
        await f3
    except asyncio.CancelledError as exc:
        print("f3", exc.args)
    f4 = loop.create_future()
    f4.add_done_callback(lambda f: print("late cb"))
    f4.set_result(None)
    print("set, cb not yet run")
    await asyncio.sleep(0)
    print(asyncio.isfuture(f4), asyncio.isfuture(1))


asyncio.run(main())
