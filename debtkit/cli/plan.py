"""``debtkit import --rate NAME=COUNT[/SECONDS]`` and ``--option NAME=VALUE``: the account's
rate plan and a provider option applied to every row.

``--rate`` names one of the adapter's limits (GetBill ``write``, ``read``; Debitura
``minute``, ``hour``, ``day``): ``COUNT`` alone keeps the limit's window, ``/SECONDS`` sets
it. It becomes the ``rate_overrides`` of ``connect()``. ``--option`` sets
``debt.options[<provider>][NAME]`` on every debt, VALUE read as JSON where it parses (``true``,
``3``, ``"text"``) and as plain text otherwise; it is checked by the adapter's own option
rules, on a sample debt, before anything is read or sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from debtkit.errors import ConfigurationError
from debtkit.files import Row
from debtkit.plugin import Adapter, RateLimit
from debtkit.sample import sample_debts
from debtkit.validation import Validator

__all__ = ["apply_options", "provider_options", "rate_overrides"]


def rate_overrides(adapter: Adapter, given: Sequence[str] | None) -> dict[str, RateLimit]:
    """The adapter's limits changed by ``--rate`` flags; `ConfigurationError` if one is wrong."""
    limits = {rule.name: rule for rule in adapter.rate_limits()}
    names = ", ".join(limits) or "none"
    overrides: dict[str, RateLimit] = {}
    for item in given or ():
        name, sep, plan = item.partition("=")
        count, slash, seconds = plan.partition("/")
        if not sep or not count:
            raise ConfigurationError(f"--rate takes NAME=COUNT[/SECONDS], got {item!r}")
        if name not in limits:
            raise ConfigurationError(
                f"--rate: {adapter.name} has no limit named {name!r}; its limits: {names}"
            )
        try:
            limit = int(count)
            window = float(seconds) if slash else limits[name].window
        except ValueError:
            raise ConfigurationError(
                f"--rate {item!r}: COUNT must be a whole number, SECONDS a number"
            ) from None
        if limit < 1 or not window > 0 or window == float("inf"):
            raise ConfigurationError(f"--rate {item!r}: COUNT and SECONDS must be positive")
        overrides[name] = attrs.evolve(limits[name], limit=limit, window=window)
    return overrides


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def provider_options(adapter: Adapter, given: Sequence[str] | None) -> dict[str, Any]:
    """``--option`` flags as the provider's options; `ConfigurationError` if the adapter's
    rules refuse one (checked on a sample debt, so that the message is about the option)."""
    options: dict[str, Any] = {}
    for item in given or ():
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ConfigurationError(f"--option takes NAME=VALUE, got {item!r}")
        options[name] = _value(text)
    if options:
        sample = next(iter(sample_debts(1, seed=1, broken=0.0)))
        sample = attrs.evolve(sample, options={adapter.name: options})
        prefix = f"options.{adapter.name}"
        problems = [
            problem
            for problem in Validator(adapter.policy_rules()).check(sample).problems
            if problem.path.startswith(prefix)
        ]
        if problems:
            raise ConfigurationError("--option: " + "; ".join(str(p) for p in problems))
    return options


def apply_options(rows: Iterator[Row], provider: str, options: Mapping[str, Any]) -> Iterator[Row]:
    """Every row, its debt carrying `options` under `provider` (over the row's own values)."""
    for row in rows:
        if options and row.debt is not None:
            merged = dict(row.debt.options)
            merged[provider] = {**merged.get(provider, {}), **options}
            row = attrs.evolve(row, debt=attrs.evolve(row.debt, options=merged))
        yield row
