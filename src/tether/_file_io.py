"""Asynchronous file objects: a synchronous file whose blocking methods run
in worker threads (``to_thread.run_sync``).

Which attributes are passed through unchanged and which become async
methods follows Trio's lists exactly, so code written against
``trio.open_file`` behaves the same. The async wrappers are made on first
access and cached on the instance.
"""

from __future__ import annotations

import io
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from . import _core
from ._abc import AsyncResource
from ._threads import to_thread_run_sync

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

# Passed through as they are (properties, and methods that never block).
_SYNC_ATTRS = frozenset(
    {
        "closed",
        "encoding",
        "errors",
        "fileno",
        "isatty",
        "newlines",
        "readable",
        "seekable",
        "writable",
        "buffer",
        "raw",
        "line_buffering",
        "closefd",
        "name",
        "mode",
        "getvalue",
        "getbuffer",
    }
)

# Methods that may block: they become async and run in a worker thread.
_ASYNC_METHODS = frozenset(
    {
        "flush",
        "read",
        "read1",
        "readall",
        "readinto",
        "readline",
        "readlines",
        "seek",
        "tell",
        "truncate",
        "write",
        "writelines",
        "readinto1",
        "peek",
    }
)

FileT = TypeVar("FileT")
FileT_co = TypeVar("FileT_co", covariant=True)


class AsyncIOWrapper(AsyncResource, Generic[FileT_co]):
    """An asynchronous file object: wraps a synchronous :term:`file object`
    and runs its blocking methods in worker threads.

    Get one from :func:`tether.open_file`, :meth:`tether.Path.open` or
    :func:`tether.wrap_file`. The wrapper offers the wrapped file's
    attributes, where it has them:

    * unchanged: ``closed``, ``encoding``, ``errors``, ``fileno``, ``isatty``,
      ``newlines``, ``readable``, ``seekable``, ``writable``, ``buffer``,
      ``raw``, ``line_buffering``, ``closefd``, ``name``, ``mode``,
      ``getvalue`` and ``getbuffer``;
    * as async methods, run with :func:`tether.to_thread.run_sync`:
      ``flush``, ``read``, ``read1``, ``readall``, ``readinto``,
      ``readline``, ``readlines``, ``seek``, ``tell``, ``truncate``,
      ``write``, ``writelines``, ``readinto1`` and ``peek``.

    It is an async context manager that closes the file, and iterating over
    it with ``async for`` yields its lines.
    """

    # No __slots__: the generated async methods are cached on the instance.

    def __init__(self, file: FileT_co) -> None:
        self._wrapped = file

    @property
    def wrapped(self) -> FileT_co:
        """The wrapped synchronous file object."""
        return self._wrapped

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    else:

        def __getattr__(self, name: str) -> object:
            if name in _SYNC_ATTRS:
                return getattr(self._wrapped, name)
            if name in _ASYNC_METHODS:
                method = getattr(self._wrapped, name)

                async def wrapper(*args: object, **kwargs: object) -> object:
                    return await to_thread_run_sync(partial(method, *args, **kwargs))

                wrapper.__name__ = name
                wrapper.__qualname__ = f"{type(self).__qualname__}.{name}"
                wrapped_cls = type(self._wrapped)
                wrapper.__doc__ = (
                    f"Like :meth:`~{wrapped_cls.__module__}.{wrapped_cls.__qualname__}"
                    f".{name}`, but async."
                )
                setattr(self, name, wrapper)
                return wrapper
            raise AttributeError(name)

    def __dir__(self) -> Iterable[str]:
        names = set(super().__dir__())
        names.update(a for a in _SYNC_ATTRS | _ASYNC_METHODS if hasattr(self._wrapped, a))
        return names

    def __repr__(self) -> str:
        return f"<tether async wrapper of {self._wrapped!r}>"

    def __aiter__(self) -> AsyncIOWrapper[FileT_co]:
        return self

    async def __anext__(self) -> Any:
        line = await self.readline()
        if line:
            return line
        raise StopAsyncIteration

    async def detach(self) -> AsyncIOWrapper[Any]:
        """Like :meth:`io.BufferedIOBase.detach`, but async; the raw stream
        it returns comes wrapped in a new :class:`AsyncIOWrapper`."""
        raw = await to_thread_run_sync(self._wrapped.detach)  # type: ignore[attr-defined]
        return wrap_file(raw)

    async def aclose(self) -> None:
        """Like :meth:`io.IOBase.close`, but async.

        The file is closed even if the call is cancelled (the close runs
        shielded); the cancellation is then raised.
        """
        with _core.CancelScope(shield=True):
            await to_thread_run_sync(self._wrapped.close)  # type: ignore[attr-defined]
        await _core.checkpoint_if_cancelled()


async def open_file(
    file: str | bytes | os.PathLike[str] | os.PathLike[bytes] | int,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Callable[[str, int], int] | None = None,
) -> AsyncIOWrapper[IO[Any]]:
    """Open a file, like the built-in :func:`open`, without blocking the run.

    The arguments are :func:`open`'s. The file is opened in a worker thread
    and comes back as an :class:`~tether._file_io.AsyncIOWrapper`, whose
    blocking methods are async::

        async with await tether.open_file("notes.txt") as f:
            async for line in f:
                print(line, end="")

    Returns:
        An asynchronous file object.

    Raises:
        OSError: as :func:`open` does.
    """
    sync_file: IO[Any] = await to_thread_run_sync(
        io.open, file, mode, buffering, encoding, errors, newline, closefd, opener
    )
    return wrap_file(sync_file)


def wrap_file(file: FileT) -> AsyncIOWrapper[FileT]:
    """Wrap a synchronous file object in an asynchronous one.

    The file's blocking methods then run in worker threads (see
    :class:`~tether._file_io.AsyncIOWrapper`)::

        async_file = tether.wrap_file(io.StringIO("hello"))
        assert await async_file.read() == "hello"

    Args:
        file: any object with a ``close`` method and a ``read`` or ``write``
            method.

    Returns:
        The asynchronous file object.

    Raises:
        TypeError: if ``file`` does not look like a file.
    """

    def has(attr: str) -> bool:
        return callable(getattr(file, attr, None))

    if not (has("close") and (has("read") or has("write"))):
        raise TypeError(
            f"{file} does not implement required duck-file methods: close and (read or write)"
        )
    return AsyncIOWrapper(file)
