"""A decorator that runs an async test function under :func:`tether.run`."""

from __future__ import annotations

from functools import partial, wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from .. import _core

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

ArgsT = ParamSpec("ArgsT")
RetT = TypeVar("RetT")


def tether_test(fn: Callable[ArgsT, Awaitable[RetT]]) -> Callable[ArgsT, RetT]:
    """Turn an async test function into a synchronous one that runs it
    under :func:`tether.run`.

    Usage::

        @tether_test
        async def test_whatever():
            await ...

    Keyword arguments (such as pytest fixtures) that are
    :class:`tether.abc.Clock` instances become the run's clock, and those
    that are :class:`tether.abc.Instrument` instances are installed as its
    instruments; all arguments are still passed on to the function.

    Args:
        fn: the async function to wrap.

    Returns:
        A synchronous function with the same signature, returning what
        ``fn`` returns.

    Raises:
        ValueError: (when called) if more than one keyword argument is a
            clock.
    """

    @wraps(fn)
    def wrapper(*args: ArgsT.args, **kwargs: ArgsT.kwargs) -> RetT:
        __tracebackhide__ = True
        clocks = [value for value in kwargs.values() if isinstance(value, _core.Clock)]
        if len(clocks) > 1:
            raise ValueError("too many clocks spoil the broth!")
        instruments = [value for value in kwargs.values() if isinstance(value, _core.Instrument)]
        return _core.run(
            partial(fn, *args, **kwargs),
            clock=clocks[0] if clocks else None,
            instruments=instruments,
        )

    return wrapper


trio_test = tether_test
"""Trio's name for :func:`tether_test`."""
