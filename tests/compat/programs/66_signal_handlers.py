"""add_signal_handler / remove_signal_handler with os.kill(os.getpid(), SIGUSR1):
arguments, ordering, replacing, removing, errors, and the state left behind."""

import asyncio
import os
import signal


def handler(loop, context):
    exc = context.get("exception")
    print("handler:", context["message"].split(" ")[:3], type(exc).__name__, exc)


async def coro_fn():
    pass


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    log = []

    print("add:", loop.add_signal_handler(signal.SIGUSR1, log.append, "usr1"))
    os.kill(os.getpid(), signal.SIGUSR1)
    for i in range(4):
        log.append(f"main{i}")
        await asyncio.sleep(0)
    print("delivered:", log)
    log.clear()

    # Two signals of the same kind before the loop looks: both are seen.
    os.kill(os.getpid(), signal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR1)
    for _ in range(4):
        await asyncio.sleep(0)
    print("twice:", log)
    log.clear()

    # Replacing the handler, and a second signal.
    loop.add_signal_handler(signal.SIGUSR1, log.append, "replaced")
    loop.add_signal_handler(signal.SIGUSR2, log.append, "usr2")
    os.kill(os.getpid(), signal.SIGUSR2)
    os.kill(os.getpid(), signal.SIGUSR1)
    for _ in range(4):
        await asyncio.sleep(0)
    print("two signals:", sorted(log))
    log.clear()

    # A failing handler goes to the exception handler.
    def bad():
        raise ZeroDivisionError("in signal handler")

    loop.add_signal_handler(signal.SIGUSR2, bad)
    os.kill(os.getpid(), signal.SIGUSR2)
    for _ in range(4):
        await asyncio.sleep(0)

    print("remove:", loop.remove_signal_handler(signal.SIGUSR1),
          loop.remove_signal_handler(signal.SIGUSR1))
    print("default again:", signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL)
    # SIGUSR1 is ignored from here on, so the default action cannot kill us.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    os.kill(os.getpid(), signal.SIGUSR1)
    for _ in range(3):
        await asyncio.sleep(0)
    print("after remove:", log)

    # Errors.
    attempts = [
        (signal.SIGKILL, print),
        (signal.SIGSTOP, print),
        (0, print),
        (100000, print),
        ("SIGUSR1", print),
        (signal.SIGUSR1, coro_fn),
    ]
    for sig, cb in attempts:
        try:
            loop.add_signal_handler(sig, cb)
        except Exception as exc:
            print("add", sig, type(exc).__name__, exc)
    for sig in (signal.SIGKILL, 0, "x"):
        try:
            print("remove", sig, loop.remove_signal_handler(sig))
        except Exception as exc:
            print("remove", sig, type(exc).__name__, exc)
    coro = coro_fn()
    try:
        loop.add_signal_handler(signal.SIGUSR1, coro)
    except TypeError as exc:
        print("coroutine object:", exc)
    coro.close()

    # From a thread other than the main one.
    def in_thread():
        try:
            loop.add_signal_handler(signal.SIGUSR1, print)
        except RuntimeError as exc:
            return f"RuntimeError {exc}"

    print("thread:", await asyncio.to_thread(in_thread))
    print("still installed:", sorted(loop._signal_handlers) == [signal.SIGUSR2])

    # SIGINT through the loop, then back to Python's default handler.
    fut = loop.create_future()
    loop.add_signal_handler(signal.SIGINT, fut.set_result, "SIGINT handled by the loop")
    os.kill(os.getpid(), signal.SIGINT)
    print(await fut)
    print("remove SIGINT:", loop.remove_signal_handler(signal.SIGINT),
          signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    loop.add_signal_handler(signal.SIGINT, print, "left installed")


asyncio.run(main())
print("closed:", signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL,
      signal.getsignal(signal.SIGINT) is signal.default_int_handler)
print("wakeup fd after close:", signal.set_wakeup_fd(-1))
