"""A child that exits without reading its input: communicate() ignores the
broken pipe; writing by hand then fails."""

import asyncio
import sys


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "print('not reading')",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(b"x" * 5_000_000)
    print("communicate:", out, err, proc.returncode)

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; sys.stdin.close(); print('closed stdin', flush=True); input()",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    print(await proc.stdout.readline())
    await asyncio.sleep(0.1)
    errors = set()
    for _ in range(5):
        try:
            proc.stdin.write(b"y" * 100_000)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            errors.add(type(exc).__name__ in ("BrokenPipeError", "ConnectionResetError"))
    print("writing failed:", errors)
    print("closing:", proc.stdin.is_closing())
    try:
        await proc.stdin.wait_closed()
        print("wait_closed: no error")
    except BrokenPipeError:
        print("wait_closed: BrokenPipeError")
    print("exit:", await proc.wait())


asyncio.run(main())
