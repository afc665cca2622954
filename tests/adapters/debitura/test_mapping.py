from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from debtkit_debitura import DebituraAdapter
from debtkit_debitura.mapping import LIFECYCLES, case_status, preview_request, to_case

from debtkit import Address, AgeBreakdown, CaseStatus, ContactPerson, Debtor, DebtorKind
from debtkit import ValidationError as DebtkitValidationError
from debtkit.jsonutil import dumps, loads
from tests.adapters.debitura.contract import SpecContract
from tests.conftest import make_full_debt

adapter = DebituraAdapter()


def us_debt(state: str | None = "California") -> object:
    debt = make_full_debt()
    address = Address(street="Market Street", number="1", city="San Francisco", state=state)
    address = attrs.evolve(address, country="US", postal_code="94105")
    return attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, address=address))


def person_debt() -> object:
    debtor = Debtor(
        kind=DebtorKind.PERSON,
        first_name="Jeanne",
        last_name="Martin",
        address=Address(street="Rue de la Paix", number="3", city="Lyon", country="FR"),
    )
    return make_full_debt(debtor=debtor, overdue=None)


def test_company_debt_maps_every_field_of_the_create_request() -> None:
    body = loads(dumps(adapter.to_wire(make_full_debt())))
    assert body == {
        "currencyCode": "EUR",
        "amountToRecover": Decimal("1250.00"),
        "date": "2023-12-01T00:00:00Z",
        "dueDate": "2023-12-31T00:00:00Z",
        "amountToRecoverOver6Months": Decimal("900.00"),
        "amountToRecoverOver12Months": Decimal("400.00"),
        "amountToRecoverOver24Months": Decimal("100.00"),
        "creditorReference": "INV-2024-001",
        "claimDescription": "Outstanding invoice #INV-2024-001",
        "comments": "Called twice in December",
        "debtor": {
            "type": "Company",
            "name": "ACME Corporation",
            "contactPerson": "John Doe",
            "companyRegistrationNumber": "FR12345678901",
            "address": "Main Street 123",
            "zipCode": "75001",
            "city": "Paris",
            "countryAlpha2": "FR",
            "email": "john.doe@example.com",
            "phone": "+33612345678",
        },
    }


def test_money_goes_on_the_wire_as_exact_number_literals() -> None:
    text = dumps(adapter.to_wire(make_full_debt(amount=Decimal("0.10"))))
    assert '"amountToRecover":0.10' in text


def test_person_debtor_is_private_and_named_first_then_last() -> None:
    debtor = adapter.to_wire(person_debt())["debtor"]
    assert (debtor["type"], debtor["name"]) == ("Private", "Jeanne Martin")


def test_person_debtor_sends_no_contact_person_or_registration_number() -> None:
    debt = person_debt()
    debt = attrs.evolve(
        debt,
        debtor=attrs.evolve(
            debt.debtor, contact_person=ContactPerson("A", "B"), registration_number="X1"
        ),
    )
    assert {"contactPerson", "companyRegistrationNumber"}.isdisjoint(
        adapter.to_wire(debt)["debtor"]
    )


def test_us_state_given_as_a_full_name_is_sent_as_name_and_two_letter_code() -> None:
    debtor = adapter.to_wire(us_debt("California"))["debtor"]
    assert (debtor["state"], debtor["stateAlpha2"], debtor["countryAlpha2"]) == (
        "California",
        "CA",
        "US",
    )


def test_us_state_given_as_iso_code_is_sent_as_two_letters() -> None:
    assert adapter.to_wire(us_debt("US-NY"))["debtor"]["stateAlpha2"] == "NY"


def test_non_us_region_is_sent_by_name_without_state_alpha2() -> None:
    debt = make_full_debt()
    address = attrs.evolve(debt.debtor.address, state="FR-IDF")
    debtor = adapter.to_wire(attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, address=address)))
    assert debtor["debtor"]["state"] == "Île-de-France"
    assert "stateAlpha2" not in debtor["debtor"]


def test_unresolvable_country_is_sent_as_a_country_name() -> None:
    debt = make_full_debt()
    address = attrs.evolve(debt.debtor.address, country="Atlantis")
    debtor = adapter.to_wire(attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, address=address)))
    assert (debtor["debtor"].get("countryAlpha2"), debtor["debtor"]["country"]) == (
        None,
        "Atlantis",
    )


def test_full_address_line_is_used_when_there_is_no_street() -> None:
    debt = make_full_debt()
    address = Address(city="Paris", country="FR", full="12 Rue X, 75001 Paris")
    body = adapter.to_wire(attrs.evolve(debt, debtor=attrs.evolve(debt.debtor, address=address)))
    assert body["debtor"]["address"] == "12 Rue X, 75001 Paris"


