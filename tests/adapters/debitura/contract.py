"""Checking wire traffic against Debitura's own OpenAPI document (test-side only).

The document is Debitura's data: it is read from ``../shared/reference/specs`` beside the
repository and never copied in. Schemas are checked with openapi-schema-validator's OAS 3.0
validator, formats included, with every ``$ref`` resolved against the whole document.

A response must match the schema its operation declares for its status. A few answers are
documented outside those declarations and are accepted as such, each with its source:

- POST /cases 400 as a field dictionary ``{field: [messages]}`` (the operation's own
  description says so, and that sentence is asserted to be there);
- any 400 as ASP.NET ``ValidationProblemDetails`` (the document's ``ProblemDetails`` plus
  ``errors``; fact sheet §9.3-9.4);
- POST /cases 422 in the legacy ``{"BusinessRule": [...]}`` shape (fact sheet §9.5);
- 429 ``{error, message, retryAfter}`` (fact sheet §10; no 429 is declared);
- 401 with an empty body (declared so on GET /me; the security scheme is global);
- 5xx as ``ApiErrorResponseDto`` where an operation declares no 500 (fact sheet §9.1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import attrs
from aiohttp import web
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parents[3]
SPEC_PATH = REPO_ROOT.parent / "shared" / "reference" / "specs" / "debitura-customer-api.json"
_ROOT = "urn:debitura-customer-api"
_SCHEMAS = f"{_ROOT}#/components/schemas/"
_API_ERROR = "Debitura.Web.ExternalApi.Contracts.V1.Errors.ApiErrorResponseDto"
_FIELD_DICTIONARY_PROSE = "returns JSON object with field names as keys and error arrays as values"

_FIELD_DICTIONARY = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
}
_VALIDATION_PROBLEM = {
    "allOf": [
        {"$ref": f"{_SCHEMAS}Microsoft.AspNetCore.Mvc.ProblemDetails"},
        {"type": "object", "required": ["title", "status", "errors"]},
        {"properties": {"errors": _FIELD_DICTIONARY}},
    ]
}
_LEGACY_BUSINESS_RULE = {
    "type": "object",
    "required": ["BusinessRule"],
    "additionalProperties": False,
    "properties": {"BusinessRule": {"type": "array", "items": {"type": "string"}}},
}
_RATE_LIMITED = {
    "type": "object",
    "required": ["error", "message", "retryAfter"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "retryAfter": {"type": "number", "minimum": 0},
    },
}
_EMPTY = "empty body"


@attrs.define
class Exchange:
    method: str
    path: str
    status: int
    request_text: str
    response_text: str | None
    content_type: str = ""
    request_bytes: bytes = b""


def recorder(exchanges: list[Exchange]) -> Any:
    """An aiohttp middleware (install outermost) keeping every request and response text."""

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()  # cached: the handler reads it again
        response = await handler(request)
        text = response.text if isinstance(response, web.Response) else None
        path = request.rel_url.raw_path  # still percent-encoded: one segment stays one
        content_type = request.headers.get("Content-Type", "")
        request_text = raw.decode("utf-8", errors="replace")
        exchanges.append(
            Exchange(request.method, path, response.status, request_text, text, content_type, raw)
        )
        return response

    return record


class SpecContract:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            _ROOT, DRAFT4.create_resource(spec)
        )
        self._routes = sorted(
            (
                (template.count("{"), template, _template_regex(template))
                for template in spec["paths"]
            ),
        )
        description = spec["paths"]["/cases"]["post"]["description"]
        assert _FIELD_DICTIONARY_PROSE in description, "POST /cases no longer documents the dict"
        self.checked = 0

    # -- matching ------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> tuple[str, Mapping[str, Any]]:
        for _, template, regex in self._routes:
            item = self.spec["paths"][template]
            if method.lower() in item and regex.fullmatch(path):
                return template, item[method.lower()]
        raise AssertionError(f"{method} {path} is not an operation of the document")

    def _validator(self, schema: Mapping[str, Any]) -> OAS30Validator:
        return OAS30Validator(schema, registry=self._registry, format_checker=oas30_format_checker)

    def errors(self, instance: Any, schema: Mapping[str, Any]) -> list[str]:
        return [
            f"{e.json_path}: {e.message}" for e in self._validator(schema).iter_errors(instance)
        ]

    # -- requests and responses --------------------------------------------------------------

    def request_errors(
        self, method: str, path: str, text: str, content_type: str = "", raw: bytes = b""
    ) -> list[str]:
        _, operation = self.operation(method, path)
        body = operation.get("requestBody")
        if body is None:
            return [] if not text else [f"{method} {path} takes no body"]
        if content_type.startswith("multipart/form-data"):
            return self._multipart_errors(method, path, body["content"], content_type, raw)
        schema = _anchored(body["content"]["application/json"]["schema"])
        return [f"{method} {path} request: {e}" for e in self.errors(json.loads(text), schema)]

    def _multipart_errors(
        self,
        method: str,
        path: str,
        content: Mapping[str, Any],
        content_type: str,
        raw: bytes,
    ) -> list[str]:
        """A multipart body as the object its schema describes: text parts as strings, file
        parts (``format: binary``) as a placeholder string, and each file part must carry a
        filename. Part names outside the schema are violations too."""
        where = f"{method} {path} multipart request"
        declared = content.get("multipart/form-data")
        if declared is None:
            return [f"{where}: the operation takes no multipart body"]
        schema = _anchored(declared["schema"])
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
        )
        if not message.is_multipart():
            return [f"{where}: not a multipart body"]
        properties = schema.get("properties", {})
        instance: dict[str, Any] = {}
        problems = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            spec = properties.get(name)
            if spec is None:
                problems.append(f"{where}: part {name!r} is not in the schema")
                continue
            if spec.get("format") == "binary":
                if not filename:
                    problems.append(f"{where}: file part {name!r} has no filename")
                instance[str(name)] = "<binary>"
            else:
                payload = part.get_payload(decode=True)
                instance[str(name)] = (payload or b"").decode("utf-8")
        problems += [f"{where}: {e}" for e in self.errors(instance, schema)]
        return problems

    def response_candidates(
        self, method: str, path: str, status: int
    ) -> list[tuple[str, Mapping[str, Any] | str]]:
        template, operation = self.operation(method, path)
        declared = operation["responses"].get(str(status))
        found: list[tuple[str, Mapping[str, Any] | str]] = []
        if declared is not None:
            content = declared.get("content")
            schema = _anchored(content["application/json"]["schema"]) if content else _EMPTY
            found.append(("declared", schema))
        post_cases = method.upper() == "POST" and template == "/cases"
        if status == 400:
            found.append(("ValidationProblemDetails", _VALIDATION_PROBLEM))
            if post_cases:
                found.append(("field dictionary", _FIELD_DICTIONARY))
        if status == 422 and post_cases:
            found.append(("legacy BusinessRule", _LEGACY_BUSINESS_RULE))
        if status == 429:
            found.append(("rate limited", _RATE_LIMITED))
        if status == 401:
            found.append(("unauthorised", _EMPTY))
        if status >= 500 and declared is None:
            found.append(("ApiErrorResponseDto", {"$ref": f"{_SCHEMAS}{_API_ERROR}"}))
        return found

    def response_errors(self, method: str, path: str, status: int, text: str | None) -> list[str]:
        """[] when the response matches one of its candidate schemas, else why not."""
        candidates = self.response_candidates(method, path, status)
        if not candidates:
            return [f"{method} {path} -> {status}: no response declared for this status"]
        reasons = []
        for name, schema in candidates:
            if schema == _EMPTY:
                if not text:
                    return []
                reasons.append(f"{name}: expected an empty body")
                continue
            if not text:
                reasons.append(f"{name}: empty body")
                continue
            problems = self.errors(json.loads(text), schema)  # type: ignore[arg-type]
            if not problems:
                return []
            reasons.append(f"{name}: {'; '.join(problems[:5])}")
        return [f"{method} {path} -> {status}: " + " | ".join(reasons)]

    def check_all(self, exchanges: Iterable[Exchange]) -> list[str]:
        """Every violation in the recorded traffic; responses never sent (499) are skipped."""
        violations: list[str] = []
        for exchange in exchanges:
            violations.extend(
                self.request_errors(
                    exchange.method,
                    exchange.path,
                    exchange.request_text,
                    exchange.content_type,
                    exchange.request_bytes,
                )
            )
            if exchange.status != 499:
                violations.extend(
                    self.response_errors(
                        exchange.method, exchange.path, exchange.status, exchange.response_text
                    )
                )
            self.checked += 1
        return violations


def _anchored(schema: Any) -> Any:
    """A schema taken out of the document, its local ``#/...`` refs pointed back into it."""
    if isinstance(schema, Mapping):
        return {
            k: (f"{_ROOT}{v}" if k == "$ref" and str(v).startswith("#/") else _anchored(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_anchored(v) for v in schema]
    return schema


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def load_contract() -> SpecContract | None:
    if not SPEC_PATH.is_file():
        return None
    return SpecContract(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
