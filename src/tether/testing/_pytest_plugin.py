"""A pytest plugin that runs ``async def`` tests (and their async fixtures)
under :func:`tether.run`.

It is registered as a ``pytest11`` entry point, so pytest loads it whenever
tether is installed, but it stays inert until turned on:

* per test, with ``@pytest.mark.tether`` (on a function, class or module);
* for a whole project, with ``tether_mode = true`` in the pytest
  configuration: every ``async def`` test then runs on tether.

Only the ``tether`` marker is recognised, not ``trio``: pytest-trio owns
that one, and both plugins may be installed side by side.

A tether test gets one run, and everything async about it happens inside
that run, in this order:

1. its *in-run fixtures* are set up one at a time, in pytest's setup order
   (which respects dependencies), each in its own task of a nursery;
2. the test body runs (in the run's main task);
3. the cancel scopes of ``nursery`` fixtures are cancelled;
4. the in-run fixtures are torn down in reverse order.

In-run fixtures are the async fixtures (``async def``, returning or
yielding) the test uses, plus any fixture that depends on one. They must be
function-scoped. A failure while setting one up or in the body is the
test's failure (as in pytest-trio: by then pytest's setup phase is over); a
failure in an orderly teardown is reported as an error in the test's
teardown phase, as pytest does for ordinary fixtures. If a fixture's task
crashes while the test runs (say, a background task in a nursery it
opened), the test is cancelled and the crash is reported as its failure.

If the test uses a fixture whose value is a :class:`tether.abc.Clock`
(``mock_clock``, ``autojump_clock`` or your own), that clock drives the
run; fixtures whose values are :class:`tether.abc.Instrument` objects are
installed as instruments.

This is the only tether module that imports pytest.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import pytest

from .. import _core
from .._sync import Event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Generator

_MARKER = "tether"
_INI_MODE = "tether_mode"


# --------------------------------------------------------------------------- configuration


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``tether_mode`` ini option."""
    parser.addini(
        _INI_MODE,
        "run every async def test (and its async fixtures) under tether.run",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``tether`` marker."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}: run this async test, and its async fixtures, under tether.run",
    )


def _test_function(item: pytest.Function) -> Callable[..., object]:
    """The function the test is, seen through a Hypothesis ``@given``."""
    fn: Callable[..., object] = item.obj
    hypothesis = getattr(fn, "hypothesis", None)
    inner = getattr(hypothesis, "inner_test", None)
    # If we replaced it already (for another parametrization), see through that.
    inner = getattr(inner, "_tether_test_fn", inner)
    if inner is not None:
        return cast("Callable[..., object]", inner)
    return fn


_IS_TETHER_TEST = pytest.StashKey[bool]()


def _is_tether_test(item: pytest.Item) -> bool:
    if not isinstance(item, pytest.Function):
        return False
    try:
        return item.stash[_IS_TETHER_TEST]
    except KeyError:
        pass
    result = item.get_closest_marker(_MARKER) is not None or (
        bool(item.config.getini(_INI_MODE)) and inspect.iscoroutinefunction(_test_function(item))
    )
    item.stash[_IS_TETHER_TEST] = result
    return result


# --------------------------------------------------------------------------- in-run fixtures


class _InRunFixture:
    """What pytest caches as the value of an in-run fixture: a placeholder,
    replaced by the real value inside the test's run."""

    def __init__(self, name: str, func: Callable[..., object], kwargs: dict[str, object]) -> None:
        self.name = name
        self.func = func
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"<tether in-run fixture {self.name!r}>"

    async def run(self, run: _TestRun, *, task_status: _core.TaskStatus[object]) -> None:
        """Set the fixture up, report its value, then wait for the signal to
        tear it down (or for cancellation, which is thrown into it)."""
        done = run.torn_down[self]
        try:
            kwargs = {name: run.resolve(value) for name, value in self.kwargs.items()}
            func = self.func
            if inspect.isasyncgenfunction(func):
                async with contextlib.asynccontextmanager(func)(**kwargs) as value:
                    await self._serve(run, value, task_status)
            elif inspect.isgeneratorfunction(func):
                with contextlib.contextmanager(func)(**kwargs) as value:
                    await self._serve(run, value, task_status)
            else:
                value = func(**kwargs)
                if inspect.isawaitable(value):
                    value = await value
                run.values[self] = value
                task_status.started(value)
        except Exception as exc:
            if self not in run.tearing_down:
                raise
            # An orderly teardown failed: an error of the teardown phase.
            run.teardown_errors.append(exc)
        finally:
            done.set()

    async def _serve(
        self, run: _TestRun, value: object, task_status: _core.TaskStatus[object]
    ) -> None:
        run.values[self] = value
        task_status.started(value)
        await run.teardown_go[self].wait()
        run.tearing_down.add(self)


