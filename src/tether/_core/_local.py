"""RunVar: a context-variable-like value scoped to one run."""

from __future__ import annotations

from typing import Generic, TypeVar, cast

from .._util import NoPublicConstructor, final
from ._context import current_runner

T = TypeVar("T")


class _NoValue:
    __slots__ = ()


_NO_VALUE = _NoValue()


@final
class RunVarToken(Generic[T], metaclass=NoPublicConstructor):
    """Returned by :meth:`RunVar.set`; pass it to :meth:`RunVar.reset`."""

    __slots__ = ("_var", "previous_value", "redeemed")

    def __init__(self, var: RunVar[T], value: T | _NoValue) -> None:
        self._var = var
        self.previous_value = value
        self.redeemed = False


@final
class RunVar(Generic[T]):
    """A variable with one value per :func:`tether.run`, shared by all its
    tasks (unlike a :class:`contextvars.ContextVar`, whose value each task
    inherits and changes on its own). Useful for per-run caches.

    Args:
        name: for reprs.
        default: returned by :meth:`get` when nothing was set in this run.
    """

    __slots__ = ("_default", "_name")

    def __init__(self, name: str, default: T | _NoValue = _NO_VALUE) -> None:
        self._name = name
        self._default = default

    def get(self, default: T | _NoValue = _NO_VALUE) -> T:
        """The value in the current run, else ``default``, else the
        constructor's default.

        Raises:
            LookupError: if there is no value and no default.
            RuntimeError: outside a run.
        """
        try:
            return cast("T", current_runner()._locals[self])
        except KeyError:
            if not isinstance(default, _NoValue):
                return default
            if not isinstance(self._default, _NoValue):
                return self._default
            raise LookupError(self) from None

    def set(self, value: T) -> RunVarToken[T]:
        """Set the value for this run; return a token for :meth:`reset`."""
        try:
            old_value: T | _NoValue = self.get()
        except LookupError:
            old_value = _NO_VALUE
        token = cast("RunVarToken[T]", RunVarToken._create(self, old_value))
        current_runner()._locals[self] = value
        return token

    def reset(self, token: RunVarToken[T]) -> None:
        """Put back the value from before the :meth:`set` that made ``token``.

        Raises:
            TypeError: if ``token`` is not a RunVarToken.
            ValueError: if it belongs to another RunVar or was already used.
        """
        if not isinstance(token, RunVarToken):
            raise TypeError("token must be a RunVarToken")
        if token._var is not self:
            raise ValueError("token is not for this RunVar")
        if token.redeemed:
            raise ValueError("token has already been used")
        locals_ = current_runner()._locals
        if isinstance(token.previous_value, _NoValue):
            locals_.pop(self, None)
        else:
            locals_[self] = token.previous_value
        token.redeemed = True

    def __repr__(self) -> str:
        return f"<RunVar name={self._name!r}>"
