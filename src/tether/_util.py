"""Small helpers shared by the whole package.

This module is a leaf: it imports only the standard library.
"""

from __future__ import annotations

import collections.abc
import inspect
import sys
import types
from abc import ABCMeta
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from typing import final as std_final

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

T = TypeVar("T")

final = std_final


class NoPublicConstructor(ABCMeta):
    """Metaclass that forbids calling the class directly.

    Library code creates instances with ``Cls._create(...)``; users who try
    ``Cls(...)`` get a :exc:`TypeError` that says the class is not meant to be
    instantiated by hand.
    """

    def __call__(cls, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            f"{cls.__module__}.{cls.__qualname__} has no public constructor"
        )

    def _create(cls: type[T], *args: object, **kwargs: object) -> T:
        return super().__call__(*args, **kwargs)  # type: ignore[misc, no-any-return]


def fixup_module_metadata(module_name: str, namespace: dict[str, object]) -> None:
    """Make public objects report the public module they are exported from.

    Tracebacks, reprs and pickles then say ``tether.Lock`` instead of
    ``tether._sync.Lock``.
    """
    seen_ids: set[int] = set()

    def fix_one(qualname: str, name: str, obj: object) -> None:
        if id(obj) in seen_ids:
            return
        seen_ids.add(id(obj))
        mod = getattr(obj, "__module__", None)
        if mod is not None and mod.startswith("tether."):
            try:
                obj.__module__ = module_name
            except (AttributeError, TypeError):  # pragma: no cover - builtins
                return
            # Rewrite names only for objects defined under this name (not aliases).
            if getattr(obj, "__name__", None) == name and "." not in getattr(
                obj, "__qualname__", "."
            ):
                obj.__qualname__ = qualname  # type: ignore[attr-defined]
            if isinstance(obj, type):
                for attr_name, attr_value in obj.__dict__.items():
                    fix_one(f"{qualname}.{attr_name}", attr_name, attr_value)

    for objname, obj in namespace.items():
        if not objname.startswith("_"):
            fix_one(objname, objname, obj)


def _return_value_looks_like_wrong_library(value: object) -> bool:
    # Objects from asyncio, twisted, tornado...
    if isinstance(value, collections.abc.Generator):
        return True
    if getattr(value, "_asyncio_future_blocking", None) is not None:
        return True
    return value.__class__.__name__ in ("Future", "Deferred")


def _check_not_awaitable_object(async_fn: object) -> None:
    if isinstance(async_fn, collections.abc.Coroutine):
        # Close it so Python does not warn that it was never awaited.
        async_fn.close()
        raise TypeError(
            "tether was expecting an async function, but instead it got a "
            f"coroutine object {async_fn!r}\n\n"
            "Probably you did something like:\n\n"
            f"  tether.run({getattr(async_fn, '__name__', 'fn')}(...))            # incorrect!\n"
            f"  nursery.start_soon({getattr(async_fn, '__name__', 'fn')}(...))  # incorrect!\n\n"
            "Instead, you want (notice the parentheses!):\n\n"
            f"  tether.run({getattr(async_fn, '__name__', 'fn')}, ...)            # correct!\n"
            f"  nursery.start_soon({getattr(async_fn, '__name__', 'fn')}, ...)  # correct!"
        )
    if _return_value_looks_like_wrong_library(async_fn):
        raise TypeError(
            f"tether was expecting an async function, but instead it got {async_fn!r} -- "
            "are you trying to use a library written for asyncio/twisted/tornado or "
            "similar? That won't work without some sort of compatibility shim."
        )



def coroutine_or_error(
    async_fn: Callable[..., Awaitable[T]], args: Sequence[object]
) -> collections.abc.Coroutine[object, object, T]:
    """Call ``async_fn(*args)`` and check that it gave back a coroutine.

    Gives a message that says how to fix the common mistakes: passing a
    coroutine object (``fn()`` instead of ``fn``), passing a synchronous
    function, or passing a future-like object from another library.
    """
    # The common case first, with exact type checks only: a plain async
    # function returning a native coroutine. ABC isinstance checks cost
    # more than the rest of a spawn, so they run only on the error path.
    if type(async_fn) is types.FunctionType:
        coro = async_fn(*args)
        if type(coro) is types.CoroutineType:
            return coro
    else:
        _check_not_awaitable_object(async_fn)
        coro = async_fn(*args)

    if (
        type(coro) is types.GeneratorType
        and coro.gi_code.co_flags & inspect.CO_ITERABLE_COROUTINE
    ):
        # A generator-based coroutine (@types.coroutine), like tether's own
        # traps: fine to run as a task.
        return coro  # type: ignore[return-value]
    if not isinstance(coro, collections.abc.Coroutine):
        if _return_value_looks_like_wrong_library(coro):
            raise TypeError(
                f"tether got unexpected {coro!r} -- are you trying to use a "
                "library written for asyncio/twisted/tornado or similar? "
                "That won't work without some sort of compatibility shim."
            )
        if inspect.isasyncgen(coro):
            coro.aclose().close()
            raise TypeError(
                "start_soon expected an async function but got an async "
                f"generator {coro!r}"
            )
        raise TypeError(
            "tether expected an async function, but {!r} appears to be "
            "synchronous".format(getattr(async_fn, "__qualname__", async_fn))
        )
    return coro


def name_of(obj: object) -> str:
    """Best-effort dotted name of a function-like object, for task names."""
    while hasattr(obj, "func") and not hasattr(obj, "__qualname__"):
        obj = obj.func  # functools.partial
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if qualname is None:
        return repr(obj)
    if module and module != "builtins":
        return f"{module}.{qualname}"
    return str(qualname)


def is_main_thread() -> bool:
    """Whether we are in the thread that handles signals."""
    import threading

    return threading.current_thread() is threading.main_thread()


def raise_saving_context(exc: BaseException) -> NoReturn:
    """Raise ``exc`` without letting Python overwrite its ``__context__``."""
    context = exc.__context__
    try:
        raise exc
    finally:
        exc.__context__ = context
        del exc, context


def coro_frames(coro: Any) -> types.FrameType | None:
    """The frame of a coroutine or generator-based coroutine, if any."""
    return getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)


PY312 = sys.version_info >= (3, 12)
