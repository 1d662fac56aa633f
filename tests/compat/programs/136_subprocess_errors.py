"""A program that does not exist, a directory that does not exist, an
environment, and a child that fails: stock's exceptions and statuses."""

import asyncio
import os
import sys


async def main():
    for args, kwargs in (
        (("/nonexistent/program",), {}),
        ((sys.executable, "-c", "pass"), {"cwd": "/nonexistent/dir"}),
    ):
        try:
            await asyncio.create_subprocess_exec(*args, **kwargs)
        except OSError as exc:
            print(type(exc).__name__, exc.errno, exc.filename)
    print("tasks left", len(asyncio.all_tasks()))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import os; print(os.environ['ONLY'], len(os.environ) < 5)",
        stdout=asyncio.subprocess.PIPE,
        env={"ONLY": "this"},
    )
    print("env:", await proc.communicate())
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "raise SystemExit('failing child')",
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    print("failing:", err, proc.returncode)
    proc = await asyncio.create_subprocess_shell("exit 200")
    print("shell exit:", await proc.wait())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    print("pid matches:", int(out) == proc.pid)
    read_fd, write_fd = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"import os; os.write({write_fd}, b'via pass_fds')",
        pass_fds=(write_fd,),
    )
    await proc.wait()
    os.close(write_fd)
    print("pass_fds:", os.read(read_fd, 100))
    os.close(read_fd)


asyncio.run(main())
