"""Test configuration.

``async def`` tests run on tether through tether's own pytest plugin
(``tether.testing._pytest_plugin``, enabled by ``tether_mode = true`` in
``pyproject.toml``). Shared fixtures live here.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees objects while the test runs (for tests
    that check what is freed, or reported, at once)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
