import trustme
from OpenSSL import SSL

import tether
import tether.socket

# Throw-away certificates for the example: use real ones in production.
ca = trustme.CA()
server_cert = ca.issue_cert("dtls.example")


def server_context() -> SSL.Context:
    ctx = SSL.Context(SSL.DTLS_METHOD)
    server_cert.configure_cert(ctx)
    return ctx


def client_context() -> SSL.Context:
    ctx = SSL.Context(SSL.DTLS_METHOD)
    ca.configure_trust(ctx)
    ctx.set_verify(SSL.VERIFY_PEER)  # pyOpenSSL checks nothing unless told to
    return ctx


def udp_socket() -> tether.socket.SocketType:
    return tether.socket.socket(type=tether.socket.SOCK_DGRAM)


async def shout(channel: tether.DTLSChannel) -> None:
    async for message in channel:  # one datagram per message
        await channel.send(message.upper())


async def main() -> None:
    with tether.DTLSEndpoint(udp_socket()) as server, tether.DTLSEndpoint(udp_socket()) as client:
        await server.socket.bind(("127.0.0.1", 0))
        async with tether.open_nursery() as nursery:
            await nursery.start(server.serve, server_context(), shout)
            channel = client.connect(server.socket.getsockname(), client_context())
            for word in [b"hello", b"datagrams"]:
                await channel.send(word)  # the first send does the handshake
                print(await channel.receive())
            nursery.cancel_scope.cancel()


if __name__ == "__main__":
    tether.run(main)

# Output:
# b'HELLO'
# b'DATAGRAMS'
