"""``python -m tether_asyncio prog.py [args]``: run an asyncio program on tether.

The program runs as ``python prog.py`` would run it (as ``__main__``, with
``sys.argv`` and ``sys.path[0]`` set the same way), except that ``asyncio``
and its already-imported submodules resolve to this facade.
"""

from __future__ import annotations

import os
import runpy
import sys

import tether_asyncio


def _install() -> None:
    for name in list(sys.modules):
        if name == "asyncio" or name.startswith("asyncio."):
            sys.modules[name] = tether_asyncio


def main() -> None:
    if len(sys.argv) < 2:
        print("usage: python -m tether_asyncio PROGRAM.py [ARGS...]", file=sys.stderr)
        raise SystemExit(2)
    path = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    _install()
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
