"""A pipeline of child processes joined by the parent (producer | filter |
counter), and several children running at once."""

import asyncio
import sys

PRODUCER = "import sys\nfor i in range(20000):\n    print(f'line {i}')"
FILTER = (
    "import sys\nfor line in sys.stdin:\n"
    "    if line.rstrip().endswith('7'):\n        sys.stdout.write(line)"
)
COUNTER = "import sys\ndata = sys.stdin.read().splitlines()\nprint(len(data), data[0], data[-1])"


async def pump(reader, writer):
    while chunk := await reader.read(4096):
        writer.write(chunk)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    pipe = asyncio.subprocess.PIPE
    producer = await asyncio.create_subprocess_exec(sys.executable, "-c", PRODUCER, stdout=pipe)
    filt = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FILTER, stdin=pipe, stdout=pipe
    )
    counter = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COUNTER, stdin=pipe, stdout=pipe
    )
    await asyncio.gather(pump(producer.stdout, filt.stdin), pump(filt.stdout, counter.stdin))
    print("counter:", await counter.stdout.read())
    print("statuses:", await asyncio.gather(producer.wait(), filt.wait(), counter.wait()))

    async def square(n):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", f"print({n} * {n})", stdout=pipe
        )
        out, _ = await proc.communicate()
        return int(out)

    print("squares:", await asyncio.gather(*(square(n) for n in range(8))))


asyncio.run(main())
