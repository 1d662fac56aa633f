"""Debug mode from the environment: PYTHONASYNCIODEBUG and ``-X dev`` (in a
child process run the same way as this one), and what overrides them."""

import asyncio
import os
import subprocess
import sys


async def report(label):
    loop = asyncio.get_running_loop()
    print(
        label,
        "debug:",
        loop.get_debug(),
        "origin tracking:",
        sys.get_coroutine_origin_tracking_depth(),
        "future records its creation:",
        loop.create_future()._source_traceback is not None,
    )


def child(mode):
    print("child", mode, "dev_mode:", sys.flags.dev_mode)
    asyncio.run(report("  asyncio.run():"))
    asyncio.run(report("  asyncio.run(debug=False):"), debug=False)
    loop = asyncio.new_event_loop()
    print("  new_event_loop().get_debug():", loop.get_debug())
    loop.close()


def run_child(mode, python_options, env_debug):
    env = dict(os.environ)
    env.pop("PYTHONASYNCIODEBUG", None)
    if env_debug is not None:
        env["PYTHONASYNCIODEBUG"] = env_debug
    # The child runs on the same asyncio as this program.
    launcher = ["-m", asyncio.__name__] if asyncio.__name__ != "asyncio" else []
    result = subprocess.run(
        [sys.executable, *python_options, *launcher, __file__, "child", mode],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout, end="")
    print("exit status:", result.returncode)


if sys.argv[1:2] == ["child"]:
    child(sys.argv[2])
    sys.exit(0)

print("-- in this process")
os.environ.pop("PYTHONASYNCIODEBUG", None)
loop = asyncio.new_event_loop()
print("no variable:", loop.get_debug())
loop.close()
os.environ["PYTHONASYNCIODEBUG"] = "1"
loop = asyncio.new_event_loop()
print("PYTHONASYNCIODEBUG=1:", loop.get_debug())
loop.set_debug(False)
print("after set_debug(False):", loop.get_debug())
loop.close()
asyncio.run(report("asyncio.run() with the variable:"))
os.environ["PYTHONASYNCIODEBUG"] = ""
loop = asyncio.new_event_loop()
print("PYTHONASYNCIODEBUG empty:", loop.get_debug())
loop.close()
del os.environ["PYTHONASYNCIODEBUG"]
asyncio.run(report("asyncio.run(debug=True):"), debug=True)
print("origin tracking after:", sys.get_coroutine_origin_tracking_depth())

print("-- child processes")
run_child("plain", [], None)
run_child("PYTHONASYNCIODEBUG=1", [], "1")
run_child("-X dev", ["-X", "dev"], None)
