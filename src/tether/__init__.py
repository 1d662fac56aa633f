"""Tether: structured concurrency for Python, with Trio's API."""
