"""StreamWriter.start_tls(): a plain connection upgraded to TLS by the
client. (The server is a plain blocking socket in a thread that switches
to TLS after "STARTTLS".)"""

import asyncio
import os
import socket
import ssl
import tempfile
import threading

import trustme


def serve_once(listener, server_ctx):
    conn, _ = listener.accept()
    with conn:
        data = b""
        while not data.endswith(b"\n"):
            data += conn.recv(100)
        conn.sendall(b"OK go ahead: " + data)
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
        thread = threading.Thread(target=serve_once, args=(listener, server_ctx))
        thread.start()
        port = listener.getsockname()[1]

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        print("before:", writer.get_extra_info("ssl_object"), writer.get_extra_info("sslcontext"))
        try:
            await writer.start_tls("not a context")
        except TypeError as exc:
            print("bad context:", exc)
        writer.write(b"STARTTLS\n")
        await writer.drain()
        print("plain:", await reader.readline())
        await writer.start_tls(client_ctx, server_hostname="localhost")
        sslobj = writer.get_extra_info("ssl_object")
        print(
            "after:",
            type(sslobj).__name__,
            sslobj.server_hostname,
            writer.get_extra_info("sslcontext") is client_ctx,
        )
        print("can_write_eof:", writer.can_write_eof())
        writer.write(b"secret\n")
        await writer.drain()
        print("TLS line:", await reader.readline())
        writer.close()
        await writer.wait_closed()
        await asyncio.to_thread(thread.join)
        listener.close()
        print("done")


asyncio.run(main())
