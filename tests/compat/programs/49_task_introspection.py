"""Task introspection (get_coro, get_context, get_stack, print_stack),
done-callback removal, Handles, Timeout objects, the asyncgen shutdown and
the abstract protocol and transport classes."""
import asyncio
import contextvars
import io
import re

var = contextvars.ContextVar("var", default="default")


def clean(text):
    return re.sub(r" at 0x[0-9a-f]+|, line \d+|File \"[^\"]+\"", "", text)


async def sleeper():
    await asyncio.sleep(10)


async def main():
    var.set("main")
    ctx = contextvars.copy_context()
    task = asyncio.create_task(sleeper(), name="sleeper", context=ctx)
    await asyncio.sleep(0)
    print("coro name:", task.get_coro().__name__, task.get_coro().cr_running)
    if hasattr(task, "get_context"):  # 3.12+
        print("context is given:", task.get_context() is ctx, task.get_context()[var])
    else:
        print("no get_context")
    stack = task.get_stack()
    print("stack:", [f.f_code.co_name for f in stack], len(task.get_stack(limit=1)))
    out = io.StringIO()
    task.print_stack(file=out)
    print("print_stack:", clean(out.getvalue()).splitlines()[0])

    calls = []

    def cb(fut):
        calls.append("cb")

    task.add_done_callback(cb)
    task.add_done_callback(cb)
    print("removed:", task.remove_done_callback(cb), task.remove_done_callback(cb))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    print("callbacks after removal:", calls, task.get_stack())

    loop = asyncio.get_running_loop()
    handle = loop.call_soon(print, "not printed")
    print("handle:", isinstance(handle, asyncio.Handle), handle.cancelled())
    handle.cancel()
    print("cancelled handle:", handle.cancelled())
    timer = loop.call_later(10, print, "never")
    print("timer:", isinstance(timer, asyncio.TimerHandle), timer.when() > loop.time())
    timer.cancel()
    await asyncio.sleep(0)

    async with asyncio.timeout(None) as cm:
        print("Timeout object:", isinstance(cm, asyncio.Timeout), cm.when(), cm.expired())
        await asyncio.sleep(0)
    try:
        async with asyncio.timeout(0):
            await asyncio.sleep(1)
    except TimeoutError as exc:
        print("asyncio.TimeoutError is builtin:", asyncio.TimeoutError is TimeoutError, type(exc))

    done, pending = await asyncio.wait(
        [asyncio.ensure_future(asyncio.sleep(0, n)) for n in range(3)],
        return_when=asyncio.ALL_COMPLETED,
    )
    print("ALL_COMPLETED:", sorted(f.result() for f in done), pending)

    async def agen():
        try:
            yield 1
            yield 2
        finally:
            print("agen finalized")

    gen = agen()
    print("agen first:", await gen.__anext__())
    await loop.shutdown_asyncgens()
    print("after shutdown_asyncgens")

    print("SendfileNotAvailableError:", issubclass(asyncio.SendfileNotAvailableError, RuntimeError))
    proto = asyncio.Protocol()
    print("protocol no-ops:", proto.data_received(b"x"), proto.eof_received())
    print("buffered:", issubclass(asyncio.BufferedProtocol, asyncio.BaseProtocol))
    print("datagram:", issubclass(asyncio.DatagramProtocol, asyncio.BaseProtocol))
    print("subprocess:", issubclass(asyncio.SubprocessProtocol, asyncio.BaseProtocol))
    transport = asyncio.Transport(extra={"peername": "x"})
    print("transport extra:", transport.get_extra_info("peername"), transport.get_extra_info("no"))
    for cls in (asyncio.ReadTransport, asyncio.WriteTransport, asyncio.DatagramTransport,
                asyncio.SubprocessTransport, asyncio.BaseTransport):
        print(cls.__name__, issubclass(cls, asyncio.BaseTransport))
    try:
        transport.write(b"x")
    except NotImplementedError:
        print("abstract write: NotImplementedError")
    print("AbstractServer:", hasattr(asyncio.AbstractServer, "serve_forever"))


asyncio.run(main())
