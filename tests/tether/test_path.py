"""tether.Path: async pathlib."""

from __future__ import annotations

import inspect
import os
import pathlib
import sys

import pytest

import tether
import tether.testing
from tether._file_io import AsyncIOWrapper
from tether._path import Path, PosixPath, WindowsPath


def test_construction_and_pure_operations(tmp_path: pathlib.Path) -> None:
    path = Path(tmp_path, "a") / "b.txt"
    expected = PosixPath if os.name != "nt" else WindowsPath
    assert type(path) is expected
    assert isinstance(path, pathlib.PurePath)
    assert not isinstance(path, pathlib.Path)
    assert path.name == "b.txt"
    assert type(path.parent) is expected
    assert type(path.with_suffix(".md")) is expected
    assert str(path) == str(tmp_path / "a" / "b.txt")
    assert repr(path) == f"tether.Path({str(path)!r})"
    assert os.fspath(path) == str(path)
    assert path == Path(str(path))
    assert path.as_uri() == (tmp_path / "a" / "b.txt").as_uri()


def test_methods_match_trio() -> None:
    trio = pytest.importorskip("trio")
    for name in vars(trio.Path):
        if name.startswith("_"):
            continue
        assert name in vars(Path), name
        ours = getattr(Path, name)
        theirs = getattr(trio.Path, name)
        assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(theirs), name


async def test_filesystem_methods(tmp_path: pathlib.Path) -> None:
    root = Path(tmp_path)
    sub = root / "sub"
    await sub.mkdir()
    assert await sub.is_dir()
    file = sub / "f.txt"
    assert not await file.exists()
    await file.write_text("hello")
    assert await file.read_text() == "hello"
    await file.write_bytes(b"bytes")
    assert await file.read_bytes() == b"bytes"
    assert (await file.stat()).st_size == 5
    assert await file.is_file()
    assert not await file.is_symlink()
    assert await file.samefile(str(file))

    children = list(await sub.iterdir())
    assert [type(c) for c in children] == [type(root)]
    assert children == [file]
    assert list(await root.glob("*/*.txt")) == [file]
    assert list(await root.rglob("*.txt")) == [file]

    moved = await file.rename(sub / "g.txt")
    assert type(moved) is type(root)
    assert moved == sub / "g.txt"
    resolved = await moved.resolve()
    assert type(resolved) is type(root)
    assert resolved == Path(pathlib.Path(tmp_path).resolve(), "sub", "g.txt")  # noqa: ASYNC240
    assert type(await Path("x").absolute()) is type(root)
    assert type(await Path("~").expanduser()) is type(root)

    if sys.platform != "win32":
        link = root / "link"
        await link.symlink_to(moved)
        assert await link.is_symlink()
        target = await link.readlink()
        assert type(target) is type(root)
        assert target == moved

    await (root / "touched").touch()
    await (root / "touched").unlink()
    await moved.unlink()
    await sub.rmdir()
    assert not await sub.exists()


async def test_open_returns_an_async_file(tmp_path: pathlib.Path) -> None:
    path = Path(tmp_path) / "o.txt"
    async with await path.open("w") as f:
        assert isinstance(f, AsyncIOWrapper)
        await f.write("line\n")
    async with await path.open() as f:
        assert await f.read() == "line\n"
    assert f.closed


async def test_cwd_and_home() -> None:
    cwd = await Path.cwd()
    assert type(cwd) is type(Path("."))
    assert cwd == Path(os.getcwd())
    home = await Path.home()
    assert home == Path(pathlib.Path.home())


async def test_methods_are_checkpoints_and_documented(tmp_path: pathlib.Path) -> None:
    with tether.testing.assert_checkpoints():
        await Path(tmp_path).exists()
    assert Path.exists.__name__ == "exists"
    assert "pathlib.Path.exists" in (Path.exists.__doc__ or "")
    with tether.CancelScope() as scope:
        scope.cancel()
        await (Path(tmp_path) / "never").mkdir()
    assert scope.cancelled_caught
    assert not (tmp_path / "never").exists()
