"""TLS data that arrives together is read together: a 40,000-byte write is
three TLS records, and the reader gets them in one read() (stock's SSL
transport hands every record of one socket read to its protocol at once);
a close right behind the data reads as one chunk, then end of file."""

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


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        server_ctx, client_ctx = contexts(tmp)
        go = asyncio.Event()

        async def handle(reader, writer):
            writer.write(b"x" * 40_000)
            await writer.drain()
            await go.wait()
            writer.write(b"y" * 20_000 + b"z" * 20_000)
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
        )
        got = 0
        while got < 40_000:
            chunk = await reader.read(100_000)
            print("read", len(chunk), set(chunk))
            got += len(chunk)
        go.set()
        while chunk := await reader.read(100_000):
            print("read", len(chunk), sorted(set(chunk)))
        print("eof", reader.at_eof())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()


asyncio.run(main())
