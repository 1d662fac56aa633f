import tether


async def producer(send: tether.MemorySendChannel[int]) -> None:
    async with send:  # closing the send end ends the stream
        for n in range(3):
            print(f"sending {n}")
            await send.send(n)


async def consumer(receive: tether.MemoryReceiveChannel[int]) -> None:
    async with receive:
        async for n in receive:  # stops when every send end is closed
            print(f"received {n}")
    print("channel closed")


async def main() -> None:
    send, receive = tether.open_memory_channel[int](0)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(producer, send)
        nursery.start_soon(consumer, receive)


if __name__ == "__main__":
    tether.run(main)

# Output:
# sending 0
# received 0
# sending 1
# sending 2
# received 1
# received 2
# channel closed
