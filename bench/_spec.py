"""Shared description of the benchmark: backends, workloads, sizes and units.

Imported by both ``run.py`` (the driver) and ``_worker.py`` (one measurement per process).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Backends in display order. ``style`` selects which workload module runs on it.
BACKENDS: dict[str, str] = {
    "tether": "trio",
    "tether_asyncio": "asyncio",
    "trio": "trio",
    "asyncio": "asyncio",
    "uvloop": "asyncio",
}

# Module that must be importable for the backend to be considered installed.
BACKEND_MODULE: dict[str, str] = {
    "tether": "tether",
    "tether_asyncio": "tether_asyncio",
    "trio": "trio",
    "asyncio": "asyncio",
    "uvloop": "uvloop",
}

# Units: "s" = seconds per operation (lower is better), "B" = bytes per unit (lower is
# better), "MiB/s" = throughput (higher is better; ratios are inverted so they stay
# time-like: < 1 means faster than the reference).
TIME, BYTES, THROUGHPUT = "s", "B", "MiB/s"


@dataclass(frozen=True)
class Workload:
    name: str
    unit: str
    per: str  # what one "operation" is, for the table/README
    full: dict[str, int] = field(default_factory=dict)
    quick: dict[str, int] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        return self.unit == THROUGHPUT


WORKLOADS: list[Workload] = [
    Workload("spawn", TIME, "task", {"n": 20_000}, {"n": 2_000}),
    Workload("switch", TIME, "round trip", {"n": 50_000}, {"n": 5_000}),
    Workload("checkpoints", TIME, "sleep(0)", {"tasks": 100, "n": 2_000}, {"tasks": 100, "n": 200}),
    Workload(
        "channel-1x1",
        TIME,
        "item",
        {"items": 200_000, "producers": 1, "consumers": 1},
        {"items": 20_000, "producers": 1, "consumers": 1},
    ),
    Workload(
        "channel-10x10",
        TIME,
        "item",
        {"items": 200_000, "producers": 10, "consumers": 10},
        {"items": 20_000, "producers": 10, "consumers": 10},
    ),
    Workload("lock", TIME, "acquisition", {"tasks": 100, "n": 1_000}, {"tasks": 100, "n": 100}),
    Workload("timers", TIME, "task (beyond max sleep)", {"n": 10_000}, {"n": 1_000}),
    Workload("timeouts", TIME, "scope", {"n": 50_000}, {"n": 5_000}),
    Workload("timeouts-ctx", TIME, "scope", {"n": 50_000}, {"n": 5_000}),
    Workload("tcp-rr", TIME, "round trip", {"n": 20_000}, {"n": 2_000}),
    Workload("tcp-conc", TIME, "round trip", {"conns": 100, "n": 200}, {"conns": 100, "n": 20}),
    Workload("tcp-stream", THROUGHPUT, "MiB echoed", {"mib": 256}, {"mib": 32}),
    Workload("processes-seq", TIME, "process", {"n": 200}, {"n": 20}),
    Workload("processes-conc", TIME, "process", {"workers": 4, "n": 50}, {"workers": 4, "n": 5}),
    Workload("threads", TIME, "call", {"n": 2_000}, {"n": 200}),
    Workload("memory-task", BYTES, "idle task", {"n": 100_000}, {"n": 10_000}),
    Workload("memory-conn", BYTES, "idle connection (both ends)", {"n": 1_000}, {"n": 200}),
]

WORKLOADS_BY_NAME: dict[str, Workload] = {w.name: w for w in WORKLOADS}


def format_size(size: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in size.items())


def parse_size(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, _, value = part.partition("=")
        out[key.strip()] = int(value.replace("_", ""))
    return out
