import asyncio


def shape(exc, indent=""):
    if isinstance(exc, BaseExceptionGroup):
        print(f"{indent}{type(exc).__name__}({exc.message!r})")
        for e in exc.exceptions:
            shape(e, indent + "  ")
    else:
        print(f"{indent}{type(exc).__name__}({exc})")


async def child(name, steps, fail=None):
    try:
        for i in range(steps):
            print(name, "step", i)
            await asyncio.sleep(0)
        if fail is not None:
            print(name, "raising")
            raise fail
        return name
    except asyncio.CancelledError:
        print(name, "cancelled")
        raise


async def main():
    me = asyncio.current_task()
    async with asyncio.TaskGroup() as tg:
        print(repr(tg))
        ts = [tg.create_task(child(f"c{i}", i)) for i in range(3)]
        named = tg.create_task(child("n", 1), name="named")
        print(repr(tg), [t.get_name() for t in ts], named.get_name())
    print("ok", [t.result() for t in ts], repr(tg))

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("a", 1, ValueError("boom")))
            tg.create_task(child("b", 5))
            tg.create_task(child("c", 1, KeyError("k")))
            await asyncio.sleep(10)
    except BaseExceptionGroup as eg:
        shape(eg)
    print("cancelling after group:", me.cancelling())

    # Error in the body itself.
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("d", 3))
            await asyncio.sleep(0)
            raise RuntimeError("body")
    except* RuntimeError as eg:
        shape(eg)

    # Body error plus child error.
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("e", 0, ValueError("child")))
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            raise TypeError("late body")
    except BaseExceptionGroup as eg:
        shape(eg)

    # Misuse.
    tg = asyncio.TaskGroup()
    coro = child("x", 0)
    try:
        tg.create_task(coro)
    except RuntimeError as exc:
        print("RuntimeError:", exc)
    coro.close()
    async with tg:
        pass
    coro = child("y", 0)
    try:
        tg.create_task(coro)
    except RuntimeError as exc:
        print("RuntimeError:", exc)
    coro.close()
    try:
        async with tg:
            pass
    except RuntimeError as exc:
        print("RuntimeError:", exc)

    # Shutting down.
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("f", 0, ValueError("f")))
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                print("body cancelled, tg =", repr(tg))
                coro = child("z", 0)
                try:
                    tg.create_task(coro)
                except RuntimeError as exc:
                    print("RuntimeError:", exc)
                coro.close()
                raise
    except ExceptionGroup as eg:
        shape(eg)
    print("cancelling at end:", me.cancelling())


asyncio.run(main())
