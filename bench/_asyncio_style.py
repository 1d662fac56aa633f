"""Workloads written once against the asyncio API.

The module under test is bound to the global name ``asyncio`` by ``_worker.py`` (the stdlib
``asyncio`` for the ``asyncio`` and ``uvloop`` backends -- uvloop only swaps the event loop --
or ``tether_asyncio``), so the code below is identical for every asyncio-style backend.
Each workload is ``async def name(**size) -> float`` returning the figure in the unit given in
``_spec.py``. Only the inner async body is timed, with ``time.perf_counter()``.

Spawning uses ``create_task`` + ``gather`` (not ``TaskGroup``), the most common idiom and
the one available on every asyncio version.
"""

from __future__ import annotations

import contextlib
import gc
from time import perf_counter
from typing import TYPE_CHECKING, Any

from _memory import rss_bytes
from _trio_style import timer_delays

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

asyncio: Any = None  # bound by _worker.bind() before anything runs

MSG = b"x" * 100
HOST = "127.0.0.1"


async def spawn(n: int) -> float:
    async def child() -> None:
        await asyncio.sleep(0)

    t0 = perf_counter()
    tasks = [asyncio.create_task(child()) for _ in range(n)]
    await asyncio.gather(*tasks)
    return (perf_counter() - t0) / n


async def switch(n: int) -> float:
    q_a = asyncio.Queue(1)
    q_b = asyncio.Queue(1)

    async def pong() -> None:
        for _ in range(n):
            value = await q_a.get()
            await q_b.put(value)

    t0 = perf_counter()
    task = asyncio.create_task(pong())
    for i in range(n):
        await q_a.put(i)
        await q_b.get()
    await task
    return (perf_counter() - t0) / n


async def checkpoints(tasks: int, n: int) -> float:
    async def worker() -> None:
        for _ in range(n):
            await asyncio.sleep(0)

    t0 = perf_counter()
    await asyncio.gather(*[asyncio.create_task(worker()) for _ in range(tasks)])
    return (perf_counter() - t0) / (tasks * n)


_DONE = object()


async def _channel(items: int, producers: int, consumers: int) -> float:
    queue = asyncio.Queue(100)
    per_producer = items // producers
    total = per_producer * producers

    async def producer() -> None:
        for i in range(per_producer):
            await queue.put(i)

    async def consumer() -> int:
        count = 0
        while True:
            item = await queue.get()
            if item is _DONE:
                return count
            count += 1

    t0 = perf_counter()
    consumer_tasks = [asyncio.create_task(consumer()) for _ in range(consumers)]
    await asyncio.gather(*[asyncio.create_task(producer()) for _ in range(producers)])
    for _ in range(consumers):  # one sentinel per consumer
        await queue.put(_DONE)
    counts = await asyncio.gather(*consumer_tasks)
    elapsed = perf_counter() - t0
    assert sum(counts) == total, (sum(counts), total)
    return elapsed / total


async def channel_1x1(items: int, producers: int, consumers: int) -> float:
    return await _channel(items, producers, consumers)


async def channel_10x10(items: int, producers: int, consumers: int) -> float:
    return await _channel(items, producers, consumers)


async def lock(tasks: int, n: int) -> float:
    the_lock = asyncio.Lock()

    async def worker() -> None:
        for _ in range(n):
            async with the_lock:
                await asyncio.sleep(0)

    t0 = perf_counter()
    await asyncio.gather(*[asyncio.create_task(worker()) for _ in range(tasks)])
    return (perf_counter() - t0) / (tasks * n)


async def timers(n: int) -> float:
    delays = timer_delays(n)
    longest = max(delays)

    t0 = perf_counter()
    await asyncio.gather(*[asyncio.create_task(asyncio.sleep(d)) for d in delays])
    return (perf_counter() - t0 - longest) / n


async def timeouts(n: int) -> float:
    t0 = perf_counter()
    for _ in range(n):
        await asyncio.wait_for(asyncio.sleep(0), 1)
    return (perf_counter() - t0) / n


async def timeouts_ctx(n: int) -> float:
    t0 = perf_counter()
    for _ in range(n):
        async with asyncio.timeout(1):
            await asyncio.sleep(0)
    return (perf_counter() - t0) / n


