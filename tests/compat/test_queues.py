"""The facade's Queue against stock asyncio's, on random schedules.

A plain ``Queue`` runs ``put``/``get`` with ``full()``, ``empty()``,
``_put()``, ``_get()`` and ``_wakeup_next()`` done inline; a subclass runs
stock's sequence of method calls. Both must behave exactly as stock
asyncio's Queue: the same transcript of results, errors, wake-up order,
``qsize``/``full``/``empty``, ``join``/``task_done`` and ``str()``, for
any interleaving of blocking and non-blocking operations, cancellations
(including a waiter cancelled after it was woken) and schedule points.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st

import tether_asyncio

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

Op = tuple[str, int]

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "put",
                "get",
                "put_nowait",
                "get_nowait",
                "task_done",
                "join",
                "cancel",
                "tick",
                "tick",
                "shutdown",
            ]
        ),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=40,
)


def _transcript(
    mod: Any, queue_class: type, maxsize: int, ops: list[Op], run: Callable[..., Any]
) -> list[str]:
    """Run ``ops`` against ``queue_class(maxsize)`` under ``mod`` (stock
    asyncio or the facade); return what was observed, in order."""
    log: list[str] = []

    async def main() -> None:
        q = queue_class(maxsize)
        tasks: list[Any] = []

        def state(label: str) -> None:
            text = str(q).replace(type(q).__name__, "Q", 1)
            log.append(f"{label}: {q.qsize()} {q.full()} {q.empty()} {text}")

        async def op_task(name: str, start: Callable[[], Coroutine[Any, Any, Any]]) -> None:
            # (The operation's coroutine is made here: a task cancelled
            # before it starts leaves no coroutine that was never awaited.)
            try:
                result = await start()
            except mod.CancelledError:
                log.append(f"{name} cancelled")
                raise
            except Exception as exc:
                log.append(f"{name} {type(exc).__name__}")
            else:
                log.append(f"{name} -> {result!r}")

        for step, (kind, arg) in enumerate(ops):
            if kind in ("put", "get", "join"):
                name = f"{kind}{step}"
                start = getattr(q, kind)
                if kind == "put":
                    start = functools.partial(start, step)
                tasks.append(mod.create_task(op_task(name, start)))
            elif kind == "put_nowait":
                try:
                    q.put_nowait(step)
                    log.append(f"put_nowait {step}")
                except Exception as exc:
                    log.append(f"put_nowait {type(exc).__name__}")
            elif kind == "get_nowait":
                try:
                    log.append(f"get_nowait -> {q.get_nowait()!r}")
                except Exception as exc:
                    log.append(f"get_nowait {type(exc).__name__}")
            elif kind == "task_done":
                try:
                    q.task_done()
                    log.append("task_done")
                except ValueError as exc:
                    log.append(f"task_done {exc}")
            elif kind == "cancel":
                if tasks:
                    target = tasks[arg % len(tasks)]
                    log.append(f"cancel {target.cancel()}")
            elif kind == "shutdown":
                if hasattr(q, "shutdown") and arg == 0:
                    q.shutdown(immediate=step % 2 == 0)
                    log.append("shutdown")
            else:
                await mod.sleep(0)
            state(f"step {step}")
        for _ in range(3):
            await mod.sleep(0)
        state("settled")
        for task in tasks:
            task.cancel()
        results = await mod.gather(*tasks, return_exceptions=True)
        log.append(" ".join(type(r).__name__ for r in results))
        state("end")

    run(main())
    return log


class StockSubclass(asyncio.Queue):  # type: ignore[type-arg]
    pass


class FacadeSubclass(tether_asyncio.Queue):
    pass


@settings(max_examples=150, deadline=None)
@given(maxsize=st.integers(min_value=-1, max_value=3), ops=OPS)
def test_random_schedules_match_stock(maxsize: int, ops: list[Op]) -> None:
    stock = _transcript(asyncio, asyncio.Queue, maxsize, ops, asyncio.run)
    assert _transcript(tether_asyncio, tether_asyncio.Queue, maxsize, ops, tether_asyncio.run) == (
        stock
    )
    assert _transcript(asyncio, StockSubclass, maxsize, ops, asyncio.run) == stock
    assert _transcript(tether_asyncio, FacadeSubclass, maxsize, ops, tether_asyncio.run) == stock


# Schedules that random search finds only rarely: a waiter whose future
# was cancelled (Task.cancel()) but whose task has not run yet is still in
# the queue's deque when the next hand-over comes, and must be skipped.
HEAD_CANCELLED_SCHEDULES: list[tuple[int, list[Op]]] = [
    # putters: fill, two blocked puts, cancel the first, take an item
    (
        1,
        [
            ("put_nowait", 0),
            ("put", 0),
            ("put", 0),
            ("tick", 0),
            ("cancel", 0),
            ("get_nowait", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
    (
        1,
        [
            ("put_nowait", 0),
            ("put", 0),
            ("put", 0),
            ("tick", 0),
            ("cancel", 0),
            ("get", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
    # getters: two blocked gets, cancel the first, add an item
    (
        0,
        [
            ("get", 0),
            ("get", 0),
            ("tick", 0),
            ("cancel", 0),
            ("put_nowait", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
    (2, [("get", 0), ("get", 0), ("tick", 0), ("cancel", 0), ("put", 0), ("tick", 0), ("tick", 0)]),
    # woken, then cancelled before running: the turn passes on
    (
        0,
        [
            ("get", 0),
            ("get", 0),
            ("tick", 0),
            ("put_nowait", 0),
            ("cancel", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
    (
        1,
        [
            ("put_nowait", 0),
            ("put", 0),
            ("put", 0),
            ("tick", 0),
            ("get_nowait", 0),
            ("cancel", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
    # a put()/get() task that runs before the cancelled waiter's own task
    (
        1,
        [
            ("put_nowait", 0),
            ("put", 0),
            ("put", 0),
            ("put", 0),
            ("tick", 0),
            ("get_nowait", 0),
            ("get", 0),
            ("cancel", 1),
            ("tick", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
    (
        0,
        [
            ("get", 0),
            ("get", 0),
            ("get", 0),
            ("tick", 0),
            ("put_nowait", 0),
            ("put", 0),
            ("cancel", 1),
            ("tick", 0),
            ("tick", 0),
            ("tick", 0),
        ],
    ),
]


def test_cancelled_waiters_at_the_head_match_stock() -> None:
    for maxsize, ops in HEAD_CANCELLED_SCHEDULES:
        stock = _transcript(asyncio, asyncio.Queue, maxsize, ops, asyncio.run)
        for queue_class in (tether_asyncio.Queue, FacadeSubclass):
            facade = _transcript(tether_asyncio, queue_class, maxsize, ops, tether_asyncio.run)
            assert facade == stock, (queue_class, ops)


def test_a_crowded_bounded_queue_matches_stock() -> None:
    # Ten producers and ten consumers on a small queue (most producers
    # blocked most of the time), with a ticker: the same order of every put,
    # get and tick as stock, for the plain queue and for a subclass.
    def transcript(mod: Any, queue_class: type, run: Callable[..., Any]) -> list[str]:
        log: list[str] = []

        async def main() -> None:
            q = queue_class(3)

            async def producer(p: int) -> None:
                for i in range(5):
                    await q.put((p, i))
                    log.append(f"p{p} put {i} ({q.qsize()})")

            async def consumer(c: int) -> None:
                for _ in range(5):
                    item = await q.get()
                    log.append(f"c{c} got {item}")
                    q.task_done()

            async def ticker() -> None:
                for i in range(20):
                    log.append(f"tick {i}")
                    await mod.sleep(0)

            await mod.gather(
                *(producer(p) for p in range(10)),
                *(consumer(c) for c in range(10)),
                ticker(),
            )
            await q.join()
            log.append(str(q).replace(type(q).__name__, "Q", 1))

        run(main())
        return log

    stock = transcript(asyncio, asyncio.Queue, asyncio.run)
    assert transcript(tether_asyncio, tether_asyncio.Queue, tether_asyncio.run) == stock
    assert transcript(tether_asyncio, FacadeSubclass, tether_asyncio.run) == stock
    assert len(stock) == 50 + 50 + 20 + 1


def test_subclass_overrides_are_called_as_stock_calls_them() -> None:
    # The fast paths are for Queue itself only: a subclass's overrides of
    # the methods put()/get() are built from run exactly as in stock.
    def calls(mod: Any, run: Callable[..., Any]) -> list[str]:
        log: list[str] = []
        base: Any = mod.Queue

        class Logged(base):  # type: ignore[misc]
            def full(self) -> bool:
                log.append("full")
                return bool(super().full())

            def empty(self) -> bool:
                log.append("empty")
                return bool(super().empty())

            def _put(self, item: object) -> None:
                log.append(f"_put {item}")
                super()._put(item)

            def _get(self) -> object:
                log.append("_get")
                return super()._get()

            def _wakeup_next(self, waiters: Any) -> None:
                log.append(f"_wakeup_next {len(waiters)}")
                super()._wakeup_next(waiters)

        async def main() -> None:
            q = Logged(1)
            getter = mod.create_task(q.get())
            await mod.sleep(0)
            await q.put("a")
            log.append(f"got {await getter}")
            await q.put("b")
            putter = mod.create_task(q.put("c"))
            await mod.sleep(0)
            log.append(f"got {await q.get()}")
            await putter
            log.append(f"got {q.get_nowait()}")

        run(main())
        return log

    stock = calls(asyncio, asyncio.run)
    assert calls(tether_asyncio, tether_asyncio.run) == stock
    assert "_wakeup_next 1" in stock


def test_shutdown_exists_only_where_stock_has_it() -> None:
    assert hasattr(tether_asyncio.Queue, "shutdown") == (sys.version_info >= (3, 13))
