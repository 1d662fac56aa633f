"""create_subprocess_shell: output, exit status, stderr to stdout, and the
argument checks (a list is refused, as are text mode and buffering)."""

import asyncio
import sys


async def main():
    proc = await asyncio.create_subprocess_shell(
        "echo out; echo err >&2; exit 5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, err = await proc.communicate()
    print(sorted(out.split()), err, proc.returncode)
    proc = await asyncio.create_subprocess_shell(
        b"printf '%s' bytes-command", stdout=asyncio.subprocess.PIPE
    )
    print(await proc.stdout.read(), await proc.wait())
    checks = [
        ("list", lambda: asyncio.create_subprocess_shell(["echo", "hi"])),
        ("shell=False", lambda: asyncio.create_subprocess_shell("echo", shell=False)),
        ("text", lambda: asyncio.create_subprocess_shell("echo", text=True)),
        (
            "universal_newlines",
            lambda: asyncio.create_subprocess_shell("echo", universal_newlines=True),
        ),
        ("bufsize", lambda: asyncio.create_subprocess_shell("echo", bufsize=1)),
        ("encoding", lambda: asyncio.create_subprocess_shell("echo", encoding="utf-8")),
        ("errors", lambda: asyncio.create_subprocess_shell("echo", errors="strict")),
        ("exec shell=True", lambda: asyncio.create_subprocess_exec("echo", shell=True)),
        ("exec text", lambda: asyncio.create_subprocess_exec("echo", text=True)),
        ("exec bufsize", lambda: asyncio.create_subprocess_exec("echo", bufsize=-1)),
        (
            "exec universal_newlines",
            lambda: asyncio.create_subprocess_exec("echo", universal_newlines=1),
        ),
    ]
    for name, call in checks:
        try:
            await call()
        except Exception as exc:
            print(name, "->", type(exc).__name__, exc)
    proc = await asyncio.create_subprocess_shell(
        f"{sys.executable} -c 'import os; print(os.getcwd())'",
        stdout=asyncio.subprocess.PIPE,
        cwd="/",
    )
    print("cwd", (await proc.communicate())[0])


asyncio.run(main())
