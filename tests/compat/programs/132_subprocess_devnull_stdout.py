"""DEVNULL, STDOUT, inherited streams and file descriptors: which pipes a
Process has, and what communicate() returns for the others."""

import asyncio
import os
import sys
import tempfile

BOTH = "import sys; print('to out'); print('to err', file=sys.stderr); sys.stdout.flush()"


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BOTH,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    print("devnull stderr:", proc.stderr, await proc.communicate())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BOTH, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, err = await proc.communicate()
    print("stderr to stdout:", sorted(out.splitlines()), err)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; print(repr(sys.stdin.read()))",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    print("devnull stdin:", await proc.communicate())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.txt")
        with open(path, "wb") as f:  # noqa: ASYNC230
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", BOTH, stdout=f, stderr=asyncio.subprocess.DEVNULL
            )
            print("to a file:", proc.stdout, await proc.communicate(), await proc.wait())
        with open(path, "rb") as f:  # noqa: ASYNC230
            print("file has", f.read())
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    print(
        "no pipes:", proc.stdin, proc.stdout, proc.stderr, await proc.communicate(), proc.returncode
    )


asyncio.run(main())
