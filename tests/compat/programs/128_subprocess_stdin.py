"""Talking to a child line by line: stdin is a StreamWriter (write, drain,
write_eof, wait_closed), stdout a StreamReader."""

import asyncio
import sys

CHILD = r"""
import sys
for line in sys.stdin:
    print(line.strip()[::-1], flush=True)
print("stdin closed", flush=True)
"""


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    print("stderr", proc.stderr)
    print("types", type(proc.stdin).__name__, type(proc.stdout).__name__)
    print("can_write_eof", proc.stdin.can_write_eof())
    print("pipe extra", type(proc.stdin.get_extra_info("pipe")).__name__)
    for word in ("hello", "asyncio", "tether"):
        proc.stdin.write(word.encode() + b"\n")
        await proc.stdin.drain()
        print("child says", await proc.stdout.readline())
    proc.stdin.write_eof()
    print("closing", proc.stdin.is_closing())
    await proc.stdin.wait_closed()
    print("stdin wait_closed returned")
    print("last", await proc.stdout.readline())
    print("eof", await proc.stdout.read(), proc.stdout.at_eof())
    print("exit", await proc.wait())
    proc.stdin.write(b"after exit")
    try:
        await proc.stdin.drain()
    except ConnectionResetError as exc:
        print("drain after close:", exc)


asyncio.run(main())
