"""pytest fixtures for code built on debtkit (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from debtkit.testing.http_mock import MockHttp


@pytest.fixture
def mock_http() -> Iterator[MockHttp]:
    """aioresponses, working on every supported aiohttp; real loopback traffic passes through."""
    from debtkit.testing.http_mock import MockHttp

    mocked = MockHttp(passthrough=["http://127.0.0.1"])
    with mocked:
        yield mocked
