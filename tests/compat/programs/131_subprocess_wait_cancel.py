"""Cancelling wait() or communicate() leaves the child running (it still
answers); then it is killed and reaped."""

import asyncio
import sys

CHILD = r"""
import sys
for line in sys.stdin:
    print("echo", line.strip(), flush=True)
"""


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        await asyncio.wait_for(proc.wait(), 0.1)
    except TimeoutError:
        print("wait timed out; returncode", proc.returncode)
    proc.stdin.write(b"still alive?\n")
    await proc.stdin.drain()
    print(await proc.stdout.readline())

    task = asyncio.create_task(proc.wait())
    await asyncio.sleep(0.05)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("wait cancelled", task.cancelled(), proc.returncode)
    proc.stdin.write(b"and now?\n")
    await proc.stdin.drain()
    print(await proc.stdout.readline())

    proc2 = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import time; time.sleep(60)",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    comm = asyncio.create_task(proc2.communicate())
    await asyncio.sleep(0.1)
    comm.cancel()
    try:
        await comm
    except asyncio.CancelledError:
        print("communicate cancelled; returncode", proc2.returncode)
    await asyncio.sleep(0.05)
    print("still running", proc2.returncode)
    proc2.kill()
    print("killed", await proc2.wait())

    proc.kill()
    print("killed", await proc.wait())


asyncio.run(main())
