"""pytest fixtures for the getbill simulator (registered through the pytest11 entry point)."""