def test_absent_optional_fields_are_omitted_not_null() -> None:
    body = adapter.to_wire(
        make_full_debt(due_date=None, description=None, notes=None, overdue=None)
    )
    assert {"dueDate", "claimDescription", "comments", "amountToRecoverOver12Months"}.isdisjoint(
        body
    )
    assert None not in body.values()


def test_debitura_options_map_to_their_request_fields() -> None:
    options = {
        "creditor_division_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "collection_partner_id": "9b2d4c1e-0a8f-4e5b-9c3d-7e6f5a4b3c2d",
        "allow_pending_contracts": True,
        "is_test": True,
        "tag": "suite-run-1",
        "assigned_user_email": "owner@creditor.example",
        "return_url": "https://app.example/back",
        "skip_debitura_verification": False,
    }
    body = adapter.to_wire(make_full_debt(options={"debitura": options}))
    assert {k: body[k] for k in body if k not in adapter.to_wire(make_full_debt())} == {
        "creditorDivisionId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "collectionPartnerId": "9b2d4c1e-0a8f-4e5b-9c3d-7e6f5a4b3c2d",
        "allowPendingContracts": True,
        "isTest": True,
        "tag": "suite-run-1",
        "assignedUserEmail": "owner@creditor.example",
        "returnUrl": "https://app.example/back",
        "skipDebituraVerification": False,
    }


def test_explicit_create_arguments_override_the_debt_options() -> None:
    debt = make_full_debt(options={"debitura": {"is_test": True, "allow_pending_contracts": True}})
    body = adapter.to_wire(debt, is_test=False, allow_pending_contracts=False)
    assert (body["isTest"], body["allowPendingContracts"]) == (False, False)


def test_invalid_options_refuse_the_mapping() -> None:
    with pytest.raises(DebtkitValidationError) as caught:
        adapter.to_wire(make_full_debt(options={"debitura": {"is_test": "yes"}}))
    assert [p.path for p in caught.value.problems] == ["options.debitura.is_test"]


def test_full_debt_request_validates_against_the_openapi_schema(
    spec_contract: SpecContract,
) -> None:
    options = {"debitura": {"is_test": True, "assigned_user_email": "a@b.example", "tag": "t"}}
    text = dumps(adapter.to_wire(make_full_debt(options=options)))
    assert spec_contract.request_errors("POST", "/cases", text) == []


def test_preview_sends_age_buckets_instead_of_the_due_date() -> None:
    body = preview_request(make_full_debt())
    assert "dueDate" not in body
    assert body["amountToRecoverOver12Months"] == Decimal("400.00")


def test_preview_without_age_buckets_sends_the_due_date() -> None:
    assert preview_request(make_full_debt(overdue=None))["dueDate"] == "2023-12-31T00:00:00Z"


def test_preview_debtor_carries_only_type_country_and_us_state() -> None:
    assert preview_request(us_debt())["debtor"] == {
        "type": "Company",
        "countryAlpha2": "US",
        "stateAlpha2": "CA",
    }


def test_preview_request_validates_against_the_openapi_schema(
    spec_contract: SpecContract,
) -> None:
    text = dumps(preview_request(us_debt()))
    assert spec_contract.request_errors("POST", "/cases/preview", text) == []


# -- InvoiceDto → Case --------------------------------------------------------------------


def invoice(**fields: object) -> dict[str, object]:
    return {
        "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "reference": "Q8OAXF3W",
        "creditorReference": "INV-2025-001",
        "lifecycle": "Active",
        "grossAmount": Decimal("5000.00"),
        "currency": "EUR",
        "dateCreated": "2025-01-20T10:30:00Z",
        **fields,
    }


EXPECTED = {
    "PendingContractSigning": CaseStatus.ACTION_REQUIRED,
    "PendingVerificationInternal": CaseStatus.PENDING,
    "PendingVerification": CaseStatus.PENDING,
    "NeedsAdditionalDetails": CaseStatus.ACTION_REQUIRED,
    "Leads": CaseStatus.PENDING,
    "LeadsQuoteGiven": CaseStatus.ACTION_REQUIRED,
    "Active": CaseStatus.IN_PROGRESS,
    "Paused": CaseStatus.ON_HOLD,
    "Closed": CaseStatus.CLOSED_UNPAID,
    "Merged": CaseStatus.ARCHIVED,
}
SPELLINGS = [
    (text, EXPECTED[name])
    for name, (label, older, _) in LIFECYCLES.items()
    for text in (name, label, *older, label.upper(), name.lower())
]


