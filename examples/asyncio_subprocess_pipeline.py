"""A pipeline of child processes driven by stock asyncio.

Run it as it is, or on tether with ``python -m tether_asyncio
asyncio_subprocess_pipeline.py``: the output is the same.

    TEXT --> words (one lower-case word per line) --> sort --> uniq -c

Each stage is a Python child started with ``asyncio.create_subprocess_exec``;
tasks copy bytes from one child's stdout to the next child's stdin (with
``drain()`` for flow control) and close each stdin when its input ends, so
each child sees end of file and exits in turn. A final ``communicate()``
call shows the one-shot style, and a child that runs too long is killed
after a timeout.
"""

from __future__ import annotations

import asyncio
import sys

LINES = b"""The quick brown fox jumps over the lazy dog.
The dog sleeps; the fox runs. A fox, a dog, the end.
"""
TEXT = LINES * 200

WORDS = "import sys\nfor word in sys.stdin.read().split():\n    print(word.strip('.,;').lower())\n"
SORT = "import sys\nsys.stdout.writelines(sorted(sys.stdin))\n"
UNIQ_C = (
    "import itertools, sys\n"
    "for word, group in itertools.groupby(line.strip() for line in sys.stdin):\n"
    "    print(f'{sum(1 for _ in group):7} {word}')\n"
)
PIPE = asyncio.subprocess.PIPE


async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> int:
    """Copy until end of file, then close ``sink``; return the byte count."""
    total = 0
    while chunk := await source.read(4096):
        sink.write(chunk)
        await sink.drain()
        total += len(chunk)
    sink.close()
    await sink.wait_closed()
    return total


async def feed(data: bytes, sink: asyncio.StreamWriter) -> int:
    sink.write(data)
    await sink.drain()
    sink.close()
    await sink.wait_closed()
    return len(data)


async def pipeline() -> None:
    stages = []
    pipes = []
    for name, code in (("words", WORDS), ("sort", SORT), ("uniq -c", UNIQ_C)):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, stdin=PIPE, stdout=PIPE
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        stages.append((name, proc))
        pipes.append((proc.stdin, proc.stdout))
    (words_in, words_out), (sort_in, sort_out), (uniq_in, uniq_out) = pipes
    copied = await asyncio.gather(
        feed(TEXT, words_in), copy(words_out, sort_in), copy(sort_out, uniq_in)
    )
    print("bytes through each pipe:", copied)
    print((await uniq_out.read()).decode(), end="")
    for name, proc in stages:
        print(f"{name!r} exited with status {await proc.wait()}")


async def one_shot() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SORT, stdin=PIPE, stdout=PIPE, stderr=PIPE
    )
    out, err = await proc.communicate(b"pear\napple\nfig\n")
    print("communicate:", out.split(), err, proc.returncode)


async def with_timeout() -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(60)")
    try:
        async with asyncio.timeout(0.2):
            await proc.wait()
    except TimeoutError:
        print("still running after the timeout:", proc.returncode is None)
        proc.kill()
    print("killed:", await proc.wait())


async def main() -> None:
    await pipeline()
    await one_shot()
    await with_timeout()


if __name__ == "__main__":
    asyncio.run(main())
