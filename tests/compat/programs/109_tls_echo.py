"""TLS with throw-away certificates (trustme): an echo over TLS, what
get_extra_info reports, TLS's lack of half-close, and certificate errors."""

import asyncio
import os
import ssl
import tempfile

import trustme


def contexts(tmp):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    chain = os.path.join(tmp, "server.pem")
    cafile = os.path.join(tmp, "ca.pem")
    cert.private_key_and_cert_chain_pem.write_to_path(chain)
    ca.cert_pem.write_to_path(cafile)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(chain)
    client_ctx = ssl.create_default_context(cafile=cafile)
    return server_ctx, client_ctx


async def handle(reader, writer):
    sslobj = writer.get_extra_info("ssl_object")
    print("server side", type(sslobj).__name__, sslobj.server_side, sslobj.version())
    print("server peercert", writer.get_extra_info("peercert"))
    while line := await reader.readline():
        writer.write(b"echo: " + line)
        await writer.drain()
    print("server saw eof", reader.at_eof())
    writer.close()
    await writer.wait_closed()


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        server_ctx, client_ctx = contexts(tmp)
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx, limit=1_000_000)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost", limit=1_000_000
        )
        sslobj = writer.get_extra_info("ssl_object")
        print("client", type(sslobj).__name__, sslobj.server_side, sslobj.server_hostname)
        print("sslcontext is ours", writer.get_extra_info("sslcontext") is client_ctx)
        cert = writer.get_extra_info("peercert")
        print("peer cert names", cert["subjectAltName"])
        print("cipher", type(writer.get_extra_info("cipher")).__name__)
        print("can_write_eof", writer.can_write_eof())
        try:
            writer.write_eof()
        except NotImplementedError as exc:
            print("write_eof", type(exc).__name__)
        for word in (b"first\n", b"second\n"):
            writer.write(word)
            await writer.drain()
            print("client got", await reader.readline())
        writer.write(b"x" * 300_000 + b"\n")
        await writer.drain()
        print("big echo", len(await reader.readline()))
        writer.close()
        await writer.wait_closed()
        print("client closed", reader.at_eof(), await reader.read())

        for name, kwargs in (
            ("unknown CA", {"ssl": ssl.create_default_context(), "server_hostname": "localhost"}),
            ("wrong name", {"ssl": client_ctx, "server_hostname": "wrong.example"}),
        ):
            try:
                await asyncio.open_connection("127.0.0.1", port, **kwargs)
            except ssl.SSLCertVerificationError as exc:
                print(name, type(exc).__name__, exc.verify_message)
        try:
            await asyncio.open_connection("127.0.0.1", port, server_hostname="localhost")
        except ValueError as exc:
            print("server_hostname without ssl:", exc)
        try:
            await asyncio.open_connection(None, port, ssl=client_ctx)
        except ValueError as exc:
            print("ssl without host:", exc)
        try:
            await asyncio.start_server(handle, "127.0.0.1", 0, ssl=True)
        except TypeError as exc:
            print("start_server(ssl=True):", exc)
        try:
            await asyncio.open_connection(
                "127.0.0.1",
                port,
                ssl=client_ctx,
                server_hostname="localhost",
                ssl_handshake_timeout=-1,
            )
        except ValueError as exc:
            print("negative handshake timeout:", exc)
        server.close()
        await server.wait_closed()


asyncio.run(main())
