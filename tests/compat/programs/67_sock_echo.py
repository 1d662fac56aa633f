"""The loop's socket helpers over loopback: a TCP echo with sock_accept,
sock_connect, sock_sendall, sock_recv, sock_recv_into; UDP with sock_sendto,
sock_recvfrom, sock_recvfrom_into; cancellation; name resolution; errors."""

import asyncio
import socket


async def echo_server(loop, srv):
    conn, _ = await loop.sock_accept(srv)
    print("accepted non-blocking:", conn.gettimeout() == 0)
    with conn:
        while True:
            data = await loop.sock_recv(conn, 1000)
            if not data:
                break
            await loop.sock_sendall(conn, data.upper())
    return "server done"


async def main():
    loop = asyncio.get_running_loop()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.setblocking(False)
    server = asyncio.create_task(echo_server(loop, srv))

    cli = socket.socket()
    cli.setblocking(False)
    print("connect:", await loop.sock_connect(cli, srv.getsockname()))
    for word in (b"hello", b"world"):
        await loop.sock_sendall(cli, word)
        print("echo:", await loop.sock_recv(cli, 100))
    buf = bytearray(3)
    await loop.sock_sendall(cli, b"abcdef")
    got = b""
    while len(got) < 6:
        n = await loop.sock_recv_into(cli, buf)
        got += bytes(buf[:n])
    print("recv_into:", got)

    # A big sendall that cannot finish at once.
    big = b"x" * 3_000_000
    sender = asyncio.create_task(loop.sock_sendall(cli, big))
    total = 0
    while total < len(big):
        total += len(await loop.sock_recv(cli, 1 << 16))
    print("big:", total, await sender)

    # Cancelling a pending sock_recv leaves the data for the next one.
    pending = asyncio.create_task(loop.sock_recv(cli, 100))
    await asyncio.sleep(0)
    pending.cancel()
    try:
        await pending
    except asyncio.CancelledError:
        print("recv cancelled:", pending.cancelled())
    await loop.sock_sendall(cli, b"after")
    print("next recv:", await loop.sock_recv(cli, 100))

    cli.shutdown(socket.SHUT_WR)
    print("eof:", await loop.sock_recv(cli, 100))
    print(await server)
    cli.close()
    srv.close()

    # UDP.
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (a, b):
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
    reader = asyncio.create_task(loop.sock_recvfrom(b, 100))
    await asyncio.sleep(0)
    print("sendto:", await loop.sock_sendto(a, b"datagram", b.getsockname()))
    data, addr = await reader
    print("recvfrom:", data, addr == a.getsockname())
    await loop.sock_sendto(a, b"second", b.getsockname())
    buf = bytearray(100)
    n, addr = await loop.sock_recvfrom_into(b, buf)
    print("recvfrom_into:", bytes(buf[:n]), addr == a.getsockname())
    await loop.sock_sendto(a, b"truncated!", b.getsockname())
    n, addr = await loop.sock_recvfrom_into(b, buf, 4)
    print("recvfrom_into nbytes:", bytes(buf[:n]))
    a.close()
    b.close()

    # Name resolution in the default executor.
    infos = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
    print("getaddrinfo:", [(i[0].name, i[1].name, i[4]) for i in infos])
    print("getnameinfo:", await loop.getnameinfo(
        ("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV))

    # A refused connection.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = socket.socket()
    c.setblocking(False)
    try:
        await loop.sock_connect(c, ("127.0.0.1", port))
    except OSError as exc:
        print("refused:", type(exc).__name__)
    c.close()

    # Blocking sockets are refused in debug mode only.
    blocking = socket.socket()
    loop.set_debug(True)
    for call in (
        loop.sock_recv(blocking, 1),
        loop.sock_accept(blocking),
        loop.sock_sendall(blocking, b"x"),
        loop.sock_connect(blocking, ("127.0.0.1", port)),
    ):
        try:
            await call
        except ValueError as exc:
            print("debug:", exc)
    loop.set_debug(False)
    blocking.close()


asyncio.run(main())
