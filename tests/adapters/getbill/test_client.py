"""GetBillClient with mocked HTTP: listing, find, batch correlation and failure handling."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aioresponses import CallbackResult
from debtkit_getbill import GetBillAdapter, GetBillClient

from debtkit import (
    AmbiguousWriteError,
    BadRequestError,
    ConfigurationError,
    RateLimitedError,
    ValidationError,
    jsonutil,
)
from debtkit.retry import NO_RETRY
from debtkit.testing.http_mock import CompatClientResponse, MockHttp
from tests.adapters.getbill.helpers import BASE, person_debt, seed_text, with_debtor

LIST_URL = re.compile(re.escape(BASE) + r"/debts\?.*")
BATCH_URL = f"{BASE}/debts/batch"


def connect() -> GetBillClient:
    return GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE, retry=NO_RETRY)


def record(debt_id: str, internal_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": debt_id, "internal_id": internal_id, "status": "status.default.pending", **extra}


def page(records: list[dict[str, Any]], number: int, pages: int) -> str:
    body = {
        "error": False,
        "data": records,
        "pagination": {"total": 999, "page": number, "limit": 100, "pages": pages},
    }
    return jsonutil.dumps(body)


def queries(mock_http: MockHttp, method: str = "GET") -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(str(url)).query)
        for (m, url), calls in mock_http.requests.items()
        for _ in calls
        if m == method
    ]


def json_result(body: Any, status: int = 200) -> CallbackResult:
    return CallbackResult(
        status=status, body=jsonutil.dumps(body), response_class=CompatClientResponse
    )


# -- listing ----------------------------------------------------------------------------


async def test_cases_asks_for_100_per_page_and_reads_every_page(mock_http: MockHttp) -> None:
    for number in (1, 2, 3):
        mock_http.get(LIST_URL, body=page([record(f"d{number}", f"R{number}")], number, 3))
    async with connect() as client:
        ids = [case.provider_id async for case in client.cases()]
    assert ids == ["d1", "d2", "d3"]
    assert sorted(q["page"] for q in queries(mock_http)) == [["1"], ["2"], ["3"]]
    assert all(q["limit"] == ["100"] for q in queries(mock_http))


async def test_cases_never_yields_the_same_debt_twice(mock_http: MockHttp) -> None:
    mock_http.get(LIST_URL, body=page([record("a", "A"), record("b", "B")], 1, 2))
    mock_http.get(LIST_URL, body=page([record("b", "B"), record("c", "C")], 2, 2))
    async with connect() as client:
        ids = [case.provider_id async for case in client.cases()]
    assert ids == ["a", "b", "c"]


async def test_filters_are_sent_as_query_parameters(mock_http: MockHttp) -> None:
    mock_http.get(LIST_URL, body=page([], 1, 0))
    async with connect() as client:
        found = client.cases(
            status="status.default.paid",
            currency="EUR",
            amount_min=Decimal("100.50"),
            amount_max=2000,
            created_after=dt.date(2024, 1, 1),
            created_before=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc),
            search="INV",
        )
        assert [c async for c in found] == []
    (query,) = queries(mock_http)
    assert query == {
        "status": ["status.default.paid"],
        "currency": ["EUR"],
        "amount_min": ["100.50"],
        "amount_max": ["2000"],
        "created_after": ["2024-01-01"],
        "created_before": ["2024-06-01T00:00:00+00:00"],
        "search": ["INV"],
        "page": ["1"],
        "limit": ["100"],
    }


async def test_unknown_filter_is_refused_before_any_request(mock_http: MockHttp) -> None:
    async with connect() as client:
        with pytest.raises(ConfigurationError, match="sort"):
            client.cases(sort="amount")
    assert mock_http.requests == {}


async def test_float_amount_filter_is_refused(mock_http: MockHttp) -> None:
    async with connect() as client:
        with pytest.raises(ConfigurationError):
            client.cases(amount_min=10.5)


async def test_invalid_filter_answer_becomes_a_bad_request_with_its_field(
    mock_http: MockHttp,
) -> None:
    mock_http.get(LIST_URL, status=400, body=seed_text("list_error_400.json"))
    async with connect() as client:
        with pytest.raises(BadRequestError) as caught:
            [c async for c in client.cases(amount_min="1")]
    assert [p.path for p in caught.value.problems] == ["amount_min"]


async def test_find_returns_only_an_exact_internal_id_match(mock_http: MockHttp) -> None:
    mock_http.get(LIST_URL, body=page([record("a", "INV-10"), record("b", "XINV-1")], 1, 2))
    mock_http.get(LIST_URL, body=page([record("c", "INV-1")], 2, 2))
    async with connect() as client:
        found = await client.find("INV-1")
    assert found is not None
    assert found.provider_id == "c"
    assert all(q["search"] == ["INV-1"] for q in queries(mock_http))


async def test_find_without_an_exact_match_returns_none(mock_http: MockHttp) -> None:
    mock_http.get(LIST_URL, body=page([record("a", "INV-10")], 1, 1))
    async with connect() as client:
        assert await client.find("INV-1") is None


async def test_find_returns_the_oldest_of_duplicate_internal_ids(mock_http: MockHttp) -> None:
    newer = record("new", "INV-1", import_date="2024-02-01T00:00:00+00:00")
    older = record("old", "INV-1", import_date="2024-01-01T00:00:00+00:00")
    mock_http.get(LIST_URL, body=page([newer, older], 1, 1))
    async with connect() as client:
        found = await client.find("INV-1")
    assert found is not None
    assert found.provider_id == "old"


async def test_rate_headers_of_each_answer_are_kept_by_request_class(mock_http: MockHttp) -> None:
    headers = {
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "999",
        "X-RateLimit-Reset": "1700003600",
        "X-RateLimit-Window": "3600",
    }
    mock_http.get(LIST_URL, body=page([], 1, 0), headers=headers)
    async with connect() as client:
        assert await client.find("x") is None
        observation = client.rate_observations["read"]
    assert (observation.limit, observation.remaining) == (1000, 999)


# -- batch ------------------------------------------------------------------------------


def echo_batch(sizes: list[int]) -> Any:
    """A batch endpoint creating every item it receives, recording each batch's size."""

    def answer(url: object, **kwargs: Any) -> CallbackResult:
        items = json.loads(kwargs["data"])["debts"]
        sizes.append(len(items))
        created = [
            {"index": i, "temp_id": item["temp_id"], "debt_id": f"id-{item['temp_id']}"}
            for i, item in enumerate(items)
        ]
        return json_result({"error": False, "data": {"created": created}})

    return answer


