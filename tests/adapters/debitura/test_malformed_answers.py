"""Debitura's 2xx answers that cannot be read, on every write and list call (mocked HTTP).

An unreadable answer to a create is ambiguous: the case is looked up, never reported invalid.
An unreadable answer to a read is a `MalformedResponseError`: never "nothing found".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from debtkit_debitura import DebituraAdapter, DebituraClient

from debtkit import (
    AmbiguousWriteError,
    DuplicateError,
    MalformedResponseError,
    ValidationError,
    jsonutil,
)
from debtkit.retry import NO_RETRY
from debtkit.testing.http_mock import MockHttp
from tests.adapters.debitura.conftest import TODAY
from tests.conftest import make_full_debt

BASE = "https://debitura.test/api/v1"
CASE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
REFERENCE = "INV-2024-001"
LOOKUP_URL = f"{BASE}/cases/by-creditor-reference/{REFERENCE}"
LIST_URL = re.compile(re.escape(BASE) + r"/cases\?.*")
PAGE = {"totalResults": 1, "pageSize": 100, "currentPage": 1, "responseCount": 1, "totalPages": 1}

# A 2xx body of each unreadable kind, for a single-case answer and a list page.
SINGLE = {
    "malformed": jsonutil.dumps({"creditorReference": REFERENCE}),  # no id
    "truncated": '{"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "creditorRef',
    "wrong_types": jsonutil.dumps({"id": ["x"], "grossAmount": {"value": 1}}),
    "empty": "",
    "error_true": '{"error": true}',
    "not_an_object": f'["{CASE_ID}"]',
    "not_json": "OK",
}
LIST = {
    "malformed": jsonutil.dumps({"cases": []}),  # no page block
    "truncated": '{"page": {"currentPage": 1, "totalPages": 1}, "cases": [{"id": "3fa',
    "wrong_types": jsonutil.dumps({"page": PAGE, "cases": {"id": CASE_ID}}),
    "empty": "",
    "error_true": '{"error": true}',
    "not_an_object": "[]",
    "not_json": "OK",
    "case_without_id": jsonutil.dumps({"page": PAGE, "cases": [{"creditorReference": "X"}]}),
    "page_without_totals": jsonutil.dumps({"page": {"pageSize": 100}, "cases": []}),
}


def connect() -> DebituraClient:
    return DebituraAdapter().connect(
        {"api_key": "key"}, base_url=BASE, retry=NO_RETRY, clock=lambda: TODAY
    )


def invoice(**extra: Any) -> dict[str, Any]:
    return {"id": CASE_ID, "reference": "Q8OAXF3W", "creditorReference": REFERENCE, **extra}


def creates(mock_http: MockHttp) -> int:
    return sum(
        len(calls)
        for (method, url), calls in mock_http.requests.items()
        if method == "POST" and url.path == "/api/v1/cases"
    )


# -- the create: ambiguous, settled by a lookup --------------------------------------------


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_create_answer_is_settled_by_a_lookup(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.post(f"{BASE}/cases", body=body)
    mock_http.get(LOOKUP_URL, body=jsonutil.dumps(invoice()))
    async with connect() as client:
        case = await client.create(make_full_debt())
    assert (case.provider_id, case.creditor_reference) == (CASE_ID, REFERENCE)
    assert creates(mock_http) == 1


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_create_answer_then_absent_raises_the_typed_error_not_validation(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.post(f"{BASE}/cases", body=body)
    mock_http.get(LOOKUP_URL, status=404, body=jsonutil.dumps({"error": "NotFound"}))
    async with connect() as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.create(make_full_debt())
    assert not isinstance(caught.value, ValidationError)
    assert creates(mock_http) == 1


async def test_unreadable_create_answer_whose_lookup_is_unreadable_too_is_ambiguous(
    mock_http: MockHttp,
) -> None:
    mock_http.post(f"{BASE}/cases", body="")
    mock_http.get(LOOKUP_URL, body="")
    async with connect() as client:
        with pytest.raises(AmbiguousWriteError):
            await client.create(make_full_debt())
    assert creates(mock_http) == 1


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_preview_answer_raises_the_typed_error(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.post(f"{BASE}/cases/preview", body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.preview(make_full_debt())


# -- reads: an error, never "nothing found" --------------------------------------------------


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_get_answer_raises_the_typed_error(mock_http: MockHttp, body: str) -> None:
    mock_http.get(f"{BASE}/cases/{CASE_ID}", body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.get(CASE_ID)


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_case_reference_answer_raises_the_typed_error(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(f"{BASE}/cases/case-reference/Q8OAXF3W", body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.get_by_case_reference("Q8OAXF3W")


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_find_answer_raises_instead_of_reporting_absent(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(LOOKUP_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.find(REFERENCE)


@pytest.mark.parametrize("body", ["", "[]", "OK", '{"companyName": ["x"]}'])
async def test_unreadable_me_answer_raises_the_typed_error(mock_http: MockHttp, body: str) -> None:
    mock_http.get(f"{BASE}/me", body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.me()


@pytest.mark.parametrize("body", LIST.values(), ids=LIST.keys())
async def test_unreadable_list_page_raises_instead_of_ending_the_listing(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(LIST_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            _ = [case async for case in client.cases()]


async def test_page_with_null_cases_and_no_count_is_an_empty_last_page(
    mock_http: MockHttp,
) -> None:
    empty = {**PAGE, "totalResults": 0, "responseCount": 0, "totalPages": 0}
    mock_http.get(LIST_URL, body=jsonutil.dumps({"page": empty, "cases": None}))
    async with connect() as client:
        assert [case async for case in client.cases()] == []


async def test_page_block_under_the_docs_name_page_data_is_read(mock_http: MockHttp) -> None:
    mock_http.get(LIST_URL, body=jsonutil.dumps({"pageData": PAGE, "cases": [invoice()]}))
    async with connect() as client:
        assert [case.provider_id async for case in client.cases()] == [CASE_ID]


# -- a second create under one reference ----------------------------------------------------


async def test_duplicate_refusal_carries_the_reference_and_the_existing_case(
    mock_http: MockHttp,
) -> None:
    message = "DuplicateReference: a case with this creditorReference already exists."
    refusal = {"error": "DuplicateReference", "errors": {"creditorReference": [message]}}
    mock_http.post(f"{BASE}/cases", status=400, body=jsonutil.dumps(refusal))
    mock_http.get(LOOKUP_URL, body=jsonutil.dumps(invoice()))
    async with connect() as client:
        with pytest.raises(DuplicateError) as caught:
            await client.create(make_full_debt())
    assert caught.value.reference == REFERENCE
    assert caught.value.existing.provider_id == CASE_ID


# -- the API families read their answers as strictly ------------------------------------------

FAMILY_LISTS = {
    "empty": "",
    "error_true": '{"error": true}',
    "not_an_array": '{"items": 1}',
    "truncated": '[{"id": "3fa',
    "not_json": "OK",
}


@pytest.mark.parametrize("body", list(FAMILY_LISTS.values()), ids=list(FAMILY_LISTS))
async def test_an_unreadable_family_answer_is_an_error_never_a_local_refusal(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(f"{BASE}/cases/{CASE_ID}/payments", body=body)
    mock_http.get(f"{BASE}/webhooks", body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.payments.for_case(CASE_ID)
        with pytest.raises(MalformedResponseError):
            await client.webhooks.list()
