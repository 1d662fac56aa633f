"""A StreamReader used by hand: feed_data/feed_eof/set_exception, bad
arguments, two readers at once, repr, and the buffer limit's checks."""

import asyncio


async def main():
    for limit in (0, -5):
        try:
            asyncio.StreamReader(limit=limit)
        except ValueError as exc:
            print("limit", limit, type(exc).__name__, exc)
    reader = asyncio.StreamReader()
    print(repr(reader))
    reader.feed_data(b"")
    reader.feed_data(b"hello")
    print(repr(reader), reader.at_eof(), reader.exception())
    try:
        await reader.readexactly(-1)
    except ValueError as exc:
        print("readexactly(-1):", exc)
    try:
        await reader.readuntil(b"")
    except ValueError as exc:
        print("readuntil(b''):", exc)

    async def first():
        return await reader.readexactly(10)

    task = asyncio.create_task(first())
    await asyncio.sleep(0)
    try:
        await reader.readline()
    except RuntimeError as exc:
        print("second reader:", exc)
    reader.feed_data(b" world")
    print("first got:", await task)
    reader.feed_eof()
    print(repr(reader), reader.at_eof())
    print("rest:", await reader.read())
    try:
        reader.feed_data(b"late")
    except AssertionError as exc:
        print("feed after eof:", exc)

    failing = asyncio.StreamReader(limit=10)
    failing.feed_data(b"buffered")
    waiter = asyncio.create_task(failing.readuntil(b"\n"))
    await asyncio.sleep(0)
    failing.set_exception(ConnectionResetError("boom"))
    for coro in (waiter, failing.read(), failing.readline(), failing.readexactly(1)):
        try:
            await coro
        except ConnectionResetError as exc:
            print("raised:", repr(exc))
    print("exception():", repr(failing.exception()))
    print(repr(failing))

    again = asyncio.StreamReader()
    again.feed_data(b"line one\nline two\n")
    again.feed_eof()
    print("iterated:", [line async for line in again])


asyncio.run(main())
