"""Documents on a case: ``client.files.upload(case_id, path_or_bytes, ...)`` and
``client.files.list(case_id)`` (``POST`` / ``GET /cases/{id}/files``).

Debitura takes at most 25 MB per file (413 beyond) and only the extensions in
`UPLOAD_EXTENSIONS` (415 otherwise); both are refused here before anything is sent. "25MB" is
read as 25 MiB (26,214,400 bytes, ASP.NET's usual ``25 * 1024 * 1024``): the larger reading,
so no file Debitura would take is refused locally; the simulator draws the line there too.

Exactly once: Debitura declares no idempotency key for uploads, so a retried upload after a
lost response could attach the file twice. Before sending, the case's files are listed; after
a failure that may have landed (no response, 5xx), they are listed again, and a file with the
same name and description that was not there before is the upload's own result. Only a
confirmed absence is re-sent; when the lookup fails too, `AmbiguousWriteError`. Uploads to one
case go one at a time within a client, so two of them cannot mistake each other's file. (A
real server still committing a timed-out upload after the lookup is the residual case the
API gives no way to rule out.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import weakref
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from debtkit.errors import Problem, ValidationError
from debtkit.exactly_once import create_exactly_once
from debtkit.transport import FilePart, Request, Transport
from debtkit_debitura.calls import Resource, answer, answer_items, path, segment
from debtkit_debitura.mapping import PROVIDER
from debtkit_debitura.vocabulary import OpenVocabulary
from debtkit_debitura.wire import parse_timestamp

__all__ = [
    "CONTENT_TYPES",
    "MAX_UPLOAD_BYTES",
    "UPLOAD_EXTENSIONS",
    "CaseFile",
    "DocumentType",
    "Files",
]

logger = logging.getLogger("debtkit.debitura.files")

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
CONTENT_TYPES: Mapping[str, str] = {
    ".pdf": "application/pdf",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
UPLOAD_EXTENSIONS = frozenset(CONTENT_TYPES)  # compared case-insensitively (".TXT" is listed)


class DocumentType(OpenVocabulary):
    """What a case document is; Debitura defaults to `ORIGINAL_INVOICE`."""

    ORIGINAL_INVOICE = "OriginalInvoice"
    DEBTOR_DOCUMENTS = "DebtorDocuments"
    CREDITOR_DOCUMENTS = "CreditorDocuments"
    PARTNER_DOCUMENTS = "PartnerDocuments"
    DEMAND_LETTER = "DemandLetter"
    MISCELLANEOUS = "Miscellaneous"


@attrs.frozen
class CaseFile:
    """A ``CaseFileDto``; `url` is a time-limited download link (see `url_expires_at`)."""

    id: str
    # A file name or description can name the debtor: neither appears in a repr.
    file_name: str | None = attrs.field(default=None, repr=False)
    document_type: DocumentType | None = None
    description: str | None = attrs.field(default=None, repr=False)
    url: str | None = attrs.field(default=None, repr=False)
    case_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def url_expires_at(self) -> dt.datetime | None:
        """When the download link stops working: its Azure SAS ``se`` parameter."""
        if not self.url:
            return None
        expiry = parse_qs(urlsplit(self.url).query).get("se")
        try:
            return parse_timestamp(expiry[0]) if expiry else None
        except (TypeError, ValueError):
            return None


def _refuse(field: str, code: str, message: str) -> ValidationError:
    return ValidationError([Problem(field, code, message)], subject="file upload")


def _extension(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_EXTENSIONS:
        allowed = ", ".join(sorted(UPLOAD_EXTENSIONS))
        raise _refuse("file", "unsupported_type", f"Debitura takes only {allowed}")
    return suffix


def _read_bounded(location: Path) -> bytes:
    # The size is checked before reading, so a huge file is refused without loading it.
    if location.stat().st_size > MAX_UPLOAD_BYTES:
        raise _refuse("file", "too_large", f"is above {MAX_UPLOAD_BYTES} bytes")
    return location.read_bytes()


async def _read(source: str | os.PathLike[str] | bytes, file_name: str | None) -> FilePart:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not file_name:
            raise _refuse("file_name", "required", "is needed when the file is given as bytes")
        content = bytes(source)
    else:
        try:
            location = Path(os.fspath(source))
        except TypeError:
            raise _refuse("file", "invalid", "must be a path or bytes") from None
        file_name = file_name or location.name
        _extension(file_name)
        try:
            content = await asyncio.to_thread(_read_bounded, location)
        except OSError:
            raise _refuse("file", "unreadable", "cannot be read") from None
    suffix = _extension(file_name)
    if len(content) > MAX_UPLOAD_BYTES:
        raise _refuse("file", "too_large", f"is above {MAX_UPLOAD_BYTES} bytes")
    return FilePart(Path(file_name).name, content, CONTENT_TYPES[suffix])


class Files(Resource):
    """``client.files``: a case's documents."""

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        # One lock per case while writes to it are in flight (weak: no growth per case).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def list(self, case_id: str) -> AsyncIterator[CaseFile]:
        """Every file of the case (``GET /cases/{id}/files``, unpaged)."""
        return self.listing(path("cases", segment(case_id), "files"), CaseFile, "Debitura file")

    async def upload(
        self,
        case_id: str,
        file: str | os.PathLike[str] | bytes,
        *,
        file_name: str | None = None,
        document_type: DocumentType | str | None = None,
        description: str | None = None,
    ) -> CaseFile:
        """Attach a file (a path, or bytes with `file_name`) to the case, exactly once.

        Refused locally (`ValidationError`, nothing sent): above `MAX_UPLOAD_BYTES`, or an
        extension outside `UPLOAD_EXTENSIONS`.
        """
        url = path("cases", segment(case_id), "files")
        if document_type is not None and not isinstance(document_type, str):
            raise _refuse("document_type", "invalid", "must be a DocumentType or its name")
        if description is not None and not isinstance(description, str):
            raise _refuse("description", "invalid", "must be text")
        if file_name is not None and not isinstance(file_name, str):
            raise _refuse("file_name", "invalid", "must be text")
        if not isinstance(file, (str, os.PathLike, bytes, bytearray, memoryview)):
            raise _refuse("file", "invalid", "must be a path or bytes")
        part = await _read(file, file_name)
        fields: list[tuple[str, str | FilePart]] = [("File", part)]
        if document_type is not None:
            fields.append(("DocumentType", DocumentType(document_type).value))
        if description is not None:
            fields.append(("Description", description))
        request = Request("POST", url, multipart=fields, request_class="write", retry_safe=False)
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            before = {f.id for f in await self._files(url)}

            async def send() -> CaseFile:
                response = await self.call(request)
                return answer(response, CaseFile, "Debitura file")

            def settled(found: tuple[CaseFile, ...]) -> CaseFile | None:
                return next(
                    (
                        f
                        for f in found
                        if f.id not in before
                        and f.file_name == part.filename
                        and (f.description or None) == (description or None)
                    ),
                    None,
                )

            uploaded = await create_exactly_once(
                send,
                lambda: self._files(url),
                settled,
                provider=PROVIDER,
                references=[case_id],
                retry=self.transport.retry,
            )
        logger.debug("debitura: file %s attached to case %s", uploaded.id, case_id)
        return uploaded

    async def _files(self, url: str) -> tuple[CaseFile, ...]:
        response = await self.call(Request("GET", url))
        return tuple(answer_items(response, CaseFile, "Debitura file"))
