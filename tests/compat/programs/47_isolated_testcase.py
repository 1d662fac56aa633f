"""unittest.IsolatedAsyncioTestCase: set-up/tear-down order, async context,
cleanups, failures and errors, a task left running at the end."""
import asyncio
import contextvars
import io
import sys
import unittest

events = []
var = contextvars.ContextVar("var", default="unset")


class Resource:
    async def __aenter__(self):
        events.append("resource enter")
        return self

    async def __aexit__(self, *exc):
        events.append("resource exit")


class Case(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        var.set("from setUp")
        events.append("setUp")

    async def asyncSetUp(self):
        events.append(f"asyncSetUp sees {var.get()}")
        self.resource = await self.enterAsyncContext(Resource())
        self.addAsyncCleanup(self.cleanup, "async cleanup")

    async def cleanup(self, what):
        await asyncio.sleep(0)
        events.append(what)

    async def test_1_ok(self):
        events.append(f"test sees {var.get()}")
        loop = asyncio.get_running_loop()
        events.append(f"debug mode {loop.get_debug()}")
        await asyncio.sleep(0.001)
        self.assertEqual(await asyncio.gather(asyncio.sleep(0, 1), asyncio.sleep(0, 2)), [1, 2])  # noqa: PT009

    async def test_2_fails(self):
        events.append("failing test")
        self.assertEqual(1, 2)  # noqa: PT009

    async def test_3_errors(self):
        events.append("erroring test")
        raise ValueError("boom")

    async def test_4_leftover_task(self):
        async def forever():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                events.append("leftover cancelled")
                raise

        self.task = asyncio.create_task(forever())
        await asyncio.sleep(0)
        events.append("leaving a task")

    async def asyncTearDown(self):
        events.append("asyncTearDown")

    def tearDown(self):
        events.append("tearDown")


stream = io.StringIO()
runner = unittest.TextTestRunner(stream=stream, verbosity=0)
result = unittest.main(module=__name__, exit=False, testRunner=runner, argv=[sys.argv[0]]).result
for event in events:
    print(event)
print("run", result.testsRun, "failures", len(result.failures), "errors", len(result.errors))
for test, tb in result.failures + result.errors:
    print(test.id().rsplit(".", 1)[-1], tb.strip().splitlines()[-1])
