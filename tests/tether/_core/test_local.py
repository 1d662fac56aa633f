"""RunVar: one value per run, shared by every task of the run."""

from __future__ import annotations

import contextvars

import pytest

import tether
from tether.lowlevel import RunVar, RunVarToken
from tether.testing import wait_all_tasks_blocked


async def test_get_without_value_or_default_is_a_lookup_error() -> None:
    var: RunVar[int] = RunVar("var")
    with pytest.raises(LookupError):
        var.get()
    assert var.get(5) == 5


async def test_constructor_default() -> None:
    var = RunVar("var", default="fallback")
    assert var.get() == "fallback"
    # An explicit default wins over the constructor's.
    assert var.get("explicit") == "explicit"
    var.set("set")
    assert var.get() == "set"
    assert var.get("explicit") == "set"


async def test_set_get_reset() -> None:
    var: RunVar[str] = RunVar("var")
    token1 = var.set("one")
    assert var.get() == "one"
    token2 = var.set("two")
    assert var.get() == "two"
    assert token2.previous_value == "one"
    assert not token2.redeemed

    var.reset(token2)
    assert token2.redeemed
    assert var.get() == "one"
    var.reset(token1)
    # Back to "never set".
    with pytest.raises(LookupError):
        var.get()


async def test_reset_to_constructor_default_state() -> None:
    var = RunVar("var", default=0)
    token = var.set(1)
    var.reset(token)
    assert var.get() == 0


async def test_reset_with_used_token_is_a_value_error() -> None:
    var: RunVar[int] = RunVar("var")
    token = var.set(1)
    var.reset(token)
    with pytest.raises(ValueError, match="already been used"):
        var.reset(token)


async def test_reset_with_token_of_other_var_is_a_value_error() -> None:
    var1: RunVar[int] = RunVar("var1")
    var2: RunVar[int] = RunVar("var2")
    token = var1.set(1)
    var2.set(2)
    with pytest.raises(ValueError, match="not for this RunVar"):
        var2.reset(token)
    # Nothing changed.
    assert var1.get() == 1
    assert var2.get() == 2
    assert not token.redeemed


async def test_reset_with_non_token_is_a_type_error() -> None:
    var: RunVar[int] = RunVar("var")
    with pytest.raises(TypeError):
        var.reset("nope")  # type: ignore[arg-type]


def test_token_has_no_public_constructor() -> None:
    var: RunVar[int] = RunVar("var")
    with pytest.raises(TypeError):
        RunVarToken(var, 1)


def test_repr() -> None:
    assert repr(RunVar("my_var")) == "<RunVar name='my_var'>"


async def test_value_is_shared_by_all_tasks_of_the_run() -> None:
    var: RunVar[str] = RunVar("var")
    cvar: contextvars.ContextVar[str] = contextvars.ContextVar("cvar", default="unset")
    seen: list[tuple[str, str]] = []

    async def child_sets() -> None:
        var.set("from child")
        cvar.set("from child")

    async def child_reads() -> None:
        seen.append((var.get(), cvar.get()))

    var.set("from main")
    async with tether.open_nursery() as nursery:
        nursery.start_soon(child_sets)
        await wait_all_tasks_blocked()
        nursery.start_soon(child_reads)
    # A RunVar set in one task is seen everywhere; a ContextVar is not.
    assert var.get() == "from child"
    assert cvar.get() == "unset"
    assert seen == [("from child", "unset")]


def test_each_run_has_its_own_value() -> None:
    var: RunVar[int] = RunVar("var")

    async def first() -> int:
        var.set(1)
        return var.get()

    async def second() -> int:
        with pytest.raises(LookupError):
            var.get()
        var.set(2)
        return var.get()

    assert tether.run(first) == 1
    assert tether.run(second) == 2

    defaulted = RunVar("defaulted", default="d")

    async def set_defaulted() -> None:
        defaulted.set("x")

    async def get_defaulted() -> str:
        return defaulted.get()

    tether.run(set_defaulted)
    assert tether.run(get_defaulted) == "d"


def test_outside_a_run_is_a_runtime_error() -> None:
    var = RunVar("var", default=1)
    with pytest.raises(RuntimeError):
        var.get()
    with pytest.raises(RuntimeError):
        var.get(2)
    with pytest.raises(RuntimeError):
        var.set(3)

    tokens: list[RunVarToken[int]] = []

    async def main() -> None:
        tokens.append(var.set(4))

    tether.run(main)
    with pytest.raises(RuntimeError):
        var.reset(tokens[0])
