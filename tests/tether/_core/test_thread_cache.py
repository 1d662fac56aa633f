"""start_thread_soon: run a function in a (reused) worker thread."""

from __future__ import annotations

import queue
import sys
import threading
from typing import TYPE_CHECKING, TypeVar

import outcome
import pytest

import tether
from tether.lowlevel import start_thread_soon

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

# An upper bound on waits for the worker, never reached when things work.
_GIVE_UP = 10


def _run_in_worker(fn: Callable[[], T], *, name: str | None = None) -> outcome.Outcome[T]:
    """Run ``fn`` with start_thread_soon and wait for the delivered outcome."""
    delivered: queue.Queue[tuple[outcome.Outcome[T], int]] = queue.Queue()

    def deliver(result: outcome.Outcome[T]) -> None:
        delivered.put((result, threading.get_ident()))

    start_thread_soon(fn, deliver, name=name)
    result, _ = delivered.get(timeout=_GIVE_UP)
    return result


def test_value_is_delivered() -> None:
    result = _run_in_worker(lambda: 6 * 7)
    assert result == outcome.Value(42)


def test_error_is_delivered() -> None:
    def boom() -> None:
        raise ValueError("boom")

    result = _run_in_worker(boom)
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, ValueError)
    assert str(result.error) == "boom"


def test_fn_and_deliver_run_in_the_same_worker_thread() -> None:
    main_ident = threading.get_ident()
    delivered: queue.Queue[tuple[int, int]] = queue.Queue()

    def deliver(result: outcome.Outcome[int]) -> None:
        delivered.put((result.unwrap(), threading.get_ident()))

    start_thread_soon(threading.get_ident, deliver)
    fn_ident, deliver_ident = delivered.get(timeout=_GIVE_UP)
    assert fn_ident == deliver_ident
    assert fn_ident != main_ident


def test_threads_are_reused_when_idle() -> None:
    idents = [_run_in_worker(threading.get_ident).unwrap() for _ in range(5)]
    assert len(set(idents)) == 1
    assert idents[0] != threading.get_ident()


def test_worker_is_reusable_from_inside_deliver() -> None:
    # The worker parks itself before delivering, so a deliver callback that
    # immediately starts the next job can get the same thread.
    delivered: queue.Queue[int] = queue.Queue()

    def second_deliver(result: outcome.Outcome[int]) -> None:
        delivered.put(result.unwrap())

    def first_deliver(result: outcome.Outcome[int]) -> None:
        delivered.put(result.unwrap())
        start_thread_soon(threading.get_ident, second_deliver)

    start_thread_soon(threading.get_ident, first_deliver)
    first = delivered.get(timeout=_GIVE_UP)
    second = delivered.get(timeout=_GIVE_UP)
    assert first == second


def test_concurrent_jobs_get_their_own_threads() -> None:
    n = 5
    barrier = threading.Barrier(n, timeout=_GIVE_UP)
    delivered: queue.Queue[outcome.Outcome[int]] = queue.Queue()

    def job() -> int:
        # Only returns once all n jobs run at the same time.
        barrier.wait()
        return threading.get_ident()

    for _ in range(n):
        start_thread_soon(job, delivered.put)
    results = [delivered.get(timeout=_GIVE_UP).unwrap() for _ in range(n)]
    assert len(set(results)) == n


def _os_thread_name() -> str | None:
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return None
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/comm") as f:
            return f.read().rstrip("\n")
    except OSError:  # pragma: no cover
        return None


def test_name_is_set_during_the_call_and_restored() -> None:
    def names() -> tuple[str, str | None, int]:
        return threading.current_thread().name, _os_thread_name(), threading.get_ident()

    default_name, _, ident1 = _run_in_worker(names).unwrap()
    named, os_name, ident2 = _run_in_worker(names, name="my worker name").unwrap()
    after, _, ident3 = _run_in_worker(names).unwrap()

    assert ident1 == ident2 == ident3
    assert named == "my worker name"
    assert after == default_name
    assert default_name != named
    if os_name is not None:
        # Linux limits OS thread names to 15 bytes.
        assert os_name == "my worker name"[:15]


@pytest.mark.skipif(_os_thread_name() is None, reason="needs /proc thread names")
def test_worker_os_thread_name_matches_its_python_name() -> None:
    # Like Trio, a worker's OS-level name is its default name from the start,
    # so a named job leaves no trace on it (Trio names the OS thread as soon
    # as the worker starts).
    from tether._core._thread_cache import THREAD_CACHE

    # More concurrent jobs than idle workers: at least one brand-new worker.
    n = len(THREAD_CACHE._idle_workers) + 1
    barrier = threading.Barrier(n, timeout=_GIVE_UP)
    delivered: queue.Queue[outcome.Outcome[tuple[str, str | None]]] = queue.Queue()

    def job() -> tuple[str, str | None]:
        barrier.wait()
        return threading.current_thread().name, _os_thread_name()

    for _ in range(n):
        start_thread_soon(job, delivered.put)
    names = [delivered.get(timeout=_GIVE_UP).unwrap() for _ in range(n)]
    for py_name, os_name in names:
        assert os_name == py_name[:15]


def test_long_name_is_truncated_for_the_os_only() -> None:
    long_name = "a thread name longer than fifteen bytes"

    def names() -> tuple[str, str | None]:
        return threading.current_thread().name, _os_thread_name()

    named, os_name = _run_in_worker(names, name=long_name).unwrap()
    assert named == long_name
    if os_name is not None:
        assert os_name == long_name[:15]


def test_deliver_error_is_printed_and_worker_survives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    finished = threading.Event()
    worker_idents: list[int] = []

    def fn() -> None:
        worker_idents.append(threading.get_ident())

    def bad_deliver(result: outcome.Outcome[None]) -> None:
        try:
            raise RuntimeError("deliver blew up")
        finally:
            finished.set()

    start_thread_soon(fn, bad_deliver)
    assert finished.wait(_GIVE_UP)
    # The worker prints the error after deliver returns; the next job it
    # takes only starts once that is done.
    ident = _run_in_worker(threading.get_ident).unwrap()
    assert ident == worker_idents[0]
    err = capsys.readouterr().err
    assert "Exception while delivering result of thread" in err
    assert "deliver blew up" in err


def test_works_inside_a_run_too() -> None:
    async def main() -> int:
        token = tether.lowlevel.current_tether_token()
        event = tether.Event()
        results: list[outcome.Outcome[int]] = []

        def deliver(result: outcome.Outcome[int]) -> None:
            results.append(result)
            token.run_sync_soon(event.set)

        start_thread_soon(lambda: 7, deliver)
        await event.wait()
        return results[0].unwrap()

    assert tether.run(main) == 7


def test_base_exception_from_fn_is_captured() -> None:
    def fn() -> None:
        raise KeyboardInterrupt

    result = _run_in_worker(fn)
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, KeyboardInterrupt)
