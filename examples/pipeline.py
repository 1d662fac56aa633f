"""A three-stage pipeline connected by memory channels.

Written against Trio's API: it runs the same with ``import trio as tether``.

    producer --(numbers)--> 3 squarers --(squares)--> summer

Each stage closes its end of the channel when it is done, so the next stage
sees the end of the stream (``async for`` stops). The squarers share one
receive channel and each hold a clone of the send channel: the summer stops
only after the last of them has closed its clone.
"""

from __future__ import annotations

import tether

COUNT = 20
WORKERS = 3


async def producer(send: tether.MemorySendChannel[int]) -> None:
    async with send:
        for n in range(1, COUNT + 1):
            await send.send(n)


async def squarer(
    receive: tether.MemoryReceiveChannel[int],
    send: tether.MemorySendChannel[int],
    done: list[int],
) -> None:
    handled = 0
    async with send:
        async for n in receive:
            await tether.sleep(0.001 * (n % 3))  # some work
            await send.send(n * n)
            handled += 1
    done.append(handled)


async def summer(receive: tether.MemoryReceiveChannel[int]) -> int:
    total = 0
    async with receive:
        async for square in receive:
            total += square
    return total


async def main() -> int:
    numbers_send, numbers_receive = tether.open_memory_channel[int](0)
    squares_send, squares_receive = tether.open_memory_channel[int](5)
    done: list[int] = []
    result: list[int] = []

    async def run_summer() -> None:
        result.append(await summer(squares_receive))

    async with tether.open_nursery() as nursery:
        nursery.start_soon(producer, numbers_send)
        async with squares_send, numbers_receive:
            for _ in range(WORKERS):
                nursery.start_soon(squarer, numbers_receive.clone(), squares_send.clone(), done)
        nursery.start_soon(run_summer)

    print(f"{WORKERS} workers squared {sum(done)} numbers")
    print(f"sum of squares of 1..{COUNT} = {result[0]}")
    assert result[0] == sum(n * n for n in range(1, COUNT + 1))
    return result[0]


if __name__ == "__main__":
    tether.run(main)
