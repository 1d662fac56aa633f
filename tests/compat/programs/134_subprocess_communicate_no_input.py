"""communicate() without input on a piped stdin: 3.12+ close stdin (the
child sees EOF at once); 3.11 leaves it open (the child waits). Input with
no stdin pipe: ignored on 3.12+, an AttributeError on 3.11."""

import asyncio
import sys

CHILD = "import sys; data = sys.stdin.read(); print('child read', len(data))"


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 3.0)
        print("finished:", out, err, proc.returncode)
    except TimeoutError:
        print("still waiting for stdin; stdin closing:", proc.stdin.is_closing())
        proc.stdin.write(b"late input")
        proc.stdin.close()
        print("then:", await proc.stdout.read(), await proc.wait())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    print("with input:", await proc.communicate(b"12345"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "print('no stdin pipe')", stdout=asyncio.subprocess.PIPE
    )
    try:
        print("input without a stdin pipe:", await proc.communicate(b"ignored?"))
    except AttributeError as exc:
        print("input without a stdin pipe:", type(exc).__name__)
        await proc.wait()


asyncio.run(main())
