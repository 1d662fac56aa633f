"""readuntil with a tuple of separators: the shortest match on 3.13, and
the error it gives on 3.11/3.12 (the printed lines differ per version,
and must match stock's on each)."""

import asyncio
import sys


async def main():
    reader = asyncio.StreamReader()
    reader.feed_data(b"key=value;next\r\nlast\n")
    reader.feed_eof()
    try:
        print("tuple:", await reader.readuntil((b"\r\n", b";", b"\n")))
        print("tuple again:", await reader.readuntil((b"\n", b"\r\n")))
        print("longest first:", await reader.readuntil((b"st\n", b"t\n")))
    except Exception as exc:
        print("tuple refused:", type(exc).__name__, exc)
    try:
        await reader.readuntil(())
    except Exception as exc:
        print("empty tuple:", type(exc).__name__, exc)
    try:
        await reader.readuntil(b"")
    except Exception as exc:
        print("empty separator:", type(exc).__name__, exc)
    try:
        await reader.readuntil((b"", b"x"))
    except Exception as exc:
        print("tuple with empty:", type(exc).__name__, exc)
    r2 = asyncio.StreamReader(limit=4)
    r2.feed_data(b"abcdefgh")
    try:
        await r2.readuntil((b"XY", b"Z"))
    except Exception as exc:
        print("tuple overrun:", type(exc).__name__, exc, getattr(exc, "consumed", None))
    r3 = asyncio.StreamReader(limit=4)
    r3.feed_data(b"ab|cdefgh!")
    try:
        print("tuple match:", await r3.readuntil((b"!", b"|")))
    except Exception as exc:
        print("tuple match refused:", type(exc).__name__)
    print("python", sys.version_info[:2] >= (3, 13))


asyncio.run(main())
