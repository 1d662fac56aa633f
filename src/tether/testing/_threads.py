"""Counting the worker threads a run has in flight, for tests.

The counter lives in ``tether._thread_count`` (where ``tether.to_thread``
can reach it under the layering rules); this module re-exports it for
``tether.testing``.
"""

from .._thread_count import _track_active_thread as _track_active_thread
from .._thread_count import active_thread_count as active_thread_count
from .._thread_count import wait_all_threads_completed as wait_all_threads_completed
