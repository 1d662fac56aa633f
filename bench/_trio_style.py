"""Workloads written once against the Trio API.

The module under test is bound to the global name ``trio`` by ``_worker.py`` (``trio`` itself,
or ``tether``), so the code below is byte-for-byte the same for every Trio-style backend.
Each workload is ``async def name(**size) -> float`` and returns the figure in the unit given
in ``_spec.py`` (seconds per operation, bytes per unit, or MiB/s). Only the inner async body
is timed, with ``time.perf_counter()``.
"""

from __future__ import annotations

import contextlib
import gc
import random
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any

from _memory import rss_bytes

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

trio: Any = None  # bound by _worker.bind() before anything runs

MSG = b"x" * 100
HOST = "127.0.0.1"


async def spawn(n: int) -> float:
    async def child() -> None:
        await trio.sleep(0)

    t0 = perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(child)
    return (perf_counter() - t0) / n


async def switch(n: int) -> float:
    send_a, recv_a = trio.open_memory_channel(0)
    send_b, recv_b = trio.open_memory_channel(0)

    async def pong() -> None:
        for _ in range(n):
            value = await recv_a.receive()
            await send_b.send(value)

    t0 = perf_counter()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(pong)
        for i in range(n):
            await send_a.send(i)
            await recv_b.receive()
    return (perf_counter() - t0) / n


async def checkpoints(tasks: int, n: int) -> float:
    async def worker() -> None:
        for _ in range(n):
            await trio.sleep(0)

    t0 = perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(tasks):
            nursery.start_soon(worker)
    return (perf_counter() - t0) / (tasks * n)


async def _channel(items: int, producers: int, consumers: int) -> float:
    send, recv = trio.open_memory_channel(100)
    per_producer = items // producers
    total = per_producer * producers
    received = [0]

    async def producer(ch: Any) -> None:
        async with ch:
            for i in range(per_producer):
                await ch.send(i)

    async def consumer(ch: Any) -> None:
        count = 0
        async with ch:
            async for _ in ch:
                count += 1
        received[0] += count

    t0 = perf_counter()
    # The originals are closed (inner context managers) once the clones exist, so the
    # consumers see end-of-channel when the last producer's clone closes.
    async with trio.open_nursery() as nursery, send, recv:
        for _ in range(producers):
            nursery.start_soon(producer, send.clone())
        for _ in range(consumers):
            nursery.start_soon(consumer, recv.clone())
    elapsed = perf_counter() - t0
    assert received[0] == total, (received[0], total)
    return elapsed / total


async def channel_1x1(items: int, producers: int, consumers: int) -> float:
    return await _channel(items, producers, consumers)


async def channel_10x10(items: int, producers: int, consumers: int) -> float:
    return await _channel(items, producers, consumers)


async def lock(tasks: int, n: int) -> float:
    the_lock = trio.Lock()

    async def worker() -> None:
        for _ in range(n):
            async with the_lock:
                await trio.sleep(0)

    t0 = perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(tasks):
            nursery.start_soon(worker)
    return (perf_counter() - t0) / (tasks * n)


def timer_delays(n: int) -> list[float]:
    rng = random.Random(20240601)
    return [rng.uniform(0.0, 0.050) for _ in range(n)]


async def timers(n: int) -> float:
    delays = timer_delays(n)
    longest = max(delays)

    t0 = perf_counter()
    async with trio.open_nursery() as nursery:
        for d in delays:
            nursery.start_soon(trio.sleep, d)
    return (perf_counter() - t0 - longest) / n


async def timeouts(n: int) -> float:
    t0 = perf_counter()
    for _ in range(n):
        with trio.move_on_after(1):
            await trio.sleep(0)
    return (perf_counter() - t0) / n


async def timeouts_ctx(n: int) -> float:
    # Trio-style analogue of asyncio.timeout(): the *raising* scope, fail_after.
    t0 = perf_counter()
    for _ in range(n):
        with trio.fail_after(1):
            await trio.sleep(0)
    return (perf_counter() - t0) / n


