"""limit= on a subprocess's readers: readline over the limit raises
ValueError, readuntil's LimitOverrunError keeps the data; limit=0 is
refused only when the readers are made."""

import asyncio
import sys

CHILD = (
    "import sys; sys.stdout.write('x' * 500 + '\\nshort\\n' + 'y' * 50 + '|tail'); "
    "sys.stdout.flush()"
)


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, stdout=asyncio.subprocess.PIPE, limit=100
    )
    try:
        await proc.stdout.readline()
    except ValueError as exc:
        print("readline:", exc)
    print("next:", await proc.stdout.readline())
    try:
        await proc.stdout.readuntil(b"|")
    except asyncio.LimitOverrunError as exc:
        print("readuntil:", exc, exc.consumed)
    else:
        print("readuntil found it")
    print("rest:", len(await proc.stdout.read()))
    print("exit:", await proc.wait())
    try:
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", "pass", stdout=asyncio.subprocess.PIPE, limit=0
        )
    except ValueError as exc:
        print("limit=0:", exc)
    await asyncio.sleep(0.2)


asyncio.run(main())
