"""The documented rules for local cells: amounts with a decimal comma, full names."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from debtkit.files import CellFormat, read_debts
from debtkit.files.cells import convert_money, split_name


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1 250,00", "1250.00"), ("1.250,00", "1250.00"), ("1250,5", "1250.5"),
        ("1\u00a0250,00", "1250.00"), ("1\u202f250,00", "1250.00"), ("1'250,00", "1250.00"),
        ("1\u2019250,5", "1250.5"), ("1.250", "1250.0"), ("12 345 678,9", "12345678.9"),
        ("-3,20", "-3.20"), ("7", "7.0"),
    ],
)  # fmt: skip
def test_decimal_comma_reads_grouped_amounts(cell: str, amount: str) -> None:
    value, problem = convert_money("amount", cell, decimal_comma=True)
    assert problem is None
    assert Decimal(value) == Decimal(amount)


@pytest.mark.parametrize("cell", ["1.25", "1.250 000", "1 25,0", "1.250.00", "1,2,3", "1e3"])
def test_decimal_comma_refuses_what_it_would_have_to_guess(cell: str) -> None:
    _, problem = convert_money("amount", cell, decimal_comma=True)
    assert problem is not None
    assert problem.path == "amount"


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Jane Doe", ("Jane", "Doe")),
        ("Jean Pierre Martin", ("Jean Pierre", "Martin")),
        ("Jan van der Berg", ("Jan", "van der Berg")),
        ("Ludwig von Mises", ("Ludwig", "von Mises")),
        ("Doe, Jane Mary", ("Jane Mary", "Doe")),
        ("de la Cruz, Ana", ("Ana", "de la Cruz")),
        ("Van Morrison", ("Van", "Morrison")),  # a particle as first word is a first name
    ],
)
def test_full_names_split_by_the_documented_rule(full: str, parts: tuple[str, str]) -> None:
    assert split_name(full) == parts


@pytest.mark.parametrize("full", ["Madonna", "Doe,", ", Jane", "  "])
def test_a_name_without_two_parts_cannot_be_split(full: str) -> None:
    assert split_name(full) is None


def test_a_full_name_fills_a_company_debtors_company_name(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        "creditor_reference,amount,currency,debtor.kind,Customer\n"
        'R-1,"1.250,00",EUR,company,Garage Johnson SARL\n'
        'R-2,"3,5",EUR,person,Jan van der Berg\n'
    )
    first, second = read_debts(
        path, {"Customer": "debtor.name"}, cells=CellFormat(decimal_comma=True)
    )
    assert first.debt is not None
    assert second.debt is not None
    assert first.debt.debtor.company_name == "Garage Johnson SARL"
    assert first.debt.amount == Decimal("1250.00")
    assert (second.debt.debtor.first_name, second.debt.debtor.last_name) == ("Jan", "van der Berg")
