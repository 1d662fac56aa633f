"""The pytest plugin, exercised on small test files through ``pytester``."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

TETHER_MODE_INI = """
[pytest]
tether_mode = true
"""


def make_tests(pytester: pytest.Pytester, source: str, *, tether_mode: bool = False) -> None:
    if tether_mode:
        pytester.makeini(TETHER_MODE_INI)
    pytester.makepyfile(textwrap.dedent(source))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", *args)


def test_marker_runs_an_async_test_on_tether(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest
        import tether

        @pytest.mark.tether
        async def test_marked():
            await tether.sleep(0)
            assert tether.lowlevel.in_tether_task()
        """,
    )
    run(pytester).assert_outcomes(passed=1)


def test_marker_on_a_class_or_module(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest
        import tether

        pytestmark = pytest.mark.tether

        async def test_module_level():
            await tether.sleep(0)

        class TestGroup:
            async def test_method(self):
                await tether.sleep(0)
        """,
    )
    run(pytester).assert_outcomes(passed=2)


def test_inert_without_marker_or_ini(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        ran = []

        async def test_unmarked():
            ran.append(1)  # never runs: pytest cannot await it

        def test_sync():
            assert ran == []
        """,
    )
    result = run(pytester)
    # pytest's own handling of an async test that no plugin claimed.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


