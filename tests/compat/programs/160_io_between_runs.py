"""Readers, writers and signal handlers registered outside a running loop
(before its first run and between runs), and their order relative to
call_soon() callbacks made at the same time."""

import asyncio
import os
import signal
import socket

r, w = socket.socketpair()
r.setblocking(False)
w.setblocking(False)
log = []
loop = asyncio.new_event_loop()

# Before the loop has ever run.
w.send(b"x")
loop.add_reader(r, log.append, "reader")
loop.call_soon(log.append, "soon")
loop.call_soon(loop.stop)
loop.run_forever()
print("first run:", log)
log.clear()

# The reader stays registered across runs (level-triggered).
loop.call_soon(log.append, "soon2")
loop.call_soon(loop.stop)
loop.run_forever()
print("second run:", log)
log.clear()
print("remove:", loop.remove_reader(r))

# Registered between runs, between two call_soon() calls.
loop.call_soon(log.append, "soon3")
loop.add_reader(r, log.append, "reader3")
loop.call_soon(log.append, "soon4")
loop.add_writer(w, log.append, "writer")
loop.call_soon(loop.stop)
loop.run_forever()
print("third run:", log)
log.clear()
print("remove:", loop.remove_reader(r), loop.remove_writer(w), loop.remove_writer(w))

# Errors are raised at once, even outside a running loop.
rfd, wfd = os.pipe()
os.close(rfd)
os.close(wfd)
try:
    loop.add_reader(rfd, print)
except OSError as exc:
    print("closed fd:", type(exc).__name__, exc.errno)

# A signal handler added between runs, the signal sent before the run.
loop.add_signal_handler(signal.SIGUSR1, log.append, "usr1")
os.kill(os.getpid(), signal.SIGUSR1)
loop.call_soon(log.append, "soon5")
for _ in range(3):
    loop.run_until_complete(asyncio.sleep(0))
print("signal:", log)
log.clear()

# run_until_complete() of a coroutine reading the socket registered above.
r.recv(10)


async def read_one():
    return await loop.sock_recv(r, 10)


w.send(b"data")
print("sock_recv:", loop.run_until_complete(read_one()))
loop.close()
print("after close:", signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL)
r.close()
w.close()
