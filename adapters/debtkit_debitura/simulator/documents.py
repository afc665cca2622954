"""Simulated ``/cases/{id}/files`` and ``/cases/{id}/chats``.

Uploads: ``File`` is required (400 without); above 25 MiB → 413, an extension outside the
documented list → 415 (both ApiErrorResponseDto); ``DocumentType`` must be one of the six
documented names (400 otherwise; the safe reading of "Document types: ..."), default
``OriginalInvoice``. Files are kept per case and listed oldest first. Chats: ``message``
required and at most 10,000 characters, the sender named by ``userEmail`` (any case) or the
deprecated ``userId``, which must be a member of the team (``GET /users``) → else 400.
"""

from __future__ import annotations

import uuid
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import PurePath
from typing import Any

from aiohttp import web

from debtkit_debitura.simulator.records import Records, StoredFile
from debtkit_debitura.simulator.replies import api_error, case_of, json_reply, read_object
from debtkit_debitura.simulator.state import SimulatorState, timestamp

__all__ = ["MAX_FILE_BYTES", "register"]

MAX_FILE_BYTES = 25 * 1024 * 1024
_EXTENSIONS = frozenset({".pdf", ".xls", ".xlsx", ".csv", ".txt", ".jpg", ".jpeg", ".png", ".gif"})
_DOCUMENT_TYPES = frozenset(
    {
        "OriginalInvoice",
        "DebtorDocuments",
        "CreditorDocuments",
        "PartnerDocuments",
        "DemandLetter",
        "Miscellaneous",
    }
)
_MAX_MESSAGE = 10_000


def _form(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]] | None:
    """Each part of a multipart/form-data body by name: (filename, content). The body is
    parsed from the bytes already read (aiohttp's own reader wants the unread stream)."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        return None
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            parts[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return parts


def _text(form: dict[str, tuple[str | None, bytes]], name: str) -> str | None:
    if name not in form:
        return None
    return form[name][1].decode("utf-8", errors="replace")


class _Documents:
    def __init__(self, state: SimulatorState, records: Records) -> None:
        self.state = state
        self.records = records

    async def upload(self, request: web.Request) -> web.Response:
        case = case_of(self.state, request)
        if isinstance(case, web.Response):
            return case
        try:
            form = _form(request.headers.get("Content-Type", ""), await request.read())
        except web.HTTPRequestEntityTooLarge:
            return api_error(413, "FileTooLarge", "The file exceeds the 25MB limit.")
        if form is None:
            return api_error(400, "InvalidRequest", "The body is not multipart/form-data.")
        if "File" not in form or form["File"][0] is None:
            return api_error(400, "FileRequired", "A file is required.")
        name, content = form["File"]
        name = name or ""
        if PurePath(name).suffix.lower() not in _EXTENSIONS:
            return api_error(415, "UnsupportedFileType", "This file type is not allowed.")
        if len(content) > MAX_FILE_BYTES:
            return api_error(413, "FileTooLarge", "The file exceeds the 25MB limit.")
        document_type = _text(form, "DocumentType") or "OriginalInvoice"
        if document_type not in _DOCUMENT_TYPES:
            return api_error(400, "InvalidDocumentType", "Unknown document type.")
        description = _text(form, "Description")
        case_id = str(case.invoice["id"])
        now = timestamp(self.state.clock())
        file_id = str(uuid.uuid4())
        record = {
            "id": file_id,
            "dateCreated": now,
            "dateUpdated": now,
            "caseId": case_id,
            "entityType": "Case",
            "entityId": case_id,
            "fileName": name,
            "url": f"https://files.debitura.example/{file_id}?sv=2024-01-01&se={now}&sig=sim",
            "description": description,
            "documentType": document_type,
        }
        self.records.files.setdefault(case_id, []).append(StoredFile(record, len(content)))
        self.records.event(case_id, "File", "File uploaded", document_type, "Creditor user")
        return json_reply(record)

    async def files(self, request: web.Request) -> web.Response:
        case = case_of(self.state, request)
        if isinstance(case, web.Response):
            return case
        stored = self.records.files.get(str(case.invoice["id"]), [])
        return json_reply([f.record for f in stored])

    async def chats(self, request: web.Request) -> web.Response:
        case = case_of(self.state, request)
        if isinstance(case, web.Response):
            return case
        return json_reply(self.records.chats.get(str(case.invoice["id"]), []))

    async def send_chat(self, request: web.Request) -> web.Response:
        case = case_of(self.state, request)
        if isinstance(case, web.Response):
            return case
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        message = body.get("message")
        if not isinstance(message, str) or len(message) > _MAX_MESSAGE:
            return api_error(
                400, "InvalidMessage", "message is required (at most 10000 characters)."
            )
        user = self._sender(body.get("userEmail"), body.get("userId"))
        if isinstance(user, web.Response):
            return user
        now = timestamp(self.state.clock())
        first, _, last = str(user["name"]).partition(" ")
        chat = {
            "id": str(uuid.uuid4()),
            "dateCreated": now,
            "dateUpdated": None,
            "role": 1,
            "roleLabel": "Creditor",
            "message": message,
            "isSeen": False,
            "user": {
                "id": self.records.users.index(user) + 1,
                "firstName": first,
                "lastName": last,
                "email": user["email"],
            },
        }
        case_id = str(case.invoice["id"])
        self.records.chats.setdefault(case_id, []).append(chat)
        self.records.event(case_id, "Chat", "Message sent", "", "Creditor user")
        return json_reply(chat)

    def _sender(self, email: object, user_id: object) -> dict[str, Any] | web.Response:
        if email is None and user_id is None:
            return api_error(400, "MissingUserIdentifier", "userEmail or userId is required.")
        for user in self.records.users:
            if isinstance(email, str) and user["email"].casefold() == email.casefold():
                return user
            if email is None and isinstance(user_id, str) and user["id"] == user_id.lower():
                return user
        if email is not None:
            return api_error(400, "InvalidUserEmail", "No active team member has this email.")
        return api_error(400, "InvalidUserId", "No team member has this id.")


def register(app: web.Application, state: SimulatorState, records: Records) -> None:
    documents = _Documents(state, records)
    app.router.add_post("/cases/{id}/files", documents.upload)
    app.router.add_get("/cases/{id}/files", documents.files)
    app.router.add_get("/cases/{id}/chats", documents.chats)
    app.router.add_post("/cases/{id}/chats", documents.send_chat)
