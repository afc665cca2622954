"""aioresponses that works on aiohttp >= 3.14.

aioresponses 0.7.9 builds `ClientResponse` without the `stream_writer` argument aiohttp 3.14
made mandatory (aioresponses #289). Rather than pin an older aiohttp without its security
fixes, responses are built from a subclass that supplies an inert writer.
"""

from __future__ import annotations

import inspect
from typing import Any

from aiohttp import ClientResponse
from aioresponses import aioresponses

__all__ = ["CompatClientResponse", "MockHttp"]

_NEEDS_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


class _SentWriter:
    """Stands for a writer whose request is already fully sent."""

    output_size = 0


class CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _NEEDS_WRITER:
            kwargs.setdefault("stream_writer", _SentWriter())
        super().__init__(*args, **kwargs)


class MockHttp(aioresponses):
    """`aioresponses` whose canned responses use `CompatClientResponse` by default."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("response_class") is None:
            kwargs["response_class"] = CompatClientResponse
        super().add(*args, **kwargs)
