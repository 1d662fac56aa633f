import asyncio
import contextvars

var = contextvars.ContextVar("var", default="unset")


async def child(tag):
    print(tag, "sees", var.get())
    var.set("child-" + tag)
    await asyncio.sleep(0)
    print(tag, "now", var.get())


def cb():
    print("callback sees", var.get())


async def main():
    var.set("main")
    t = asyncio.create_task(child("t1"))
    var.set("main2")
    ctx = contextvars.copy_context()
    t2 = asyncio.create_task(child("t2"), context=ctx)
    asyncio.get_running_loop().call_soon(cb)
    await t
    await t2
    print("main sees", var.get())
    var.set("for-cb")
    asyncio.get_running_loop().call_soon(cb, context=ctx)
    await asyncio.sleep(0)


asyncio.run(main())
