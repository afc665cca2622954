"""GetBill's resource families with mocked HTTP: paths, budgets, scoped tokens, bodies sent,
what is refused locally, and what a lost answer means."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from debtkit_getbill import GetBillAdapter, GetBillClient
from debtkit_getbill.followups import FollowupStatus, FollowupType
from debtkit_getbill.reports import DownloadError

from debtkit import (
    AmbiguousWriteError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    PermissionDeniedError,
    ValidationError,
)
from debtkit.retry import NO_RETRY, RetryPolicy
from debtkit.simulator import SimulatorServer
from debtkit.testing.http_mock import MockHttp
from debtkit.transport import Request, Response
from tests.adapters.getbill.helpers import BASE, SECRET, TOKEN_URL, seed, seed_text

ANY_QUERY = r"(\?.*)?$"
FILE_URL = "https://files.example.net/r/rpt_0001?expires=1&signature=s3cr3t"


class RecordingGate:
    """Notes the budget class of every attempt."""

    def __init__(self) -> None:
        self.classes: list[tuple[str, str, str]] = []

    async def before_attempt(self, request: Request) -> None:
        self.classes.append((request.method, request.path, request.request_class))

    def after_response(self, request: Request, response: Response) -> None:
        pass

    def after_failure(self, request: Request, error: BaseException) -> None:
        pass


def connect(**options: Any) -> GetBillClient:
    return GetBillAdapter().connect(
        {"access_token": "tok"}, base_url=BASE, retry=NO_RETRY, **options
    )


def url(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"{BASE}/{path}") + ANY_QUERY)


def serve(mock_http: MockHttp, path: str, fixture: str, method: str = "GET") -> None:
    mock_http.add(url(path), method, body=seed_text(fixture), content_type="application/json")


def sent(mock_http: MockHttp, method: str) -> list[tuple[str, Any]]:
    """(path, JSON body) of every request of `method`, in order."""
    found = []
    for (m, target), calls in mock_http.requests.items():
        if m == method:
            for call in calls:
                data = call.kwargs.get("data")
                found.append((urlsplit(str(target)).path, json.loads(data) if data else None))
    return found


def query_of(mock_http: MockHttp, method: str = "GET") -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(str(target)).query)
        for (m, target), calls in mock_http.requests.items()
        for _ in calls
        if m == method
    ]


# -- paths and budgets --------------------------------------------------------------------


async def test_ids_go_into_the_path_as_one_quoted_segment(mock_http: MockHttp) -> None:
    mock_http.get(f"{BASE}/followups/a%2Fb%3Fc%20d", body=seed_text("get_followup.json"))
    async with connect() as client:
        await client.followups.get("a/b?c d")
    ((path, _),) = sent(mock_http, "GET")
    assert path == "/external-api/v1/followups/a%2Fb%3Fc%20d"


@pytest.mark.parametrize("bad", ["", ".", "..", " "])
async def test_dot_and_empty_ids_are_refused_before_any_request(
    mock_http: MockHttp, bad: str
) -> None:
    async with connect() as client:
        with pytest.raises(ValidationError):
            await client.debtors.get(bad)
        with pytest.raises(ValidationError):
            client.followups.by_debt(bad)
    assert mock_http.requests == {}


async def test_reads_spend_the_read_budget_and_writes_the_write_budget(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "company/credits", "company_credits.json")
    serve(mock_http, "reports/rpt_0001", "get_report.json")
    serve(mock_http, "followups", "create_followup.json", "POST")
    serve(mock_http, "followups/fu_1", "update_followup.json", "PUT")
    serve(mock_http, "debtors/dbr_0001", "update_debtor.json", "PUT")
    serve(mock_http, "creditors/crd_0001", "get_creditor.json", "PATCH")
    gate = RecordingGate()
    async with connect(gate=gate) as client:
        await client.company.credits()
        await client.reports.get("rpt_0001")
        await client.followups.create("debt_1", type="call")
        await client.followups.update("fu_1", notes="n")
        await client.debtors.update("dbr_0001", email="e@example.com")
        await client.creditors.partial_update("crd_0001", city="Lyon")
    assert [(m, c) for m, _, c in gate.classes] == [
        ("GET", "read"),
        ("GET", "read"),
        ("POST", "write"),
        ("PUT", "write"),
        ("PUT", "write"),
        ("PATCH", "write"),
    ]


# -- scoped tokens --------------------------------------------------------------------------


def token_scopes(mock_http: MockHttp) -> list[str]:
    calls = mock_http.requests.get(("POST", aiohttp.client.URL(TOKEN_URL)), [])
    forms = [parse_qs(aiohttp.FormData(c.kwargs["data"])().decode()) for c in calls]
    return [form["scope"][0] for form in forms]


def authorizations(mock_http: MockHttp) -> list[str]:
    return [
        call.kwargs["headers"]["Authorization"]
        for (m, _), calls in mock_http.requests.items()
        if m == "GET"
        for call in calls
    ]


async def test_a_family_asks_for_its_own_scope_in_its_own_token(mock_http: MockHttp) -> None:
    for value in ("main-token", "company-token"):
        mock_http.post(TOKEN_URL, payload={"access_token": value, "expires_in": 3600})
    serve(mock_http, "debts/abc123def456", "get_debt.json")
    serve(mock_http, "company/credits", "company_credits.json")
    credentials = {"client_id": "client-1", "client_secret": SECRET}
    async with GetBillAdapter().connect(credentials, base_url=BASE) as client:
        await client.get("abc123def456")
        await client.company.credits()
    assert token_scopes(mock_http) == ["debts:read debts:write", "company:read"]
    assert authorizations(mock_http) == ["Bearer main-token", "Bearer company-token"]


async def test_debts_by_debtor_use_the_main_token(mock_http: MockHttp) -> None:
    mock_http.post(TOKEN_URL, payload={"access_token": "main-token", "expires_in": 3600})
    credentials = {"client_id": "client-1", "client_secret": SECRET}
    mock_http.get(url("debts/by-debtor/dbr_1"), body='{"error":false,"data":[]}')
    async with GetBillAdapter().connect(credentials, base_url=BASE) as client:
        assert [c async for c in client.debtors.debts("dbr_1")] == []
    assert token_scopes(mock_http) == ["debts:read debts:write"]


async def test_an_explicit_scope_covering_the_family_uses_one_token(mock_http: MockHttp) -> None:
    mock_http.post(TOKEN_URL, payload={"access_token": "wide", "expires_in": 3600})
    serve(mock_http, "company/credits", "company_credits.json")
    credentials = {"client_id": "client-1", "client_secret": SECRET}
    scope = "debts:read debts:write company:read"
    async with GetBillAdapter().connect(credentials, base_url=BASE, scope=scope) as client:
        await client.company.credits()
    assert token_scopes(mock_http) == [scope]


async def test_a_family_token_refused_once_is_renewed_once(mock_http: MockHttp) -> None:
    for value in ("old", "new"):
        mock_http.post(TOKEN_URL, payload={"access_token": value, "expires_in": 3600})
    mock_http.get(url("company/credits"), status=401, body=seed_text("get_error_401.json"))
    serve(mock_http, "company/credits", "company_credits.json")
    credentials = {"client_id": "client-1", "client_secret": SECRET}
    async with GetBillAdapter().connect(credentials, base_url=BASE, retry=NO_RETRY) as client:
        credits = await client.company.credits()
    assert credits.current_credits == 847
    assert authorizations(mock_http) == ["Bearer old", "Bearer new"]


async def test_a_missing_scope_is_permission_denied_for_that_family(mock_http: MockHttp) -> None:
    mock_http.get(url("company/users"), status=403, body=seed_text("scope_error_403.json"))
    async with connect() as client:
        with pytest.raises(PermissionDeniedError):
            [u async for u in client.company.users()]


# -- followups ------------------------------------------------------------------------------


async def test_followup_create_sends_the_debt_id_and_the_wire_values(mock_http: MockHttp) -> None:
    serve(mock_http, "followups", "create_followup.json", "POST")
    scheduled = dt.datetime(2024, 3, 10, 10, tzinfo=dt.timezone.utc)
    async with connect() as client:
        await client.followups.create(
            "debt_0042", type=FollowupType.CALL, status="scheduled", scheduled_at=scheduled
        )
    assert sent(mock_http, "POST") == [
        (
            "/external-api/v1/followups",
            {
                "debt_id": "debt_0042",
                "type": "call",
                "status": "scheduled",
                "scheduled_at": "2024-03-10T10:00:00+00:00",
            },
        )
    ]


async def test_followup_create_after_a_lost_answer_is_ambiguous_and_not_resent(
    mock_http: MockHttp,
) -> None:
    mock_http.post(url("followups"), exception=aiohttp.ServerDisconnectedError())
    async with GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE) as client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.followups.create("debt_0042", type="call")
    assert caught.value.references == ("debt_0042",)
    assert len(sent(mock_http, "POST")) == 1


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"debt_id": "other"}, "debt_id"),
        ({"colour": "red"}, "colour"),
        ({"call_date": dt.datetime(2024, 1, 1)}, "timezone"),
        ({"type": FollowupType.UNKNOWN}, "UNKNOWN"),
    ],
)
async def test_followup_update_refuses_what_cannot_be_sent(
    mock_http: MockHttp, fields: Mapping[str, Any], match: str
) -> None:
    async with connect() as client:
        with pytest.raises(ConfigurationError, match=match):
            await client.followups.update("fu_1", **fields)
    assert mock_http.requests == {}


async def test_followup_create_without_a_debt_is_refused(mock_http: MockHttp) -> None:
    async with connect() as client:
        with pytest.raises(ConfigurationError, match="debt_id"):
            await client.followups.create(" ")
    assert mock_http.requests == {}


async def test_followup_list_filters_are_query_parameters(mock_http: MockHttp) -> None:
    mock_http.get(url("followups"), body='{"error":false,"data":[]}')
    async with connect() as client:
        found = client.followups.list(
            status=FollowupStatus.NO_ANSWER, type="sms", date_from="2024-01-01"
        )
        assert [f async for f in found] == []
    assert query_of(mock_http) == [
        {
            "status": ["no_answer"],
            "type": ["sms"],
            "date_from": ["2024-01-01"],
            "page": ["1"],
            "limit": ["100"],
        }
    ]


# -- debtors and creditors ------------------------------------------------------------------


async def test_debtor_update_sends_camel_case(mock_http: MockHttp) -> None:
    serve(mock_http, "debtors/dbr_0001", "update_debtor.json", "PUT")
    async with connect() as client:
        await client.debtors.update(
            "dbr_0001", first_name="Jeanne", date_of_birth=dt.date(1980, 5, 17), address=None
        )
    assert sent(mock_http, "PUT") == [
        (
            "/external-api/v1/debtors/dbr_0001",
            {"firstName": "Jeanne", "dateOfBirth": "1980-05-17", "address": None},
        )
    ]


@pytest.mark.parametrize("born", ["17/05/1980", "1980-02-30", "1980-5-17"])
async def test_debtor_bad_date_of_birth_is_refused_locally(mock_http: MockHttp, born: str) -> None:
    async with connect() as client:
        with pytest.raises(ValidationError) as caught:
            await client.debtors.update("dbr_0001", date_of_birth=born)
    assert [p.path for p in caught.value.problems] == ["date_of_birth"]
    assert mock_http.requests == {}


async def test_creditor_put_sends_every_field_and_clears_the_missing(mock_http: MockHttp) -> None:
    serve(mock_http, "creditors/crd_0001", "get_creditor.json", "PUT")
    async with connect() as client:
        await client.creditors.update("crd_0001", name="Lyon Habitat", postal_code="69002")
    ((_, body),) = sent(mock_http, "PUT")
    assert body == {
        "name": "Lyon Habitat", "email": None, "phone": None, "address": None, "city": None,
        "postalCode": "69002", "country": None, "registrationNumber": None, "taxNumber": None,
        "contactPerson": None,
    }  # fmt: skip


async def test_creditor_patch_sends_only_the_given_fields(mock_http: MockHttp) -> None:
    serve(mock_http, "creditors/crd_0001", "get_creditor.json", "PATCH")
    async with connect() as client:
        await client.creditors.partial_update("crd_0001", tax_number="FR00", contact_person=None)
    assert sent(mock_http, "PATCH") == [
        ("/external-api/v1/creditors/crd_0001", {"taxNumber": "FR00", "contactPerson": None})
    ]


async def test_creditor_validation_errors_list_becomes_problems(mock_http: MockHttp) -> None:
    mock_http.patch(
        url("creditors/crd_0001"), status=400, body=seed_text("creditor_errors_list_400.json")
    )
    async with connect() as client:
        with pytest.raises(BadRequestError) as caught:
            await client.creditors.partial_update("crd_0001", email="nope")
    assert [p.path for p in caught.value.problems] == ["email"]


# -- report files -----------------------------------------------------------------------------


def listing(directory: Path) -> list[str]:
    """What a directory holds (sync, for use after the awaited call)."""
    return sorted(entry.name for entry in directory.iterdir())


def serve_download(mock_http: MockHttp, file_url: str = FILE_URL, size: int = 10) -> None:
    body = seed("download_report.json")
    body["data"].update(download_url=file_url, file_size=size)
    mock_http.get(url("reports/download/rpt_0001"), body=json.dumps(body))


async def test_save_streams_the_file_and_sends_no_credential_to_its_host(
    mock_http: MockHttp, tmp_path: Path
) -> None:
    serve_download(mock_http, size=10)
    mock_http.get(FILE_URL, body=b"0123456789")
    async with connect() as client:
        saved = await client.reports.save("rpt_0001", tmp_path / "report.pdf", chunk_size=3)
    assert saved.read_bytes() == b"0123456789"
    file_calls = [c for (m, u), calls in mock_http.requests.items() for c in calls
                  if str(u).startswith("https://files.example.net")]  # fmt: skip
    (call,) = file_calls
    assert "Authorization" not in (call.kwargs.get("headers") or {})
    assert listing(tmp_path) == [saved.name]


async def test_save_refuses_a_file_over_max_bytes_and_leaves_nothing(
    mock_http: MockHttp, tmp_path: Path
) -> None:
    serve_download(mock_http, size=10)
    mock_http.get(FILE_URL, body=b"0123456789")
    async with connect() as client:
        with pytest.raises(DownloadError, match="max_bytes"):
            await client.reports.save("rpt_0001", tmp_path / "report.pdf", max_bytes=9)
    assert listing(tmp_path) == []


async def test_save_refuses_a_truncated_file(mock_http: MockHttp, tmp_path: Path) -> None:
    serve_download(mock_http, size=12)
    mock_http.get(FILE_URL, body=b"0123456789")
    async with connect() as client:
        with pytest.raises(DownloadError, match="expected 12"):
            await client.reports.save("rpt_0001", tmp_path / "report.pdf")
    assert listing(tmp_path) == []


async def test_a_refused_file_request_never_shows_the_signature(
    mock_http: MockHttp, tmp_path: Path
) -> None:
    serve_download(mock_http)
    mock_http.get(FILE_URL, status=403, body="expired")
    async with connect() as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await client.reports.save("rpt_0001", tmp_path / "report.pdf")
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in caught.value.path


async def test_a_plain_http_file_url_from_an_https_api_is_refused(
    mock_http: MockHttp, tmp_path: Path
) -> None:
    serve_download(mock_http, file_url="http://files.example.net/r?signature=s")
    async with connect() as client:
        with pytest.raises(ConfigurationError, match="https"):
            await client.reports.save("rpt_0001", tmp_path / "report.pdf")
    assert listing(tmp_path) == []


async def test_family_reads_are_retried_after_a_server_error(mock_http: MockHttp) -> None:
    mock_http.get(url("company/credits"), status=503, body='{"error":true,"code":503}')
    serve(mock_http, "company/credits", "company_credits.json")
    retry = RetryPolicy(attempts=2, base=0.0)
    async with GetBillAdapter().connect({"access_token": "t"}, base_url=BASE, retry=retry) as c:
        credits = await c.company.credits()
    assert credits.current_credits == 847
    assert len(sent(mock_http, "GET")) == 2


async def test_followup_create_after_a_server_error_is_ambiguous_and_not_resent(
    mock_http: MockHttp,
) -> None:
    mock_http.post(url("followups"), status=503, body='{"error":true,"code":503}')
    retry = RetryPolicy(attempts=3, base=0.0)
    async with GetBillAdapter().connect({"access_token": "t"}, base_url=BASE, retry=retry) as c:
        with pytest.raises(AmbiguousWriteError):
            await c.followups.create("debt_0042", type="call")
    assert len(sent(mock_http, "POST")) == 1


async def test_the_signed_url_is_requested_byte_for_byte(tmp_path: Path) -> None:
    seen: list[str] = []
    query = "?X-Amz-Credential=AK%2F2024%2Fs3&sig=x%3D"

    async def info(request: web.Request) -> web.Response:
        body = seed("download_report.json")
        signed = f"{request.url.origin()}/files/a%2Fb{query}"
        body["data"].update(download_url=signed, file_size=2)
        return web.Response(text=json.dumps(body), content_type="application/json")

    async def record(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.Response(body=b"ok")

    app = web.Application()
    app.router.add_get("/api/reports/download/rpt_0001", info)
    app.router.add_get("/files/{tail:.*}", record)
    async with SimulatorServer(app) as server:
        base = f"{server.origin}/api"
        client = GetBillAdapter().connect({"access_token": "t"}, base_url=base, retry=NO_RETRY)
        async with client:
            await client.reports.save("rpt_0001", tmp_path / "r.pdf")
    assert seen == [f"/files/a%2Fb{query}"]


@pytest.mark.parametrize(
    "body",
    ['{"error": true}', "", '{"error": false, "data": {"not": "a list"}}', "[1, 2]", "<html>"],
    ids=["error-flag", "empty", "data-not-a-list", "array", "text"],
)
async def test_an_unreadable_family_listing_is_an_error_never_no_results(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(url("followups"), body=body, content_type="application/json")
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            _ = [f async for f in client.followups.list()]


async def test_an_unreadable_family_record_is_the_providers_fault_not_a_local_refusal(
    mock_http: MockHttp,
) -> None:
    mock_http.get(url("followups/fu_1"), body='{"error": false, "data": {"id": ["x"]}}')
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.followups.get("fu_1")
