"""A one-minute tour of tether: run me with ``make demo``."""

from __future__ import annotations

import time

import tether


def heading(text: str) -> None:
    print(f"\n== {text}")


async def worker(name: str, seconds: float) -> None:
    await tether.sleep(seconds)
    print(f"   {name} finished after {seconds:.1f}s")


async def tour() -> None:
    heading("1. Every task lives in a nursery; the block waits for all of them")
    start = time.perf_counter()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(worker, "slow", 0.3)
        nursery.start_soon(worker, "fast", 0.1)
        nursery.start_soon(worker, "medium", 0.2)
    print(f"   all three done in {time.perf_counter() - start:.1f}s (they ran concurrently)")

    heading("2. A deadline cancels everything inside it, tasks included")
    with tether.move_on_after(0.15) as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(worker, "quick", 0.1)
            nursery.start_soon(worker, "too slow", 5.0)
    print(f"   gave up after 0.15s: cancelled_caught={scope.cancelled_caught}")

    heading("3. Errors are never lost: siblings are cancelled, all errors come out")

    async def fail(message: str, after: float) -> None:
        await tether.sleep(after)
        raise ValueError(message)

    try:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail, "disk full", 0.05)
            nursery.start_soon(fail, "network down", 0.05)
            nursery.start_soon(worker, "bystander", 10.0)
    except* ValueError as group:
        for error in group.exceptions:
            print(f"   caught: {error}")

    heading("4. Channels connect tasks, and closing one ends the stream")
    send, receive = tether.open_memory_channel[str](0)

    async def producer() -> None:
        async with send:
            for word in ["structured", "concurrency", "for", "Python"]:
                await send.send(word)

    words = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(producer)
        async with receive:
            async for word in receive:
                words.append(word)
    print(f"   received: {' '.join(words)}")

    heading("5. You can always see what is running")

    async def waiter(event: tether.Event) -> None:
        await event.wait()

    event = tether.Event()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter, event, name="waiter-1")
        nursery.start_soon(waiter, event, name="waiter-2")
        await tether.sleep(0.01)
        tree = tether.lowlevel.format_task_tree(tether.lowlevel.current_task())
        print("   " + tree.replace("\n", "\n   "))
        event.set()

    heading("That's tether. Programs written for Trio run on it: `import tether as trio`.")


if __name__ == "__main__":
    tether.run(tour)
