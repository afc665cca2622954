"""Debts per second through what an import pays for local validation, versus the bare calls.

debtkit's side is what `debtkit.bulk` runs per debt: ``client.check(debt)`` on a connected
client of each provider, so the adapter's policy rules are included (GetBill: names, contact,
the 069X rule, due date, civility, the phone's priced destination, options; Debitura: names,
address, city, country, US state, dates not in the future, text lengths, options). No request
is made; the clients are never entered.

The baseline does only what any integration must: phonenumbers parse, validate and format
the phone, schwifty checks the IBAN, pycountry looks up the country and currency. It does not
check types, email syntax, amount precision, date order, age buckets, states, metadata or any
provider rule, and it collects no problems: a fair baseline for "the libraries' own cost", a
flattering one for "an equivalent import".

Every phone memo debtkit keeps is cleared before each of its rounds, so no round is credited
with numbers an earlier round saw (the sample's numbers are all distinct, as in an import).
The core's checks alone (`Validator()` without rules) are reported beside, for comparison with
the earlier sessions' figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import phonenumbers
import pycountry
import schwifty

from benchmarks.report import Figure
from debtkit import load_adapter
from debtkit.budget import NO_BUDGET
from debtkit.model import Debt
from debtkit.sample import sample_debts
from debtkit.validation import Validator, rules

GOAL = 0.8
# Never used: the clients only validate here.
_CONNECT = {
    "getbill": ({"access_token": "bench"}, "http://127.0.0.1:9"),
    "debitura": ({"api_key": "bench"}, "http://127.0.0.1:9"),
}


def _bare(debts: list[Debt]) -> None:
    for debt in debts:
        address = debt.debtor.address
        country = address.country if address else None
        parsed = phonenumbers.parse(debt.debtor.phone, country)
        phonenumbers.is_valid_number(parsed)
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if debt.iban:
            schwifty.IBAN(debt.iban)
        pycountry.countries.get(alpha_2=country)
        pycountry.currencies.get(alpha_3=debt.currency)


def _checking(check: Callable[[Debt], object]) -> Callable[[list[Debt]], None]:
    def run(debts: list[Debt]) -> None:
        # Each phone is new to a real import: no credit for what a repeated round would hit.
        rules.clear_memos()
        for debt in debts:
            check(debt)

    return run


def _seconds(work: Callable[[list[Debt]], None], debts: list[Debt]) -> float:
    # CPU time: the work is one thread without I/O, and the machine is shared.
    started = time.process_time()
    work(debts)
    return time.process_time() - started


def run(quick: bool = False) -> list[Figure]:
    debts = list(sample_debts(2_000 if quick else 20_000, seed=11, broken=0.0))
    rounds = 2 if quick else 5
    clients = {
        name: load_adapter(name).connect(credentials, base_url=url, gate=NO_BUDGET)
        for name, (credentials, url) in _CONNECT.items()
    }
    sides: dict[str, Callable[[list[Debt]], None]] = {
        "bare": _bare,
        "core": _checking(Validator().check),
        **{name: _checking(client.check) for name, client in clients.items()},
    }
    for work in sides.values():  # warm the lookups a long import has warmed
        work(debts[:200])
    best = dict.fromkeys(sides, float("inf"))
    for _ in range(rounds):  # interleaved, so every side sees the same machine load
        for name, work in sides.items():
            best[name] = min(best[name], _seconds(work, debts))
    rate = {name: len(debts) / seconds for name, seconds in best.items()}
    figures = []
    for name, what in (
        ("getbill", "GetBill client.check (core + GetBill rules)"),
        ("debitura", "Debitura client.check (core + Debitura rules)"),
        ("core", "core checks only, no provider rules"),
    ):
        ratio = rate[name] / rate["bare"]
        with_rules = name != "core"
        figures.append(
            Figure(
                "validation",
                f"debts/s, {what}",
                rate[name],
                rate["bare"],
                "debts/s",
                f">= {GOAL}x bare" if with_rules else "(reported)",
                ratio >= GOAL or not with_rules,
                note=f"{what}: {ratio:.2f}x the bare phonenumbers parse/validate/format + "
                "schwifty IBAN + pycountry country and currency calls, which check nothing "
                "else (no types, email, amount precision, dates, state, metadata, provider "
                "rules) and collect no problems",
            )
        )
    return figures
