"""add_reader / add_writer on a socketpair: level triggering, replace, remove,
errors, and callbacks failing into the exception handler."""

import asyncio
import errno
import os
import socket


class NoFileno:
    def __repr__(self):
        return "<NoFileno>"


def handler(loop, context):
    exc = context.get("exception")
    print("handler:", context["message"].split(" ")[:3], type(exc).__name__, exc,
          type(context.get("handle")).__name__)


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    r, w = socket.socketpair()
    r.setblocking(False)
    w.setblocking(False)
    log = []

    # Level-triggered: a reader that does not read is called every iteration.
    loop.add_reader(r, log.append, "r")
    w.send(b"x")
    for i in range(3):
        log.append(f"main{i}")
        await asyncio.sleep(0)
    print("level:", log)
    log.clear()

    # Replacing the reader: only the new callback runs, add_reader returns None.
    print("add again:", loop.add_reader(r.fileno(), log.append, "new"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("replaced:", log)
    log.clear()
    print("remove:", loop.remove_reader(r), loop.remove_reader(r), loop.remove_reader(r.fileno()))
    await asyncio.sleep(0)
    print("after remove:", log)
    r.recv(10)

    # A writer on the other socket, removing itself.
    def on_writable(tag):
        log.append(tag)
        print("writer removed itself:", loop.remove_writer(w))

    loop.add_writer(w, on_writable, "w1")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("writer:", log, loop.remove_writer(w))
    log.clear()

    # Reader and writer on different fds in the same iteration keep the order
    # in which the fds became ready (registration order here).
    loop.add_writer(w, log.append, "W")
    loop.add_reader(r, log.append, "R")
    w.send(b"y")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    loop.remove_writer(w)
    loop.remove_reader(r)
    print("both:", sorted(set(log)))
    log.clear()
    r.recv(10)

    # A failing callback goes to the exception handler, and stays registered.
    def bad():
        log.append("bad")
        raise ZeroDivisionError("boom")

    loop.add_reader(r, bad)
    w.send(b"z")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("bad:", log, loop.remove_reader(r))
    log.clear()
    r.recv(10)

    # Errors.
    for bad_fd in (NoFileno(), "3", -1):
        try:
            loop.add_reader(bad_fd, print)
        except Exception as exc:
            print("add_reader", type(bad_fd).__name__, type(exc).__name__, exc)
    for bad_fd in (NoFileno(), -1):
        try:
            loop.remove_reader(bad_fd)
        except Exception as exc:
            print("remove_reader", type(bad_fd).__name__, type(exc).__name__, exc)
    rfd, wfd = os.pipe()
    os.close(rfd)
    os.close(wfd)
    try:
        loop.add_reader(rfd, print)
    except OSError as exc:
        print("closed fd:", type(exc).__name__, errno.errorcode[exc.errno])
    print("closed fd not registered:", loop.remove_reader(rfd))
    with open(__file__) as f:  # noqa: ASYNC230 (a regular file, to be refused by add_reader)
        try:
            loop.add_reader(f, print)
        except OSError as exc:
            print("regular file:", type(exc).__name__, errno.errorcode[exc.errno])
    # A closed socket object is still found by identity.
    s1, s2 = socket.socketpair()
    loop.add_reader(s1, print)
    s1.close()
    print("closed socket object:", loop.remove_reader(s1))
    s2.close()
    r.close()
    w.close()
    return loop


loop = asyncio.run(main())
print("closed loop remove:", loop.remove_reader(0), loop.remove_writer(0))
try:
    loop.add_reader(0, print)
except RuntimeError as exc:
    print("closed loop add:", exc)
