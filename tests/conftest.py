"""Test configuration.

``async def`` tests run on tether through tether's own pytest plugin
(``tether.testing._pytest_plugin``, enabled by ``tether_mode = true`` in
``pyproject.toml``); nothing else is needed here yet.
"""
