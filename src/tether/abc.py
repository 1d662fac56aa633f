"""Abstract base classes: clocks, instruments, resources and channels (streams to come)."""

from ._abc import AsyncResource as AsyncResource
from ._abc import Channel as Channel
from ._abc import ReceiveChannel as ReceiveChannel
from ._abc import SendChannel as SendChannel
from ._core import Clock as Clock
from ._core import Instrument as Instrument
from ._util import fixup_module_metadata

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
