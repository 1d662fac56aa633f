"""StreamWriter.start_tls() while plain data is still unsent: the plain
bytes go out first, then the handshake, then TLS. (The client's send
buffer is small and the server, a blocking socket in a thread, reads
nothing until told to, so the write leaves data in the transport.)"""

import asyncio
import os
import socket
import ssl
import tempfile
import threading

import trustme

SIZE = 60_000  # below the high-water mark: drain() does not wait


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def serve_once(listener, server_ctx, go, results):
    conn, _ = listener.accept()
    with conn:
        go.wait()
        results.append(recv_exactly(conn, SIZE) == b"p" * SIZE)
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            line = b""
            while not line.endswith(b"\n"):
                line += tls.recv(100)
            tls.sendall(line.upper())
            tls.recv(100)  # the client's close_notify
            tls.unwrap()


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        chain = os.path.join(tmp, "server.pem")
        cafile = os.path.join(tmp, "ca.pem")
        ca.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(chain)
        ca.cert_pem.write_to_path(cafile)
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(chain)
        client_ctx = ssl.create_default_context(cafile=cafile)
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        go = threading.Event()
        results = []
        thread = threading.Thread(target=serve_once, args=(listener, server_ctx, go, results))
        thread.start()
        port = listener.getsockname()[1]

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.connect(("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(b"p" * SIZE)
        buffered = writer.transport.get_write_buffer_size()
        print("plain data left unsent:", 0 < buffered < SIZE)
        go.set()
        await writer.start_tls(client_ctx, server_hostname="localhost")
        print("tls:", type(writer.get_extra_info("ssl_object")).__name__)
        print("server got the plain bytes first:", results)
        writer.write(b"over tls\n")
        await writer.drain()
        print("reply:", await reader.readline())
        writer.close()
        await writer.wait_closed()
        await asyncio.to_thread(thread.join)
        listener.close()


asyncio.run(main())
