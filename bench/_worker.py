"""Run ONE workload on ONE backend and print one JSON line on stdout.

Usage::

    python bench/_worker.py --backend trio --workload spawn [--size n=20000] [--quick]
    python bench/_worker.py --backend tether --check      # is the backend importable?

Result line: ``{"status": "ok", "value": ..., "unit": ...}``, or ``{"status": "n/a",
"reason": ...}`` when the backend is not installed or lacks an API the workload needs
(ImportError / AttributeError / NotImplementedError, also inside exception groups).
Anything else is a crash: traceback on stderr, exit status 1 (the driver shows ``ERR``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import resource
import sys
import traceback
from typing import TYPE_CHECKING, Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _spec import BACKEND_MODULE, BACKENDS, WORKLOADS_BY_NAME, parse_size

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType

    Runner = Callable[[Callable[[], Awaitable[float]]], float]

MISSING_API: tuple[type[BaseException], ...] = (
    ImportError,
    AttributeError,
    NotImplementedError,
)


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for sub in exc.exceptions:
            out.extend(_leaves(sub))
        return out
    return [exc]


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _load_backend(backend: str) -> ModuleType:
    return importlib.import_module(BACKEND_MODULE[backend])


def _make_runner(backend: str, mod: ModuleType) -> Runner:
    """Return ``run(async_fn) -> float`` running the coroutine function on the backend."""
    if BACKENDS[backend] == "trio":

        def run_trio(fn: Callable[[], Awaitable[float]]) -> float:
            return float(mod.run(fn))

        return run_trio

    if backend == "uvloop":
        import asyncio

        def run_uvloop(fn: Callable[[], Awaitable[float]]) -> float:
            with asyncio.Runner(loop_factory=mod.new_event_loop) as runner:
                return float(runner.run(fn()))  # type: ignore[arg-type]

        return run_uvloop

    def run_asyncio(fn: Callable[[], Awaitable[float]]) -> float:
        return float(mod.run(fn()))

    return run_asyncio


def _bind(backend: str, mod: ModuleType) -> dict[str, Callable[..., Awaitable[float]]]:
    style = BACKENDS[backend]
    if style == "trio":
        import _trio_style

        _trio_style.trio = mod
        return _trio_style.WORKLOADS
    import _asyncio_style

    # uvloop keeps the stdlib asyncio API; only the loop differs.
    _asyncio_style.asyncio = importlib.import_module("asyncio") if backend == "uvloop" else mod
    return _asyncio_style.WORKLOADS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", required=True, choices=sorted(BACKENDS))
    parser.add_argument("--workload")
    parser.add_argument("--size", default=None, help="k=v,... (default: full size)")
    parser.add_argument("--quick", action="store_true", help="use the --quick size")
    parser.add_argument("--check", action="store_true", help="only check importability")
    args = parser.parse_args(argv)

    try:
        mod = _load_backend(args.backend)
    except ImportError as exc:
        _emit({"status": "n/a", "reason": f"not installed ({exc})"})
        return 0
    if args.check:
        version = getattr(mod, "__version__", None)
        _emit({"status": "ok", "version": version})
        return 0

    if args.workload not in WORKLOADS_BY_NAME:
        parser.error(f"unknown workload {args.workload!r}")
    spec = WORKLOADS_BY_NAME[args.workload]
    size = dict(spec.quick if args.quick else spec.full)
    if args.size:
        size.update(parse_size(args.size))

    _raise_fd_limit()
    try:
        table = _bind(args.backend, mod)
        fn = table.get(args.workload)
        if fn is None:
            _emit({"status": "n/a", "reason": "workload not defined for this API style"})
            return 0
        run = _make_runner(args.backend, mod)

        async def body() -> float:
            return await fn(**size)

        value = run(body)
    except BaseException as exc:  # classify: missing API -> n/a, anything else -> crash
        leaves = _leaves(exc)
        if leaves and all(isinstance(e, MISSING_API) for e in leaves):
            first = leaves[0]
            _emit({"status": "n/a", "reason": f"{type(first).__name__}: {first}"})
            return 0
        traceback.print_exception(exc)
        return 1
    _emit({"status": "ok", "value": value, "unit": spec.unit, "size": size})
    return 0


if __name__ == "__main__":
    sys.exit(main())
