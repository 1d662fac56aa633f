"""get_extra_info() on both ends: addresses agree, the socket object is a
TransportSocket, unknown keys give the default; server.sockets."""

import asyncio

server_seen = {}


async def handle(reader, writer):
    server_seen["peername"] = writer.get_extra_info("peername")
    server_seen["sockname"] = writer.get_extra_info("sockname")
    sock = writer.get_extra_info("socket")
    server_seen["socket"] = (type(sock).__name__, sock.family.name, sock.type.name)
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    listening = server.sockets[0]
    print("listening", type(listening).__name__, listening.family.name, listening.type.name)
    port = listening.getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.read()
    peer = writer.get_extra_info("peername")
    here = writer.get_extra_info("sockname")
    print("client peer is the server", peer == ("127.0.0.1", port))
    print("server peer is the client", server_seen["peername"] == here)
    print("server sockname", server_seen["sockname"] == peer)
    print("server socket", server_seen["socket"])
    sock = writer.get_extra_info("socket")
    print("client socket", type(sock).__name__, sock.fileno() > 2, sock.getpeername() == peer)
    print("unknown", writer.get_extra_info("nope"), writer.get_extra_info("nope", 42))
    print(
        "no ssl",
        writer.get_extra_info("sslcontext"),
        writer.get_extra_info("ssl_object"),
        writer.get_extra_info("peercert"),
    )
    print(
        "transport has",
        [
            name
            for name in (
                "get_extra_info",
                "is_closing",
                "close",
                "abort",
                "write",
                "get_write_buffer_size",
                "set_write_buffer_limits",
                "pause_reading",
                "resume_reading",
            )
            if hasattr(writer.transport, name)
        ],
    )
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
