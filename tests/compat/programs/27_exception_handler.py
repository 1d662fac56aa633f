import asyncio


def handler(loop, context):
    print("handler:", context["message"].split(" ")[0:3], repr(context.get("exception")))


def bad_cb():
    raise ZeroDivisionError("cb")


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    print(loop.get_exception_handler() is handler)
    loop.call_soon(bad_cb)
    await asyncio.sleep(0)
    loop.call_exception_handler({"message": "custom message here"})
    print("after")


asyncio.run(main())
