"""Cancellation while blocked in each primitive: what the waiter sees, the
message, the primitive's state afterwards, and whether a wake-up that
raced with the cancellation is lost."""
import asyncio


async def blocked(name, make_wait, after=None):
    log = []

    async def waiter():
        try:
            await make_wait()
            log.append("woke")
        except asyncio.CancelledError as exc:
            log.append(f"cancelled {exc.args}")
            raise

    task = asyncio.create_task(waiter())
    for _ in range(3):
        await asyncio.sleep(0)
    task.cancel(f"stop {name}")
    if after is not None:
        after()
    try:
        await task
    except asyncio.CancelledError as exc:
        log.append(f"awaiter got {exc.args}")
    print(name, log, task.cancelled(), task.cancelling())


async def main():
    lock = asyncio.Lock()
    await lock.acquire()
    await blocked("lock", lock.acquire)
    print("lock still locked:", lock.locked())
    lock.release()
    print("lock free again:", not lock.locked())

    event = asyncio.Event()
    await blocked("event", event.wait)
    # set() racing with cancel(): the cancellation still wins
    await blocked("event-set-race", event.wait, event.set)

    cond = asyncio.Condition()

    async def cond_wait():
        async with cond:
            await cond.wait()

    await blocked("condition", cond_wait)
    print("condition lock free:", not cond.locked())

    sem = asyncio.Semaphore(0)
    await blocked("semaphore", sem.acquire)
    sem.release()
    print("semaphore value:", sem._value, sem.locked())

    bsem = asyncio.BoundedSemaphore(1)
    await bsem.acquire()
    await blocked("bounded-release-race", bsem.acquire, bsem.release)
    print("bounded value after race:", bsem._value)

    queue = asyncio.Queue(maxsize=1)
    await blocked("queue-get", queue.get)
    await queue.put("x")
    await blocked("queue-put", lambda: queue.put("y"))
    print("queue size:", queue.qsize())
    queue.get_nowait()
    queue.task_done()
    await queue.put("z")
    await blocked("queue-join", queue.join)
    print("unfinished:", queue._unfinished_tasks)

    barrier = asyncio.Barrier(2)
    await blocked("barrier", barrier.wait)
    print("barrier broken:", barrier.broken, barrier.n_waiting)

    fut = asyncio.get_running_loop().create_future()
    await blocked("future", lambda: fut)
    print("future cancelled too:", fut.cancelled())

    inner = asyncio.create_task(asyncio.sleep(10))
    await blocked("shielded", lambda: asyncio.shield(inner))
    print("inner survives shield:", not inner.done())
    inner.cancel()
    await asyncio.gather(inner, return_exceptions=True)

    await blocked("sleep", lambda: asyncio.sleep(10))
    await blocked("gather", lambda: asyncio.gather(asyncio.sleep(10), asyncio.sleep(10)))
    await blocked("wait_for", lambda: asyncio.wait_for(asyncio.sleep(10), 5))
    await blocked("wait", lambda: asyncio.wait([asyncio.ensure_future(asyncio.sleep(10))]))

    async def in_timeout():
        async with asyncio.timeout(5):
            await asyncio.sleep(10)

    await blocked("timeout", in_timeout)

    async def in_group():
        async with asyncio.TaskGroup() as tg:
            tg.create_task(asyncio.sleep(10))
            await asyncio.sleep(10)

    await blocked("taskgroup", in_group)
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in leftover:
        t.cancel()
    await asyncio.gather(*leftover, return_exceptions=True)
    print("leftover tasks:", len(leftover))


asyncio.run(main())
