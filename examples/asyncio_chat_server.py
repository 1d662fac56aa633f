"""A chat server written for stock asyncio (streams, a TaskGroup, timeouts).

Run it as it is, or on tether with ``python -m tether_asyncio
asyncio_chat_server.py``: the output is the same.

    python asyncio_chat_server.py             # a scripted demo, then exits
    python asyncio_chat_server.py --serve 8888  # a real server (nc localhost 8888)

The protocol is line based. A client first sends its nickname; then every
line it sends goes to everyone else as ``<nick> text``. ``/who`` lists who
is here, ``/quit`` leaves. Joins and departures are announced with ``*``.
The demo connects three scripted clients, each of which waits for what it
expects to hear before acting, so the transcript is always the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys


class ChatRoom:
    """Who is connected, and the fan-out of messages to them."""

    def __init__(self) -> None:
        self.members: dict[str, asyncio.StreamWriter] = {}
        self.log: list[str] = []

    async def send(self, writer: asyncio.StreamWriter, line: str) -> None:
        writer.write(line.encode() + b"\n")
        with contextlib.suppress(ConnectionError):  # gone: its handler cleans up
            await writer.drain()

    async def broadcast(self, line: str, *, skip: str | None = None) -> None:
        async with asyncio.TaskGroup() as group:
            for name, writer in self.members.items():
                if name != skip:
                    group.create_task(self.send(writer, line))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client's session (the server's client_connected_cb)."""
        try:
            async with asyncio.timeout(10):
                nick = (await reader.readline()).decode().strip()
        except TimeoutError:
            nick = ""
        if not nick or nick in self.members:
            await self.send(writer, "error: pick another nickname")
            writer.close()
            await writer.wait_closed()
            return
        self.members[nick] = writer
        self.log.append(f"{nick} joined")
        await self.send(writer, f"welcome {nick}")
        await self.broadcast(f"* {nick} joined", skip=nick)
        try:
            async for raw in reader:
                line = raw.decode().rstrip("\n")
                if line == "/quit":
                    await self.send(writer, "bye")
                    break
                if line == "/who":
                    await self.send(writer, "users: " + ", ".join(sorted(self.members)))
                    continue
                self.log.append(f"{nick} said {line!r}")
                await self.broadcast(f"<{nick}> {line}", skip=nick)
        finally:
            del self.members[nick]
            self.log.append(f"{nick} left")
            writer.close()
            await writer.wait_closed()
            await self.broadcast(f"* {nick} left")


class DemoClient:
    """A scripted client that prints what it hears."""

    def __init__(self, nick: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.nick = nick
        self.reader = reader
        self.writer = writer

    @classmethod
    async def join(cls, port: int, nick: str) -> DemoClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(nick, reader, writer)
        writer.write(nick.encode() + b"\n")
        await writer.drain()
        await client.expect(f"welcome {nick}")
        return client

    async def expect(self, wanted: str) -> None:
        async with asyncio.timeout(5):
            line = (await self.reader.readline()).decode().rstrip("\n")
        print(f"  [{self.nick} hears] {line}")
        assert line == wanted, (line, wanted)

    async def say(self, text: str) -> None:
        print(f"  [{self.nick} says] {text}")
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()

    async def leave(self) -> None:
        await self.say("/quit")
        await self.expect("bye")
        assert await self.reader.read() == b""
        self.writer.close()
        await self.writer.wait_closed()


async def demo() -> None:
    room = ChatRoom()
    server = await asyncio.start_server(room.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        print("server is up")
        alice = await DemoClient.join(port, "alice")
        bob = await DemoClient.join(port, "bob")
        await alice.expect("* bob joined")
        await alice.say("hi bob")
        await bob.expect("<alice> hi bob")
        carol = await DemoClient.join(port, "carol")
        await asyncio.gather(alice.expect("* carol joined"), bob.expect("* carol joined"))
        await carol.say("/who")
        await carol.expect("users: alice, bob, carol")
        await bob.say("welcome carol!")
        await asyncio.gather(
            alice.expect("<bob> welcome carol!"), carol.expect("<bob> welcome carol!")
        )
        impostor = await asyncio.open_connection("127.0.0.1", port)
        impostor[1].write(b"alice\n")
        print("  [impostor hears]", (await impostor[0].readline()).decode().strip())
        impostor[1].close()
        await impostor[1].wait_closed()
        await alice.leave()
        await asyncio.gather(bob.expect("* alice left"), carol.expect("* alice left"))
        await bob.leave()
        await carol.expect("* bob left")
        await carol.leave()
    print("server closed; nobody is left:", not room.members)
    print("server log:")
    for entry in room.log:
        print("  " + entry)


async def serve(port: int) -> None:
    room = ChatRoom()
    server = await asyncio.start_server(room.handle, "0.0.0.0", port)
    print(f"chat server on port {port}; Ctrl-C to stop")
    async with server:
        await server.serve_forever()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(serve(int(sys.argv[2])))
    else:
        asyncio.run(demo())


if __name__ == "__main__":
    main()
