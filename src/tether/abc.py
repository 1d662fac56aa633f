"""Abstract base classes: :class:`Clock` and :class:`Instrument` (more to come
with streams and channels)."""

from ._core import Clock as Clock
from ._core import Instrument as Instrument
from ._util import fixup_module_metadata

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
