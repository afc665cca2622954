"""Test support shipped with debtkit: an aioresponses shim and pytest fixtures.

Nothing here is imported by the library itself.
"""
