"""GetBill's resource families against the simulator on loopback: every call, its state,
its documented errors and envelopes, and what each request spent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import aiohttp
import attrs
import pytest
from debtkit_getbill import GetBillClient
from debtkit_getbill.followups import FollowupStatus, FollowupType
from debtkit_getbill.pytest_plugin import SimulatorFactory
from debtkit_getbill.reports import DownloadError
from debtkit_getbill.simulator import RunningSimulator
from debtkit_getbill.simulator.account import generate_report
from debtkit_getbill.simulator.extras import EXTRAS

from debtkit import (
    BadRequestError,
    Case,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from debtkit.retry import NO_RETRY
from tests.adapters.getbill.helpers import FakeClock, person_debt, with_debtor


async def two_debts_of_one_debtor(client: GetBillClient) -> tuple[Case, Case]:
    first = await client.create(attrs.evolve(person_debt("R-1"), creditor_name="Lyon Habitat"))
    second = await client.create(
        attrs.evolve(person_debt("R-2", amount=Decimal("10.10")), creditor_name="Lyon Habitat")
    )
    return first, second


T = TypeVar("T")


async def collect(stream: AsyncIterator[T]) -> list[T]:
    return [item async for item in stream]


# -- followups ------------------------------------------------------------------------------


async def test_followup_lifecycle_create_get_update_list_and_by_debt(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        created = await client.followups.create(
            case.provider_id, type=FollowupType.SMS, summary="Reminder sent", duration_ms=0
        )
        updated = await client.followups.update(created.id, status=FollowupStatus.DELIVERED)
        fetched = await client.followups.get(created.id)
        listed = await collect(client.followups.list(type="sms"))
        by_debt = await collect(client.followups.by_debt(case.provider_id))
    assert (created.type, created.status, created.debt_id) == (
        FollowupType.SMS,
        FollowupStatus.SCHEDULED,
        case.provider_id,
    )
    assert fetched == updated
    assert fetched.status is FollowupStatus.DELIVERED
    assert listed == [fetched]
    assert by_debt == [fetched]


async def test_followup_list_filters_by_status(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        await client.followups.create(case.provider_id, type="call", status="no_answer")
        await client.followups.create(case.provider_id, type="call", status="deal_found")
        found = await collect(client.followups.list(status=FollowupStatus.DEAL_FOUND))
    assert [f.status_raw for f in found] == ["deal_found"]


async def test_followups_walk_every_page(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        for _ in range(103):
            await client.followups.create(case.provider_id, type="email")
        found = await collect(client.followups.by_debt(case.provider_id))
    assert len({f.id for f in found}) == 103
    pages = getbill_simulator.state.requests(path="/followups/debt/")
    assert [e.query["page"] for e in pages] == ["1", "2"]


async def test_followup_with_an_undocumented_type_is_refused_by_the_simulator(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        with pytest.raises(BadRequestError) as caught:
            await client.followups.create(case.provider_id, type="fax")
    assert [p.path for p in caught.value.problems] == ["type"]


async def test_followup_on_an_unknown_debt_is_not_found(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        with pytest.raises(NotFoundError):
            await client.followups.create("nope", type="call")
        with pytest.raises(NotFoundError):
            await client.followups.get("nope")


# -- debtors and creditors ------------------------------------------------------------------


async def test_debtors_are_derived_from_debts_with_their_totals(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        first, _ = await two_debts_of_one_debtor(client)
        await client.create(with_debtor(person_debt("R-3"), first_name="Pierre", phone=None))
        await client.update(first.provider_id, status="status.default.paid")
        debtors = await collect(client.debtors.list())
        marie = next(d for d in debtors if d.first_name == "Marie")
        detail = await client.debtors.get(marie.id)
    assert len(debtors) == 2
    assert (detail.debts_count, detail.total_debt_amount, detail.total_paid_amount) == (
        2,
        Decimal("110.00"),
        Decimal("99.90"),
    )
    assert detail.average_repayment_score == 91
    assert detail.first_seen_at is not None
    assert detail.first_seen_at.tzinfo is None


async def test_debtor_update_is_stored_and_answered_double_wrapped(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt())
        (debtor,) = await collect(client.debtors.list())
        updated = await client.debtors.update(
            debtor.id,
            email="marie.curie@example.org",
            date_of_birth=dt.date(1967, 11, 7),
        )
        again = await client.debtors.get(updated.id)
    assert (again.email, again.date_of_birth) == ("marie.curie@example.org", dt.date(1967, 11, 7))
    extras = getbill_simulator.app[EXTRAS]
    assert extras.debtors[updated.id]["dateOfBirth"] == "1967-11-07"


async def test_simulator_refuses_a_bad_date_of_birth_with_the_documented_message(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await client.create(person_debt())
        (debtor,) = await collect(client.debtors.list())
        raw = client.debtors._write  # bypass the local check to reach the simulator
        with pytest.raises(BadRequestError) as caught:
            await raw.write("PUT", f"debtors/{debtor.id}", {"dateOfBirth": "07/11/1967"})
    assert caught.value.message == "Invalid dateOfBirth format. Use YYYY-MM-DD"


async def test_debts_by_debtor_and_by_creditor(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        first, second = await two_debts_of_one_debtor(client)
        await client.create(person_debt("R-9"))  # no creditor
        (debtor,) = await collect(client.debtors.list())
        (creditor,) = await collect(client.creditors.list())
        by_debtor = await collect(client.debtors.debts(debtor.id))
        by_creditor = await collect(client.creditors.debts(creditor.id))
        pending = await collect(client.creditors.debts(creditor.id, status="status.default.paid"))
    assert {c.provider_id for c in by_debtor} == {
        first.provider_id,
        second.provider_id,
        by_debtor[2].provider_id,
    }
    assert [c.provider_id for c in by_creditor] == [first.provider_id, second.provider_id]
    assert pending == []


async def test_creditor_get_put_and_patch(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        await two_debts_of_one_debtor(client)
        (listed,) = await collect(client.creditors.list())
        creditor_id = listed.id
        detail = await client.creditors.get(creditor_id)
        patched = await client.creditors.partial_update(creditor_id, city="Lyon", tax_number="FR1")
        replaced = await client.creditors.update(creditor_id, name="Lyon Habitat SAS")
    assert (detail.name, detail.total_debts, detail.total_amount) == (
        "Lyon Habitat",
        2,
        Decimal("110.00"),
    )
    assert (patched.name, patched.city, patched.tax_number) == ("Lyon Habitat", "Lyon", "FR1")
    assert (replaced.name, replaced.city, replaced.tax_number) == ("Lyon Habitat SAS", None, None)


async def test_creditor_with_a_bad_email_is_refused_with_an_errors_list(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        await two_debts_of_one_debtor(client)
        (listed,) = await collect(client.creditors.list())
        with pytest.raises(BadRequestError) as caught:
            await client.creditors.partial_update(listed.id, email="not-an-email")
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("email", "This value is not a valid email address.")
    ]
    assert isinstance(caught.value.body["errors"], list)


# -- company --------------------------------------------------------------------------------


async def test_company_profile_credits_and_users(getbill_simulator: RunningSimulator) -> None:
    getbill_simulator.app[EXTRAS].credits["current_credits"] = 1234
    async with getbill_simulator.connect() as client:
        profile = await client.company.profile()
        credits = await client.company.credits()
        users = await collect(client.company.users())
    assert profile.name == "Simulated Collections SAS"
    assert credits.current_credits == 1234
    assert credits.subscription is not None
    assert credits.subscription.status == "active"
    assert [u.is_active for u in users] == [True, False]


async def test_a_client_without_a_family_scope_loses_only_that_family(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim = await getbill_simulator_factory(scopes=("debts:read", "debts:write", "company:read"))
    async with sim.connect() as client:
        case = await client.create(person_debt())
        credits = await client.company.credits()
        with pytest.raises(PermissionDeniedError):
            await collect(client.company.users())
        assert (await client.get(case.provider_id)).provider_id == case.provider_id
    assert credits.current_credits > 0


# -- reports --------------------------------------------------------------------------------


async def test_reports_list_get_download_and_save(
    getbill_simulator: RunningSimulator, tmp_path: Path
) -> None:
    async with getbill_simulator.connect() as client:
        reports = await collect(client.reports.list())
        financial = await collect(client.reports.list(type="financial"))
        report = await client.reports.get(financial[0].id)
        download = await client.reports.download(report.id)
        saved = await client.reports.save(report.id, tmp_path / "financial.pdf", chunk_size=4096)
    extras = getbill_simulator.app[EXTRAS]
    assert len(reports) == 2
    assert (report.type, report.download_available) == ("financial", True)
    assert download.file_size == report.file_size
    assert download.expires_at is not None
    assert saved.read_bytes() == extras.files[report.id]
    assert all("Authorization" not in headers for headers in extras.download_log)


async def test_a_signed_url_works_once(getbill_simulator: RunningSimulator, tmp_path: Path) -> None:
    async with getbill_simulator.connect() as client:
        (report, _) = await collect(client.reports.list())
        download = await client.reports.download(report.id)
        session = client.transport.session()
        async with session.get(download.download_url) as first:
            assert first.status == 200
        async with session.get(download.download_url) as second:
            assert second.status == 403


async def test_an_expired_signed_url_is_refused(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    clock = FakeClock()
    sim = await getbill_simulator_factory(clock=clock)
    async with sim.connect(retry=NO_RETRY) as client:
        (report, _) = await collect(client.reports.list())
        download = await client.reports.download(report.id)
        clock.advance(3600)
        async with client.transport.session().get(download.download_url) as answer:
            assert answer.status == 403


async def test_save_refuses_a_report_over_max_bytes(
    getbill_simulator: RunningSimulator, tmp_path: Path
) -> None:
    async with getbill_simulator.connect() as client:
        (report, _) = await collect(client.reports.list())
        with pytest.raises(DownloadError):
            await client.reports.save(report.id, tmp_path / "r.pdf", max_bytes=10)


# -- budgets and preflight -------------------------------------------------------------------


async def test_family_reads_and_writes_land_in_the_simulator_buckets(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        before = len(getbill_simulator.state.log)
        followup = await client.followups.create(case.provider_id, type="call")
        await client.followups.get(followup.id)
        await client.company.credits()
    buckets = [(e.method, e.bucket) for e in getbill_simulator.state.log[before:]]
    assert buckets == [("POST", "write"), ("GET", "read"), ("GET", "read")]


async def test_preflight_finds_nothing_when_the_balance_covers_the_estimate(
    getbill_simulator: RunningSimulator,
) -> None:
    getbill_simulator.app[EXTRAS].credits["current_credits"] = 25
    async with getbill_simulator.connect() as client:
        assert await client.preflight([person_debt()]) == []


async def test_preflight_finds_an_estimate_over_the_balance(
    getbill_simulator: RunningSimulator,
) -> None:
    getbill_simulator.app[EXTRAS].credits["current_credits"] = 49
    async with getbill_simulator.connect() as client:
        (finding,) = await client.preflight([person_debt("A"), person_debt("B")])
    assert finding == "estimated 50 credits exceed the getbill balance of 49"


async def test_preflight_finds_a_balance_it_cannot_read(
    getbill_simulator_factory: SimulatorFactory,
) -> None:
    sim = await getbill_simulator_factory(scopes=("debts:read", "debts:write"))
    async with sim.connect() as client:
        (finding,) = await client.preflight([person_debt()])
    assert "balance not read" in finding
    assert "unchecked" in finding


async def test_unknown_ids_are_not_found_everywhere(getbill_simulator: RunningSimulator) -> None:
    async with getbill_simulator.connect() as client:
        for call in (
            client.debtors.get("x"),
            client.creditors.get("x"),
            client.reports.get("x"),
            client.reports.download("x"),
        ):
            with pytest.raises(NotFoundError):
                await call
        with pytest.raises(NotFoundError):
            await collect(client.debtors.debts("x"))
        with pytest.raises(ValidationError):
            await client.debtors.update("x", date_of_birth="x")


async def test_deleting_a_debt_takes_its_followups_along(
    getbill_simulator: RunningSimulator,
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        followup = await client.followups.create(case.provider_id, type="call")
        await client.delete(case.provider_id)
        assert await collect(client.followups.list()) == []
        with pytest.raises(NotFoundError):
            await client.followups.get(followup.id)


async def test_a_generated_report_describes_the_debts_without_personal_data(
    getbill_simulator: RunningSimulator, tmp_path: Path
) -> None:
    async with getbill_simulator.connect() as client:
        case = await client.create(person_debt())
        report = generate_report(getbill_simulator.extras, "collection")
        saved = await client.reports.save(report["id"], tmp_path / "collection.csv")
    text = saved.read_text()
    assert f"{case.provider_id},status.default.pending,99.90,EUR,0" in text
    assert "Marie" not in text


async def test_a_callers_session_default_credentials_never_reach_the_file_host(
    getbill_simulator: RunningSimulator, tmp_path: Path
) -> None:
    headers = {"Authorization": "Bearer callers-own", "X-Api-Key": "k"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with getbill_simulator.connect(session=session) as client:
            (report, _) = await collect(client.reports.list())
            await client.reports.save(report.id, tmp_path / "r.csv")
        assert not session.closed  # the caller's session is the caller's to close
    (sent,) = getbill_simulator.extras.download_log
    assert "Authorization" not in sent
    assert "X-Api-Key" not in sent
