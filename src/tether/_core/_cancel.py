"""Cancel scopes and the cancel-status tree.

Theory of operation
-------------------
:class:`CancelScope` is the user's object. While a scope is entered it owns
one :class:`CancelStatus`, a node in a tree that mirrors how scopes nest,
across tasks: a task spawned into a nursery hangs off the status of the
nursery's scope. Each node caches ``effectively_cancelled``: true when its
own scope was cancelled, or when its parent is effectively cancelled and its
scope is not shielded. Cancelling a scope pushes the new state down the tree
eagerly, so "is this task cancelled?" is one attribute read at every
checkpoint, however deep the nesting. On the way down, every task whose
current status flips to cancelled and that is blocked in
:func:`wait_task_rescheduled` gets its abort function called.

Cancellation is level-triggered: as long as a task is inside an effectively
cancelled status, every checkpoint raises :exc:`Cancelled`. The scope that
catches the exception is the outermost cancelled one whose parent's
cancellation is not visible to it (so a cancelled outer scope is not
pre-empted by an inner scope that happens to be cancelled too).
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

from ._context import GLOBAL_RUN_CONTEXT, current_task
from ._exceptions import Cancelled, CancelReasonLiteral
from ._ki import enable_ki_protection

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

    from ._task import Task

inf = math.inf

MISNESTING_ADVICE = """
This is probably a bug in your code, that has caused tether's internal state to
become corrupted. We'll do our best to recover, but from now on there are
no guarantees.

Typically this is caused by one of the following:
  - yielding within a generator or async generator that's opened a cancel
    scope or nursery (unless the generator is a @contextmanager or
    @asynccontextmanager); see https://github.com/python-trio/trio/issues/638
  - manually calling __enter__ or __exit__ on a tether.CancelScope, or
    __aenter__ or __aexit__ on the object returned by tether.open_nursery();
    doing so correctly is difficult and you should use @[async]contextmanager
    instead, or maybe [Async]ExitStack
  - using [Async]ExitStack to interleave the entries/exits of cancel scopes
    and/or nurseries in a way that couldn't be achieved by some nesting of
    'with' and 'async with' blocks
  - using the low-level coroutine object protocol to execute some parts of
    an async function in different cancel scope/nursery contexts than
    other parts