def test_trio_marker_is_not_ours(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest

        @pytest.mark.trio
        async def test_trio_marked():
            pass
        """,
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'trio' not found in `markers` configuration option*"])


def test_ini_mode_runs_every_async_test(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import tether

        async def test_one():
            await tether.sleep(0)

        async def test_two():
            raise AssertionError("boom")

        def test_sync_is_left_alone():
            assert not tether.lowlevel.in_tether_run()
        """,
        tether_mode=True,
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: boom*"])
    # Without fixtures the body is the run's main task: errors are not grouped.
    result.stdout.no_fnmatch_line("*ExceptionGroup*")


def test_marker_on_a_sync_test_is_an_error(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest

        @pytest.mark.tether
        def test_sync():
            pass
        """,
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*is marked 'tether' but is not an async def function*"])


def test_clock_fixtures(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import tether
        from tether.testing import MockClock

        async def test_mock_clock(mock_clock):
            assert isinstance(mock_clock, MockClock)
            assert tether.lowlevel.current_clock() is mock_clock
            assert tether.current_time() == 0
            mock_clock.jump(10)
            assert tether.current_time() == 10

        async def test_autojump_clock(autojump_clock):
            assert tether.lowlevel.current_clock() is autojump_clock
            await tether.sleep(3600)
            assert tether.current_time() == 3600

        async def test_default_clock():
            assert not isinstance(tether.lowlevel.current_clock(), MockClock)

        async def test_two_clocks(mock_clock, autojump_clock):
            pass
        """,
        tether_mode=True,
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*uses more than one clock fixture*"])


def test_async_fixtures_share_the_run_in_dependency_order(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest
        import tether

        log = []

        @pytest.fixture
        def plain():
            log.append("plain setup")
            yield "plain"
            log.append("plain teardown")

        @pytest.fixture
        async def first(plain):
            log.append("first setup")
            await tether.sleep(0)
            yield (plain, tether.lowlevel.current_tether_token())
            await tether.sleep(0)
            log.append("first teardown")

        @pytest.fixture
        async def second(first):
            log.append("second setup")
            return first[0] + "+second"

        @pytest.fixture
        def sync_on_async(second):
            # A sync fixture depending on an async one runs in the run too.
            assert tether.lowlevel.in_tether_task()
            log.append("sync_on_async setup")
            yield second + "+sync"
            log.append("sync_on_async teardown")

        async def test_it(sync_on_async, first):
            assert sync_on_async == "plain+second+sync"
            assert first[1] is tether.lowlevel.current_tether_token()
            log.append("test")

        def test_log():
            assert log == [
                "plain setup",
                "first setup",
                "second setup",
                "sync_on_async setup",
                "test",
                "sync_on_async teardown",
                "first teardown",
                "plain teardown",
            ]
        """,
        tether_mode=True,
    )
    run(pytester, "-p", "no:randomly").assert_outcomes(passed=2)


def test_async_fixture_used_with_marker_only(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest
        import tether

        @pytest.fixture
        async def value():
            await tether.sleep(0)
            return 42

        @pytest.mark.tether
        async def test_marked(value):
            assert value == 42

        def test_sync_requesting_async_fixture(value):
            pass
        """,
    )
    result = run(pytester)
    # pytest itself rejects an async fixture for a test tether does not run.
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*requested an async fixture 'value'*"])


def test_teardown_failure_is_an_error(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest
        import tether

        @pytest.fixture
        async def fragile():
            yield
            await tether.sleep(0)
            raise RuntimeError("teardown went wrong")

        @pytest.fixture
        async def sturdy(fragile):
            yield
            sturdy_torn_down.append(True)

        sturdy_torn_down = []

        async def test_passes(sturdy):
            pass

        async def test_fails(fragile):
            assert False, "body failed"

        def test_sturdy_was_torn_down():
            assert sturdy_torn_down == [True]
        """,
        tether_mode=True,
    )
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_passes*",
            "*RuntimeError: teardown went wrong*",
            "*ERROR at teardown of test_fails*",
        ]
    )


def test_setup_failure_fails_the_test_and_tears_down_the_rest(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest

        log = []

        @pytest.fixture
        async def good():
            yield
            log.append("good teardown")

        @pytest.fixture
        async def bad(good):
            raise KeyError("setup went wrong")

        @pytest.fixture
        async def no_yield():
            if False:
                yield

        async def test_bad(bad):
            log.append("test ran")  # pragma: no cover

        async def test_no_yield(no_yield):
            pass  # pragma: no cover

        def test_log():
            assert log == ["good teardown"]
        """,
        tether_mode=True,
    )
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*KeyError: 'setup went wrong'*", "*didn't yield*"])
    result.stdout.no_fnmatch_line("*ExceptionGroup*")


def test_async_fixtures_must_be_function_scoped(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest

        @pytest.fixture(scope="module")
        async def shared():
            return 1

        async def test_it(shared):
            pass  # pragma: no cover
        """,
        tether_mode=True,
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*async fixtures must be function-scoped*"])


def test_nursery_fixture(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest
        import tether

        log = []

        @pytest.fixture
        async def server(nursery):
            async def serve():
                try:
                    await tether.sleep_forever()
                finally:
                    log.append("background cancelled")
            nursery.start_soon(serve)
            yield
            # The nursery's scope was cancelled when the test body ended.
            assert nursery.cancel_scope.cancel_called
            log.append("server teardown")

        async def test_background(server, autojump_clock):
            await tether.sleep(10)
            log.append("test body done")

        async def test_background_crash(nursery, autojump_clock):
            async def crash():
                await tether.sleep(1)
                raise ValueError("background crashed")
            nursery.start_soon(crash)
            await tether.sleep(100)

        def test_log():
            assert log[0] == "test body done"
            assert sorted(log[1:]) == ["background cancelled", "server teardown"]
        """,
        tether_mode=True,
    )
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*ValueError: background crashed*"])


def test_class_method_fixture(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest

        class TestWithFixture:
            @pytest.fixture
            async def bound(self):
                return self

            async def test_it(self, bound):
                assert bound is self
        """,
        tether_mode=True,
    )
    run(pytester).assert_outcomes(passed=1)


def test_parametrized_fixture_and_request(pytester: pytest.Pytester) -> None:
    make_tests(
        pytester,
        """
        import pytest

        @pytest.fixture(params=[1, 2])
        async def number(request):
            return request.param

        async def test_it(number):
            assert number in (1, 2)
        """,
        tether_mode=True,
    )
    run(pytester).assert_outcomes(passed=2)


def test_hypothesis(pytester: pytest.Pytester) -> None:
    pytest.importorskip("hypothesis")
    make_tests(
        pytester,
        """
        import pytest
        import tether
        from hypothesis import given, settings, strategies as st

        runs = set()

        @pytest.mark.parametrize("offset", [0, 1])
        @settings(max_examples=5)
        @given(st.integers())
        async def test_given(offset, n):
            await tether.sleep(0)
            runs.add(id(tether.lowlevel.current_tether_token()))

        def test_each_example_had_its_own_run():
            assert len(runs) > 2
        """,
        tether_mode=True,
    )
    run(pytester, "-p", "no:randomly").assert_outcomes(passed=3)
