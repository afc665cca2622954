"""GetBill's 2xx answers that cannot be read, on every write and list call (mocked HTTP).

An unreadable answer to a write is ambiguous: the debt is looked up, never reported invalid.
An unreadable answer to a read is a `MalformedResponseError`: never "nothing found".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from debtkit_getbill import GetBillAdapter, GetBillClient

from debtkit import AmbiguousWriteError, MalformedResponseError, ValidationError, jsonutil
from debtkit.retry import NO_RETRY
from debtkit.testing.http_mock import MockHttp
from tests.adapters.getbill.helpers import BASE, person_debt

LIST_URL = re.compile(re.escape(BASE) + r"/debts\?.*")
DEBT_URL = f"{BASE}/debts/d1"
PAGINATION = {"total": 1, "page": 1, "limit": 100, "pages": 1}

# A 2xx body of each unreadable kind, for a single-debt answer, a list page and a batch.
SINGLE = {
    "malformed": jsonutil.dumps({"error": False, "data": {"internal_id": "R-1"}}),  # no id
    "truncated": '{"error": false, "data": {"id": "d1", "internal_id": "R-',
    "wrong_types": jsonutil.dumps({"error": False, "data": ["d1"]}),
    "empty": "",
    "error_true": '{"error": true}',
    "not_an_object": '[{"id": "d1"}]',
    "not_json": "<html>OK</html>",
}
LIST = {
    "malformed": jsonutil.dumps({"error": False, "data": []}),  # no pagination
    "truncated": '{"error": false, "data": [{"id": "d1"',
    "wrong_types": jsonutil.dumps({"error": False, "data": {"id": "d1"}, "pagination": PAGINATION}),
    "empty": "",
    "error_true": '{"error": true}',
    "not_an_object": "[]",
    "not_json": "OK",
    "record_without_id": jsonutil.dumps(
        {"error": False, "data": [{"internal_id": "R-1"}], "pagination": PAGINATION}
    ),
}
BATCH = {
    "malformed": jsonutil.dumps({"error": False, "data": {"summary": {}}}),  # lists no debt
    "truncated": '{"error": false, "data": {"created": [{"index": 0, "debt_id": "d1"',
    "wrong_types": jsonutil.dumps({"error": False, "data": {"created": "d1"}}),
    "empty": "",
    "error_true": '{"error": true}',
    "not_an_object": "[]",
    "not_json": "OK",
    "created_without_debt_id": jsonutil.dumps(
        {"error": False, "data": {"created": [{"index": 0, "temp_id": "0", "debt_id": ["d1"]}]}}
    ),
}


def connect() -> GetBillClient:
    return GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE, retry=NO_RETRY)


def page(*records: dict[str, Any]) -> str:
    pagination = {**PAGINATION, "total": len(records)}
    return jsonutil.dumps({"error": False, "data": list(records), "pagination": pagination})


def stored(debt_id: str, reference: str) -> dict[str, Any]:
    return {
        "id": debt_id,
        "internal_id": reference,
        "status": "status.default.pending",
        "import_date": "2099-01-01T00:00:00+00:00",  # after any lookup's lower bound
    }


def posts(mock_http: MockHttp, path: str) -> int:
    return sum(
        len(calls)
        for (method, url), calls in mock_http.requests.items()
        if method == "POST" and url.path == f"/external-api/v1/{path}"
    )


# -- writes: ambiguous, settled by a lookup ------------------------------------------------


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_create_answer_is_settled_by_a_lookup(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.post(f"{BASE}/debts", status=201, body=body)
    mock_http.get(LIST_URL, body=page(stored("d1", "R-1")))
    async with connect() as client:
        case = await client.create(person_debt("R-1"), check_existing=False)
    assert (case.provider_id, case.creditor_reference) == ("d1", "R-1")
    assert posts(mock_http, "debts") == 1


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_create_answer_then_absent_raises_the_typed_error_not_validation(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.post(f"{BASE}/debts", status=201, body=body)
    mock_http.get(LIST_URL, body=page())
    async with connect() as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.create(person_debt("R-1"), check_existing=False)
    assert not isinstance(caught.value, ValidationError)
    assert caught.value.status == 201
    assert posts(mock_http, "debts") == 1


async def test_unreadable_create_answer_whose_lookup_is_unreadable_too_is_not_resent(
    mock_http: MockHttp,
) -> None:
    mock_http.post(f"{BASE}/debts", status=201, body='{"error": true}', repeat=True)
    mock_http.get(LIST_URL, body='{"error": true}', repeat=True)
    async with connect() as client:
        with pytest.raises(AmbiguousWriteError):
            await client.create(person_debt("R-1"), check_existing=False)
    assert posts(mock_http, "debts") == 1


@pytest.mark.parametrize("body", BATCH.values(), ids=BATCH.keys())
async def test_unreadable_batch_answer_is_settled_by_a_listing(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.post(f"{BASE}/debts/batch", body=body)
    mock_http.get(LIST_URL, body=page(stored("d1", "A"), stored("d2", "B")))
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), person_debt("B")])
    assert [(r.creditor_reference, r.case and r.case.provider_id) for r in results] == [
        ("A", "d1"),
        ("B", "d2"),
    ]
    assert posts(mock_http, "debts/batch") == 1


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_update_answer_raises_the_typed_error(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.put(DEBT_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.update("d1", object="new description")


@pytest.mark.parametrize(
    "body",
    ["", '{"error": true}', "[]", "OK", '{"error": false'],
    ids=["empty", "error_true", "not_an_object", "not_json", "truncated"],
)
async def test_unreadable_delete_answer_raises_the_typed_error(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.delete(DEBT_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.delete("d1")


# -- reads: an error, never "nothing found" --------------------------------------------------


@pytest.mark.parametrize("body", SINGLE.values(), ids=SINGLE.keys())
async def test_unreadable_get_answer_raises_the_typed_error(mock_http: MockHttp, body: str) -> None:
    mock_http.get(DEBT_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.get("d1")


@pytest.mark.parametrize("body", LIST.values(), ids=LIST.keys())
async def test_unreadable_list_page_raises_instead_of_ending_the_listing(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(LIST_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            _ = [case async for case in client.cases()]


async def test_unreadable_second_page_raises_after_the_first_pages_cases(
    mock_http: MockHttp,
) -> None:
    first = {"error": False, "data": [stored("d1", "A")], "pagination": {**PAGINATION, "pages": 2}}
    mock_http.get(LIST_URL, body=jsonutil.dumps(first))
    mock_http.get(LIST_URL, body='{"error": true}')
    async with connect() as client:
        listing = client.cases()
        first = await anext(listing)
        with pytest.raises(MalformedResponseError):
            await anext(listing)
    assert first.provider_id == "d1"


@pytest.mark.parametrize("body", LIST.values(), ids=LIST.keys())
async def test_unreadable_find_answer_raises_instead_of_reporting_absent(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(LIST_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.find("R-1")


@pytest.mark.parametrize("body", LIST.values(), ids=LIST.keys())
async def test_unreadable_find_many_answer_raises_instead_of_reporting_absent(
    mock_http: MockHttp, body: str
) -> None:
    mock_http.get(LIST_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.find_many(["R-1"], since=dt.datetime.now(dt.timezone.utc))


@pytest.mark.parametrize("body", LIST.values(), ids=LIST.keys())
async def test_unreadable_existence_check_sends_no_create(mock_http: MockHttp, body: str) -> None:
    mock_http.get(LIST_URL, body=body)
    async with connect() as client:
        with pytest.raises(MalformedResponseError):
            await client.create(person_debt("R-1"))
    assert posts(mock_http, "debts") == 0
