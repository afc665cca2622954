"""The GetBill simulator on its own, spoken to with plain aiohttp."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from debtkit_getbill import GetBillAdapter
from debtkit_getbill.pytest_plugin import SimulatorFactory
from debtkit_getbill.simulator import STATE, RunningSimulator
from debtkit_getbill.simulator.extras import ALL_SCOPES

from debtkit import jsonutil
from tests.adapters.getbill.helpers import FakeClock

RATE_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Window",
)
DEBT = {
    "firstname": "Marie",
    "lastname": "Curie",
    "phone": "+33612345678",
    "amount": Decimal("99.90"),
    "currency": "EUR",
}


class Api:
    """A bare HTTP client for one simulator, with a token already fetched."""

    def __init__(self, sim: RunningSimulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.token = ""

    async def authenticate(self, **form: str) -> tuple[int, Any]:
        data = {"grant_type": "client_credentials", **self.sim.credentials, **form}
        async with self.session.post(self.sim.token_url, data=data) as response:
            body = jsonutil.loads(await response.text())
        if response.status == 200:
            self.token = body["access_token"]
        return response.status, body

    async def call(
        self, method: str, path: str, body: Any = None, **params: str
    ) -> tuple[int, Any, Mapping[str, str]]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = jsonutil.dumps(body) if body is not None else None
        async with self.session.request(
            method, self.sim.base_url + path, data=data, headers=headers, params=params
        ) as response:
            text = await response.text()
            return response.status, jsonutil.loads(text) if text else None, response.headers


@pytest.fixture
async def api(getbill_simulator: RunningSimulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        client = Api(getbill_simulator, session)
        await client.authenticate()
        yield client


async def make_api(sim: RunningSimulator, session: aiohttp.ClientSession) -> Api:
    client = Api(sim, session)
    await client.authenticate()
    return client


def test_adapter_builds_the_simulator_app() -> None:
    app = GetBillAdapter().simulator(write_limit=7)
    assert app[STATE].limits["write"].limit == 7


async def test_fixture_serves_on_loopback(getbill_simulator: RunningSimulator) -> None:
    assert getbill_simulator.base_url.startswith("http://127.0.0.1:")
    assert getbill_simulator.base_url.endswith("/external-api/v1")


async def test_token_endpoint_issues_expiring_bearer_tokens(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim = await getbill_simulator_factory(token_ttl=120)
    async with aiohttp.ClientSession() as session:
        status, body = await Api(sim, session).authenticate()
    assert status == 200
    assert (body["token_type"], body["expires_in"], body["scope"]) == (
        "Bearer",
        120,
        " ".join(sorted(ALL_SCOPES)),  # none requested: every scope the client holds
    )


async def test_token_endpoint_refuses_a_wrong_secret_oauth_style(
    getbill_simulator: RunningSimulator,
) -> None:
    async with aiohttp.ClientSession() as session:
        status, body = await Api(getbill_simulator, session).authenticate(client_secret="nope")
    assert (status, body["error"]) == (401, "invalid_client")


async def test_token_endpoint_refuses_other_grant_types(
    getbill_simulator: RunningSimulator,
) -> None:
    async with aiohttp.ClientSession() as session:
        status, body = await Api(getbill_simulator, session).authenticate(grant_type="password")
    assert (status, body["error"]) == (400, "unsupported_grant_type")


async def test_expired_token_is_refused(getbill_simulator_factory: SimulatorFactory) -> None:
    clock = FakeClock()
    sim = await getbill_simulator_factory(token_ttl=60, clock=clock)
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        clock.advance(60)
        status, body, _ = await api.call("GET", "/debts")
    assert (status, body["message"]) == (401, "Authentication credentials are missing or invalid")


async def test_missing_token_is_refused(getbill_simulator: RunningSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        status, _, _ = await Api(getbill_simulator, session).call("GET", "/debts")
    assert status == 401


async def test_every_api_answer_carries_the_four_rate_headers(api: Api) -> None:
    answers = [
        await api.call("GET", "/debts"),
        await api.call("GET", "/debts/missing"),
        await api.call("POST", "/debts", {"amount": 1}),
        await api.call("POST", "/debts", DEBT),
    ]
    api.token = ""
    answers.append(await api.call("GET", "/debts"))
    assert [status for status, _, _ in answers] == [200, 404, 400, 201, 401]
    for _, _, headers in answers:
        assert all(name in headers for name in RATE_HEADERS)


async def test_headers_describe_the_bucket_of_the_request(api: Api) -> None:
    _, _, read = await api.call("GET", "/debts")
    _, _, write = await api.call("POST", "/debts", DEBT)
    assert (read["X-RateLimit-Limit"], read["X-RateLimit-Remaining"]) == ("1000", "999")
    assert (write["X-RateLimit-Limit"], write["X-RateLimit-Remaining"]) == ("500", "499")
    assert write["X-RateLimit-Window"] == "3600"


async def test_rate_limited_answer_has_the_documented_body(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim = await getbill_simulator_factory(read_limit=1)
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        await api.call("GET", "/debts")
        status, body, headers = await api.call("GET", "/debts")
    assert status == 429
    assert body["message"] == "Rate limit exceeded. Please try again later."
    assert body["details"]["limit"] == 1
    assert 3599 <= body["details"]["retry_after"] <= 3600
    assert body["details"]["reset_time"].endswith("Z")
    assert headers["X-RateLimit-Remaining"] == "0"


async def test_sliding_window_frees_a_request_once_it_leaves_the_window(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    clock = FakeClock()
    sim = await getbill_simulator_factory(write_limit=2, time_scale=3600, clock=clock)
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        await api.call("POST", "/debts", DEBT)
        clock.advance(0.5)
        await api.call("POST", "/debts", DEBT)
        clock.advance(0.6)  # the first write left the 1 s window, the second did not
        first, _, _ = await api.call("POST", "/debts", DEBT)
        second, body, _ = await api.call("POST", "/debts", DEBT)
    assert (first, second) == (201, 429)
    assert body["details"]["retry_after"] == Decimal("0.4")


async def test_reads_and_writes_have_separate_budgets(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim = await getbill_simulator_factory(write_limit=1, read_limit=1)
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        write, _, _ = await api.call("POST", "/debts", DEBT)
        read, _, _ = await api.call("GET", "/debts")
    assert (write, read) == (201, 200)


async def test_batch_counts_as_one_write(getbill_simulator_factory: SimulatorFactory) -> None:
    sim = await getbill_simulator_factory(write_limit=2)
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        status, _, headers = await api.call("POST", "/debts/batch", {"debts": [DEBT] * 5})
    assert (status, headers["X-RateLimit-Remaining"]) == (200, "1")


async def test_batch_can_count_one_write_per_debt(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim = await getbill_simulator_factory(write_limit=4, batch_cost="item")
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        status, _, _ = await api.call("POST", "/debts/batch", {"debts": [DEBT] * 5})
    assert status == 429
    assert sim.state.debts == {}


async def test_per_window_counts_come_from_the_request_log(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    clock = FakeClock()
    sim = await getbill_simulator_factory(write_limit=2, clock=clock)
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        for _ in range(3):
            await api.call("POST", "/debts", DEBT)
            clock.advance(1)
    assert sim.state.admitted("write", clock.now - 3600, clock.now) == 2
    assert [e.status for e in sim.state.requests(bucket="write")] == [201, 201, 429]


async def test_create_answers_201_with_the_full_debt_object(api: Api) -> None:
    status, body, _ = await api.call("POST", "/debts", {**DEBT, "phone": "0612345678"})
    assert (status, body["message"]) == (201, "Debt created successfully")
    data = body["data"]
    assert (data["phone"], data["amount_text"], data["status"]) == (
        "+33612345678",
        "99.90",
        "status.default.pending",
    )
    assert {"contacts", "payment_plan_active", "import_date", "metadata"} <= set(data)


async def test_create_validation_uses_the_details_envelope(api: Api) -> None:
    status, body, _ = await api.call("POST", "/debts", {"currency": "EUR"})
    assert (status, body["message"]) == (400, "Validation failed")
    assert body["details"] == {
        "firstname": ["First name is required"],
        "lastname": ["Last name is required"],
        "amount": ["Valid amount is required"],
        "phone": ["Phone number is required"],
    }


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("0690123456", "number format is not valid"),
        ("+3361234", "phone number too short"),
        ("+336123456789012", "phone number too long"),
        ("+999123456789", "invalid country code"),
    ],
)
async def test_invalid_phone_gets_the_documented_message(
    api: Api, phone: str, message: str
) -> None:
    status, body, _ = await api.call("POST", "/debts", {**DEBT, "phone": phone})
    assert (status, body["details"]["phone"]) == (400, [message])


async def test_invalid_phone_with_a_valid_email_is_accepted_without_the_phone(api: Api) -> None:
    body = {**DEBT, "phone": "0690123456", "email": "marie@example.com"}
    status, answer, _ = await api.call("POST", "/debts", body)
    assert (status, answer["data"]["phone"]) == (201, None)


async def test_unknown_field_is_refused(api: Api) -> None:
    status, body, _ = await api.call("POST", "/debts", {**DEBT, "nickname": "Mimi"})
    assert (status, body["details"]) == (400, {"nickname": ["Unknown field"]})


async def test_due_date_not_after_invoice_date_is_refused(api: Api) -> None:
    dates = {"invoice_date": "2024-01-01", "due_date": "2024-01-01"}
    status, body, _ = await api.call("POST", "/debts", {**DEBT, **dates})
    assert (status, list(body["details"])) == (400, ["due_date"])


async def test_expensive_destination_is_a_422_with_destination_details(api: Api) -> None:
    status, body, _ = await api.call("POST", "/debts", {**DEBT, "phone": "+590690123456"})
    assert status == 422
    assert body["details"]["destination"] == {
        "country_code": "GP",
        "name": "Guadeloupe",
        "credits": 100,
        "multiplier": Decimal("4.0"),
    }


async def test_invalid_json_is_refused(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token}"}
    async with api.session.post(api.sim.base_url + "/debts", data="{", headers=headers) as raw:
        body = await raw.json()
    assert (raw.status, body["message"]) == (400, "Invalid JSON payload")


async def test_missing_write_scope_is_403(getbill_simulator_factory: SimulatorFactory) -> None:
    sim = await getbill_simulator_factory(scopes=("debts:read",))
    async with aiohttp.ClientSession() as session:
        api = await make_api(sim, session)
        status, body, _ = await api.call("POST", "/debts", DEBT)
    assert (status, body["message"]) == (403, 'Required scope "debts:write" not found in token')


async def test_batch_over_1000_debts_is_refused(api: Api) -> None:
    status, body, _ = await api.call("POST", "/debts/batch", {"debts": [DEBT] * 1001})
    assert (status, list(body["details"])) == (400, ["debts"])
    assert api.sim.state.debts == {}


async def test_batch_reports_created_failed_skipped_and_summary(api: Api) -> None:
    debts = [
        {**DEBT, "temp_id": "a"},
        {**DEBT, "temp_id": "b", "amount": 0},
        {**DEBT, "temp_id": "c", "firstname": "*"},
        {**DEBT, "temp_id": "d", "phone": "+212612345678"},
    ]
    status, body, _ = await api.call("POST", "/debts/batch", {"debts": debts})
    data = body["data"]
    assert status == 200
    assert [c["temp_id"] for c in data["created"]] == ["a"]
    assert [(f["temp_id"], list(f["errors"])) for f in data["failed"]] == [
        ("b", ["amount"]),
        ("d", ["phone"]),
    ]
    assert data["failed"][1]["destination"]["country_code"] == "MA"
    assert [s["temp_id"] for s in data["skipped"]] == ["c"]
    assert data["summary"] == {"total": 4, "created": 1, "failed": 2, "skipped": 1}
    assert data["import_id"].startswith("enc_imp_")


async def test_batch_level_opt_in_applies_to_every_item(api: Api) -> None:
    body = {"accept_expensive_destination": True, "debts": [{**DEBT, "phone": "+212612345678"}]}
    _, answer, _ = await api.call("POST", "/debts/batch", body)
    assert answer["data"]["summary"]["created"] == 1


async def test_list_clamps_limit_to_100(api: Api) -> None:
    await api.call("POST", "/debts/batch", {"debts": [DEBT] * 150})
    status, body, _ = await api.call("GET", "/debts", limit="500")
    assert (status, len(body["data"])) == (200, 100)
    assert body["pagination"] == {"total": 150, "page": 1, "limit": 100, "pages": 2}


async def test_list_defaults_to_20_per_page(api: Api) -> None:
    await api.call("POST", "/debts/batch", {"debts": [DEBT] * 25})
    _, body, _ = await api.call("GET", "/debts", page="2")
    assert (len(body["data"]), body["pagination"]["pages"]) == (5, 2)


async def test_list_refuses_a_bad_amount_filter_like_the_docs(api: Api) -> None:
    status, body, _ = await api.call("GET", "/debts", amount_min="lots")
    assert (status, body["message"], body["details"]) == (
        400,
        "Invalid filter parameter",
        {"amount_min": ["Must be a valid number"]},
    )


async def test_update_is_partial(api: Api) -> None:
    _, created, _ = await api.call("POST", "/debts", {**DEBT, "city": "Paris"})
    debt_id = created["data"]["id"]
    status, body, _ = await api.call("PUT", f"/debts/{debt_id}", {"amount": Decimal("10.5")})
    assert status == 200
    assert (body["data"]["amount_text"], body["data"]["city"]) == ("10.50", "Paris")


async def test_update_refuses_a_status_the_api_may_not_set(api: Api) -> None:
    _, created, _ = await api.call("POST", "/debts", DEBT)
    debt_id = created["data"]["id"]
    status, body, _ = await api.call(
        "PUT", f"/debts/{debt_id}", {"status": "status.default.settled"}
    )
    assert (status, list(body["details"])) == (400, ["status"])


async def test_update_with_null_metadata_clears_it(api: Api) -> None:
    _, created, _ = await api.call("POST", "/debts", {**DEBT, "metadata": {"a": 1}})
    debt_id = created["data"]["id"]
    _, body, _ = await api.call("PUT", f"/debts/{debt_id}", {"metadata": None})
    assert body["data"]["metadata"] is None


async def test_delete_answers_without_data_and_forgets_the_debt(api: Api) -> None:
    _, created, _ = await api.call("POST", "/debts", DEBT)
    debt_id = created["data"]["id"]
    status, body, _ = await api.call("DELETE", f"/debts/{debt_id}")
    assert (status, body) == (200, {"error": False, "message": "Debt deleted successfully"})
    assert (await api.call("GET", f"/debts/{debt_id}"))[0] == 404


def test_simulator_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "debtkit_getbill.simulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert "--port" in done.stdout
