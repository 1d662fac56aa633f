"""Flow control on a child's stdin: a write larger than the pipe leaves
data buffered, drain() waits (the buffer is above the high-water mark) and
returns once the pipe has taken all of it, as stock's pipe transport
resumes only when its buffer is empty; many small writes behave alike.
(The child reads the second batch only when the parent opens a gate, so
the pipe is full while the parent writes it.)"""

import asyncio
import os
import sys

CHILD = r"""
import os, sys
gate = int(sys.argv[1])
first = sys.stdin.buffer.read(300_000)
print("first", len(first), flush=True)
os.read(gate, 1)
rest = sys.stdin.buffer.read()
print("rest", len(rest), rest.count(b"b"), flush=True)
"""


async def main():
    gate_r, gate_w = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(gate_r),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        pass_fds=(gate_r,),
    )
    os.close(gate_r)
    stdin = proc.stdin
    print("limits", stdin.transport.get_write_buffer_limits())
    stdin.write(b"a" * 300_000)
    print("buffered after one big write", stdin.transport.get_write_buffer_size() > 65536)
    await stdin.drain()
    print("after drain", stdin.transport.get_write_buffer_size())
    print("child:", await proc.stdout.readline())
    for _ in range(100):
        stdin.write(b"b" * 3000)
    print("buffered after small writes", stdin.transport.get_write_buffer_size() > 65536)
    os.write(gate_w, b"x")
    os.close(gate_w)
    await stdin.drain()
    print("after drain", stdin.transport.get_write_buffer_size())
    stdin.write_eof()
    await stdin.wait_closed()
    print("child:", await proc.stdout.readline())
    print("exit", await proc.wait())


asyncio.run(main())
