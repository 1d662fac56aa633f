import asyncio


async def ticker(log):
    i = 0
    while True:
        log.append(i)
        i += 1
        await asyncio.sleep(0)


async def first(state):
    state["t"] = asyncio.create_task(ticker(state["log"]))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return "first"


async def second(state):
    await asyncio.sleep(0)
    return ("second", state["t"].done())


with asyncio.Runner() as runner:
    state = {"log": []}
    print(runner.run(first(state)))
    print(runner.run(second(state)))
    print(runner.get_loop().is_running(), runner.get_loop().is_closed())
    t = state["t"]
print(t.cancelled(), len(state["log"]) > 3)
