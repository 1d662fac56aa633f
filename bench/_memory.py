"""Resident-set-size helper shared by the memory workloads."""

from __future__ import annotations

import resource


def rss_bytes() -> int:
    """Current resident set size of this process, in bytes (VmRSS from /proc/self/status)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    # Fallback (peak, not current): ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
