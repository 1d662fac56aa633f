"""The run's own ``outcome.Error`` maker (no attrs ``__init__`` on the hot
paths of failing and cancelled tasks) gives exactly what ``outcome`` does."""

from __future__ import annotations

import traceback
from typing import NoReturn

import outcome
import pytest

import tether
from tether._core._traps import capture_error, error_outcome
from tether.testing import wait_all_tasks_blocked


def test_error_outcome_is_an_ordinary_error() -> None:
    exc = KeyError("k")
    made = error_outcome(exc)
    assert type(made) is outcome.Error
    assert made == outcome.Error(exc)
    assert made.error is exc
    assert repr(made) == repr(outcome.Error(exc))
    with pytest.raises(KeyError):
        made.unwrap()
    with pytest.raises(outcome.AlreadyUsedError):
        made.unwrap()


def _raise_it() -> NoReturn:
    raise ValueError("from raise_fn")


def test_capture_error_is_capture_for_a_function_that_raises() -> None:
    mine, theirs = capture_error(_raise_it), outcome.capture(_raise_it)
    assert type(mine) is outcome.Error
    assert type(mine.error) is type(theirs.error)
    assert str(mine.error) == str(theirs.error)
    # Neither keeps its own frame in the traceback: it starts in raise_fn.
    frames = [f.name for f in traceback.extract_tb(mine.error.__traceback__)]
    assert frames == [f.name for f in traceback.extract_tb(theirs.error.__traceback__)]
    assert frames == ["_raise_it"]


def test_a_failing_task_and_a_cancelled_wait_on_the_fast_paths() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    scopes: list[tether.CancelScope] = []
    caught: list[bool] = []

    async def sleeper() -> None:
        with tether.CancelScope() as scope:
            scopes.append(scope)
            await tether.sleep(10)
        caught.append(scope.cancelled_caught)

    async def main() -> list[str]:
        with pytest.raises(ExceptionGroup) as info:
            async with tether.open_nursery() as nursery:
                nursery.start_soon(fails)
        (error,) = info.value.exceptions
        # A parked task's abort: its Cancelled comes back through capture_error.
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            await wait_all_tasks_blocked()
            scopes[0].cancel()
        return [f.name for f in traceback.extract_tb(error.__traceback__)]

    assert tether.run(main) == ["fails"]  # (the run loop's frame is left out, as before)
    assert caught == [True]
