"""kill(), terminate(), send_signal(): the return codes, returncode only
set once the loop has seen the exit, and ProcessLookupError afterwards."""

import asyncio
import signal
import sys

SLEEPER = "import time, sys; print('ready', flush=True); time.sleep(60)"
HANDLER = r"""
import signal, sys, time
signal.signal(signal.SIGUSR1, lambda *a: (print('got USR1', flush=True), sys.exit(3)))
print('ready', flush=True)
time.sleep(60)
"""


async def start(code):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    print("child", await proc.stdout.readline())
    return proc


async def main():
    proc = await start(SLEEPER)
    proc.kill()
    print("right after kill", proc.returncode)
    print("wait", await proc.wait(), "returncode", proc.returncode)
    try:
        proc.kill()
    except ProcessLookupError as exc:
        print("kill again:", repr(exc))

    proc = await start(SLEEPER)
    proc.terminate()
    print("terminate ->", await proc.wait())
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        print("send_signal after exit: ProcessLookupError")

    proc = await start(HANDLER)
    proc.send_signal(signal.SIGUSR1)
    print("USR1 ->", await proc.stdout.readline(), await proc.wait())

    proc = await start(SLEEPER)
    proc.kill()
    print("read to the end", await proc.stdout.read(), await proc.wait())


asyncio.run(main())
