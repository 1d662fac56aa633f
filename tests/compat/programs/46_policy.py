"""Event loop policies: the default one, a custom one used by run(), and
the errors for bad arguments."""
import asyncio
import sys
import threading
import warnings

policy = asyncio.get_event_loop_policy()
print("abstract policy:", isinstance(policy, asyncio.AbstractEventLoopPolicy))
print("default policy:", isinstance(policy, asyncio.DefaultEventLoopPolicy))
print("same again:", asyncio.get_event_loop_policy() is policy)

for bad in (42, "policy"):
    try:
        asyncio.set_event_loop_policy(bad)
    except TypeError as exc:
        print("TypeError:", exc)
try:
    asyncio.set_event_loop(42)
except TypeError as exc:
    print("TypeError:", exc)

loop = asyncio.new_event_loop()
print("new loop is AbstractEventLoop:", isinstance(loop, asyncio.AbstractEventLoop))
print("new loop is BaseEventLoop:", isinstance(loop, asyncio.BaseEventLoop))
asyncio.set_event_loop(loop)
print("current is it:", asyncio.get_event_loop() is loop)
asyncio.set_event_loop(None)
try:
    asyncio.get_event_loop()
except RuntimeError as exc:
    print("RuntimeError:", exc)
loop.close()


def in_thread():
    try:
        asyncio.get_event_loop()
    except RuntimeError as exc:
        print("thread RuntimeError:", exc)


t = threading.Thread(target=in_thread, name="worker")
t.start()
t.join()

made = []


class CountingPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        loop = super().new_event_loop()
        made.append(loop)
        return loop


asyncio.set_event_loop_policy(CountingPolicy())


async def main():
    return asyncio.get_running_loop() in made


print("run used the policy:", asyncio.run(main()), len(made))
asyncio.set_event_loop_policy(None)
print("back to default:", type(asyncio.get_event_loop_policy()) is not CountingPolicy)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    watcher = asyncio.get_child_watcher()
print("watcher:", isinstance(watcher, asyncio.AbstractChildWatcher))
print("watcher warnings:", [(w.category.__name__, str(w.message)) for w in caught])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    asyncio.set_child_watcher(None)
print("set watcher warnings:", [(w.category.__name__, str(w.message)) for w in caught])
new_style = sys.version_info >= (3, 13) and asyncio.EventLoop is not None
print("loop classes:", asyncio.SelectorEventLoop is not None, new_style)
