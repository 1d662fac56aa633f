"""A shell-style pipeline of three child processes, wired together by tasks.

Written against Trio's API: it runs the same with ``import trio as tether``.

    TEXT --> words (python: one lower-case word per line) --> sort --> uniq -c

``run_process`` started with ``nursery.start`` hands back each
:class:`Process` once the child is running, and keeps supervising it: if
anything fails, every child is stopped and reaped. Tasks copy bytes from one
child's stdout to the next child's stdin, closing each stdin when its input
ends, so each child sees end of file and exits in turn.
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial

import tether

TEXT = b"""The quick brown fox jumps over the lazy dog.
The dog sleeps; the fox runs. A fox, a dog, the end.
"""

WORDS = "import sys\nfor word in sys.stdin.read().split():\n    print(word.strip('.,;').lower())\n"

PIPE = subprocess.PIPE
C_LOCALE = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}


async def feed(stream: tether.abc.SendStream, data: bytes) -> None:
    async with stream:
        await stream.send_all(data)


async def pump(source: tether.abc.ReceiveStream, sink: tether.abc.SendStream) -> None:
    async with source, sink:
        async for chunk in source:
            await sink.send_all(chunk)


async def collect(source: tether.abc.ReceiveStream, into: list[bytes]) -> None:
    async with source:
        async for chunk in source:
            into.append(bytes(chunk))


async def start_stage(nursery: tether.Nursery, command: list[str]) -> tether.Process:
    process: tether.Process = await nursery.start(
        partial(tether.run_process, command, stdin=PIPE, stdout=PIPE, env=C_LOCALE)
    )
    return process


async def main() -> list[tuple[str, int]]:
    output: list[bytes] = []
    async with tether.open_nursery() as nursery:
        words = await start_stage(nursery, [sys.executable, "-c", WORDS])
        sort = await start_stage(nursery, ["sort"])
        uniq = await start_stage(nursery, ["uniq", "-c"])
        assert words.stdin is not None
        assert words.stdout is not None
        assert sort.stdin is not None
        assert sort.stdout is not None
        assert uniq.stdin is not None
        assert uniq.stdout is not None
        nursery.start_soon(feed, words.stdin, TEXT)
        nursery.start_soon(pump, words.stdout, sort.stdin)
        nursery.start_soon(pump, sort.stdout, uniq.stdin)
        nursery.start_soon(collect, uniq.stdout, output)
    counts = []
    for line in b"".join(output).decode().splitlines():
        count, word = line.split()
        counts.append((word, int(count)))
    counts.sort(key=lambda item: (-item[1], item[0]))
    for word, count in counts:
        print(f"{count:3} {word}")
    print("exit statuses:", [p.returncode for p in (words, sort, uniq)])
    return counts


if __name__ == "__main__":
    tether.run(main)
