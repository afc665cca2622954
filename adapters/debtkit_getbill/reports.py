"""GetBill reports: financial and collection reports GetBill generates, and their files.

``client.reports``: `list` (optionally by ``type``, e.g. ``"financial"``, ``"collection"``),
`get`, `download` (the signed URL and its expiry) and `save` (streams the file to a path).

The signed URL is its own credential: it lasts an hour and may be single-use (documented),
so `save` asks for a fresh one every time and fetches it once, without retries. No GetBill
credential is ever sent to it (it is usually another host: a storage service has no business
seeing the OAuth token; a caller's session with credential-like default headers is not used
for it), and its query string (the signature) is kept out of every error and
log. The file is written in chunks to ``<path>.part`` and renamed into place only when
complete; a size above `max_bytes` (announced or actual), a size other than the report's
``file_size``, a failure or a cancellation leaves nothing behind. Fetching the file is not an
API request and spends no rate budget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs
from yarl import URL

from debtkit import (
    ConfigurationError,
    ConnectionFailedError,
    DebtkitError,
    RequestTimeoutError,
    error_for_status,
)
from debtkit.transport import Transport, redact_headers
from debtkit_getbill.api import ResourceApi, segment
from debtkit_getbill.models import structure
from debtkit_getbill.options import PROVIDER

__all__ = ["DEFAULT_MAX_BYTES", "DownloadError", "Report", "ReportDownload", "Reports"]

logger = logging.getLogger("debtkit.getbill")

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
CHUNK_SIZE = 64 * 1024


class DownloadError(DebtkitError):
    """A report file could not be saved whole: too large, truncated, or not writable."""


@attrs.frozen
class Report:
    id: str
    type: str | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    filename: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    generated_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    download_available: bool | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class ReportDownload:
    """Where to fetch a report's file until `expires_at`; the URL is a secret."""

    id: str
    download_url: str = attrs.field(repr=False)
    filename: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    expires_at: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def expired(self, now: dt.datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (now or dt.datetime.now(dt.timezone.utc)) >= self.expires_at


class Reports:
    """``client.reports``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._api = ResourceApi(transport, "reports:read")

    def list(self, *, type: str | None = None) -> AsyncIterator[Report]:
        if type is not None and not isinstance(type, str):
            raise ConfigurationError("report type must be a string")
        params = {"type": type} if type is not None else None
        return self._api.pages("reports", _report, params, key=lambda r: r.id)

    async def get(self, report_id: str) -> Report:
        response = await self._api.get(f"reports/{segment(report_id)}")
        return self._api.one(response, Report, "GetBill report")

    async def download(self, report_id: str) -> ReportDownload:
        """A fresh signed URL for the report's file (valid about an hour, maybe once)."""
        response = await self._api.get(f"reports/download/{segment(report_id)}")
        return self._api.one(response, ReportDownload, "GetBill report download")

    async def save(
        self,
        report_id: str,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        chunk_size: int = CHUNK_SIZE,
    ) -> Path:
        """Stream the report's file to `path` (replaced only when complete); its path."""
        sizes = (max_bytes, chunk_size)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
            raise ConfigurationError("max_bytes and chunk_size must be positive ints")
        try:
            target = Path(path)
        except TypeError:
            raise ConfigurationError("path must be a str or os.PathLike") from None
        info = await self.download(report_id)
        url = self._checked_url(info.download_url)
        partial = target.with_name(target.name + ".part")
        try:
            size = await self._fetch(url, partial, max_bytes, chunk_size)
            if info.file_size is not None and size != info.file_size:
                raise DownloadError(
                    f"{PROVIDER} report {report_id}: got {size} bytes, expected {info.file_size}"
                )
            try:
                await asyncio.to_thread(os.replace, partial, target)
            except OSError as exc:
                raise DownloadError(f"{PROVIDER} report file not saved ({exc.strerror})") from None
        except BaseException:
            await asyncio.to_thread(_remove, partial)
            raise
        logger.debug("%s: report saved (%d bytes)", PROVIDER, size)
        return target

    def _checked_url(self, url: str) -> str:
        parts = urlsplit(url)
        secure = parts.scheme == "https" or (
            parts.scheme == "http" and urlsplit(self._transport.base_url).scheme == "http"
        )
        if not secure or not parts.netloc:
            raise ConfigurationError(f"{PROVIDER} gave a report URL that is not https")
        return url

    def _session(self) -> AbstractAsyncContextManager[aiohttp.ClientSession]:
        """The client's session, unless the caller gave it default headers that may carry a
        credential: then a private one, so that they never reach the file's host."""
        session = self._transport.session()
        if redact_headers(session.headers) != dict(session.headers):
            return aiohttp.ClientSession(timeout=session.timeout)
        return nullcontext(session)

    async def _fetch(self, url: str, partial: Path, max_bytes: int, chunk_size: int) -> int:
        where = urlsplit(url).path  # never the query: it holds the signature
        headers = {"Accept": "*/*"}  # and no Authorization: the URL is its own credential
        written = 0
        try:
            exact = URL(url, encoded=True)  # a signature must be sent byte for byte
            async with self._session() as session, session.get(exact, headers=headers) as raw:
                if raw.status >= 300:
                    cls = error_for_status(raw.status)
                    raise cls(
                        f"report file request refused (HTTP {raw.status})",
                        provider=PROVIDER, method="GET", path=where, status=raw.status,
                    )  # fmt: skip
                if raw.content_length is not None and raw.content_length > max_bytes:
                    raise DownloadError(_too_large(max_bytes))
                handle = await asyncio.to_thread(_open, partial)
                try:
                    async for chunk in raw.content.iter_chunked(chunk_size):
                        written += len(chunk)
                        if written > max_bytes:
                            raise DownloadError(_too_large(max_bytes))
                        await asyncio.to_thread(handle.write, chunk)
                finally:
                    await asyncio.to_thread(handle.close)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(PROVIDER, "GET", where, "timed out") from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise ConnectionFailedError(PROVIDER, "GET", where, type(exc).__name__) from None
        except OSError as exc:
            raise DownloadError(f"{PROVIDER} report file not writable ({exc.strerror})") from None
        return written


def _too_large(max_bytes: int) -> str:
    return f"{PROVIDER} report file is larger than max_bytes={max_bytes}"


def _open(path: Path) -> Any:
    return path.open("wb")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _report(record: Any) -> Report:
    return structure(record, Report, "GetBill report")