_IN_RUN_FIXTURES = pytest.StashKey[list[_InRunFixture]]()


def _bound_fixture_function(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Callable[..., object]:
    """The fixture function, bound to the test's class instance if it is a
    method of that class (as pytest does)."""
    func: Callable[..., object] = fixturedef.func
    instance = request.instance
    unbound = getattr(func, "__func__", None)
    owner = getattr(func, "__self__", None)
    if instance is not None and unbound is not None and isinstance(instance, type(owner)):
        return cast("Callable[..., object]", unbound.__get__(instance))
    return func


def _is_async_fixture(func: object) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Turn the async fixtures of tether tests (and the fixtures depending
    on them) into placeholders, set up later inside the test's run."""
    item = getattr(request, "_pyfuncitem", request.node)
    if not _is_tether_test(item):
        return (yield)
    func = _bound_fixture_function(fixturedef, request)
    if _is_async_fixture(func) and fixturedef.scope != "function":
        pytest.fail(
            f"{request.fixturename!r} is an async fixture with scope {fixturedef.scope!r}; "
            f"tether runs each test in its own run, so async fixtures must be "
            f"function-scoped",
            pytrace=False,
        )
    if fixturedef.scope != "function":
        return (yield)
    if not _is_async_fixture(func):
        # A sync fixture joins the run only if it depends on one that did.
        deps = [request.getfixturevalue(name) for name in fixturedef.argnames]
        if not any(isinstance(dep, _InRunFixture) for dep in deps):
            return (yield)

    name = request.fixturename or fixturedef.argname

    def make_placeholder(**kwargs: object) -> _InRunFixture:
        placeholder = _InRunFixture(name, func, kwargs)
        item.stash.setdefault(_IN_RUN_FIXTURES, []).append(placeholder)
        return placeholder

    # Let pytest do its usual work (argument lookup, caching, error
    # reporting) with a stand-in function that makes the placeholder.
    # (``func`` is typed Final, but pytest reads it afresh on every setup
    # through resolve_fixture_function; we put the original straight back.)
    original = fixturedef.func
    fixturedef.func = make_placeholder  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = original  # type: ignore[misc]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Forget the in-run fixtures of a previous run of this item."""
    if _is_tether_test(item):
        item.stash[_IN_RUN_FIXTURES] = []


# --------------------------------------------------------------------------- running a test


class _TestRun:
    """The state of one ``tether.run`` of one test."""

    def __init__(self, fixtures: list[_InRunFixture]) -> None:
        self.fixtures = fixtures
        self.values: dict[_InRunFixture, object] = {}
        self.teardown_go = {fixture: Event() for fixture in fixtures}
        self.torn_down = {fixture: Event() for fixture in fixtures}
        self.tearing_down: set[_InRunFixture] = set()
        self.teardown_errors: list[Exception] = []
        # Cancelled as soon as the test body ends (the ``nursery`` fixture).
        self.cancel_at_body_end: list[_core.CancelScope] = []

    def resolve(self, value: object) -> object:
        if isinstance(value, _InRunFixture):
            return self.values[value]
        return value

    async def main(self, test_fn: Callable[..., Awaitable[object]], kwargs: dict[str, Any]) -> None:
        body_error: BaseException | None = None
        unwrapped: BaseException | None = None
        try:
            async with _core.open_nursery() as fixture_nursery:
                set_up: list[_InRunFixture] = []
                try:
                    for fixture in self.fixtures:
                        await fixture_nursery.start(partial(fixture.run, self), name=fixture.name)
                        set_up.append(fixture)
                    try:
                        await test_fn(**{name: self.resolve(v) for name, v in kwargs.items()})
                    finally:
                        for scope in self.cancel_at_body_end:
                            scope.cancel()
                except BaseException as exc:
                    body_error = exc
                    raise
                finally:
                    for fixture in reversed(set_up):
                        self.teardown_go[fixture].set()
                        await self.torn_down[fixture].wait()
        except BaseExceptionGroup as group:
            # Report the body's (or a setup's) own error as itself, not as a
            # group of one, when nothing else went wrong.
            if len(group.exceptions) != 1 or group.exceptions[0] is not body_error:
                raise
            unwrapped = body_error
        if unwrapped is not None:
            raise unwrapped


_CURRENT_RUN = pytest.StashKey[_TestRun]()


def _run_test(
    item: pytest.Function, test_fn: Callable[..., Awaitable[object]], **kwargs: Any
) -> None:
    __tracebackhide__ = True
    clocks = [v for v in item.funcargs.values() if isinstance(v, _core.Clock)]
    if len(clocks) > 1:
        raise ValueError(f"{item.name} uses more than one clock fixture; a run has one clock")
    instruments = [v for v in item.funcargs.values() if isinstance(v, _core.Instrument)]
    run = _TestRun(list(item.stash.get(_IN_RUN_FIXTURES, None) or ()))
    item.stash[_CURRENT_RUN] = run

    def report_teardown_errors() -> None:
        __tracebackhide__ = True
        errors = run.teardown_errors
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup(f"errors tearing down fixtures of {item.name}", errors)

    item.addfinalizer(report_teardown_errors)
    # Without in-run fixtures the test body is the run's main task itself,
    # exactly as under tether.run(test_fn).
    main = partial(run.main, test_fn, kwargs) if run.fixtures else partial(test_fn, **kwargs)
    _core.run(main, clock=clocks[0] if clocks else None, instruments=instruments)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a tether test's body (and its in-run fixtures) under tether.run."""
    if not _is_tether_test(pyfuncitem):
        return None
    test_fn = _test_function(pyfuncitem)
    if not inspect.iscoroutinefunction(test_fn):
        pytest.fail(
            f"{pyfuncitem.name} is marked {_MARKER!r} but is not an async def function",
            pytrace=False,
        )
    hypothesis = getattr(pyfuncitem.obj, "hypothesis", None)
    if hypothesis is not None:
        # Hypothesis calls inner_test once per example: give each its own run.

        @functools.wraps(test_fn)
        def run_example(**kwargs: Any) -> None:
            __tracebackhide__ = True
            _run_test(pyfuncitem, test_fn, **kwargs)

        run_example._tether_test_fn = test_fn  # type: ignore[attr-defined]
        hypothesis.inner_test = run_example
        return None  # pytest calls the @given wrapper
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    _run_test(pyfuncitem, test_fn, **kwargs)
    return True


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def mock_clock() -> _core.MockClock:
    """A :class:`~tether.testing.MockClock` with default settings (time
    stands still unless you jump it), used as the test's clock."""
    return _core.MockClock()


@pytest.fixture
def autojump_clock() -> _core.MockClock:
    """A :class:`~tether.testing.MockClock` with ``autojump_threshold=0``
    (time jumps ahead whenever every task is blocked), used as the test's
    clock."""
    return _core.MockClock(autojump_threshold=0)


@pytest.fixture
async def nursery(request: pytest.FixtureRequest) -> AsyncIterator[_core.Nursery]:
    """A nursery for background tasks of the test; its cancel scope is
    cancelled as soon as the test body ends, before the other fixtures are
    torn down. A task in it that crashes fails the test."""
    async with _core.open_nursery() as background:
        request.node.stash[_CURRENT_RUN].cancel_at_body_end.append(background.cancel_scope)
        yield background
