"""Debts per second through debtkit's local validation versus the bare library calls.

The baseline does only what any integration must: parse, validate and format the phone,
check the IBAN, look up the country and currency. debtkit does that plus email syntax, amount
precision, date order, age buckets, state resolution, metadata and problem collection.
"""

from __future__ import annotations

import time

import phonenumbers
import pycountry
import schwifty

from benchmarks.report import Figure
from debtkit.sample import sample_debts
from debtkit.validation import Validator, rules


def _bare(debts: list) -> None:  # type: ignore[type-arg]
    for debt in debts:
        parsed = phonenumbers.parse(debt.debtor.phone, debt.debtor.address.country)
        phonenumbers.is_valid_number(parsed)
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if debt.iban:
            schwifty.IBAN(debt.iban)
        pycountry.countries.get(alpha_2=debt.debtor.address.country)
        pycountry.currencies.get(alpha_3=debt.currency)


def _debtkit(debts: list) -> None:  # type: ignore[type-arg]
    # Each phone is new to a real import: no credit for the memo a repeated round would hit.
    rules.normalize_phone.cache_clear()
    validator = Validator()
    for debt in debts:
        validator.check(debt)


def _rate(work: object, debts: list, rounds: int) -> float:  # type: ignore[type-arg]
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work(debts)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return len(debts) / best


def run(quick: bool = False) -> list[Figure]:
    debts = list(sample_debts(2_000 if quick else 20_000, seed=11, broken=0.0))
    rounds = 2 if quick else 5
    _debtkit(debts[:200])  # warm the memoised lookups like a long import would
    # Interleave rounds so both sides see the same machine load.
    bare = debtkit = 0.0
    for _ in range(rounds):
        bare = max(bare, _rate(_bare, debts, 1))
        debtkit = max(debtkit, _rate(_debtkit, debts, 1))
    ratio = debtkit / bare
    return [
        Figure(
            "validation",
            "debts/s validated",
            debtkit,
            bare,
            "debts/s",
            ">= 0.8x bare",
            ratio >= 0.8,
            note="baseline = bare phonenumbers parse/validate/format + schwifty IBAN + pycountry "
            "country and currency lookups; debtkit also checks email, amount precision, dates, "
            "age buckets, state and metadata, and collects problems",
        )
    ]
