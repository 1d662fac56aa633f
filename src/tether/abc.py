"""Abstract base classes: clocks, instruments, resources, channels, streams, listeners."""

from ._abc import AsyncResource as AsyncResource
from ._abc import Channel as Channel
from ._abc import HalfCloseableStream as HalfCloseableStream
from ._abc import HostnameResolver as HostnameResolver
from ._abc import Listener as Listener
from ._abc import ReceiveChannel as ReceiveChannel
from ._abc import ReceiveStream as ReceiveStream
from ._abc import SendChannel as SendChannel
from ._abc import SendStream as SendStream
from ._abc import SocketFactory as SocketFactory
from ._abc import Stream as Stream
from ._core import Clock as Clock
from ._core import Instrument as Instrument
from ._util import fixup_module_metadata

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
