"""Test configuration.

For now, only a minimal hook that runs ``async def`` tests on tether. The real
pytest plugin (fixtures, clocks, autojump...) lands later.
"""

from __future__ import annotations

import inspect
from functools import partial

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    fn = pyfuncitem.obj
    if not inspect.iscoroutinefunction(fn):
        return None  # let pytest call ordinary test functions itself
    import tether  # lazily: a broken tether must not break collection of other tests

    funcargs = pyfuncitem.funcargs
    kwargs = {name: funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    tether.run(partial(fn, **kwargs))
    return True
