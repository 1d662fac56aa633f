import asyncio
import re


def r(obj):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(obj))


async def party(b, name):
    print(name, "arrives", r(b))
    try:
        idx = await b.wait()
        print(name, "passes with index", idx)
        return idx
    except asyncio.BrokenBarrierError as exc:
        print(name, "BrokenBarrierError:", exc)
    except asyncio.CancelledError:
        print(name, "cancelled", r(b))
        raise


async def main():
    try:
        asyncio.Barrier(0)
    except ValueError as exc:
        print("ValueError:", exc)
    b = asyncio.Barrier(3)
    print(r(b), b.parties, b.n_waiting, b.broken)
    ts = [asyncio.create_task(party(b, f"p{i}")) for i in range(3)]
    for _ in range(4):
        await asyncio.sleep(0)
        print("main", r(b))
    print(await asyncio.gather(*ts))

    # Two rounds back to back.
    ts = [asyncio.create_task(party(b, f"q{i}")) for i in range(6)]
    print(sorted(await asyncio.gather(*ts)))

    # Reset while two are waiting.
    ts = [asyncio.create_task(party(b, f"r{i}")) for i in range(2)]
    await asyncio.sleep(0)
    print("before reset", r(b))
    await b.reset()
    print("after reset", r(b))
    await asyncio.gather(*ts)
    print("reset done", r(b))

    # Cancel one waiter.
    ts = [asyncio.create_task(party(b, f"c{i}")) for i in range(2)]
    await asyncio.sleep(0)
    ts[0].cancel()
    await asyncio.sleep(0)
    print("after cancel", r(b))
    ts.append(asyncio.create_task(party(b, "c2")))
    ts.append(asyncio.create_task(party(b, "c3")))
    print(await asyncio.gather(*ts, return_exceptions=True))

    # Abort.
    ts = [asyncio.create_task(party(b, f"a{i}")) for i in range(2)]
    await asyncio.sleep(0)
    await b.abort()
    await asyncio.gather(*ts)
    print("aborted", r(b), b.broken)
    await party(b, "late")
    async with asyncio.Barrier(1) as idx:
        print("async with ->", idx)


asyncio.run(main())
