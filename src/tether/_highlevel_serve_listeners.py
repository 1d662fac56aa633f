"""``serve_listeners``: an accept loop per listener, a task per connection.

An accept that fails because the process or system is out of resources
(``EMFILE``, ``ENFILE``, ``ENOMEM``, ``ENOBUFS``) is logged and retried after
a short sleep instead of crashing the server: the condition is usually
temporary (connections close, descriptors free up).
"""

from __future__ import annotations

import errno
import logging
import os
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from ._abc import AsyncResource, Listener, aclose_forcefully
from ._core import TASK_STATUS_IGNORED, open_nursery, sleep

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._core import Nursery, TaskStatus

StreamT = TypeVar("StreamT", bound=AsyncResource)
ListenerT = TypeVar("ListenerT", bound=Listener[Any])

ACCEPT_CAPACITY_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})
SLEEP_TIME = 0.100
LOGGER = logging.getLogger("tether.serve_listeners")


async def _run_handler(stream: StreamT, handler: Callable[[StreamT], Awaitable[object]]) -> None:
    try:
        await handler(stream)
    finally:
        await aclose_forcefully(stream)


async def _serve_one_listener(
    listener: Listener[StreamT],
    handler_nursery: Nursery,
    handler: Callable[[StreamT], Awaitable[object]],
) -> NoReturn:
    async with listener:
        while True:
            try:
                stream = await listener.accept()
            except OSError as exc:
                if exc.errno not in ACCEPT_CAPACITY_ERRNOS:
                    raise
                LOGGER.error(
                    "accept returned %s (%s); retrying in %s seconds",
                    errno.errorcode[exc.errno],
                    os.strerror(exc.errno),
                    SLEEP_TIME,
                    exc_info=True,
                )
                await sleep(SLEEP_TIME)
            else:
                handler_nursery.start_soon(_run_handler, stream, handler)


async def serve_listeners(
    handler: Callable[[StreamT], Awaitable[object]],
    listeners: list[ListenerT],
    *,
    handler_nursery: Nursery | None = None,
    task_status: TaskStatus[list[ListenerT]] = TASK_STATUS_IGNORED,
) -> NoReturn:
    """Accept connections on every listener, running ``handler(stream)`` in
    a new task for each.

    The listeners are closed when this returns (it only does when
    cancelled). Each stream is closed (with :func:`tether.aclose_forcefully`)
    when its handler returns.

    If ``accept`` fails with ``EMFILE``, ``ENFILE``, ``ENOMEM`` or
    ``ENOBUFS`` (out of file descriptors or kernel memory), the error is
    logged (logger ``tether.serve_listeners``, level ERROR) and accepting
    resumes after 100 ms. Any other error propagates and stops the server,
    as does an exception escaping a handler (unless ``handler_nursery``
    deals with it).

    Args:
        handler: an async function called with each accepted stream.
        listeners: the :class:`tether.abc.Listener` objects to serve; this
            function takes charge of closing them.
        handler_nursery: the nursery (or any object with ``start_soon``) to
            run handlers in; by default, an internal one.
        task_status: for :meth:`Nursery.start <tether.Nursery.start>`,
            which then returns ``listeners``.

    Returns:
        Never, unless cancelled.
    """
    async with open_nursery() as nursery:
        if handler_nursery is None:
            handler_nursery = nursery
        for listener in listeners:
            nursery.start_soon(_serve_one_listener, listener, handler_nursery, handler)
        task_status.started(listeners)
    raise AssertionError("_serve_one_listener should never complete")  # pragma: no cover
