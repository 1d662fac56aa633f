"""move_on_after / move_on_at / fail_after / fail_at, on virtual time."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

import tether
from tether.lowlevel import checkpoint, current_clock
from tether.testing import MockClock

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

nan = math.nan


def run_autojump(fn: Callable[[], Awaitable[object]]) -> None:
    tether.run(fn, clock=MockClock(autojump_threshold=0))


def run_manual(fn: Callable[[], Awaitable[object]]) -> None:
    tether.run(fn, clock=MockClock())


def mock_clock() -> MockClock:
    clock = current_clock()
    assert isinstance(clock, MockClock)
    return clock


# -- move_on_* ----------------------------------------------------------------------


def test_move_on_after_happy_path() -> None:
    async def main() -> None:
        with tether.move_on_after(5) as scope:
            await tether.sleep(4)
            assert tether.current_effective_deadline() == 5
        assert not scope.cancel_called
        assert not scope.cancelled_caught
        assert tether.current_time() == 4

    run_autojump(main)


def test_move_on_after_expires() -> None:
    reached: list[str] = []

    async def main() -> None:
        with tether.move_on_after(5) as scope:
            await tether.sleep(10)
            reached.append("not reached")  # pragma: no cover
        assert scope.cancel_called
        assert scope.cancelled_caught
        assert tether.current_time() == 5

    run_autojump(main)
    assert reached == []


def test_move_on_at_happy_path_and_expiry() -> None:
    async def main() -> None:
        with tether.move_on_at(3) as scope:
            await tether.sleep(1)
        assert not scope.cancelled_caught
        assert scope.deadline == 3
        with tether.move_on_at(7) as scope:
            await tether.sleep_forever()
        assert scope.cancelled_caught
        assert tether.current_time() == 7

    run_autojump(main)


def test_move_on_at_in_the_past_cancels_at_once() -> None:
    async def main() -> None:
        mock_clock().jump(10)
        with tether.move_on_at(2) as scope:
            assert scope.cancel_called
            await checkpoint()
        assert scope.cancelled_caught
        with tether.move_on_at(-math.inf) as scope:
            await checkpoint()
        assert scope.cancelled_caught
        with tether.move_on_after(0) as scope:
            await checkpoint()
        assert scope.cancelled_caught
        assert tether.current_time() == 10

    run_manual(main)


def test_move_on_after_deadline_is_set_on_entry() -> None:
    async def main() -> None:
        scope = tether.move_on_after(5)
        assert scope.is_relative is True
        assert scope.relative_deadline == 5
        mock_clock().jump(3)
        with scope as entered:
            assert entered is scope
            assert scope.is_relative is None
            assert scope.deadline == 8
            assert scope.relative_deadline == 5

    run_manual(main)


def test_move_on_returns_a_cancel_scope() -> None:
    assert isinstance(tether.move_on_after(1), tether.CancelScope)
    assert isinstance(tether.move_on_at(1), tether.CancelScope)
    assert tether.move_on_after(1, shield=True).shield
    assert not tether.move_on_at(1).shield


def test_expiry_cancels_children_in_nursery() -> None:
    cancelled: list[float] = []

    async def child() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            cancelled.append(tether.current_time())
            raise

    async def main() -> None:
        with tether.move_on_after(2) as scope:
            async with tether.open_nursery() as nursery:
                nursery.start_soon(child)
                nursery.start_soon(child)
        assert scope.cancelled_caught

    run_autojump(main)
    assert cancelled == [2, 2]


# -- fail_* ----------------------------------------------------------------------


def test_fail_after_happy_path() -> None:
    async def main() -> None:
        with tether.fail_after(5) as scope:
            assert isinstance(scope, tether.CancelScope)
            assert scope.deadline == 5
            await tether.sleep(4.5)
        assert not scope.cancelled_caught
        with tether.fail_at(20) as scope:
            assert scope.deadline == 20
            await tether.sleep(1)
        assert not scope.cancelled_caught
        assert tether.current_time() == 5.5

    run_autojump(main)


def test_fail_after_expires() -> None:
    async def main() -> None:
        with pytest.raises(tether.TooSlowError), tether.fail_after(5):
            await tether.sleep(100)
        assert tether.current_time() == 5
        with pytest.raises(tether.TooSlowError), tether.fail_at(8):
            await tether.sleep_forever()
        assert tether.current_time() == 8

    run_autojump(main)


def test_too_slow_error_is_an_exception() -> None:
    assert issubclass(tether.TooSlowError, Exception)


def test_fail_after_not_raised_when_finished_just_in_time() -> None:
    async def main() -> None:
        with tether.fail_after(5):
            await tether.sleep(4.999)
        # Blocking past the deadline without a checkpoint is not a failure.
        with tether.fail_after(1):
            mock_clock().jump(2)
        assert tether.current_time() == 6.999

    run_autojump(main)


def test_fail_after_cancelled_by_outer_scope_propagates_cancelled() -> None:
    reached: list[str] = []

    async def main() -> None:
        with tether.CancelScope() as outer:
            try:
                with tether.fail_after(10) as inner:
                    outer.cancel()
                    await tether.sleep(1)
            except tether.TooSlowError:  # pragma: no cover
                reached.append("TooSlowError")
            reached.append("not reached")  # pragma: no cover
        assert outer.cancelled_caught
        assert not inner.cancelled_caught
        assert tether.current_time() == 0

    run_autojump(main)
    assert reached == []


def test_fail_after_explicit_cancel_raises_too_slow() -> None:
    # As in Trio: fail_* raise whenever their own scope caught the Cancelled.
    async def main() -> None:
        async def body() -> None:
            with tether.fail_after(10) as scope:
                scope.cancel()
                await checkpoint()

        with pytest.raises(tether.TooSlowError):
            await body()

    run_autojump(main)


def test_fail_after_other_exception_wins() -> None:
    async def main() -> None:
        async def body() -> None:
            with tether.fail_after(1):
                try:
                    await tether.sleep(5)
                finally:
                    raise KeyError("cleanup")

        with pytest.raises(KeyError):
            await body()

    run_autojump(main)


# -- shield= ------------------------------------------------------------------------


@pytest.mark.parametrize("make", [tether.move_on_after, tether.fail_after])
def test_shield_kwarg_protects_from_outer(make: Callable[..., Any]) -> None:
    async def main() -> None:
        with tether.CancelScope() as outer, make(10, shield=True) as inner:
            assert inner.shield
            outer.cancel()
            await tether.sleep(1)  # shielded: completes
            assert tether.current_time() == 1
            inner.shield = False
            with pytest.raises(tether.Cancelled):
                await checkpoint()
            await checkpoint()
        assert outer.cancelled_caught
        assert not inner.cancelled_caught

    run_autojump(main)


def test_move_on_after_moves_on_even_if_shielded() -> None:
    async def main() -> None:
        with tether.CancelScope() as outer:
            with tether.move_on_after(3, shield=True) as inner:
                outer.cancel()
                await tether.sleep_forever()
            assert inner.cancelled_caught
            assert tether.current_time() == 3
            await checkpoint()
        assert outer.cancelled_caught

    run_autojump(main)


def test_fail_after_fails_even_if_shielded() -> None:
    async def main() -> None:
        with tether.CancelScope() as outer:

            async def body() -> None:
                with tether.fail_at(4, shield=True):
                    outer.cancel()
                    await tether.sleep_forever()

            with pytest.raises(tether.TooSlowError):
                await body()
            assert tether.current_time() == 4
        assert not outer.cancelled_caught

    run_autojump(main)


# -- validation -------------------------------------------------------------------


def test_move_on_value_errors() -> None:
    with pytest.raises(ValueError, match="NaN"):
        tether.move_on_after(nan)
    with pytest.raises(ValueError, match="non-negative"):
        tether.move_on_after(-1)
    with pytest.raises(ValueError, match="NaN"):
        tether.move_on_at(nan)
    # Absolute deadlines may be negative (they are just in the past).
    tether.move_on_at(-1)


@pytest.mark.parametrize(
    ("make", "value", "match"),
    [
        (tether.fail_after, nan, "NaN"),
        (tether.fail_after, -1, "non-negative"),
        (tether.fail_at, nan, "NaN"),
    ],
)
def test_fail_value_errors(make: Callable[[float], Any], value: float, match: str) -> None:
    cm = make(value)
    with pytest.raises(ValueError, match=match):
        cm.__enter__()


async def test_value_errors_inside_a_run() -> None:
    for bad in (nan, -1.0):
        with pytest.raises(ValueError, match=r"NaN|non-negative"):
            tether.move_on_after(bad)
    await checkpoint()