async def _echo_handler(stream: Any) -> None:
    try:
        async with stream:
            while True:
                data = await stream.receive_some(65536)
                if not data:
                    return
                await stream.send_all(data)
    except trio.BrokenResourceError:
        pass


async def _with_echo_server(body: Callable[[int], Awaitable[float]]) -> float:
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, _echo_handler, 0, host=HOST))
        port = listeners[0].socket.getsockname()[1]
        result = await body(port)
        nursery.cancel_scope.cancel()
    return result


async def _round_trips(stream: Any, n: int) -> None:
    size = len(MSG)
    for _ in range(n):
        await stream.send_all(MSG)
        got = 0
        while got < size:
            data = await stream.receive_some(size - got)
            if not data:
                raise RuntimeError("connection closed early")
            got += len(data)


async def tcp_rr(n: int) -> float:
    async def body(port: int) -> float:
        stream = await trio.open_tcp_stream(HOST, port)
        async with stream:
            t0 = perf_counter()
            await _round_trips(stream, n)
            return (perf_counter() - t0) / n

    return await _with_echo_server(body)


async def tcp_conc(conns: int, n: int) -> float:
    async def body(port: int) -> float:
        streams = [await trio.open_tcp_stream(HOST, port) for _ in range(conns)]
        t0 = perf_counter()
        async with trio.open_nursery() as nursery:
            for s in streams:
                nursery.start_soon(_round_trips, s, n)
        elapsed = perf_counter() - t0
        for s in streams:
            await s.aclose()
        return elapsed / (conns * n)

    return await _with_echo_server(body)


async def tcp_stream(mib: int) -> float:
    chunk = b"\x00" * 65536
    chunks = mib * 16
    total = chunks * len(chunk)

    async def body(port: int) -> float:
        stream = await trio.open_tcp_stream(HOST, port)

        async def sender() -> None:
            for _ in range(chunks):
                await stream.send_all(chunk)

        async def receiver() -> None:
            got = 0
            while got < total:
                data = await stream.receive_some(262144)
                if not data:
                    raise RuntimeError("connection closed early")
                got += len(data)

        async with stream:
            t0 = perf_counter()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sender)
                nursery.start_soon(receiver)
            elapsed = perf_counter() - t0
        return mib / elapsed

    return await _with_echo_server(body)


async def _true_procs(n: int) -> None:
    for _ in range(n):
        await trio.run_process(["/bin/true"], capture_stdout=True)


async def processes_seq(n: int) -> float:
    t0 = perf_counter()
    await _true_procs(n)
    return (perf_counter() - t0) / n


async def processes_conc(workers: int, n: int) -> float:
    t0 = perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(workers):
            nursery.start_soon(_true_procs, n)
    return (perf_counter() - t0) / (workers * n)


def _noop() -> None:
    return None


async def threads(n: int) -> float:
    t0 = perf_counter()
    for _ in range(n):
        await trio.to_thread.run_sync(_noop)
    return (perf_counter() - t0) / n


async def _settle() -> None:
    for _ in range(3):
        await trio.sleep(0)


async def memory_task(n: int) -> float:
    blocked = [0]

    async def idle() -> None:
        blocked[0] += 1
        await trio.sleep_forever()

    gc.collect()
    base = rss_bytes()
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(idle)
        while blocked[0] < n:
            await trio.sleep(0)
        await _settle()
        grown = rss_bytes() - base
        nursery.cancel_scope.cancel()
    return grown / n


async def memory_conn(n: int) -> float:
    accepted = [0]

    async def idle_handler(stream: Any) -> None:
        accepted[0] += 1
        with contextlib.suppress(trio.BrokenResourceError):
            await stream.receive_some(1)
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, idle_handler, 0, host=HOST))
        port = listeners[0].socket.getsockname()[1]
        await _settle()
        gc.collect()
        base = rss_bytes()
        clients = [await trio.open_tcp_stream(HOST, port) for _ in range(n)]
        while accepted[0] < n:
            await trio.sleep(0.001)
        await _settle()
        grown = rss_bytes() - base
        for c in clients:
            await c.aclose()
        nursery.cancel_scope.cancel()
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