async def _echo_handler(reader: Any, writer: Any) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _with_echo_server(body: Callable[[int], Awaitable[float]]) -> float:
    server = await asyncio.start_server(_echo_handler, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await body(port)
    finally:
        server.close()
        await server.wait_closed()


async def _close(writer: Any) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def _round_trips(reader: Any, writer: Any, n: int) -> None:
    size = len(MSG)
    for _ in range(n):
        writer.write(MSG)
        await writer.drain()
        await reader.readexactly(size)


async def tcp_rr(n: int) -> float:
    async def body(port: int) -> float:
        reader, writer = await asyncio.open_connection(HOST, port)
        t0 = perf_counter()
        await _round_trips(reader, writer, n)
        elapsed = perf_counter() - t0
        await _close(writer)
        return elapsed / n

    return await _with_echo_server(body)


async def tcp_conc(conns: int, n: int) -> float:
    async def body(port: int) -> float:
        pairs = [await asyncio.open_connection(HOST, port) for _ in range(conns)]
        t0 = perf_counter()
        await asyncio.gather(*[asyncio.create_task(_round_trips(r, w, n)) for r, w in pairs])
        elapsed = perf_counter() - t0
        for _, w in pairs:
            await _close(w)
        return elapsed / (conns * n)

    return await _with_echo_server(body)


async def tcp_stream(mib: int) -> float:
    chunk = b"\x00" * 65536
    chunks = mib * 16
    total = chunks * len(chunk)

    async def body(port: int) -> float:
        reader, writer = await asyncio.open_connection(HOST, port)

        async def sender() -> None:
            for _ in range(chunks):
                writer.write(chunk)
                await writer.drain()

        async def receiver() -> None:
            got = 0
            while got < total:
                data = await reader.read(262144)
                if not data:
                    raise RuntimeError("connection closed early")
                got += len(data)

        t0 = perf_counter()
        await asyncio.gather(asyncio.create_task(sender()), asyncio.create_task(receiver()))
        elapsed = perf_counter() - t0
        await _close(writer)
        return mib / elapsed

    return await _with_echo_server(body)


async def _true_procs(n: int) -> None:
    for _ in range(n):
        proc = await asyncio.create_subprocess_exec("/bin/true", stdout=asyncio.subprocess.PIPE)
        await proc.communicate()


async def processes_seq(n: int) -> float:
    t0 = perf_counter()
    await _true_procs(n)
    return (perf_counter() - t0) / n


async def processes_conc(workers: int, n: int) -> float:
    t0 = perf_counter()
    await asyncio.gather(*[asyncio.create_task(_true_procs(n)) for _ in range(workers)])
    return (perf_counter() - t0) / (workers * n)


def _noop() -> None:
    return None


async def threads(n: int) -> float:
    t0 = perf_counter()
    for _ in range(n):
        await asyncio.to_thread(_noop)
    return (perf_counter() - t0) / n


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def memory_task(n: int) -> float:
    never = asyncio.Event()
    blocked = [0]

    async def idle() -> None:
        blocked[0] += 1
        await never.wait()

    gc.collect()
    base = rss_bytes()
    tasks = [asyncio.create_task(idle()) for _ in range(n)]
    while blocked[0] < n:
        await asyncio.sleep(0)
    await _settle()
    grown = rss_bytes() - base
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return grown / n


async def memory_conn(n: int) -> float:
    accepted = [0]

    async def idle_handler(reader: Any, writer: Any) -> None:
        accepted[0] += 1
        with contextlib.suppress(ConnectionError):
            await reader.read(1)
        writer.close()

    server = await asyncio.start_server(idle_handler, HOST, 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    await _settle()
    gc.collect()
    base = rss_bytes()
    pairs = [await asyncio.open_connection(HOST, port) for _ in range(n)]
    while accepted[0] < n:
        await asyncio.sleep(0.001)
    await _settle()
    grown = rss_bytes() - base
    for _, w in pairs:
        await _close(w)
    server.close()
    await server.wait_closed()
    return grown / n


WORKLOADS: dict[str, Callable[..., Awaitable[float]]] = {
    "spawn": spawn,
    "switch": switch,
    "checkpoints": checkpoints,
    "channel-1x1": channel_1x1,
    "channel-10x10": channel_10x10,
    "lock": lock,
    "timers": timers,
    "timeouts": timeouts,
    "timeouts-ctx": timeouts_ctx,
    "tcp-rr": tcp_rr,
    "tcp-conc": tcp_conc,
    "tcp-stream": tcp_stream,
    "processes-seq": processes_seq,
    "processes-conc": processes_conc,
    "threads": threads,
    "memory-task": memory_task,
    "memory-conn": memory_conn,
}
