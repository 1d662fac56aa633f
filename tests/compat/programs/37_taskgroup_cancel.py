import asyncio


def shape(exc, indent=""):
    if isinstance(exc, BaseExceptionGroup):
        print(f"{indent}{type(exc).__name__}({exc.message!r})")
        for e in exc.exceptions:
            shape(e, indent + "  ")
    else:
        print(f"{indent}{type(exc).__name__}({exc})")


CANCELLED = []


def report():
    # Sibling tasks are cancelled in set order (by address): print sorted.
    print("cancelled:", sorted(CANCELLED))
    CANCELLED.clear()


async def sleeper(name, delay=10):
    try:
        await asyncio.sleep(delay)
        print(name, "woke")
    except asyncio.CancelledError:
        CANCELLED.append(name)
        raise


async def outer_cancelled():
    me = asyncio.current_task()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sleeper("s1"))
            tg.create_task(sleeper("s2"))
            await asyncio.sleep(10)
    except asyncio.CancelledError:
        report()
        print("outer got CancelledError, cancelling =", me.cancelling())
        raise


async def swallow_then_continue():
    me = asyncio.current_task()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sleeper("t1"))
            await asyncio.sleep(10)
    except asyncio.CancelledError:
        report()
        print("caught, cancelling =", me.cancelling(), "uncancel ->", me.uncancel())
    await asyncio.sleep(0)
    return "continued"


async def error_and_outer_cancel():
    me = asyncio.current_task()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sleeper("u1"))
            await asyncio.sleep(10)
    except BaseException as exc:
        report()
        shape(exc)
        print("cancelling =", me.cancelling())
        raise


async def failing(delay):
    await asyncio.sleep(delay)
    raise ValueError("fail")


async def error_inside_timeout():
    me = asyncio.current_task()
    try:
        async with asyncio.timeout(0.05):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(failing(0))
                tg.create_task(sleeper("v1"))
    except BaseException as exc:
        report()
        shape(exc)
    print("cancelling =", me.cancelling())


async def timeout_around_group():
    me = asyncio.current_task()
    try:
        async with asyncio.timeout(0.01):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(sleeper("w1"))
                tg.create_task(sleeper("w2"))
    except TimeoutError:
        report()
        print("TimeoutError, cancelling =", me.cancelling())


async def base_errors():
    for exc_type in (KeyboardInterrupt, SystemExit):
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(sleeper("x1"))
                await asyncio.sleep(0)
                raise exc_type("bare")
        except BaseException as exc:
            report()
            shape(exc)


async def main():
    t = asyncio.create_task(outer_cancelled())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t.cancel()
    await asyncio.gather(t, return_exceptions=True)
    print("t cancelled:", t.cancelled())

    t = asyncio.create_task(swallow_then_continue())
    await asyncio.sleep(0)
    t.cancel()
    print(await t)

    t = asyncio.create_task(error_and_outer_cancel())
    await asyncio.sleep(0)
    t.cancel()
    await asyncio.gather(t, return_exceptions=True)
    print("t cancelled:", t.cancelled())

    await error_inside_timeout()
    await timeout_around_group()
    await base_errors()


asyncio.run(main())
