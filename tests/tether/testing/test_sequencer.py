from __future__ import annotations

import pytest

import tether
from tether.testing import Sequencer, wait_all_tasks_blocked


async def test_runs_blocks_in_order() -> None:
    seq = Sequencer()
    record: list[int] = []

    async def worker(positions: list[int]) -> None:
        for position in positions:
            async with seq(position):
                record.append(position)
                await tether.sleep(0)  # others may run, but not their blocks

    async with tether.open_nursery() as nursery:
        nursery.start_soon(worker, [5, 6])
        nursery.start_soon(worker, [2, 4])
        nursery.start_soon(worker, [0, 1, 3])
    assert record == [0, 1, 2, 3, 4, 5, 6]


async def test_position_zero_does_not_wait() -> None:
    seq = Sequencer()
    async with seq(0):
        pass
    async with seq(1):
        pass


async def test_reusing_a_position_is_an_error() -> None:
    seq = Sequencer()
    async with seq(0):
        pass
    with pytest.raises(RuntimeError, match="reuse sequence point 0"):
        async with seq(0):
            pass  # pragma: no cover


async def test_cancelled_wait_breaks_the_sequence() -> None:
    seq = Sequencer()
    errors: list[str] = []

    async def waiter(position: int) -> None:
        try:
            async with seq(position):
                pass  # pragma: no cover
        except RuntimeError as exc:
            errors.append(f"{position}: {exc}")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter, 2)
        await wait_all_tasks_blocked()
        async with tether.open_nursery() as inner:
            inner.start_soon(waiter, 1)
            await wait_all_tasks_blocked()
            inner.cancel_scope.cancel()
    assert errors == [
        "1: Sequencer wait cancelled -- sequence broken",
        "2: sequence broken!",
    ]
    with pytest.raises(RuntimeError, match="sequence broken"):
        async with seq(0):
            pass  # pragma: no cover


def test_repr() -> None:
    assert "Sequencer" in repr(Sequencer())