If you don't believe you're doing any of these things, please file a bug:
https://github.com/python-trio/trio/issues/new
"""


class CancelReason:
    """Why a scope was cancelled; becomes the attributes of :exc:`Cancelled`."""

    __slots__ = ("reason", "source", "source_task")

    def __init__(
        self,
        source: CancelReasonLiteral,
        source_task: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.source: CancelReasonLiteral = source
        self.source_task = source_task
        self.reason = reason


class CancelStatus:
    """One node of the cancel-status tree (see the module docstring)."""

    __slots__ = (
        "_children",
        "_parent",
        "_scope",
        "_tasks",
        "abandoned_by_misnesting",
        "cancel_reason",
        "effectively_cancelled",
    )

    def __init__(self, scope: CancelScope, parent: CancelStatus | None) -> None:
        self._scope = scope
        self._parent = parent
        self._children: set[CancelStatus] = set()
        # Dicts used as ordered sets: a third of a set's memory per entry,
        # which matters with 100,000 tasks in one nursery.
        self._tasks: dict[Task, None] = {}
        self.effectively_cancelled = False
        self.abandoned_by_misnesting = False
        self.cancel_reason: CancelReason | None = None
        if parent is not None:
            parent._children.add(self)
        self.recalculate()

    @property
    def parent(self) -> CancelStatus | None:
        return self._parent

    @parent.setter
    def parent(self, parent: CancelStatus | None) -> None:
        if self._parent is not None:
            self._parent._children.discard(self)
        self._parent = parent
        if parent is not None:
            parent._children.add(self)
            self.recalculate()

    @property
    def parent_cancellation_is_visible_to_us(self) -> bool:
        return (
            self._parent is not None
            and not self._scope._shield
            and self._parent.effectively_cancelled
        )

    def encloses(self, other: CancelStatus | None) -> bool:
        """Whether ``other`` is this node or one of its descendants."""
        while other is not None:
            if other is self:
                return True
            other = other._parent
        return False

    def _own_state(self) -> tuple[bool, CancelReason | None]:
        scope = self._scope
        if scope._cancel_called:
            return True, scope._cancel_reason
        parent = self._parent
        if parent is not None and not scope._shield and parent.effectively_cancelled:
            return True, parent.cancel_reason
        if self.abandoned_by_misnesting:
            return True, CancelReason("unknown", reason="misnesting")
        return False, None

    def recalculate(self) -> None:
        # Iterative, so a deep tree cannot hit the recursion limit.
        todo = [self]
        while todo:
            status = todo.pop()
            new_state, reason = status._own_state()
            if new_state == status.effectively_cancelled:
                continue
            status.effectively_cancelled = new_state
            status.cancel_reason = reason
            if new_state:
                for task in list(status._tasks):
                    task._attempt_delivery_of_any_pending_cancel()
            todo.extend(status._children)

    def _mark_abandoned(self) -> None:
        todo = [self]
        while todo:
            status = todo.pop()
            status.abandoned_by_misnesting = True
            todo.extend(status._children)

    def close(self) -> None:
        self.parent = None
        if self._tasks or self._children:
            # Something still runs under a scope that has been exited: cancel
            # it, so it notices and unwinds.
            self._mark_abandoned()
            for child in list(self._children):
                child.recalculate()

    def make_cancelled(self) -> Cancelled:
        reason = self.cancel_reason
        runner = GLOBAL_RUN_CONTEXT.runner
        cls = runner.cancelled_class
        if reason is None:
            return cls._create()
        return cls._create(
            source=reason.source, source_task=reason.source_task, reason=reason.reason
        )


class CancelScope:
    """A region of code that can be cancelled, by hand or by a deadline.

    Use it as a context manager::

        with tether.CancelScope() as scope:
            ...
        if scope.cancelled_caught:
            print("timed out or cancelled")

    Calling :meth:`cancel` (or reaching the :attr:`deadline`) makes every
    checkpoint inside the scope, in this task and in tasks of nurseries
    opened inside it, raise :exc:`Cancelled`, until the code leaves the
    scope, which then catches the exception. A scope can be entered only
    once.

    Args:
        deadline: absolute time (on :func:`tether.current_time`'s clock) at
            which the scope cancels itself.
        relative_deadline: seconds after *entering* at which the scope
            cancels itself. Cannot be combined with ``deadline``.
        shield: if true, cancellations from outside do not reach the code
            inside (the scope's own :meth:`cancel` and deadline still do).

    Raises:
        ValueError: for a NaN deadline, a negative relative deadline, or
            both kinds of deadline at once.
    """

    __slots__ = (
        "__weakref__",
        "_cancel_called",
        "_cancel_reason",
        "_cancel_status",
        "_deadline",
        "_has_been_entered",
        "_registered_deadline",
        "_relative_deadline",
        "_shield",
        "cancelled_caught",
    )

    def __init__(
        self,
        *,
        deadline: float = inf,
        relative_deadline: float = inf,
        shield: bool = False,
    ) -> None:
        if math.isnan(deadline):
            raise ValueError("deadline must not be NaN")
        if math.isnan(relative_deadline):
            raise ValueError("relative deadline must not be NaN")
        if relative_deadline < 0:
            raise ValueError("timeout must be non-negative")
        if relative_deadline != inf and deadline != inf:
            raise ValueError("Cannot specify both a deadline and a relative deadline")
        self._deadline = float(deadline)
        self._relative_deadline = float(relative_deadline)
        self._shield = bool(shield)
        self._cancel_status: CancelStatus | None = None
        self._has_been_entered = False
        self._registered_deadline = inf
        self._cancel_called = False
        self._cancel_reason: CancelReason | None = None
        #: Whether this scope caught a :exc:`Cancelled` when it exited.
        self.cancelled_caught = False

    # -- entering and leaving -------------------------------------------------

    @enable_ki_protection
    def __enter__(self) -> Self:
        task = current_task()
        if self._has_been_entered:
            raise RuntimeError("Each CancelScope may only be used for a single 'with' block")
        self._has_been_entered = True
        if self._relative_deadline != inf:
            self._deadline = task._runner.clock.current_time() + self._relative_deadline
            self._relative_deadline = inf
        if self._deadline != inf and task._runner.clock.current_time() >= self._deadline:
            self._cancel(CancelReason("deadline"))
        status = CancelStatus(self, task._cancel_status)
        self._cancel_status = status
        task._activate_cancel_status(status)
        self._update_registered_deadline()
        return self

    def _close(self, exc: BaseException | None) -> BaseException | None:
        status = self._cancel_status
        if status is None:
            new_exc = RuntimeError(
                f"Cancel scope stack corrupted: attempted to exit {self!r} "
                "which had already been exited"
            )
            new_exc.__context__ = exc
            return new_exc
        scope_task = current_task()
        if scope_task._cancel_status is not status:
            if status.abandoned_by_misnesting:
                # An outer scope's exit already reported the misnesting.
                pass
            elif not status.encloses(scope_task._cancel_status):
                new_exc = RuntimeError(
                    f"Cancel scope stack corrupted: attempted to exit {self!r} "
                    f"from unrelated {scope_task!r}\n{MISNESTING_ADVICE}"
                )
                new_exc.__context__ = exc
                return new_exc
            else:
                new_exc = RuntimeError(
                    f"Cancel scope stack corrupted: attempted to exit {self!r} "
                    f"in {scope_task!r} that's still within its child "
                    f"{scope_task._cancel_status._scope!r}\n{MISNESTING_ADVICE}"
                )
                new_exc.__context__ = exc
                exc = new_exc
                scope_task._activate_cancel_status(status._parent)
        else:
            scope_task._activate_cancel_status(status._parent)
        if (
            exc is not None
            and status.effectively_cancelled
            and not status.parent_cancellation_is_visible_to_us
        ) or (scope_task._cancel_status is not status and status.abandoned_by_misnesting):
            if isinstance(exc, Cancelled):
                self.cancelled_caught = True
                exc = None
            elif isinstance(exc, BaseExceptionGroup):
                matched, rest = exc.split(Cancelled)
                if matched:
                    self.cancelled_caught = True
                exc = collapse_exception_group(rest) if rest is not None else None
        status.close()
        self._cancel_status = None
        self._update_registered_deadline()
        return exc

    @enable_ki_protection
    def __exit__(
        self,
        etype: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if etype is GeneratorExit and not hasattr(GLOBAL_RUN_CONTEXT, "task"):
            # The coroutine is being closed outside its run (the run was
            # abandoned): unwind without touching the run's state.
            return False
        remaining = self._close(exc)
        if remaining is None:
            return True
        if remaining is exc:
            return False
        # Raise the replacement, keeping the context it was built with.
        old_context = remaining.__context__
        try:
            raise remaining
        finally:
            _, value, _ = sys.exc_info()
            assert value is remaining
            value.__context__ = old_context
            del remaining, value, _, exc

    def __repr__(self) -> str:
        if self._cancel_status is not None:
            binding = "active"
        elif self._has_been_entered:
            binding = "exited"
        else:
            binding = "unbound"
        if self._cancel_called:
            state = ", cancelled"
        elif self._deadline == inf:
            state = ""
        else:
            try:
                now = GLOBAL_RUN_CONTEXT.runner.clock.current_time()
            except AttributeError:
                state = ""
            else:
                state = ", deadline is {:.2f} seconds {}".format(
                    abs(self._deadline - now), "from now" if self._deadline >= now else "ago"
                )
        return f"<tether.CancelScope at {id(self):#x}, {binding}{state}>"

    # -- deadlines ---------------------------------------------------------------

    def _update_registered_deadline(self) -> None:
        old = self._registered_deadline
        new = inf if self._cancel_status is None or self._cancel_called else self._deadline
        if old == new:
            return
        self._registered_deadline = new
        runner = GLOBAL_RUN_CONTEXT.runner
        if old != inf:
            runner.deadlines.remove(old, self)
        if new != inf:
            runner.deadlines.add(new, self)
        if runner.is_guest:
            runner.deadline_changed()

    def _timer_live(self, deadline: float) -> bool:
        return self._registered_deadline == deadline

    def _timer_fire(self, deadline: float) -> None:
        self._registered_deadline = inf  # the heap already dropped the entry
        self._cancel(CancelReason("deadline"))

    @property
    def deadline(self) -> float:
        """Absolute time at which this scope cancels itself (``math.inf`` for never).

        Settable, e.g. ``scope.deadline += 30``.

        Raises:
            RuntimeError: reading it on an unentered scope created with
                ``relative_deadline``.
        """
        if self._relative_deadline != inf:
            raise RuntimeError(
                "Unentered relative cancel scope does not have an absolute deadline."
            )
        return self._deadline

    @deadline.setter
    def deadline(self, new_deadline: float) -> None:
        if math.isnan(new_deadline):
            raise ValueError("deadline must not be NaN")
        if self._relative_deadline != inf:
            raise RuntimeError(
                "Unentered relative cancel scope does not have an absolute deadline."
            )
        self._deadline = float(new_deadline)
        if self._cancel_status is not None:
            self._update_registered_deadline()

    @property
    def relative_deadline(self) -> float:
        """The deadline as seconds from now.

        Before entering, it sets the deadline relative to the moment of
        entering; after entering, setting it moves the deadline to
        ``current_time() + value``.

        Raises:
            RuntimeError: on an unentered scope created with an absolute
                ``deadline``.
        """
        if self._has_been_entered:
            return self._deadline - GLOBAL_RUN_CONTEXT.runner.clock.current_time()
        if self._deadline != inf:
            raise RuntimeError(
                "Unentered non-relative cancel scope does not have a relative deadline"
            )
        return self._relative_deadline

    @relative_deadline.setter
    def relative_deadline(self, new_relative_deadline: float) -> None:
        if math.isnan(new_relative_deadline):
            raise ValueError("relative deadline must not be NaN")
        if new_relative_deadline < 0:
            raise ValueError("relative deadline must be non-negative")
        if self._has_been_entered:
            now = GLOBAL_RUN_CONTEXT.runner.clock.current_time()
            self._deadline = now + float(new_relative_deadline)
            if self._cancel_status is not None:
                self._update_registered_deadline()
        elif self._deadline != inf:
            raise RuntimeError(
                "Unentered non-relative cancel scope does not have a relative deadline"
            )
        else:
            self._relative_deadline = float(new_relative_deadline)

    @property
    def is_relative(self) -> bool | None:
        """True if the deadline is relative and the scope not yet entered;
        False if absolute and not entered; None once entered."""
        if self._has_been_entered:
            return None
        return self._relative_deadline != inf

    # -- shielding and cancelling -------------------------------------------

    @property
    def shield(self) -> bool:
        """Whether cancellation from outside is kept out of this scope. Settable."""
        return self._shield

    @shield.setter
    @enable_ki_protection
    def shield(self, new_value: bool) -> None:
        if not isinstance(new_value, bool):
            raise TypeError("shield must be a bool")
        self._shield = new_value
        if self._cancel_status is not None:
            self._cancel_status.recalculate()

    @enable_ki_protection
    def _cancel(self, reason: CancelReason) -> None:
        if self._cancel_called:
            return
        self._cancel_reason = reason
        self._cancel_called = True
        if self._cancel_status is not None:
            self._update_registered_deadline()
            self._cancel_status.recalculate()

    def cancel(self, reason: str | None = None) -> None:
        """Cancel this scope now. Idempotent.

        Args:
            reason: a string attached to the resulting :exc:`Cancelled`
                exceptions, to say where the cancellation came from.
        """
        try:
            source_task: str | None = repr(GLOBAL_RUN_CONTEXT.task)
        except AttributeError:
            source_task = None
        self._cancel(CancelReason("explicit", source_task, reason))

    @property
    def cancel_called(self) -> bool:
        """Whether :meth:`cancel` was called or the deadline passed.

        True does not mean the code inside saw a :exc:`Cancelled` (see
        :attr:`cancelled_caught` for that).
        """
        if (self._cancel_status is not None or not self._has_been_entered) and (
            not self._cancel_called and self._deadline != inf
        ):
            try:
                now = GLOBAL_RUN_CONTEXT.runner.clock.current_time()
            except AttributeError:
                pass
            else:
                if now >= self._deadline:
                    self._cancel(CancelReason("deadline"))
        return self._cancel_called


def collapse_exception_group(excgroup: BaseExceptionGroup[BaseException]) -> BaseException:
    """Drop groups that tether itself made redundant: a group left with one
    exception that carries no note of its own is replaced by that exception
    only if it was marked collapsible; otherwise it is kept."""
    exceptions = list(excgroup.exceptions)
    modified = False
    for i, exc in enumerate(exceptions):
        if isinstance(exc, BaseExceptionGroup):
            new_exc = collapse_exception_group(exc)
            if new_exc is not exc:
                modified = True
                exceptions[i] = new_exc
    if (
        len(exceptions) == 1
        and isinstance(excgroup, BaseExceptionGroup)
        and getattr(excgroup, "_tether_collapsible", False)
    ):
        exceptions[0].__traceback__ = concat_tb(excgroup.__traceback__, exceptions[0].__traceback__)
        return exceptions[0]
    if modified:
        return excgroup.derive(exceptions)
    return excgroup


def concat_tb(head: TracebackType | None, tail: TracebackType | None) -> TracebackType | None:
    """Join two tracebacks: ``head``'s frames, then ``tail``'s."""
    from types import TracebackType as TB

    frames = []
    while head is not None:
        frames.append(head)
        head = head.tb_next
    current = tail
    for tb in reversed(frames):
        current = TB(current, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    return current
