import asyncio


def shape(exc, indent=""):
    if isinstance(exc, BaseExceptionGroup):
        print(f"{indent}{type(exc).__name__}({exc.message!r})")
        for e in exc.exceptions:
            shape(e, indent + "  ")
    else:
        print(f"{indent}{type(exc).__name__}({exc})")


async def fail(msg, steps=0):
    for _ in range(steps):
        await asyncio.sleep(0)
    raise ValueError(msg)


async def inner_group(name):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(fail(f"{name}-a", 1))
        tg.create_task(asyncio.sleep(10))


async def child_error_and_outer_cancel():
    me = asyncio.current_task()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail("x", 2))
            await asyncio.sleep(10)
    except BaseException as exc:
        shape(exc)
        print("cancelling =", me.cancelling())
        raise
    finally:
        print("finally, cancelling =", me.cancelling())


async def slow_to_die():
    try:
        await asyncio.sleep(10)
    finally:
        for _ in range(4):
            await asyncio.sleep(0)


async def outer_cancel_during_exit():
    me = asyncio.current_task()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail("y", 0))
            tg.create_task(slow_to_die())
    except BaseException as exc:
        shape(exc)
        print("cancelling =", me.cancelling())
    try:
        await asyncio.sleep(0)
        print("no pending cancellation")
    except asyncio.CancelledError:
        print("pending cancellation delivered, cancelling =", me.cancelling())
        raise


async def cleanup_error():
    async def child():
        try:
            await asyncio.sleep(10)
        finally:
            raise KeyError("cleanup")

    async with asyncio.TaskGroup() as tg:
        tg.create_task(child())
        tg.create_task(fail("trigger", 1))


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(inner_group("i1"))
            tg.create_task(inner_group("i2"))
    except BaseExceptionGroup as eg:
        shape(eg)

    t = asyncio.create_task(child_error_and_outer_cancel())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t.cancel()
    res = await asyncio.gather(t, return_exceptions=True)
    print("t:", type(res[0]).__name__, t.cancelled())

    t = asyncio.create_task(outer_cancel_during_exit())
    for _ in range(3):
        await asyncio.sleep(0)
    t.cancel()
    res = await asyncio.gather(t, return_exceptions=True)
    print("t:", type(res[0]).__name__, t.cancelled())

    try:
        await cleanup_error()
    except BaseExceptionGroup as eg:
        shape(eg)

    # except* splits the group.
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail("v"))
            tg.create_task(asyncio.sleep(0))
    except* ValueError as eg:
        print("except* ValueError:", [str(e) for e in eg.exceptions])

    # Results after the group.
    async with asyncio.TaskGroup() as tg:
        ts = [tg.create_task(asyncio.sleep(0, i)) for i in range(3)]
    print([t.result() for t in ts], [t.get_name() for t in ts])


asyncio.run(main())
