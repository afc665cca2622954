"""The creditor's divisions (business units a case can be filed under): ``client.divisions``
with `create`, `list`, `get`, `update`, `delete` and `archive`.

Writes land once: `create` carries one ``Idempotency-Key`` for all its attempts (Debitura
replays the first answer); `archive` and `delete` have no key, so after a failure that may
have landed they look the division up first (archived, or gone: done) and are re-sent only
when it is confirmed they did not land. `update` is a PUT, safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from debtkit.errors import ConfigurationError, NotFoundError, Problem, ValidationError
from debtkit.exactly_once import create_exactly_once
from debtkit.transport import Request, Response
from debtkit_debitura.calls import Resource, answer, paged, path, segment
from debtkit_debitura.mapping import PROVIDER
from debtkit_debitura.wire import converter

__all__ = ["DIVISIONS_PAGE_SIZE", "Division", "DivisionCountry", "DivisionFields", "Divisions"]

DIVISIONS_PAGE_SIZE = 100
IDEMPOTENCY_KEY_MAX = 255


@attrs.frozen
class DivisionFields:
    """What a division is made of (``CreateDivisionRequestDto`` = ``UpdateDivisionRequestDto``);
    an update replaces every field, so absent optional fields are cleared."""

    company_name: str
    city: str
    country_code: str  # ISO 3166-1 alpha-2
    registration_number: str | None = None
    address: str | None = None
    zip_code: str | None = None
    state: str | None = None
    office_email: str | None = None
    office_phone: str | None = None

    def problems(self) -> list[Problem]:
        """The document's own limits on these fields."""
        found = [
            Problem(f.name, "invalid", "must be text")
            for f in attrs.fields(type(self))
            if not isinstance(getattr(self, f.name), str)
            and (getattr(self, f.name) is not None or f.default is attrs.NOTHING)
        ]
        if found:
            return found
        limits = {
            "company_name": 200,
            "registration_number": 50,
            "zip_code": 50,
            "office_email": 250,
            "office_phone": 50,
        }
        for name, limit in limits.items():
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                found.append(Problem(name, "too_long", f"must be at most {limit} characters"))
        if not self.company_name or not self.company_name.strip():
            found.append(Problem("company_name", "required", "is required"))
        if not self.city:
            found.append(Problem("city", "required", "is required"))
        if len(self.country_code) != 2:
            found.append(Problem("country_code", "invalid", "must be an ISO alpha-2 code"))
        if self.office_email is not None and "@" not in self.office_email:
            found.append(Problem("office_email", "invalid", "must be an email address"))
        return found

    def body(self) -> dict[str, Any]:
        """The request body; `ValidationError` with every problem, before anything is sent."""
        problems = self.problems()
        if problems:
            raise ValidationError(problems, subject="division")
        data: dict[str, Any] = converter.unstructure(self)
        return data


@attrs.frozen
class DivisionCountry:
    id: int | None = None
    name: str | None = None
    alpha2: str | None = None


@attrs.frozen
class Division:
    """A ``DivisionDto``."""

    id: str
    company_name: str | None = None
    registration_number: str | None = None
    address: str | None = None
    zip_code: str | None = None
    state: str | None = None
    city: str | None = None
    country: DivisionCountry | None = None
    office_email: str | None = None
    office_phone: str | None = None
    is_archived: bool = False
    created_utc: dt.datetime | None = None
    updated_utc: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


_SUBJECT = "Debitura division"


def _body(fields: object) -> dict[str, Any]:
    if not isinstance(fields, DivisionFields):
        problem = Problem("fields", "invalid", "must be DivisionFields")
        raise ValidationError([problem], subject="division")
    return fields.body()


class Divisions(Resource):
    """``client.divisions``."""

    async def create(
        self, fields: DivisionFields, *, idempotency_key: str | None = None
    ) -> Division:
        """``POST /divisions`` with one ``Idempotency-Key`` (a fresh UUID unless given) for
        every attempt, so a retry after a lost response replays the first answer."""
        key = str(uuid.uuid4()) if idempotency_key is None else idempotency_key
        if (
            not isinstance(key, str)
            or not key.strip()
            or len(key) > IDEMPOTENCY_KEY_MAX
            or not (key.isascii() and key.isprintable())  # it travels as a header
        ):
            problem = Problem(
                "idempotency_key",
                "invalid",
                f"must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters",
            )
            raise ValidationError([problem], subject="request")
        request = Request(
            "POST",
            "divisions",
            json=_body(fields),
            headers={"Idempotency-Key": key},
            request_class="write",
            retry_safe=True,
        )
        return answer(await self.call(request), Division, _SUBJECT)

    def list(
        self, *, include_archived: bool = False, page_size: int = DIVISIONS_PAGE_SIZE
    ) -> AsyncIterator[Division]:
        """Every division, page by page, each once; archived ones only when asked."""
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise ConfigurationError("divisions.list(): page_size must be an integer")
        if not 1 <= page_size <= DIVISIONS_PAGE_SIZE:
            raise ConfigurationError(
                f"divisions.list(): page_size must be 1 to {DIVISIONS_PAGE_SIZE}"
            )

        async def page(number: int) -> Response:
            params = {
                "page": number,
                "pageSize": page_size,
                "includeArchived": "true" if include_archived else "false",
            }
            return await self.call(Request("GET", "divisions", params=params))

        return paged(page, Division, _SUBJECT, "divisions", page_size, lambda d: d.id)

    async def get(self, division_id: str) -> Division:
        return await self.fetch(path("divisions", segment(division_id)), Division, _SUBJECT)

    async def update(self, division_id: str, fields: DivisionFields) -> Division:
        """``PUT /divisions/{id}``: replaces every field."""
        url = path("divisions", segment(division_id))
        request = Request("PUT", url, json=_body(fields), request_class="write")
        return answer(await self.call(request), Division, _SUBJECT)

    async def archive(self, division_id: str) -> Division:
        """``POST /divisions/{id}/archive`` (irreversible; `BusinessRuleError` if it already
        was). Debitura also serves it as ``/divisions/{id}:archive``; one form suffices."""
        url = path("divisions", segment(division_id), "archive")
        request = Request("POST", url, request_class="write", retry_safe=False)

        async def send() -> Division:
            return answer(await self.call(request), Division, _SUBJECT)

        def settled(found: Division) -> Division | None:
            return found if found.is_archived else None

        return await create_exactly_once(
            send,
            lambda: self.get(division_id),
            settled,
            provider=PROVIDER,
            references=[division_id],
            retry=self.transport.retry,
        )

    async def delete(self, division_id: str) -> None:
        """``DELETE /divisions/{id}``; `BusinessRuleError` while active cases use it."""
        url = path("divisions", segment(division_id))
        request = Request("DELETE", url, request_class="write", retry_safe=False)

        async def send() -> bool:
            await self.call(request)
            return True

        async def gone() -> bool:
            try:
                await self.get(division_id)
            except NotFoundError:
                return True
            return False

        await create_exactly_once(
            send,
            gone,
            lambda absent: True if absent else None,
            provider=PROVIDER,
            references=[division_id],
            retry=self.transport.retry,
        )
