"""Benchmark driver: every workload on every installed backend, one fresh process each.

    python bench/run.py                     # full run, 5 rounds, ratios vs trio
    python bench/run.py --quick             # ~10x smaller sizes, 2 rounds (< 1 minute)
    python bench/run.py --ratios trio,asyncio,uvloop --markdown

Each measurement runs ``_worker.py`` in a new interpreter. Within a round every workload is
measured on every backend, the backend order rotating by one each round (A B C, B C A, ...).
The table shows, per workload and backend, the median over rounds of the per-operation figure
and the *same-round ratio*: the median over rounds of ``backend / reference`` computed within
each round (for throughput rows ``reference / backend``, so < 1 always means faster).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _spec import (  # noqa: E402
    BACKENDS,
    BYTES,
    THROUGHPUT,
    TIME,
    WORKLOADS,
    WORKLOADS_BY_NAME,
    Workload,
    format_size,
)

WORKER = os.path.join(HERE, "_worker.py")
VENV_PYTHON = os.path.join(HERE, ".venv", "bin", "python")


@dataclass
class Cell:
    """All measurements of one (workload, backend) pair."""

    values: dict[int, float] = field(default_factory=dict)  # round -> value
    status: str = "ok"  # ok | n/a | ERR
    note: str = ""
    stop: bool = False  # don't measure again (n/a, or a timeout)


@dataclass
class Outcome:
    status: str
    value: float | None = None
    note: str = ""


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


WORKER_ENV: dict[str, str] | None = None  # set by --snapshot (PYTHONPATH to a frozen copy)


def snapshot_sources(dest: str) -> dict[str, str]:
    """Copy src/ and compat/ to *dest* and return an environment whose PYTHONPATH puts the
    copies first, so every measurement of one run sees the same tether code even while the
    working tree is being edited (PYTHONPATH precedes the editable install)."""
    root = os.path.dirname(HERE)
    paths = []
    for sub in ("src", "compat"):
        src = os.path.join(root, sub)
        if os.path.isdir(src):
            target = os.path.join(dest, sub)
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
            paths.append(target)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_worker(python: str, args: list[str], timeout: float) -> tuple[Outcome, dict[str, Any]]:
    cmd = [python, WORKER, *args]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=False, env=WORKER_ENV
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        return Outcome("ERR", note=f"timeout after {timeout:.0f}s\n{_tail(err or '')}"), {}
    payload: dict[str, Any] = {}
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            payload = json.loads(line)
            break
        except ValueError:
            continue
    if proc.returncode != 0 or not payload:
        tail = _tail(proc.stderr) or _tail(proc.stdout) or f"exit status {proc.returncode}"
        return Outcome("ERR", note=tail), payload
    if payload.get("status") == "ok":
        value = payload.get("value")
        return Outcome("ok", value=float(value) if value is not None else None), payload
    return Outcome("n/a", note=str(payload.get("reason", ""))), payload


# ---------------------------------------------------------------------------------------------
# formatting


def fmt_value(value: float, unit: str) -> str:
    if unit == TIME:
        if value < 1e-6:
            return f"{value * 1e9:.0f} ns"
        if value < 1e-3:
            return f"{value * 1e6:.2f} µs"
        if value < 1:
            return f"{value * 1e3:.2f} ms"
        return f"{value:.3f} s"
    if unit == BYTES:
        if abs(value) >= 10 * 1024:
            return f"{value / 1024:.1f} KiB"
        return f"{value:.0f} B"
    if unit == THROUGHPUT:
        return f"{value:.0f} MiB/s"
    return f"{value:.4g} {unit}"


def ratio_of(w: Workload, value: float, ref: float) -> float | None:
    if w.higher_is_better:
        return ref / value if value > 0 else None
    return value / ref if ref > 0 else None


def same_round_ratio(w: Workload, cell: Cell, ref_cell: Cell) -> float | None:
    ratios = []
    for rnd, value in cell.values.items():
        if rnd in ref_cell.values:
            r = ratio_of(w, value, ref_cell.values[rnd])
            if r is not None:
                ratios.append(r)
    return statistics.median(ratios) if ratios else None


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    med = statistics.median(values)
    if med == 0:
        return ""
    return f"±{(max(values) - min(values)) / 2 / abs(med) * 100:.0f}%"


def short_note(note: str) -> str:
    first = note.strip().splitlines()[0] if note.strip() else ""
    return first if len(first) <= 70 else first[:67] + "..."


def build_rows(
    workloads: list[Workload],
    backends: list[str],
    refs: list[str],
    cells: dict[tuple[str, str], Cell],
) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "backend", "median / op", "spread"]
    header += [f"vs {r}" for r in refs]
    header.append("note")
    rows: list[list[str]] = []
    for w in workloads:
        for b in backends:
            cell = cells[(w.name, b)]
            vals = list(cell.values.values())
            if vals:
                med = fmt_value(statistics.median(vals), w.unit)
            else:
                med = cell.status if cell.status != "ok" else "n/a"
            row = [w.name, b, med, spread(vals)]
            for r in refs:
                if r == b:
                    row.append("—" if vals else "")
                    continue
                ratio = same_round_ratio(w, cell, cells[(w.name, r)]) if vals else None
                row.append(f"{ratio:.2f}" if ratio is not None else "n/a")
            note = ""
            if cell.status != "ok" or (cell.note and not vals):
                note = f"{cell.status}: {short_note(cell.note)}" if cell.note else cell.status
            elif len(vals) and cell.note:
                note = f"some rounds failed: {short_note(cell.note)}"
            row.append(note)
            rows.append(row)
    return header, rows


def render_text(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(header)).rstrip()]
    lines.append("  ".join("-" * widths[i] for i in range(len(header))))
    prev = None
    for r in rows:
        if prev is not None and r[0] != prev:
            lines.append("")
        shown = [("" if (i == 0 and r[0] == prev) else c) for i, c in enumerate(r)]
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(shown)).rstrip())
        prev = r[0]
    return "\n".join(lines)


def render_markdown(header: list[str], rows: list[list[str]]) -> str:
    right = {i for i, h in enumerate(header) if h.startswith("vs ") or h.startswith("median")}
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    for r in rows:
        cells = [c.replace("|", "\\|") for c in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def worker_python_version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "?"


# ---------------------------------------------------------------------------------------------


def parse_list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 5, --quick: 2)")
    ap.add_argument("--quick", action="store_true", help="~10x smaller sizes, 2 rounds")
    ap.add_argument("--only", help="comma-separated workloads to run")
    ap.add_argument("--backends", help="comma-separated backends (default: all)")
    ap.add_argument("--ref", default="trio", help="reference backend for the ratio column")
    ap.add_argument("--ratios", help="comma-separated references, one ratio column each")
    ap.add_argument("--markdown", action="store_true", help="emit a Markdown table + machine line")
    ap.add_argument("--json", metavar="FILE", help="also dump every raw measurement to FILE")
    ap.add_argument("--python", default=None, help="interpreter for workers (default: bench/.venv)")
    ap.add_argument("--timeout", type=float, default=None, help="per-worker timeout in seconds")
    ap.add_argument(
        "--live",
        action="store_true",
        help="measure the live src/ tree (default: a snapshot copied at start)",
    )
    args = ap.parse_args(argv)
    if args.live:
        return _main(args, ap)
    global WORKER_ENV
    with tempfile.TemporaryDirectory(prefix="tether-bench-") as tmp:
        WORKER_ENV = snapshot_sources(tmp)
        return _main(args, ap)


def _main(args: argparse.Namespace, ap: argparse.ArgumentParser) -> int:

    python = args.python or (VENV_PYTHON if os.path.exists(VENV_PYTHON) else sys.executable)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 5)
    timeout = args.timeout if args.timeout is not None else (30.0 if args.quick else 120.0)

    backends = parse_list(args.backends) or list(BACKENDS)
    for b in backends:
        if b not in BACKENDS:
            ap.error(f"unknown backend {b!r}; known: {', '.join(BACKENDS)}")
    only = parse_list(args.only)
    for name in only:
        if name not in WORKLOADS_BY_NAME:
            ap.error(f"unknown workload {name!r}; known: {', '.join(WORKLOADS_BY_NAME)}")
    workloads = [w for w in WORKLOADS if not only or w.name in only]
    refs = parse_list(args.ratios) or [args.ref]
    for r in refs:
        if r not in BACKENDS:
            ap.error(f"unknown reference backend {r!r}")
    # A reference not selected with --backends still has to be measured for the ratio.
    measured = backends + [r for r in refs if r not in backends]

    log = sys.stderr
    started = time.perf_counter()
    rev = _git_rev() + ("" if args.live else " (snapshot)")

    # Which backends import at all (and their versions)?
    versions: dict[str, str | None] = {}
    installed: dict[str, bool] = {}
    missing_reason: dict[str, str] = {}
    for b in measured:
        outcome, payload = run_worker(python, ["--backend", b, "--check"], timeout=60)
        installed[b] = outcome.status == "ok"
        versions[b] = payload.get("version") if installed[b] else None
        if not installed[b]:
            note = outcome.note or "not installed"
            missing_reason[b] = "not installed" if note.startswith("not installed") else note
            print(f"[bench] {b}: {missing_reason[b].splitlines()[0]}", file=log)

    cells: dict[tuple[str, str], Cell] = {(w.name, b): Cell() for w in workloads for b in measured}
    for b in measured:
        if not installed[b]:
            for w in workloads:
                cell = cells[(w.name, b)]
                cell.status, cell.note, cell.stop = "n/a", missing_reason[b], True

    active = [b for b in measured if installed[b]]
    raw: list[dict[str, Any]] = []
    for rnd in range(rounds):
        shift = rnd % len(active) if active else 0
        order = active[shift:] + active[:shift]
        print(f"[bench] round {rnd + 1}/{rounds}: order {' '.join(order)}", file=log)
        for w in workloads:
            size = w.quick if args.quick else w.full
            for b in order:
                cell = cells[(w.name, b)]
                if cell.stop:
                    continue
                outcome, payload = run_worker(
                    python,
                    ["--backend", b, "--workload", w.name, "--size", format_size(size)],
                    timeout,
                )
                raw.append(
                    {
                        "round": rnd,
                        "workload": w.name,
                        "backend": b,
                        "status": outcome.status,
                        "value": outcome.value,
                        "note": outcome.note,
                    }
                )
                if outcome.status == "ok" and outcome.value is not None:
                    cell.values[rnd] = outcome.value
                    shown = fmt_value(outcome.value, w.unit)
                elif outcome.status == "n/a":
                    cell.status, cell.note, cell.stop = "n/a", outcome.note, True
                    shown = "n/a"
                else:
                    if not cell.values:
                        cell.status = "ERR"
                    cell.note = outcome.note
                    cell.stop = outcome.note.startswith("timeout")
                    shown = "ERR"
                    print(f"[bench]   {w.name} on {b} crashed:\n{_indent(outcome.note)}", file=log)
                print(f"[bench]   {w.name:<15} {b:<15} {shown}", file=log)

    elapsed = time.perf_counter() - started
    header, rows = build_rows(workloads, backends, refs, cells)

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"rounds": rounds, "quick": args.quick, "raw": raw}, f, indent=1)

    mode = "quick" if args.quick else "full"
    legend = (
        f"Median of {rounds} rounds ({mode} sizes), each measurement in a fresh process; "
        "'spread' = (max − min) / 2 / median. 'vs X' = median over rounds of the same-round "
        "ratio backend ÷ X (time-like: < 1 is faster/smaller). For tcp-stream (MiB/s, higher "
        "is better) the ratio is X's throughput ÷ backend's, so < 1 still means faster."
    )
    if args.markdown:
        pyver = worker_python_version(python)
        vers = ", ".join(
            f"{name} {versions.get(name) or _pkg_version(python, name)}"
            for name in ("trio", "uvloop", "tether")
        )
        vers += " (tether_asyncio ships in the tether distribution)"
        machine = (
            f"**Machine:** {cpu_model()}, {os.cpu_count()} cores, Linux {platform.release()}; "
            f"Python {pyver}; {vers}; repo {rev}; {_dt.date.today().isoformat()}; "
            f"`{' '.join(['python', 'bench/run.py', *sys.argv[1:]])}` took {elapsed:.0f} s."
        )
        print(machine)
        print()
        print(render_markdown(header, rows))
        print()
        print(legend)
    else:
        print(render_text(header, rows))
        print()
        print(legend)
    errors = [(k, c) for k, c in cells.items() if c.status == "ERR" or (c.note and c.values)]
    for (wname, b), cell in errors:
        if cell.status == "n/a":
            continue
        print(f"\n[{cell.status}] {wname} on {b}:\n{_indent(cell.note)}", file=log)
    print(f"[bench] total time {elapsed:.1f} s", file=log)
    return 0


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _git_rev() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", HERE, "status", "--porcelain", "--", "../src", "../compat"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "?"
    return f"{rev or '?'}{' + uncommitted src changes' if dirty else ''}"


def _pkg_version(python: str, name: str) -> str:
    out = subprocess.run(
        [
            python,
            "-c",
            "import importlib.metadata as m, sys\n"
            "try: print(m.version(sys.argv[1]))\n"
            "except Exception: print('not installed')",
            name.replace("_", "-"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "not installed"


if __name__ == "__main__":
    sys.exit(main())
