"""Fan out to several slow "services" at once, with a deadline for the lot.

Written against Trio's API: it runs the same with ``import trio as tether``.
Each fetch has its own timeout (``fail_after``); the whole fan-out has a
deadline (``move_on_after``) after which whatever is still running is
cancelled. Results are printed as they arrive.
"""

from __future__ import annotations

import tether

# name -> (simulated response time, that fetch's own timeout), in seconds
SERVICES = {
    "alpha": (0.05, 0.15),
    "bravo": (0.20, 0.30),
    "charlie": (0.10, 0.15),
    "delta": (0.30, 0.15),  # slower than its own timeout
    "echo": (0.40, 0.50),  # slower than the overall deadline
}
OVERALL_DEADLINE = 0.25


async def fetch(name: str, delay: float, patience: float, results: dict[str, str]) -> None:
    try:
        with tether.fail_after(patience):
            await tether.sleep(delay)
    except tether.TooSlowError:
        results[name] = "timed out"
        print(f"  {name:8} timed out after {patience:.2f}s")
        return
    results[name] = f"ok in {delay:.2f}s"
    print(f"  {name:8} answered in {delay:.2f}s")


async def main() -> dict[str, str]:
    results: dict[str, str] = {}
    print(f"fetching {len(SERVICES)} services, {OVERALL_DEADLINE}s for all of them")
    with tether.move_on_after(OVERALL_DEADLINE) as deadline:
        async with tether.open_nursery() as nursery:
            for name, (delay, patience) in SERVICES.items():
                nursery.start_soon(fetch, name, delay, patience, results)
    if deadline.cancelled_caught:
        missing = sorted(set(SERVICES) - set(results))
        print(f"deadline reached; cancelled: {', '.join(missing)}")
    answered = sum(1 for r in results.values() if r.startswith("ok"))
    print(f"{answered} of {len(SERVICES)} answered")
    return results


if __name__ == "__main__":
    tether.run(main)
