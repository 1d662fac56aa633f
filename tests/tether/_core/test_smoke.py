"""A first end-to-end check of the runtime: run, nurseries, errors, timeouts."""

from __future__ import annotations

import pytest

import tether
from tether.testing import MockClock


def test_run_returns_the_main_task_result() -> None:
    async def main(x: int) -> int:
        await tether.sleep(0)
        return x * 2

    assert tether.run(main, 21) == 42


def test_child_error_cancels_siblings_and_comes_out_grouped() -> None:
    cleaned: list[str] = []

    async def boom() -> None:
        await tether.sleep(0.01)
        raise ValueError("boom")

    async def forever() -> None:
        try:
            await tether.sleep_forever()
        finally:
            cleaned.append("forever")

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(boom)
            nursery.start_soon(forever)

    with pytest.raises(ExceptionGroup) as info:
        tether.run(main, clock=MockClock(autojump_threshold=0))
    assert [type(e) for e in info.value.exceptions] == [ValueError]
    assert cleaned == ["forever"]


async def test_move_on_after_with_virtual_time() -> None:
    with tether.move_on_after(5) as scope:
        await tether.sleep(0)
    assert not scope.cancelled_caught


def test_sleep_jumps_with_autojump_clock() -> None:
    async def main() -> float:
        start = tether.current_time()
        await tether.sleep(3600)
        return tether.current_time() - start

    assert tether.run(main, clock=MockClock(autojump_threshold=0)) == 3600
