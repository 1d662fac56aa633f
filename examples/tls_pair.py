"""A TLS client and server talking over an in-memory connection.

Written against Trio's API: it runs the same with ``import trio as tether``.

The "network" is ``tether.testing.memory_stream_pair()``, and the server's
certificate comes from a throw-away certificate authority made by
``trustme`` (a test dependency: ``pip install trustme``). Both ends wrap
their half of the pair in an ``SSLStream``; the client verifies the
server's certificate and hostname, as a real client would.
"""

from __future__ import annotations

import importlib
import importlib.util
import ssl
import sys

import tether

# tether.testing (or trio.testing under ``import trio as tether``).
testing = importlib.import_module(tether.__name__ + ".testing")

HOSTNAME = "server.example.org"
QUESTIONS = [b"hello", b"how are you?", b"bye"]


def make_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOSTNAME).configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()  # verifies certificate and hostname
    ca.configure_trust(client_ctx)
    client_ctx.set_alpn_protocols(["chat/1"])
    server_ctx.set_alpn_protocols(["chat/1"])
    return client_ctx, server_ctx


async def server(stream: tether.SSLStream[tether.abc.Stream]) -> None:
    while True:
        data = await stream.receive_some()
        if not data:
            print("server: client said goodbye (close_notify)")
            break
        print(f"server: got {bytes(data)!r}")
        await stream.send_all(b"you said: " + data)
    await stream.aclose()


async def client(stream: tether.SSLStream[tether.abc.Stream]) -> None:
    await stream.do_handshake()  # verifies the server's certificate for HOSTNAME
    print(f"client: verified {HOSTNAME}, protocol {stream.selected_alpn_protocol()}")
    for question in QUESTIONS:
        await stream.send_all(question)
        answer = await stream.receive_some()
        print(f"client: got {bytes(answer)!r}")
    await stream.aclose()


async def main() -> None:
    client_ctx, server_ctx = make_contexts()
    client_end, server_end = testing.memory_stream_pair()
    client_stream = tether.SSLStream(client_end, client_ctx, server_hostname=HOSTNAME)
    server_stream = tether.SSLStream(server_end, server_ctx, server_side=True)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(server, server_stream)
        nursery.start_soon(client, client_stream)
    print("done")


if __name__ == "__main__":
    if importlib.util.find_spec("trustme") is None:
        sys.exit("this example needs trustme: pip install trustme")
    tether.run(main)
