"""Tools for testing code that uses tether: virtual time and
"wait until everything is idle"."""

from .._core import MockClock as MockClock
from .._core import wait_all_tasks_blocked as wait_all_tasks_blocked
from .._util import fixup_module_metadata

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