async def test_batch_is_sent_in_chunks_of_at_most_1000(mock_http: MockHttp) -> None:
    sizes: list[int] = []
    mock_http.post(BATCH_URL, callback=echo_batch(sizes), repeat=True)
    debts = [person_debt(f"R{i}") for i in range(1001)]
    async with connect() as client:
        results = await client.create_batch(debts)
    assert sizes == [1000, 1]
    assert all(r.ok for r in results)
    assert [r.creditor_reference for r in results] == [d.creditor_reference for d in debts]


async def test_batch_results_are_correlated_by_temp_id_not_position(mock_http: MockHttp) -> None:
    created = [
        {"index": 0, "temp_id": "1", "debt_id": "second"},
        {"index": 1, "temp_id": "0", "debt_id": "first"},
    ]
    mock_http.post(BATCH_URL, body=jsonutil.dumps({"data": {"created": created}}))
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), person_debt("B")])
    assert [(r.creditor_reference, r.case and r.case.provider_id) for r in results] == [
        ("A", "first"),
        ("B", "second"),
    ]


async def test_locally_invalid_batch_item_is_not_sent(mock_http: MockHttp) -> None:
    sizes: list[int] = []
    mock_http.post(BATCH_URL, callback=echo_batch(sizes), repeat=True)
    bad = with_debtor(person_debt("BAD"), civility="Dr")
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), bad])
    assert sizes == [1]
    assert isinstance(results[1].error, ValidationError)


async def test_all_invalid_batch_sends_nothing(mock_http: MockHttp) -> None:
    async with connect() as client:
        results = await client.create_batch([with_debtor(person_debt(), first_name="")])
    assert not results[0].ok
    assert mock_http.requests == {}


async def test_lost_batch_answer_makes_every_item_ambiguous(mock_http: MockHttp) -> None:
    import aiohttp

    mock_http.post(BATCH_URL, exception=aiohttp.ServerDisconnectedError())
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), person_debt("B")])
    assert all(isinstance(r.error, AmbiguousWriteError) for r in results)
    error = results[0].error
    assert isinstance(error, AmbiguousWriteError)
    assert error.references == ("A", "B")


async def test_batch_refused_as_a_whole_fails_each_item_with_that_error(
    mock_http: MockHttp,
) -> None:
    mock_http.post(BATCH_URL, status=429, body=seed_text("rate_limit_429.json"))
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), person_debt("B")])
    assert all(isinstance(r.error, RateLimitedError) for r in results)


async def test_item_missing_from_the_batch_answer_is_ambiguous(mock_http: MockHttp) -> None:
    created = [{"index": 0, "temp_id": "0", "debt_id": "first"}]
    mock_http.post(BATCH_URL, body=jsonutil.dumps({"data": {"created": created}}))
    async with connect() as client:
        results = await client.create_batch([person_debt("A"), person_debt("B")])
    assert results[0].ok
    assert isinstance(results[1].error, AmbiguousWriteError)


async def test_failed_item_errors_list_maps_to_neutral_paths(mock_http: MockHttp) -> None:
    failed = [
        {"temp_id": "0", "errors": [{"property": "lastname", "message": "Last name is required"}]}
    ]
    mock_http.post(BATCH_URL, body=jsonutil.dumps({"data": {"failed": failed}}))
    async with connect() as client:
        (result,) = await client.create_batch([person_debt("A")])
    assert isinstance(result.error, BadRequestError)
    assert [p.path for p in result.error.problems] == ["debtor.last_name"]


async def test_batch_name_is_sent_when_given(mock_http: MockHttp) -> None:
    bodies: list[Mapping[str, Any]] = []

    def answer(url: object, **kwargs: Any) -> CallbackResult:
        bodies.append(json.loads(kwargs["data"]))
        return json_result({"data": {"created": [{"temp_id": "0", "debt_id": "x"}]}})

    mock_http.post(BATCH_URL, callback=answer)
    async with connect() as client:
        await client.create_batch([person_debt("A")], batch_name="March import")
    assert bodies[0]["batch_name"] == "March import"
    assert bodies[0]["debts"][0]["temp_id"] == "0"


async def test_chunk_size_above_1000_is_refused() -> None:
    async with connect() as client:
        with pytest.raises(ConfigurationError):
            await client.create_batch([person_debt()], chunk_size=1001)


async def test_batch_item_with_malformed_options_is_refused_even_when_the_rule_is_relaxed(
    mock_http: MockHttp,
) -> None:
    bad = person_debt("BAD", options={"getbill": {"timeline_start_mode": "later"}})
    client = GetBillAdapter().connect(
        {"access_token": "tok"}, base_url=BASE, relax=["getbill.options"]
    )
    async with client:
        (result,) = await client.create_batch([bad])
    assert isinstance(result.error, ValidationError)
    assert mock_http.requests == {}
