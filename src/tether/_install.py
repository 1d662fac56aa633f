"""``install_as_trio()``: let code that does ``import trio`` run on tether.

A third-party library written for Trio imports ``trio`` and its public
submodules. After :func:`install_as_trio`, those imports give tether's
modules instead: ``trio`` is ``tether``, ``trio.lowlevel`` is
``tether.lowlevel``, and so on. Trio's names that contain the word "trio"
(``TrioToken``, ``trio.testing.trio_test``...) are already aliases in
tether, so such code finds everything it uses by its usual name.

This is a process-wide switch, meant for applications (call it first
thing in your program, before anything imports trio): a library must not
call it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from typing import TYPE_CHECKING

from ._core import _sniffio

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

# trio's public submodules, and the tether module each one becomes.
PUBLIC_SUBMODULES = ("abc", "from_thread", "lowlevel", "socket", "testing", "to_thread")


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self._target)

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed under its own name


class _TrioToTetherFinder(importlib.abc.MetaPathFinder):
    """Answers imports of ``trio`` and ``trio.<public submodule>``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "trio":
            target_name = "tether"
        elif fullname.startswith("trio."):
            sub = fullname[len("trio.") :]
            if sub not in PUBLIC_SUBMODULES:
                raise ModuleNotFoundError(
                    f"{fullname} is not part of Trio's public API, which is all that "
                    "tether.install_as_trio() provides",
                    name=fullname,
                )
            target_name = f"tether.{sub}"
        else:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(target_name), is_package=fullname == "trio"
        )


_FINDER = _TrioToTetherFinder()


def install_as_trio() -> None:
    """Make ``import trio`` (and ``import trio.lowlevel`` etc.) give tether.

    Call it once, at the start of a program, before anything imports
    trio; afterwards, libraries written for Trio run on tether. Calling it
    again is harmless. While it is in effect, tether also tells
    :mod:`sniffio` that the running library is ``"trio"``.

    Raises:
        RuntimeError: if the real Trio has already been imported in this
            process (the two cannot be swapped once code holds references).
    """
    if _FINDER in sys.meta_path:
        return
    already = sys.modules.get("trio")
    if already is not None and not getattr(already, "__name__", "").startswith("tether"):
        raise RuntimeError(
            "trio has already been imported; call tether.install_as_trio() before "
            "anything imports trio"
        )
    sys.meta_path.insert(0, _FINDER)
    _sniffio.LIBRARY_NAME[0] = "trio"


def uninstall_as_trio() -> None:
    """Undo :func:`install_as_trio` (mainly for tests): later imports of
    ``trio`` find the real Trio again, if it is installed. Modules that
    already imported ``trio`` keep tether."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in ["trio", *(f"trio.{sub}" for sub in PUBLIC_SUBMODULES)]:
        module = sys.modules.get(name)
        if module is not None and module.__name__.startswith("tether"):
            del sys.modules[name]
    _sniffio.LIBRARY_NAME[0] = "tether"
