"""The hooks asyncio offers third-party tasks: _register_task,
_unregister_task, _enter_task, _leave_task, as a library driving its own
Task-like objects uses them."""
import asyncio


class MyTask(asyncio.Future):
    def __repr__(self):
        return "<MyTask>"


async def main():
    loop = asyncio.get_running_loop()
    mine = MyTask()
    asyncio._register_task(mine)
    print("registered, in all_tasks:", mine in asyncio.all_tasks())
    seen = []

    def step():
        asyncio._enter_task(loop, mine)
        try:
            seen.append(asyncio.current_task() is mine)
            try:
                asyncio._enter_task(loop, MyTask())
            except RuntimeError as exc:
                seen.append(str(exc))
        finally:
            asyncio._leave_task(loop, mine)
        seen.append(asyncio.current_task())
        try:
            asyncio._leave_task(loop, mine)
        except RuntimeError as exc:
            seen.append(str(exc))

    loop.call_soon(step)
    await asyncio.sleep(0)
    for item in seen:
        print(item)
    try:
        asyncio._enter_task(loop, mine)
    except RuntimeError as exc:
        message = str(exc)
        print("inside a task:", message.split(" while")[0], "main" in message)
    mine.set_result(None)
    print("done, in all_tasks:", mine in asyncio.all_tasks())
    other = MyTask()
    asyncio._register_task(other)
    asyncio._unregister_task(other)
    print("unregistered:", other in asyncio.all_tasks())
    other.cancel()


asyncio.run(main())
