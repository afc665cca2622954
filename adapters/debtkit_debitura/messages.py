"""Case chats: ``client.messages.list(case_id)`` and ``client.messages.send(case_id, text,
sender_email=...)`` (``GET`` / ``POST /cases/{id}/chats``).

The sender is named by the email of an active team member (``userEmail``, which Debitura
prefers; the deprecated ``userId`` is not offered). Sending declares no idempotency key, so a
send that may have landed (no response, 5xx) is settled like an upload: the chats are listed
before and after, and a new message with the same text is the send's own result; only a
confirmed absence is sent again, and an unanswerable lookup is an `AmbiguousWriteError`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from debtkit.errors import Problem, ValidationError
from debtkit.exactly_once import create_exactly_once
from debtkit.transport import Request, Transport
from debtkit_debitura.calls import Resource, answer, answer_items, path, segment
from debtkit_debitura.mapping import PROVIDER
from debtkit_debitura.vocabulary import OpenIntVocabulary

__all__ = ["MAX_MESSAGE_LENGTH", "Chat", "ChatRole", "ChatUser", "Messages"]

MAX_MESSAGE_LENGTH = 10_000


class ChatRole(OpenIntVocabulary):
    """Who wrote a message (an integer on the wire; `Chat.role_label` is its text)."""

    PARTNER = 0
    CREDITOR = 1
    MANAGED_BY_PARTNER = 2


@attrs.frozen
class ChatUser:
    id: int | None = None
    first_name: str | None = attrs.field(default=None, repr=False)
    last_name: str | None = attrs.field(default=None, repr=False)
    email: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class Chat:
    """A ``ChatDto``: one message on a case."""

    id: str
    message: str | None = attrs.field(default=None, repr=False)
    role: ChatRole | None = None
    role_label: str | None = None
    is_seen: bool = False
    user: ChatUser | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


class Messages(Resource):
    """``client.messages``: the chat between you and the collection partner on a case."""

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        # One lock per case while writes to it are in flight (weak: no growth per case).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def list(self, case_id: str) -> AsyncIterator[Chat]:
        """Every message of the case (``GET /cases/{id}/chats``, unpaged)."""
        return self.listing(path("cases", segment(case_id), "chats"), Chat, "Debitura chat")

    async def send(self, case_id: str, message: str, *, sender_email: str) -> Chat:
        """Post `message` on the case as the team member with `sender_email`; the partner is
        notified by email. At most `MAX_MESSAGE_LENGTH` characters."""
        problems = []
        if not isinstance(message, str) or len(message) > MAX_MESSAGE_LENGTH:
            problems.append(
                Problem("message", "invalid", f"must be text of at most {MAX_MESSAGE_LENGTH}")
            )
        if not isinstance(sender_email, str) or "@" not in sender_email:
            problems.append(Problem("sender_email", "invalid", "must be an email address"))
        if problems:
            raise ValidationError(problems, subject="chat message")
        url = path("cases", segment(case_id), "chats")
        body = {"message": message, "userEmail": sender_email}
        request = Request("POST", url, json=body, request_class="write", retry_safe=False)
        async with self._locks.setdefault(url, asyncio.Lock()):
            before = {c.id for c in await self._chats(url)}

            async def send() -> Chat:
                response = await self.call(request)
                return answer(response, Chat, "Debitura chat")

            def settled(found: tuple[Chat, ...]) -> Chat | None:
                return next((c for c in found if c.id not in before and c.message == message), None)

            return await create_exactly_once(
                send,
                lambda: self._chats(url),
                settled,
                provider=PROVIDER,
                references=[case_id],
                retry=self.transport.retry,
            )

    async def _chats(self, url: str) -> tuple[Chat, ...]:
        response = await self.call(Request("GET", url))
        return tuple(answer_items(response, Chat, "Debitura chat"))
