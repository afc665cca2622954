"""Every GetBill response example of the fact sheet's followups, debtors, creditors, company
and reports, served by mocked HTTP and parsed through the client: quirks included."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from debtkit_getbill import GetBillAdapter, GetBillClient
from debtkit_getbill.followups import FollowupDirection, FollowupStatus, FollowupType

from debtkit import BadRequestError, CaseStatus
from debtkit.retry import NO_RETRY
from debtkit.testing.http_mock import MockHttp
from tests.adapters.getbill.helpers import BASE, seed, seed_text

UTC = dt.timezone.utc
ANY_QUERY = r"(\?.*)?$"


def connect() -> GetBillClient:
    return GetBillAdapter().connect({"access_token": "tok"}, base_url=BASE, retry=NO_RETRY)


def serve(mock_http: MockHttp, path: str, fixture: str, *, method: str = "GET") -> None:
    url = re.compile(re.escape(f"{BASE}/{path}") + ANY_QUERY)
    mock_http.add(url, method, body=seed_text(fixture), content_type="application/json")


# -- followups ------------------------------------------------------------------------------


async def test_list_followups_example_parses_every_field(mock_http: MockHttp) -> None:
    serve(mock_http, "followups", "list_followups.json")  # page 1 of 25: read the first
    async with connect() as client:
        item = await client.followups.list().__anext__()
    assert (item.id, item.debt_id) == ("fu_call_001", "debt_0042")
    assert (item.type, item.status, item.direction) == (
        FollowupType.CALL,
        FollowupStatus.DEAL_FOUND,
        FollowupDirection.OUTBOUND,
    )
    assert item.call_date == dt.datetime(2024, 3, 4, 9, 15, tzinfo=UTC)
    assert item.media_urls_expire_at == dt.datetime(2024, 3, 4, 10, 20, tzinfo=UTC)
    assert (item.duration_ms, item.triggered_payment, item.email_open_count) == (154000, True, 0)
    assert item.raw == seed("list_followups.json")["data"][0]


async def test_get_followup_example_parses(mock_http: MockHttp) -> None:
    serve(mock_http, "followups/fu_call_001", "get_followup.json")
    async with connect() as client:
        item = await client.followups.get("fu_call_001")
    assert (item.id, item.status_raw, item.call_id) == ("fu_call_001", "deal_found", "call_5521")


async def test_followups_by_debt_example_reads_an_email_with_null_direction(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "followups/debt/debt_0042", "followups_by_debt.json")
    async with connect() as client:
        items = [f async for f in client.followups.by_debt("debt_0042")]
    email = items[1]
    assert (email.type, email.status, email.direction) == (
        FollowupType.EMAIL,
        FollowupStatus.DELIVERED,
        None,
    )
    assert (email.email_opened, email.email_open_count, email.email_click_count) == (True, 2, 1)
    assert email.email_first_opened_at == dt.datetime(2024, 3, 1, 16, 10, tzinfo=UTC)
    assert email.media_urls_expire_at is None  # absent from this example


async def test_create_followup_example_parses_a_scheduled_call(mock_http: MockHttp) -> None:
    serve(mock_http, "followups", "create_followup.json", method="POST")
    async with connect() as client:
        item = await client.followups.create("debt_0042", type=FollowupType.CALL)
    assert (item.id, item.status, item.call_date) == ("fu_new_003", FollowupStatus.SCHEDULED, None)
    assert item.scheduled_at == dt.datetime(2024, 3, 10, 10, tzinfo=UTC)


async def test_update_followup_example_parses(mock_http: MockHttp) -> None:
    serve(mock_http, "followups/fu_call_001", "update_followup.json", method="PUT")
    async with connect() as client:
        item = await client.followups.update("fu_call_001", status="no_answer")
    assert (item.status, item.notes) == (FollowupStatus.NO_ANSWER, "Voicemail left")


async def test_unknown_followup_vocabulary_reads_as_unknown_and_keeps_the_string(
    mock_http: MockHttp,
) -> None:
    body = seed_text("get_followup.json")
    for old, new in (('"call"', '"carrier_pigeon"'), ('"deal_found"', '"escalated"')):
        body = body.replace(old, new, 1)
    body = body.replace('"outbound"', '"internal"')
    mock_http.get(f"{BASE}/followups/x", body=body, content_type="application/json")
    async with connect() as client:
        item = await client.followups.get("x")
    assert (item.type, item.type_raw) == (FollowupType.UNKNOWN, "carrier_pigeon")
    assert (item.status, item.status_raw) == (FollowupStatus.UNKNOWN, "escalated")
    assert (item.direction, item.direction_raw) == (FollowupDirection.UNKNOWN, "internal")


# -- debtors --------------------------------------------------------------------------------


async def test_list_debtors_example_reads_camel_case_and_naive_times(mock_http: MockHttp) -> None:
    serve(mock_http, "debtors", "list_debtors.json")
    serve(mock_http, "debtors", "list_debtors.json")  # page 2 of 11 repeats: deduplicated
    serve(mock_http, "debtors", "list_debtors.json")
    async with connect() as client:
        debtors = []
        async for debtor in client.debtors.list():
            debtors.append(debtor)
            if len(debtors) == 2:
                break
    first = debtors[0]
    assert (first.id, first.first_name, first.last_name) == ("dbr_0001", "Jeanne", "Martin")
    assert first.date_of_birth == dt.date(1980, 5, 17)
    assert first.first_seen_at == dt.datetime(2024, 1, 15, 10, 30)
    assert first.first_seen_at.tzinfo is None  # the zone is undocumented: not guessed
    assert first.total_debt_amount is None  # totals come with get only


async def test_get_debtor_example_is_unwrapped_twice_and_has_its_totals(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "debtors/dbr_0001", "get_debtor.json")
    async with connect() as client:
        debtor = await client.debtors.get("dbr_0001")
    assert debtor.id == "dbr_0001"
    assert (debtor.total_debt_amount, debtor.total_paid_amount) == (
        Decimal("2500.00"),
        Decimal("750.50"),
    )
    assert (debtor.average_repayment_score, debtor.debts_count) == (Decimal(65), 3)
    assert debtor.last_updated_at == dt.datetime(2024, 1, 20, 14, 22)


async def test_update_debtor_example_with_its_message_inside_data_parses(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "debtors/dbr_0001", "update_debtor.json", method="PUT")
    async with connect() as client:
        debtor = await client.debtors.update("dbr_0001", email="j.martin@example.com")
    assert (debtor.id, debtor.email) == ("dbr_0001", "j.martin@example.com")
    assert debtor.last_updated_at == dt.datetime(2024, 2, 1, 8, 0)


async def test_update_debtor_bad_date_example_is_a_bad_request(mock_http: MockHttp) -> None:
    mock_http.put(
        f"{BASE}/debtors/dbr_0001",
        status=400,
        body=seed_text("update_debtor_error_400.json"),
        content_type="application/json",
    )
    async with connect() as client:
        with pytest.raises(BadRequestError) as caught:
            await client.debtors.update("dbr_0001", first_name="Jeanne")
    assert caught.value.message == "Invalid dateOfBirth format. Use YYYY-MM-DD"
    assert caught.value.status == 400


async def test_debts_by_debtor_example_gives_cases(mock_http: MockHttp) -> None:
    serve(mock_http, "debts/by-debtor/dbr_0001", "list_debts.json")
    serve(mock_http, "debts/by-debtor/dbr_0001", "list_debts.json")
    async with connect() as client:
        cases = []
        async for case in client.debtors.debts("dbr_0001"):
            cases.append(case)
            if len(cases) == 2:
                break
    assert [(c.provider_id, c.status) for c in cases] == [
        ("abc123def456", CaseStatus.IN_PROGRESS),
        ("xyz789ghi012", CaseStatus.PENDING),
    ]


# -- creditors ------------------------------------------------------------------------------


async def test_list_creditors_example_reads_camel_case(mock_http: MockHttp) -> None:
    for _ in range(3):
        serve(mock_http, "creditors", "list_creditors.json")
    async with connect() as client:
        creditors = [c async for c in client.creditors.list()]
    assert [c.id for c in creditors] == ["crd_0001", "crd_0002"]
    second = creditors[1]
    assert (second.postal_code, second.registration_number, second.tax_number) == (
        "59000",
        "B987654321",
        "FR98987654321",
    )
    assert (second.contact_person, second.country) == ("Claire Petit", "France")
    assert second.created_at == dt.datetime(2024, 1, 10, 9, 15)


async def test_get_creditor_example_is_unwrapped_twice_and_has_its_totals(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "creditors/crd_0001", "get_creditor.json")
    async with connect() as client:
        creditor = await client.creditors.get("crd_0001")
    assert (creditor.id, creditor.name) == ("crd_0001", "Lyon Habitat SARL")
    assert (creditor.total_debts, creditor.total_amount) == (45, Decimal("125750.00"))
    assert creditor.updated_at == dt.datetime(2024, 1, 20, 14, 22)


async def test_debts_by_creditor_example_gives_cases(mock_http: MockHttp) -> None:
    serve(mock_http, "debts/by-creditor/crd_0001", "list_debts.json")
    async with connect() as client:
        stream = client.creditors.debts("crd_0001", status="status.default.pending")
        first = await stream.__anext__()
    assert (first.provider_id, first.amount) == ("abc123def456", Decimal("1250.00"))


# -- company --------------------------------------------------------------------------------


async def test_company_profile_example_parses_with_a_utc_time(mock_http: MockHttp) -> None:
    serve(mock_http, "company/profile", "company_profile.json")
    async with connect() as client:
        profile = await client.company.profile()
    assert (profile.id, profile.name) == ("cmp_0001", "Recouvrement Rhône SAS")
    assert profile.created_at == dt.datetime(2023, 1, 15, 10, 30, tzinfo=UTC)


async def test_company_credits_example_gives_the_balance_and_subscription(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "company/credits", "company_credits.json")
    async with connect() as client:
        credits = await client.company.credits()
    assert credits.current_credits == Decimal(847)
    assert credits.subscription is not None
    assert (credits.subscription.plan, credits.subscription.status) == ("Professional", "active")
    assert credits.subscription.expires_at == dt.datetime(2024, 2, 15, 23, 59, 59, tzinfo=UTC)


async def test_company_users_example_is_one_unpaginated_array(mock_http: MockHttp) -> None:
    serve(mock_http, "company/users", "company_users.json")
    async with connect() as client:
        users = [u async for u in client.company.users()]
    assert [(u.id, u.is_active) for u in users] == [("usr_0001", True), ("usr_0002", False)]
    assert users[1].last_activity == dt.datetime(2023, 12, 15, 13, 30, tzinfo=UTC)
    assert len(mock_http.requests) == 1  # no page parameters, one request


# -- reports --------------------------------------------------------------------------------


async def test_list_reports_example_parses_both_reports(mock_http: MockHttp) -> None:
    serve(mock_http, "reports", "list_reports.json")
    async with connect() as client:
        reports = [r async for r in client.reports.list(type="financial")]
    assert [(r.id, r.type) for r in reports] == [
        ("rpt_0001", "financial"),
        ("rpt_0002", "collection"),
    ]
    assert reports[1].file_size == 186420
    assert (reports[1].period_from, reports[1].period_to) == (
        dt.date(2023, 10, 1),
        dt.date(2023, 12, 31),
    )


async def test_get_report_example_parses(mock_http: MockHttp) -> None:
    serve(mock_http, "reports/rpt_0001", "get_report.json")
    async with connect() as client:
        report = await client.reports.get("rpt_0001")
    assert (report.status, report.download_available) == ("completed", True)
    assert report.generated_at == dt.datetime(2024, 2, 1, 9, 30, tzinfo=UTC)


async def test_download_report_example_gives_the_signed_url_and_its_expiry(
    mock_http: MockHttp,
) -> None:
    serve(mock_http, "reports/download/rpt_0001", "download_report.json")
    async with connect() as client:
        download = await client.reports.download("rpt_0001")
    assert download.download_url.startswith("https://secure-downloads.getbill.io/reports/rpt_0001")
    assert download.expires_at == dt.datetime(2024, 2, 1, 12, 30, tzinfo=UTC)
    assert download.expired(dt.datetime(2024, 2, 1, 12, 30, tzinfo=UTC))
    assert not download.expired(dt.datetime(2024, 2, 1, 12, 29, tzinfo=UTC))
    assert "signature" not in repr(download)


def test_a_naive_field_that_carries_an_offset_keeps_its_instant_in_utc() -> None:
    from debtkit_getbill.debtors import Debtor
    from debtkit_getbill.models import structure

    debtor = structure(
        {
            "id": "d",
            "firstSeenAt": "2024-01-15T10:30:00+02:00",
            "lastSeenAt": "2024-01-15T08:00:00Z",
        },
        Debtor,
        "GetBill debtor",
    )
    assert debtor.first_seen_at == dt.datetime(2024, 1, 15, 8, 30, tzinfo=UTC)
    assert debtor.last_seen_at == dt.datetime(2024, 1, 15, 8, 0, tzinfo=UTC)


async def test_no_personal_data_in_any_family_models_repr(mock_http: MockHttp) -> None:
    serve(mock_http, "debtors/dbr_0001", "get_debtor.json")
    serve(mock_http, "followups/fu_call_001", "get_followup.json")
    serve(mock_http, "creditors/crd_0001", "get_creditor.json")
    serve(mock_http, "company/users", "company_users.json")
    async with connect() as client:
        shown = " ".join(
            [
                repr(await client.debtors.get("dbr_0001")),
                repr(await client.followups.get("fu_call_001")),
                repr(await client.creditors.get("crd_0001")),
                repr([u async for u in client.company.users()]),
            ]
        )
    for personal in ("Jeanne", "Martin", "jeanne.martin", "+33612345678", "1980, 5, 17",
                     "Debtor reached", "Prefers morning", "+33900000001", "Paul Durand",
                     "billing@lyon-habitat", "Lucie", "manager@"):  # fmt: skip
        assert personal not in shown
