"""gather() over plain futures and tasks, over a Future subclass that logs
which of its methods gather calls (and in which order), and over a future of
another loop; and tasks parked on futures, woken, cancelled while parked."""

import asyncio

log = []


class LoggingFuture(asyncio.Future):
    def done(self):
        log.append(("done", self.name))
        return super().done()

    def cancelled(self):
        log.append(("cancelled", self.name))
        return super().cancelled()

    def exception(self):
        log.append(("exception", self.name))
        return super().exception()

    def result(self):
        log.append(("result", self.name))
        return super().result()


def logging_future(loop, name):
    fut = LoggingFuture(loop=loop)
    fut.name = name
    return fut


async def value(x):
    await asyncio.sleep(0)
    return x


async def fail(msg):
    await asyncio.sleep(0)
    raise ValueError(msg)


async def main():
    loop = asyncio.get_running_loop()

    # Plain futures and tasks: results in order, first error propagated.
    plain = loop.create_future()
    loop.call_soon(plain.set_result, "plain")
    print(await asyncio.gather(value(1), plain, value(2)))
    try:
        await asyncio.gather(value(1), fail("boom"), value(3))
    except ValueError as exc:
        print("error:", exc)
    print(await asyncio.gather(value(1), fail("kept"), return_exceptions=True))
    cancelled = loop.create_future()
    cancelled.cancel("why")
    print(await asyncio.gather(value(4), cancelled, return_exceptions=True))
    try:
        await asyncio.gather(cancelled, value(5))
    except asyncio.CancelledError as exc:
        print("cancelled:", exc.args)

    # A Future subclass: which methods gather calls, in which order.
    for return_exceptions in (False, True):
        log.clear()
        a = logging_future(loop, "a")
        b = logging_future(loop, "b")
        loop.call_soon(a.set_result, "A")
        loop.call_soon(b.set_exception, KeyError("B"))
        try:
            print(await asyncio.gather(a, b, return_exceptions=return_exceptions))
        except KeyError as exc:
            print("error:", repr(exc))
        print(return_exceptions, log)
    log.clear()
    c = logging_future(loop, "c")
    d = logging_future(loop, "d")
    loop.call_soon(c.cancel)
    loop.call_soon(d.set_result, "D")
    print(await asyncio.gather(c, d, value(6), return_exceptions=True))
    print(log)

    # A future of another loop is refused, wherever it comes.
    other = asyncio.new_event_loop()
    try:
        foreign = other.create_future()
        mine = loop.create_future()
        for args in ((mine, foreign), (foreign, mine)):
            try:
                asyncio.gather(*args)
            except ValueError as exc:
                print("ValueError:", exc)
        coro = value(7)
        try:
            asyncio.gather(coro, foreign)
        except ValueError as exc:
            print("ValueError:", exc)
        await asyncio.sleep(0)
    finally:
        other.close()

    # Tasks parked on futures: woken in order, or cancelled while parked.
    order = []

    async def parked(name, fut):
        try:
            order.append((name, await fut))
        except asyncio.CancelledError as exc:
            order.append((name, "cancelled", exc.args))
            raise

    futs = [loop.create_future() for _ in range(4)]
    tasks = [asyncio.create_task(parked(i, f)) for i, f in enumerate(futs)]
    await asyncio.sleep(0)
    futs[2].set_result("two")
    tasks[1].cancel("stop")
    futs[0].set_result("zero")
    futs[3].cancel("fut cancelled")
    results = await asyncio.gather(*tasks, return_exceptions=True)
    print(order)
    print([type(r).__name__ if isinstance(r, BaseException) else r for r in results])
    print([f.cancelled() for f in futs])


asyncio.run(main())
