"""``tether.Path``: a pure path whose filesystem methods are async.

As in Trio 0.35, ``Path`` subclasses :class:`pathlib.PurePath` (so the pure
operations, ``/``, ``.name``, ``.with_suffix()``..., are inherited and stay
synchronous) and adds async versions of :class:`pathlib.Path`'s methods that
touch the filesystem. Each one converts the path to the concrete
:mod:`pathlib` class (``_wrapped_cls``) in a worker thread, calls the method
there, and converts paths in the result back to the tether class.
"""

from __future__ import annotations

import os
import pathlib
import sys
from functools import partial
from typing import IO, TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, TypeVar

from ._file_io import AsyncIOWrapper, wrap_file
from ._threads import to_thread_run_sync
from ._util import final

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
    from typing import Self

P = ParamSpec("P")
T = TypeVar("T")
PathT = TypeVar("PathT", bound="Path")


def _as_async(
    wrapped: Callable[..., object], extra_doc: str = ""
) -> Callable[[Callable[P, T]], Callable[P, Awaitable[T]]]:
    """Turn a blocking function into an async one that calls it in a worker
    thread, named and documented after ``wrapped``."""

    def decorate(fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
        async def run_in_thread(*args: P.args, **kwargs: P.kwargs) -> T:
            return await to_thread_run_sync(partial(fn, *args, **kwargs))

        run_in_thread.__name__ = wrapped.__name__
        run_in_thread.__qualname__ = f"Path.{wrapped.__name__}"
        run_in_thread.__doc__ = (
            f"Like :meth:`pathlib.Path.{wrapped.__name__}`, but async: it runs in a "
            f"worker thread (:func:`tether.to_thread.run_sync`).{extra_doc}"
        )
        return run_in_thread

    return decorate


def _method(
    fn: Callable[Concatenate[pathlib.Path, P], T],
) -> Callable[Concatenate[Path, P], Awaitable[T]]:
    @_as_async(fn)
    def call(self: Path, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return fn(self._wrapped_cls(self), *args, **kwargs)

    return call


def _method_path(
    fn: Callable[Concatenate[pathlib.Path, P], pathlib.Path],
) -> Callable[Concatenate[PathT, P], Awaitable[PathT]]:
    @_as_async(fn, " The result is a :class:`tether.Path`.")
    def call(self: PathT, /, *args: P.args, **kwargs: P.kwargs) -> PathT:
        return type(self)(fn(self._wrapped_cls(self), *args, **kwargs))

    return call


_ITERABLE_DOC = """

        It returns an ordinary (synchronous) iterator of :class:`tether.Path`,
        read in full in the worker thread::

            for child in await path.{name}():
                ...
"""


def _method_path_iterable(
    fn: Callable[Concatenate[pathlib.Path, P], Iterable[pathlib.Path]],
) -> Callable[Concatenate[PathT, P], Awaitable[Iterable[PathT]]]:
    @_as_async(fn, _ITERABLE_DOC.format(name=fn.__name__))
    def call(self: PathT, /, *args: P.args, **kwargs: P.kwargs) -> Iterable[PathT]:
        cls = type(self)
        return map(cls, list(fn(self._wrapped_cls(self), *args, **kwargs)))

    return call


class Path(pathlib.PurePath):
    """A :class:`pathlib.PurePath` with async versions of
    :class:`pathlib.Path`'s filesystem methods.

    ``Path(...)`` gives the concrete class for the platform,
    :class:`PosixPath` or :class:`WindowsPath`. Pure operations (joining with
    ``/``, ``name``, ``suffix``, ``with_name()``, ``relative_to()``...) are
    inherited and synchronous; methods that touch the filesystem are async
    and run in a worker thread::

        path = tether.Path("data") / "notes.txt"
        if await path.exists():
            text = await path.read_text()

    Methods returning a path return a :class:`tether.Path`; ``iterdir``,
    ``glob`` and ``rglob`` return a list-backed iterator of them. As in
    Trio, ``as_uri`` is synchronous.
    """

    __slots__ = ()

    _wrapped_cls: ClassVar[type[pathlib.Path]]

    def __new__(cls, *args: str | os.PathLike[str]) -> Self:
        if cls is Path:
            cls = WindowsPath if os.name == "nt" else PosixPath  # type: ignore[assignment]
        return super().__new__(cls, *args)

    def __repr__(self) -> str:
        return f"tether.Path({str(self)!r})"

    @classmethod
    @_as_async(pathlib.Path.cwd)
    def cwd(cls) -> Self:
        return cls(pathlib.Path.cwd())

    @classmethod
    @_as_async(pathlib.Path.home)
    def home(cls) -> Self:
        return cls(pathlib.Path.home())

    @_as_async(pathlib.Path.open, " The file comes wrapped as by :func:`tether.wrap_file`.")
    def open(
        self,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> AsyncIOWrapper[IO[Any]]:
        return wrap_file(self._wrapped_cls(self).open(mode, buffering, encoding, errors, newline))

    def as_uri(self) -> str:
        """Return the path as a ``file:`` URI (see :meth:`pathlib.PurePath.as_uri`)."""
        return self._wrapped_cls(self).as_uri()

    stat = _method(pathlib.Path.stat)
    chmod = _method(pathlib.Path.chmod)
    exists = _method(pathlib.Path.exists)
    glob = _method_path_iterable(pathlib.Path.glob)
    rglob = _method_path_iterable(pathlib.Path.rglob)
    is_dir = _method(pathlib.Path.is_dir)
    is_file = _method(pathlib.Path.is_file)
    is_symlink = _method(pathlib.Path.is_symlink)
    is_socket = _method(pathlib.Path.is_socket)
    is_fifo = _method(pathlib.Path.is_fifo)
    is_block_device = _method(pathlib.Path.is_block_device)
    is_char_device = _method(pathlib.Path.is_char_device)
    if sys.version_info >= (3, 12):
        is_junction = _method(pathlib.Path.is_junction)
    iterdir = _method_path_iterable(pathlib.Path.iterdir)
    lchmod = _method(pathlib.Path.lchmod)
    lstat = _method(pathlib.Path.lstat)
    mkdir = _method(pathlib.Path.mkdir)
    if sys.platform != "win32":
        owner = _method(pathlib.Path.owner)
        group = _method(pathlib.Path.group)
    if sys.platform != "win32" or sys.version_info >= (3, 12):
        is_mount = _method(pathlib.Path.is_mount)
    readlink = _method_path(pathlib.Path.readlink)
    rename = _method_path(pathlib.Path.rename)
    replace = _method_path(pathlib.Path.replace)
    resolve = _method_path(pathlib.Path.resolve)
    rmdir = _method(pathlib.Path.rmdir)
    symlink_to = _method(pathlib.Path.symlink_to)
    hardlink_to = _method(pathlib.Path.hardlink_to)
    touch = _method(pathlib.Path.touch)
    unlink = _method(pathlib.Path.unlink)
    absolute = _method_path(pathlib.Path.absolute)
    expanduser = _method_path(pathlib.Path.expanduser)
    read_bytes = _method(pathlib.Path.read_bytes)
    read_text = _method(pathlib.Path.read_text)
    samefile = _method(pathlib.Path.samefile)
    write_bytes = _method(pathlib.Path.write_bytes)
    write_text = _method(pathlib.Path.write_text)
    if sys.version_info < (3, 12):
        link_to = _method(pathlib.Path.link_to)
    if sys.version_info >= (3, 13):
        full_match = _method(pathlib.Path.full_match)


@final
class PosixPath(Path, pathlib.PurePosixPath):
    """A :class:`tether.Path` for POSIX systems (async
    :class:`pathlib.PosixPath`)."""

    __slots__ = ()

    _wrapped_cls: ClassVar[type[pathlib.Path]] = pathlib.PosixPath


@final
class WindowsPath(Path, pathlib.PureWindowsPath):
    """A :class:`tether.Path` for Windows (async :class:`pathlib.WindowsPath`)."""

    __slots__ = ()

    _wrapped_cls: ClassVar[type[pathlib.Path]] = pathlib.WindowsPath
