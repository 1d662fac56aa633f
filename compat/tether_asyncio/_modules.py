"""``asyncio.<submodule>`` for the facade: ``tether_asyncio.events``, ``.tasks``...

Programs import asyncio's submodules too (``import asyncio.subprocess``,
``from asyncio.events import AbstractEventLoop``). For each submodule of
the stock package, the facade offers one of the same name:

* a real module when the facade has one (``tether_asyncio.subprocess``,
  ``tether_asyncio.streams``);
* otherwise a *view*: a module whose attributes are the facade's objects
  of the same name (``events.get_running_loop`` is the facade's), falling
  back to the stock submodule for what the facade has no name for
  (constants, private helpers, abstract classes).

``python -m tether_asyncio`` puts these in ``sys.modules`` under the
``asyncio.*`` names; ``tether_asyncio.events`` and friends also work as
attributes of the package.
"""

from __future__ import annotations

import asyncio as _stock
import importlib
import sys
import types
from typing import Any

_views: dict[str, types.ModuleType] = {}


class _SubmoduleView(types.ModuleType):
    """A stock asyncio submodule seen through the facade."""

    def __init__(self, name: str, stock: types.ModuleType) -> None:
        super().__init__(f"tether_asyncio.{name}", stock.__doc__)
        self.__dict__["_stock"] = stock
        if hasattr(stock, "__all__"):
            self.__all__ = list(stock.__all__)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        facade = sys.modules["tether_asyncio"]
        try:
            value = facade.__dict__[attr]
        except KeyError:
            stock = self.__dict__["_stock"]
            try:
                value = getattr(stock, attr)
            except AttributeError:
                raise AttributeError(
                    f"module 'asyncio.{self.__name__.rpartition('.')[2]}' has no attribute {attr!r}"
                ) from None
        setattr(self, attr, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self.__dict__["_stock"])) | set(self.__dict__))


def stock_submodule(name: str) -> types.ModuleType | None:
    """The stock ``asyncio.<name>`` module if it is loaded, else None."""
    module = getattr(_stock, name, None)
    if isinstance(module, types.ModuleType) and module.__name__ == f"asyncio.{name}":
        return module
    return None


def submodule(name: str) -> types.ModuleType:
    """The facade's ``asyncio.<name>``: a real facade module or a view.

    Raises:
        AttributeError: if stock asyncio has no such (loaded) submodule.
    """
    try:
        return _views[name]
    except KeyError:
        pass
    stock = stock_submodule(name)
    if stock is None:
        raise AttributeError(f"module 'tether_asyncio' has no attribute {name!r}")
    try:
        module: types.ModuleType = importlib.import_module(f"tether_asyncio.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tether_asyncio.{name}":
            raise
        module = _SubmoduleView(name, stock)
    _views[name] = module
    return module


def install_as_asyncio() -> None:
    """Make ``asyncio`` and every loaded ``asyncio.*`` module the facade's."""
    facade = sys.modules["tether_asyncio"]
    for fullname in list(sys.modules):
        if fullname.startswith("asyncio."):
            name = fullname[len("asyncio.") :]
            if stock_submodule(name) is not None:
                sys.modules[fullname] = submodule(name)
    sys.modules["asyncio"] = facade