def test_every_lifecycle_of_the_reference_table_has_an_expected_status() -> None:
    assert set(LIFECYCLES) == set(EXPECTED)


@pytest.mark.parametrize(("lifecycle", "status"), SPELLINGS)
def test_lifecycle_names_and_labels_map_to_the_neutral_status(
    lifecycle: str, status: CaseStatus
) -> None:
    assert to_case(invoice(lifecycle=lifecycle)).status is status


@pytest.mark.parametrize(
    ("close_code", "status"),
    [
        ("Paid", CaseStatus.PAID),
        ("Partially paid", CaseStatus.PARTIALLY_PAID),
        ("Withdrawn by Client", CaseStatus.WITHDRAWN),
        ("Debtor Insolvent/Bankrupt", CaseStatus.CLOSED_UNPAID),
        ("Pre-Legal Exhausted – No Payment", CaseStatus.CLOSED_UNPAID),
        ("A close code added next year", CaseStatus.CLOSED_UNPAID),
    ],
)
def test_closed_cases_take_their_status_from_the_close_code(
    close_code: str, status: CaseStatus
) -> None:
    assert case_status("Closed", close_code) is status


def test_closed_case_keeps_lifecycle_and_close_code_as_provider_status() -> None:
    case = to_case(invoice(lifecycle="Closed", closeCode="Partially paid"))
    assert case.provider_status == "Closed:Partially paid"


def test_unknown_lifecycle_is_unknown_with_the_raw_label_kept() -> None:
    case = to_case(invoice(lifecycle="Awaiting Moon Phase"))
    assert (case.status, case.provider_status) == (CaseStatus.UNKNOWN, "Awaiting Moon Phase")


def test_case_carries_ids_references_amount_and_currency() -> None:
    case = to_case(invoice())
    assert (case.provider, case.provider_id, case.reference, case.creditor_reference) == (
        "debitura",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "Q8OAXF3W",
        "INV-2025-001",
    )
    assert (case.amount, case.currency) == (Decimal("5000.00"), "EUR")


def test_amount_read_from_a_float_keeps_its_decimal_spelling() -> None:
    assert to_case(invoice(grossAmount=0.1)).amount == Decimal("0.1")


def test_naive_timestamps_are_read_as_utc() -> None:
    case = to_case(invoice(dateCreated="2026-06-17T08:30:00", dateUpdated="2026-06-18T09:00:00"))
    assert case.created_at == dt.datetime(2026, 6, 17, 8, 30, tzinfo=dt.timezone.utc)
    assert case.updated_at == dt.datetime(2026, 6, 18, 9, 0, tzinfo=dt.timezone.utc)


def test_zoned_timestamps_are_converted_to_utc() -> None:
    case = to_case(invoice(dateCreated="2026-06-17T10:30:00+02:00"))
    assert case.created_at == dt.datetime(2026, 6, 17, 8, 30, tzinfo=dt.timezone.utc)


def test_action_url_is_the_solution_url() -> None:
    case = to_case(invoice(solutionUrl="https://app.debitura.com/settings/contracts"))
    assert case.action_url == "https://app.debitura.com/settings/contracts"


def test_action_url_falls_back_to_the_combined_signing_url() -> None:
    record = invoice(
        solutionUrl=None, signingHandoff={"combinedSigningUrl": "https://sign.example"}
    )
    assert to_case(record).action_url == "https://sign.example"


def test_unknown_and_null_fields_are_tolerated_and_kept_raw() -> None:
    record = invoice(newField={"x": 1}, signingHandoff=None, closeCode=None)
    assert to_case(record).raw == record


def test_record_without_an_id_is_refused_as_an_invalid_response() -> None:
    record = invoice()
    del record["id"]
    with pytest.raises(DebtkitValidationError) as caught:
        to_case(record)
    assert caught.value.problems[0].code == "invalid_response"


def test_overdue_breakdown_without_over_6_sends_only_12_and_24() -> None:
    debt = make_full_debt(overdue=AgeBreakdown(Decimal("400.00"), Decimal("100.00")))
    body = adapter.to_wire(debt)
    assert "amountToRecoverOver6Months" not in body
    assert body["amountToRecoverOver24Months"] == Decimal("100.00")


@pytest.mark.parametrize(
    ("text", "microsecond"),
    [
        ("2026-06-17T08:30:00.1234567", 123456),  # .NET's seven digits
        ("2026-06-17T08:30:00.12Z", 120000),
        ("2026-06-17T08:30:00.595Z", 595000),
    ],
)
def test_fractional_seconds_of_any_length_are_read(text: str, microsecond: int) -> None:
    created = to_case(invoice(dateCreated=text)).created_at
    assert created is not None
    assert created.microsecond == microsecond
