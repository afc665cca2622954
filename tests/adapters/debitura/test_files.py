"""Case documents against the simulator: upload, list, local refusals, exactly-once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from debtkit_debitura.files import MAX_UPLOAD_BYTES, CaseFile, DocumentType
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import AmbiguousWriteError, ConnectionFailedError, NotFoundError, ValidationError
from debtkit.retry import RetryPolicy
from debtkit.simulator import Faults
from tests.adapters.debitura.contract import Exchange
from tests.adapters.debitura.helpers import MISSING_CASE, connect, new_case, records

PDF = b"%PDF-1.4 simulated invoice"


async def test_upload_from_a_path_attaches_the_file_to_the_case(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice-001.pdf"
    invoice.write_bytes(PDF)
    async with connect(sim) as client:
        case = await new_case(client)
        uploaded = await client.files.upload(case.provider_id, invoice, description="March")
    stored = records(sim).files[case.provider_id]
    assert [(f.record["id"], f.size) for f in stored] == [(uploaded.id, len(PDF))]
    assert uploaded.file_name == "invoice-001.pdf"
    assert uploaded.description == "March"
    assert uploaded.document_type is DocumentType.ORIGINAL_INVOICE


async def test_upload_of_bytes_sends_the_document_type(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        uploaded = await client.files.upload(
            case.provider_id, b"a,b\n", file_name="ledger.CSV", document_type="DemandLetter"
        )
    assert uploaded.document_type is DocumentType.DEMAND_LETTER
    assert uploaded.file_name == "ledger.CSV"


async def test_list_yields_every_file_of_the_case_in_order(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        sent = [
            await client.files.upload(case.provider_id, PDF, file_name=f"{n}.pdf") for n in range(3)
        ]
        listed = [f async for f in client.files.list(case.provider_id)]
    assert [f.id for f in listed] == [f.id for f in sent]


async def test_files_of_an_unknown_case_raise_not_found(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(NotFoundError):
            _ = [f async for f in client.files.list(MISSING_CASE)]


@pytest.mark.parametrize("name", ["contract.docx", "archive.zip", "noextension", "x.pdf.exe"])
async def test_an_extension_the_api_refuses_is_refused_locally(
    sim: RunningSimulator, name: str
) -> None:
    async with connect(sim) as client:
        with pytest.raises(ValidationError) as caught:
            await client.files.upload(MISSING_CASE, b"data", file_name=name)
    assert caught.value.problems[0].code == "unsupported_type"
    assert sim.state.requests == []


async def test_a_file_above_25_mib_is_refused_locally_without_reading_it(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as out:
        out.truncate(MAX_UPLOAD_BYTES + 1)  # sparse: nothing is written
    async with connect(sim) as client:
        with pytest.raises(ValidationError) as caught:
            await client.files.upload(MISSING_CASE, big)
    assert caught.value.problems[0].code == "too_large"
    assert sim.state.requests == []


async def test_a_file_of_exactly_25_mib_is_sent(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        uploaded = await client.files.upload(
            case.provider_id, bytes(MAX_UPLOAD_BYTES), file_name="scan.png"
        )
    assert records(sim).files[case.provider_id][0].size == MAX_UPLOAD_BYTES
    assert uploaded.file_name == "scan.png"


async def test_bytes_without_a_file_name_are_refused(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(ValidationError):
            await client.files.upload(MISSING_CASE, PDF)


@pytest.mark.parametrize(
    ("name", "size", "status"),
    [("big.pdf", MAX_UPLOAD_BYTES + 1, 413), ("macro.docm", 10, 415)],
)
async def test_the_simulator_answers_413_and_415_as_documented(
    sim: RunningSimulator, name: str, size: int, status: int
) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
    form = aiohttp.FormData()
    form.add_field("File", bytes(size), filename=name)
    async with aiohttp.ClientSession() as session:
        url = f"{sim.base_url}/cases/{case.provider_id}/files"
        async with session.post(url, data=form, headers={"XApiKey": "sim-debitura-key"}) as r:
            assert r.status == status
            assert (await r.json())["businessErrors"]
    assert case.provider_id not in records(sim).files


def test_an_unknown_document_type_is_kept_when_read() -> None:
    from debtkit_debitura.calls import structure

    read = structure({"id": "f", "documentType": "Contract"}, CaseFile, "file")
    assert read.document_type == "Contract"
    assert read.document_type is not None
    assert not read.document_type.is_known


def test_a_naive_timestamp_is_read_as_utc() -> None:
    from debtkit_debitura.calls import structure

    read = structure({"id": "f", "dateCreated": "2026-06-17T08:30:00"}, CaseFile, "file")
    assert read.date_created == dt.datetime(2026, 6, 17, 8, 30, tzinfo=dt.timezone.utc)


def test_a_file_name_stays_out_of_the_repr() -> None:
    assert "Jane" not in repr(CaseFile(id="f", file_name="Jane-Roe-invoice.pdf"))


def test_the_download_link_tells_when_it_expires() -> None:
    url = "https://blob.example/f?sv=2024&se=2026-12-01T10%3A00%3A00Z&sig=x"
    read = CaseFile(id="f", url=url)
    assert read.url_expires_at == dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc)


async def test_a_hundred_uploads_with_lost_responses_attach_each_file_once(
    sim_factory: Any, exchanges: list[Exchange]
) -> None:
    faults = Faults(seed=13)
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim, retry=RetryPolicy(attempts=8, base=0.0, cap=0.0)) as client:
        case = await new_case(client)
        faults.lost_response, faults.server_error, faults.reset = 0.3, 0.1, 0.1
        uploaded = [
            await client.files.upload(case.provider_id, PDF, file_name=f"invoice-{n:03}.pdf")
            for n in range(100)
        ]
    stored = records(sim).files[case.provider_id]
    names = [f.record["fileName"] for f in stored]
    assert sorted(names) == [f"invoice-{n:03}.pdf" for n in range(100)]  # each exactly once
    assert [f.id for f in uploaded] == [f.record["id"] for f in stored]
    posts = [e for e in exchanges if e.method == "POST" and e.path.endswith("/files")]
    assert sum(e.status == 499 for e in posts) >= 20  # committed, answer lost: settled by lookup
    assert sum(e.status == 500 for e in posts) >= 5  # not committed: re-sent


async def test_an_upload_is_ambiguous_when_the_lookup_fails_too(sim_factory: Any) -> None:
    faults = Faults()
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim) as client:
        case = await new_case(client)
        snapshot = client.files._files
        lookups = 0

        async def lookup_failing_after_the_snapshot(url: str) -> Any:
            nonlocal lookups
            lookups += 1
            if lookups > 1:
                raise ConnectionFailedError("debitura", "GET", url, "reset")
            return await snapshot(url)

        client.files._files = lookup_failing_after_the_snapshot  # type: ignore[method-assign]
        faults.lost_response = 1.0
        with pytest.raises(AmbiguousWriteError):
            await client.files.upload(case.provider_id, PDF, file_name="a.pdf")
    assert len(records(sim).files[case.provider_id]) == 1  # landed once, never re-sent
