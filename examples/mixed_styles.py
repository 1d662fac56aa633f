"""One app, two styles: a tether program using an asyncio-style library.

``QuoteService`` below is written the asyncio way (``asyncio.Queue``,
``create_task``, ``gather``, ``wait_for``, ``Task.cancel``), as a library
from PyPI would be; the app around it is written the tether way (nurseries,
cancel scopes, ExceptionGroups). Both run on one scheduler:

* the library's tasks run beside the app's nursery tasks;
* a tether deadline (``move_on_after``) cancels the library wherever it
  waits, and the library's ``except asyncio.CancelledError`` sees it;
* ``Task.cancel()`` from the library cancels tether code (a nursery) that
  the app handed to it;
* the library's exceptions reach the app's nursery like any other.

Run it with ``python examples/mixed_styles.py``.
"""

from __future__ import annotations

import tether
import tether_asyncio as asyncio

PRICES = {"ACME": 101.5, "INITECH": 42.0, "HOOLI": 777.0}


class QuoteService:
    """An asyncio-style service: a worker pool fed by a queue."""

    def __init__(self, latency: float, reply_timeout: float = 30.0) -> None:
        self.latency = latency
        self.reply_timeout = reply_timeout
        self.requests: asyncio.Queue[tuple[str, asyncio.Future[float]]] = asyncio.Queue()
        self.workers: list[asyncio.Task[None]] = []
        self.log: list[str] = []

    async def start(self, workers: int) -> None:
        self.workers = [
            asyncio.create_task(self._worker(), name=f"quote-worker-{i}") for i in range(workers)
        ]

    async def stop(self) -> None:
        for task in self.workers:
            task.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)

    async def _worker(self) -> None:
        while True:
            symbol, reply = await self.requests.get()
            try:
                await asyncio.sleep(self.latency)
                if symbol not in PRICES:
                    reply.set_exception(KeyError(symbol))
                else:
                    reply.set_result(PRICES[symbol])
            except asyncio.CancelledError:
                reply.cancel()
                raise
            finally:
                self.requests.task_done()

    async def quote(self, symbol: str) -> float:
        reply: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        await self.requests.put((symbol, reply))
        try:
            return await asyncio.wait_for(reply, self.reply_timeout)
        except asyncio.CancelledError:
            self.log.append(f"quote({symbol}) cancelled")
            raise

    async def run_with_watchdog(self, job: object, limit: float) -> str:
        """Run ``job()`` (any coroutine function) as a Task, cancelling it
        with Task.cancel() if it runs longer than ``limit``."""
        task = asyncio.create_task(job())  # type: ignore[operator]
        loop = asyncio.get_running_loop()
        loop.call_later(limit, task.cancel, "watchdog")
        try:
            await task
        except asyncio.CancelledError:
            return "job cancelled by the watchdog"
        return "job finished"


async def main() -> None:
    service = QuoteService(latency=0.01)
    await service.start(workers=2)
    results: dict[str, float] = {}

    async def fetch(symbol: str) -> None:
        results[symbol] = await service.quote(symbol)

    # 1. Library calls inside a tether nursery.
    async with tether.open_nursery() as nursery:
        for symbol in PRICES:
            nursery.start_soon(fetch, symbol)
    print("quotes:", dict(sorted(results.items())))

    # 2. A tether deadline cancels asyncio-style code where it waits.
    slow = QuoteService(latency=10)
    await slow.start(workers=1)
    with tether.move_on_after(0.05) as scope:
        await slow.quote("ACME")
    print("deadline hit:", scope.cancelled_caught, "| library saw:", slow.log)
    await slow.stop()

    # 3. Task.cancel() from the library cancels tether code, nursery and all.
    unwound: list[str] = []

    async def tether_job() -> None:
        async def forever(name: str) -> None:
            try:
                await tether.sleep_forever()
            finally:
                unwound.append(name)

        async with tether.open_nursery() as nursery:
            nursery.start_soon(forever, "a")
            nursery.start_soon(forever, "b")

    print(await service.run_with_watchdog(tether_job, limit=0.05), "| unwound:", sorted(unwound))

    # 4. The library's errors reach the app's nursery.
    try:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fetch, "ACME")
            nursery.start_soon(fetch, "NOPE")
    except* KeyError as group:
        print("nursery got:", [repr(exc) for exc in group.exceptions])

    await service.stop()
    print("service stopped; asyncio tasks left:", len(asyncio.all_tasks()))


if __name__ == "__main__":
    tether.run(main)
