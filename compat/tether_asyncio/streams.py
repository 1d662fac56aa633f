"""``asyncio.streams`` on the facade: the same names as the stock module.

``python -m tether_asyncio`` maps ``asyncio.streams`` here; the
implementation is in ``tether_asyncio._streams``.
"""

from __future__ import annotations

import socket as _socket

from ._streams import _DEFAULT_LIMIT as _DEFAULT_LIMIT
from ._streams import StreamReader as StreamReader
from ._streams import StreamReaderProtocol as StreamReaderProtocol
from ._streams import StreamWriter as StreamWriter
from ._streams import open_connection as open_connection
from ._streams import start_server as start_server

__all__: tuple[str, ...] = (  # noqa: RUF022 - stock's order
    "StreamReader",
    "StreamWriter",
    "StreamReaderProtocol",
    "open_connection",
    "start_server",
)

if hasattr(_socket, "AF_UNIX"):
    from ._streams import open_unix_connection as open_unix_connection
    from ._streams import start_unix_server as start_unix_server

    __all__ += ("open_unix_connection", "start_unix_server")
