import asyncio


async def main(x):
    await asyncio.sleep(0)
    return x * 2


loop = asyncio.new_event_loop()
loop.call_soon(print, "early callback")
print(loop.run_until_complete(main(2)))
print(loop.run_until_complete(main(3)))
loop.call_soon(loop.stop)
loop.run_forever()
print(loop.is_running(), loop.is_closed())
loop.close()
print(loop.is_closed())
try:
    loop.run_until_complete(main(1))
except RuntimeError as exc:
    print("RuntimeError", exc)
