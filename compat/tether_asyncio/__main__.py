"""``python -m tether_asyncio prog.py [args]``: run an asyncio program on tether.

Also ``python -m tether_asyncio -m package.module [args]``. The program runs
as ``python prog.py`` (or ``python -m package.module``) would run it: as
``__main__``, with ``sys.argv`` and ``sys.path[0]`` set the same way, except
that ``asyncio`` and its submodules (``asyncio.subprocess``,
``asyncio.events``...) resolve to this facade before the program imports
anything.

How it ends matches too: ``SystemExit`` passes through, and an uncaught
exception takes Python's own path (``sys.excepthook``, exit status 1, or
death by SIGINT for a KeyboardInterrupt), with the reported traceback
starting at the program's own frames: this launcher's and runpy's frames,
which ``python prog.py`` would not have, are left out.
"""

from __future__ import annotations

import os
import runpy
import sys
from typing import TYPE_CHECKING

import tether_asyncio
from tether_asyncio._modules import install_as_asyncio

if TYPE_CHECKING:
    import types

USAGE = "usage: python -m tether_asyncio (PROGRAM.py | -m MODULE) [ARGS...]"


def _program_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the leading frames of this launcher and of runpy."""
    here = os.path.abspath(__file__)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == here or filename.startswith("<frozen runpy") or filename == runpy.__file__:
            tb = tb.tb_next
        else:
            break
    return tb


def _report_from_program_frames() -> None:
    """Have the next uncaught-exception report start at the program's frames.

    Python itself then prints it (through whatever ``sys.excepthook`` is
    then), finalizes, and exits with status 1, or by SIGINT after a
    KeyboardInterrupt, exactly as under ``python prog.py``.
    """
    hook = sys.excepthook

    def report(
        exc_type: type[BaseException], exc: BaseException, tb: types.TracebackType | None
    ) -> None:
        sys.excepthook = hook
        tb = _program_traceback(tb)
        hook(exc_type, exc.with_traceback(tb), tb)

    sys.excepthook = report


def main(argv: list[str] | None = None) -> None:
    """Run the program named on the command line on the facade."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)
    install_as_asyncio()
    assert sys.modules["asyncio"] is tether_asyncio
    try:
        if args[0] == "-m":
            if len(args) < 2:
                print(USAGE, file=sys.stderr)
                raise SystemExit(2)
            module = args[1]
            sys.argv = [args[1], *args[2:]]  # runpy sets argv[0] to the path
            sys.path[0] = os.getcwd()
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            path = args[0]
            sys.argv = list(args)
            sys.path[0] = os.path.dirname(os.path.abspath(path))
            runpy.run_path(os.path.abspath(path), run_name="__main__")
    except SystemExit:
        raise
    except BaseException:
        _report_from_program_frames()
        raise


if __name__ == "__main__":
    main()
