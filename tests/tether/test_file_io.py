"""tether.open_file and tether.wrap_file."""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING

import pytest

import tether
from tether._file_io import _ASYNC_METHODS, _SYNC_ATTRS, AsyncIOWrapper, open_file, wrap_file

if TYPE_CHECKING:
    from pathlib import Path


def test_attribute_lists_match_trio() -> None:
    trio_file_io = pytest.importorskip("trio._file_io")
    assert set(trio_file_io._FILE_SYNC_ATTRS) == _SYNC_ATTRS
    assert set(trio_file_io._FILE_ASYNC_METHODS) == _ASYNC_METHODS


async def test_open_file_read_write_and_iterate(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    async with await open_file(path, "w") as f:
        assert isinstance(f, AsyncIOWrapper)
        assert await f.write("one\ntwo\n") == 8
        await f.writelines(["three\n"])
        await f.flush()
        assert f.name == str(path)
        assert f.mode == "w"
        assert f.writable()
        assert not f.readable()
    assert f.closed
    async with await open_file(path) as f:
        assert [line async for line in f] == ["one\n", "two\n", "three\n"]
        assert await f.seek(0) == 0
        assert await f.readline() == "one\n"
        assert await f.tell() == 4
        assert await f.readlines() == ["two\n", "three\n"]
        assert await f.read() == ""


async def test_binary_methods(tmp_path: Path) -> None:
    path = tmp_path / "b.bin"
    path.write_bytes(b"abcdef")
    async with await open_file(path, "rb") as f:
        assert await f.peek(1)
        assert await f.read1(2) == b"ab"
        buf = bytearray(2)
        assert await f.readinto(buf) == 2
        assert buf == b"cd"
    buffered = await open_file(path, "rb")
    raw = await buffered.detach()
    assert isinstance(raw, AsyncIOWrapper)
    assert await raw.readall() == b"abcdef"
    await raw.aclose()
    assert raw.closed
    async with await open_file(path, "r+b") as f:
        assert await f.truncate(3) == 3
    assert path.read_bytes() == b"abc"


async def test_methods_run_in_a_thread_and_are_cached() -> None:
    seen: list[int] = []

    class Recorder(io.StringIO):
        def read(self, size: int | None = -1, /) -> str:
            seen.append(threading.get_ident())
            return super().read(size)

    f = wrap_file(Recorder("data"))
    assert await f.read() == "data"
    assert len(seen) == 1
    assert seen[0] != threading.get_ident()
    assert f.read is f.read
    assert f.read.__name__ == "read"
    assert "but async" in (f.read.__doc__ or "")
    assert f.getvalue() == "data"  # sync attributes stay sync
    assert f.wrapped.getvalue() == "data"
    assert {"read", "getvalue", "write"} <= set(dir(f))
    assert "peek" not in dir(f)
    with pytest.raises(AttributeError):
        _ = f.peek
    with pytest.raises(AttributeError):
        _ = f.no_such_attribute
    await f.aclose()


def test_wrap_file_rejects_non_files() -> None:
    class NoClose:
        def read(self) -> str:
            return ""  # pragma: no cover

    class NoReadWrite:
        def close(self) -> None:
            pass  # pragma: no cover

    for bad in (NoClose(), NoReadWrite(), object()):
        with pytest.raises(TypeError, match="duck-file"):
            wrap_file(bad)


async def test_aclose_closes_even_when_cancelled(tmp_path: Path) -> None:
    f = await open_file(tmp_path / "c.txt", "w")
    with tether.CancelScope() as scope:
        scope.cancel()
        await f.aclose()
    assert scope.cancelled_caught
    assert f.closed


async def test_open_file_errors_propagate(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await open_file(tmp_path / "missing")
    with tether.CancelScope() as scope:
        scope.cancel()
        await open_file(tmp_path / "never-created", "w")
    assert scope.cancelled_caught
    assert not (tmp_path / "never-created").exists()
