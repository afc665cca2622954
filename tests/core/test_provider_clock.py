"""The provider's clock, bounded from the Date headers of its answers."""

from __future__ import annotations

import datetime as dt
import email.utils

from debtkit.provider_clock import ProviderClock

PROVIDER_EPOCH = 1_700_000_000.0  # what the provider's clock reads when local reads 100.0


class LocalClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def clock(**options: float) -> tuple[ProviderClock, LocalClock]:
    local = LocalClock()
    return ProviderClock(local=local, wall=lambda: 5.0, **options), local


def date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def test_bounds_hold_the_provider_time_whatever_the_local_clock_reads() -> None:
    provider, local = clock(skew=0.0)
    provider.observe(date(PROVIDER_EPOCH + 0.4), sent=99.8, received=100.0)
    local.now = 160.0
    truth = utc(PROVIDER_EPOCH + 60.0)  # the provider at local 160 (up to the 0.2 s trip)
    latest = provider.latest(160.0)
    assert latest is not None
    assert provider.earliest(160.0) <= truth <= latest
    assert (latest - provider.earliest(160.0)).total_seconds() <= 1.2


def test_skew_widens_both_bounds() -> None:
    tight, _ = clock(skew=0.0)
    wide, _ = clock(skew=5.0)
    for c in (tight, wide):
        c.observe(date(PROVIDER_EPOCH), sent=99.9, received=100.0)
    assert (tight.earliest(100.0) - wide.earliest(100.0)).total_seconds() == 5.0
    tight_latest, wide_latest = tight.latest(100.0), wide.latest(100.0)
    assert tight_latest is not None
    assert wide_latest is not None
    assert (wide_latest - tight_latest).total_seconds() == 5.0


def test_before_any_answer_the_lower_bound_is_the_local_wall_clock_minus_five_minutes() -> None:
    provider, _ = clock()
    assert not provider.known
    assert provider.earliest(100.0) == utc(5.0 - 300.0)
    assert provider.latest(100.0) is None


def test_an_unreadable_or_naive_date_teaches_nothing() -> None:
    provider, _ = clock()
    for header in (None, "", "yesterday", "Tue, 01 Dec 2026 10:35:16 -0000"):
        provider.observe(header, sent=99.0, received=100.0)
    assert not provider.known


def test_an_unanswered_failure_is_gone_only_in_flight_seconds_later_on_the_provider_clock() -> None:
    provider, _ = clock(skew=1.0, in_flight=30.0)
    provider.observe(date(PROVIDER_EPOCH), sent=99.9, received=100.0)
    width = 1.0 + 0.1 + 2 * 1.0  # the Date's second, the trip, the skew on both sides
    assert not provider.gone_by(100.0, 100.0 + 30.0 + width - 0.05)
    assert provider.gone_by(100.0, 100.0 + 30.0 + width + 0.05)


def test_without_any_date_local_elapsed_time_decides() -> None:
    provider, _ = clock(in_flight=30.0)
    assert not provider.gone_by(100.0, 129.0)
    assert provider.gone_by(100.0, 130.0)
