"""pytest fixtures for the debitura simulator (registered through the pytest11 entry point)."""
