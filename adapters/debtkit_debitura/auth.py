"""`XApiKey` authentication; the key never appears in a repr, a log line or an error."""

from __future__ import annotations

from collections.abc import Mapping

from debtkit.transport import Transport

__all__ = ["API_KEY_HEADER", "ApiKeyAuth"]

API_KEY_HEADER = "XApiKey"


class ApiKeyAuth:
    """Sends the creditor's API key in the ``XApiKey`` header (exact spelling)."""

    __slots__ = ("_api_key",)

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key='***')"

    async def headers(self, transport: Transport) -> Mapping[str, str]:
        return {API_KEY_HEADER: self._api_key}

    async def renew(self, transport: Transport) -> bool:
        return False  # a static key cannot be refreshed: a 401 is final
