"""Queue operations with and without waiting, on plain queues and on
subclasses that override the methods put()/get() are built from: which
overrides run, in which order, how often; the ordering of producers,
consumers and a ticker around hand-overs; a woken waiter cancelled before
it runs; odd maxsize values; task reprs while blocked."""
import asyncio
import sys
import traceback

log = []


class Logged(asyncio.Queue):
    """Every overridable step logged."""

    def _init(self, maxsize):
        log.append("_init")
        super()._init(maxsize)

    def _put(self, item):
        log.append(f"_put {item}")
        super()._put(item)

    def _get(self):
        item = super()._get()
        log.append(f"_get {item}")
        return item

    def qsize(self):
        log.append("qsize")
        return super().qsize()

    def empty(self):
        log.append("empty")
        return super().empty()

    def full(self):
        log.append("full")
        return super().full()

    def put_nowait(self, item):
        log.append("put_nowait")
        super().put_nowait(item)

    def get_nowait(self):
        log.append("get_nowait")
        return super().get_nowait()

    def _wakeup_next(self, waiters):
        log.append(f"_wakeup_next {len(waiters)}")
        super()._wakeup_next(waiters)


class Capped(asyncio.Queue):
    """full() decides alone (stock's put() asks full(), not qsize())."""

    def full(self):
        return self.qsize() >= 2


class Reversed(asyncio.Queue):
    """A subclass with its own storage order."""

    def _get(self):
        return self._queue.pop()


def frames(exc):
    """The functions an error passed through, innermost last."""
    return [entry.name for entry in traceback.extract_tb(exc.__traceback__)]


def flush(label):
    print(label, log)
    log.clear()


async def ticker(n, out):
    for i in range(n):
        out.append(f"tick{i}")
        await asyncio.sleep(0)


async def main():
    # Overridden steps: exactly the calls stock's put()/get() make.
    q = Logged(2)
    flush("init")
    await q.put(1)
    flush("put with room")
    q.put_nowait(2)
    flush("put_nowait")
    print(await q.get())
    flush("get with item")
    print(q.get_nowait())
    flush("get_nowait")

    out = []
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    flush("get blocked")
    await q.put("a")
    flush("put wakes getter")
    print(await getter)
    flush("getter resumed")
    q.put_nowait("b")
    q.put_nowait("c")
    putter = asyncio.create_task(q.put("d"))
    await asyncio.sleep(0)
    flush("put blocked")
    print(q.get_nowait())
    flush("get wakes putter")
    await putter
    flush("putter resumed")
    print(str(q))
    log.clear()

    # full() overridden alone.
    cq = Capped()
    cq.put_nowait(1)
    cq.put_nowait(2)
    try:
        cq.put_nowait(3)
    except asyncio.QueueFull:
        print("Capped full")
    blocked = asyncio.create_task(cq.put(3))
    await asyncio.sleep(0)
    print("Capped put blocked:", not blocked.done(), cq.qsize())
    print(cq.get_nowait())
    await blocked
    print(str(cq))

    rq = Reversed()
    for item in "xyz":
        await rq.put(item)
    print([await rq.get() for _ in range(3)])

    # Plain queues: ordering of hand-overs against a ticker.
    q = asyncio.Queue(1)
    out = []

    async def producer(name, items):
        for item in items:
            await q.put(item)
            out.append(f"{name} put {item}")

    async def consumer(name, n):
        for _ in range(n):
            item = await q.get()
            out.append(f"{name} got {item}")
            q.task_done()

    await asyncio.gather(
        producer("p1", "ab"),
        producer("p2", "cd"),
        consumer("c1", 2),
        consumer("c2", 2),
        ticker(6, out),
    )
    print(out)
    print(str(q))
    await q.join()

    # A getter woken by put() but cancelled before it runs passes its turn on.
    q = asyncio.Queue()
    results = []

    async def get_one(name):
        try:
            results.append((name, await q.get()))
        except asyncio.CancelledError:
            results.append((name, "cancelled"))
            raise

    g1 = asyncio.create_task(get_one("g1"))
    g2 = asyncio.create_task(get_one("g2"))
    await asyncio.sleep(0)
    q.put_nowait("only")
    g1.cancel()
    await asyncio.gather(g1, g2, return_exceptions=True)
    print(results, str(q))

    # A putter woken by get() but cancelled before it runs passes its turn on.
    q = asyncio.Queue(1)
    q.put_nowait(0)
    done = []

    async def put_one(name, item):
        try:
            await q.put(item)
            done.append(name)
        except asyncio.CancelledError:
            done.append(f"{name} cancelled")
            raise

    p1 = asyncio.create_task(put_one("p1", 1))
    p2 = asyncio.create_task(put_one("p2", 2))
    await asyncio.sleep(0)
    print(q.get_nowait())
    p1.cancel()
    await asyncio.gather(p1, p2, return_exceptions=True)
    print(done, str(q), q.get_nowait())

    # Task reprs while blocked in get() and put().
    q = asyncio.Queue(1)
    t_get = asyncio.create_task(q.get(), name="getter")
    await asyncio.sleep(0)
    print(repr(t_get).split(" coro=")[0], "wait_for=<Future pending" in repr(t_get))
    q.put_nowait(5)
    print(await t_get)
    q.put_nowait(6)
    t_put = asyncio.create_task(q.put(7), name="putter")
    await asyncio.sleep(0)
    print(repr(t_put).split(" coro=")[0], "wait_for=<Future pending" in repr(t_put))
    print(q.get_nowait())
    await t_put
    print(q.get_nowait(), q.empty(), q.full(), q.qsize())

    # Odd maxsize values.
    for maxsize in (0, -3, 1.5, float("inf"), float("nan")):
        q = asyncio.Queue(maxsize)
        for i in range(2):
            try:
                q.put_nowait(i)
            except asyncio.QueueFull:
                print(maxsize, "QueueFull at", i)
        print(maxsize, q.qsize(), q.full(), q.maxsize)
    q = asyncio.Queue(None)
    for op in (lambda: q.put_nowait(1), q.full):
        try:
            op()
        except TypeError as exc:
            print("None maxsize:", exc, frames(exc))
    try:
        await q.put(1)
    except TypeError as exc:
        print("None maxsize put:", exc, frames(exc))

    # Errors come out of the same frames.
    q = asyncio.Queue(1)
    try:
        q.get_nowait()
    except asyncio.QueueEmpty as exc:
        print("QueueEmpty", frames(exc))
    q.put_nowait(1)
    try:
        q.put_nowait(2)
    except asyncio.QueueFull as exc:
        print("QueueFull", frames(exc))

    if sys.version_info >= (3, 13):
        q = asyncio.Queue(1)
        q.put_nowait("kept")
        waiting_put = asyncio.create_task(q.put("late"))
        await asyncio.sleep(0)
        q.shutdown()
        try:
            await waiting_put
        except asyncio.QueueShutDown:
            print("blocked put: QueueShutDown")
        print(await q.get())
        try:
            q.get_nowait()
        except asyncio.QueueShutDown:
            print("get_nowait: QueueShutDown")
        try:
            await q.put("x")
        except asyncio.QueueShutDown as exc:
            print("put: QueueShutDown", frames(exc))
        try:
            await q.get()
        except asyncio.QueueShutDown as exc:
            print("get: QueueShutDown", frames(exc))
        try:
            q.put_nowait("y")
        except asyncio.QueueShutDown as exc:
            print("put_nowait: QueueShutDown", frames(exc))


asyncio.run(main())
