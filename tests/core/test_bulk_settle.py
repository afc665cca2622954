"""The background settler of lost batches, on virtual time with a scripted provider."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Collection, Sequence

from debtkit.bulk.settle import ClockedFinder, Outcomes, Settler
from debtkit.errors import ConnectionFailedError, DebtkitError, ServerError
from debtkit.model import Case, CaseStatus, Debt
from debtkit.plugin import ItemResult
from debtkit.provider_clock import ProviderClock
from debtkit.retry import RetryPolicy
from tests.core.virtual_time import VirtualTimeLoop, run_virtual

IN_FLIGHT = 30.0


class Transport:
    retry = RetryPolicy(attempts=3)


class Provider:
    """Holds debts by reference; records each listing (references, created_after, when)."""

    provider = "scripted"

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self.loop = loop
        self.provider_clock = ProviderClock(local=loop.time, wall=loop.epoch, in_flight=IN_FLIGHT)
        self.transport = Transport()
        self.held: dict[str, Case] = {}
        self.listings: list[tuple[frozenset[str], dt.datetime, float]] = []
        self.listing_takes = 0.0

    async def create_batch(
        self, debts: Sequence[Debt], *, settle_lost: bool = True
    ) -> list[ItemResult]:
        raise AssertionError("the settler resends through the pipeline, never directly")

    async def find_created(
        self, creditor_references: Collection[str], *, created_after: dt.datetime
    ) -> dict[str, Case]:
        self.listings.append((frozenset(creditor_references), created_after, self.loop.time()))
        await asyncio.sleep(self.listing_takes)
        return {r: self.held[r] for r in creditor_references if r in self.held}

    def land(self, *references: str) -> None:
        for reference in references:
            self.held[reference] = Case(
                provider="scripted", provider_id=f"id-{reference}",
                status=CaseStatus.PENDING, provider_status="pending",
            )  # fmt: skip


class Run:
    """A settler with its reports and resends recorded (items are references)."""

    def __init__(self, provider: Provider) -> None:
        self.reported: dict[str, Case | DebtkitError] = {}
        self.resent: list[tuple[float, list[str]]] = []
        self.provider = provider
        self.settler = Settler[str](
            provider, reference=str, report=self.report, resend=self.resend, max_waiting=100
        )

    async def report(self, outcomes: Outcomes[str]) -> None:
        for reference, case, error in outcomes:
            assert (case is None) != (error is None)
            self.reported[reference] = case if case is not None else error  # type: ignore[assignment]

    async def resend(self, references: list[str]) -> None:
        self.resent.append((self.provider.loop.time(), references))
        self.provider.land(*references)  # the resend lands and is answered
        await self.report([(r, self.provider.held[r], None) for r in references])


UNANSWERED = ConnectionFailedError("scripted", "POST", "/debts/batch", "reset")
ANSWERED = ServerError("boom", provider="scripted", method="POST", path="/x", status=500)


def test_the_provider_is_a_clocked_finder() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        assert isinstance(Provider(loop), ClockedFinder)

    run_virtual(main)


def test_batches_waiting_together_are_settled_by_one_listing() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        run = Run(provider)
        provider.land("A1", "A2", "B1", "B2", "C1")
        for batch in (["A1", "A2"], ["B1", "B2"], ["C1"]):
            await run.settler.submit(batch, sent_at=loop.time(), error=UNANSWERED)
        await run.settler.close()
        await run.settler.run()
        assert [refs for refs, _, _ in provider.listings] == [
            frozenset({"A1", "A2", "B1", "B2", "C1"})
        ]
        assert all(isinstance(v, Case) for v in run.reported.values())
        assert sorted(run.reported) == ["A1", "A2", "B1", "B2", "C1"]

    run_virtual(main)


def test_batches_lost_during_a_listing_share_the_next_one() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        provider.listing_takes = 5.0
        run = Run(provider)
        provider.land(*(f"R{i}" for i in range(6)))
        settling = asyncio.ensure_future(run.settler.run())
        await run.settler.submit(["R0"], sent_at=loop.time(), error=UNANSWERED)
        await asyncio.sleep(1.0)  # the first listing is under way
        for ref in ("R1", "R2", "R3", "R4", "R5"):
            await run.settler.submit([ref], sent_at=loop.time(), error=UNANSWERED)
        await run.settler.close()
        await settling
        assert len(provider.listings) == 2
        assert provider.listings[1][0] == frozenset({"R1", "R2", "R3", "R4", "R5"})

    run_virtual(main)


def test_the_listing_starts_at_the_earliest_send_on_the_provider_clock() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        ahead = 3600.0  # the provider's clock is an hour ahead of the local one
        provider.provider_clock.observe(
            _date(loop.epoch() + ahead), sent=loop.time(), received=loop.time()
        )
        run = Run(provider)
        provider.land("A", "B")
        first = loop.time()
        await run.settler.submit(["A"], sent_at=first, error=UNANSWERED)
        await asyncio.sleep(10.0)
        await run.settler.submit(["B"], sent_at=loop.time(), error=UNANSWERED)
        await run.settler.close()
        await run.settler.run()
        ((_, created_after, _),) = provider.listings
        at_first_send = loop.epoch() - (loop.time() - first) + ahead
        lag = at_first_send - created_after.timestamp()
        assert 0 <= lag <= provider.provider_clock.skew + 1.0

    run_virtual(main)


def test_an_absent_debt_whose_send_got_no_answer_waits_out_the_in_flight_time() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        run = Run(provider)
        failed_at = loop.time()
        await run.settler.submit(["GONE"], sent_at=failed_at, error=UNANSWERED)
        await run.settler.close()
        await run.settler.run()
        ((resent_at, refs),) = run.resent
        assert refs == ["GONE"]
        assert resent_at >= failed_at + IN_FLIGHT
        assert len(provider.listings) >= 2  # a listing before, and one after the wait
        assert isinstance(run.reported["GONE"], Case)

    run_virtual(main)


def test_an_absent_debt_whose_send_was_answered_is_resent_after_one_listing() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        run = Run(provider)
        await run.settler.submit(["NEVER"], sent_at=loop.time(), error=ANSWERED)
        await run.settler.close()
        await run.settler.run()
        assert [refs for _, refs in run.resent] == [["NEVER"]]
        assert len(provider.listings) == 1

    run_virtual(main)


def test_a_debt_still_absent_after_the_last_send_ends_ambiguous() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        run = Run(provider)

        async def resend_and_lose(references: list[str]) -> None:
            run.resent.append((loop.time(), references))
            await run.settler.submit(references, sent_at=loop.time(), error=ANSWERED)

        run.settler._resend = resend_and_lose
        await run.settler.submit(["NOPE"], sent_at=loop.time(), error=ANSWERED)
        await run.settler.close()
        await run.settler.run()
        assert len(run.resent) == Transport.retry.attempts - 1  # three sends in all
        assert isinstance(run.reported["NOPE"], DebtkitError)

    run_virtual(main)


def test_a_failed_listing_leaves_its_debts_ambiguous() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        provider = Provider(loop)
        run = Run(provider)

        async def failing(*_: object, **__: object) -> dict[str, Case]:
            raise ServerError("down", provider="scripted", method="GET", path="/x", status=503)

        provider.find_created = failing  # type: ignore[method-assign]
        await run.settler.submit(["X"], sent_at=loop.time(), error=UNANSWERED)
        await run.settler.close()
        await run.settler.run()
        assert isinstance(run.reported["X"], DebtkitError)
        assert run.resent == []

    run_virtual(main)


def _date(epoch: float) -> str:
    import email.utils

    return email.utils.formatdate(epoch, usegmt=True)
