"""communicate() with large outputs on both pipes and a large input: no
deadlock, every byte arrives, and the return code."""

import asyncio
import hashlib
import sys

CHILD = r"""
import sys, hashlib
data = sys.stdin.buffer.read()
sys.stderr.buffer.write(b"e" * 3_000_000)
sys.stdout.buffer.write(hashlib.sha256(data).hexdigest().encode() + b"\n")
sys.stdout.buffer.write(b"o" * 5_000_000)
sys.exit(7)
"""


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    print(
        "returncode before",
        proc.returncode,
        "pid",
        proc.pid > 0,
        repr(proc) == f"<Process {proc.pid}>",
    )
    data = bytes(range(256)) * 16_000
    out, err = await proc.communicate(data)
    digest, rest = out.split(b"\n", 1)
    print("hash ok", digest.decode() == hashlib.sha256(data).hexdigest())
    print("stdout", len(rest), set(rest), "stderr", len(err), set(err))
    print("returncode", proc.returncode, await proc.wait())
    out, err = await proc.communicate()
    print("communicate again", out, err)


asyncio.run(main())
