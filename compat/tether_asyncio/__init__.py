"""asyncio's high-level API, running on tether's nurseries and cancel scopes.

Not implemented yet: this package is a placeholder until the facade lands.
"""
