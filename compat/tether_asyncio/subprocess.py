"""``asyncio.subprocess`` on the facade: the same names as the stock module.

``python -m tether_asyncio`` maps ``asyncio.subprocess`` here; the
implementation is in ``tether_asyncio._subprocess``.
"""

from __future__ import annotations

from ._subprocess import DEVNULL as DEVNULL
from ._subprocess import PIPE as PIPE
from ._subprocess import STDOUT as STDOUT
from ._subprocess import Process as Process
from ._subprocess import SubprocessStreamProtocol as SubprocessStreamProtocol
from ._subprocess import create_subprocess_exec as create_subprocess_exec
from ._subprocess import create_subprocess_shell as create_subprocess_shell

__all__ = ("create_subprocess_exec", "create_subprocess_shell")
