"""`client.test_mode`: Debitura's CI primitives for test cases (``isTest: true``).

The documented loop is CREATE (``client.create(debt, is_test=True)``, with a
``debitura.tag`` option such as ``suite-run-<uuid>``) → DRIVE (`advance`) → ASSERT (your
webhook receiver, or `client.webhooks.events`) → RESET (`delete_tagged`). Every call here
works on test cases only; Debitura answers 400 for a production case.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from debtkit.errors import ConfigurationError
from debtkit.transport import Request
from debtkit_debitura.calls import Resource, answer, path, segment

__all__ = ["ADVANCE_TARGETS", "Advanced", "Fired", "TestMode"]

ADVANCE_TARGETS = ("Active", "Closed:Paid", "Closed:NoPayment")


@attrs.frozen
class Advanced:
    """``AdvanceTestCaseResponse``: `advanced` is False when the case was already there."""

    advanced: bool = False
    state: str | None = None


@attrs.frozen
class Fired:
    """``FireWebhookResponse``: `enqueued_count` 0 means no active test subscription wants it."""

    event_type: str | None = None
    case_id: str | None = None
    enqueued_count: int = 0


class TestMode(Resource):
    """Debitura's ``/test`` endpoints, through the client's transport."""

    __test__ = False  # not a pytest test class, whatever its name

    async def advance(self, case_id: str, to: str, *, amount: Decimal | None = None) -> Advanced:
        """``POST /test/cases/{id}/advance``: to ``Active``, ``Closed:Paid`` (records a
        payment of `amount`, required and positive) or ``Closed:NoPayment``; fires the
        documented webhooks to test subscriptions. Repeating a reached target is a no-op."""
        if to not in ADVANCE_TARGETS:
            raise ConfigurationError(f"advance(): to must be one of {', '.join(ADVANCE_TARGETS)}")
        if to == "Closed:Paid" and (amount is None or not Decimal(amount) > 0):
            raise ConfigurationError("advance(): Closed:Paid needs a positive amount")
        body: dict[str, object] = {"to": to}
        if amount is not None:
            body["amount"] = Decimal(amount)
        url = path("test/cases", segment(case_id), "advance")
        # Advancing to a target already reached is a no-op, so a retry is harmless.
        request = Request("POST", url, json=body, request_class="write", retry_safe=True)
        response = await self.call(request)
        return answer(response, Advanced, "Debitura advance result")

    async def delete_case(self, case_id: str) -> None:
        """``DELETE /test/cases/{id}``: a hard delete; deleting twice is fine."""
        url = path("test/cases", segment(case_id))
        await self.call(Request("DELETE", url, request_class="write"))

    async def delete_tagged(self, tag: str) -> None:
        """``DELETE /test/cases?tag=``: every test case with the tag, or none if any match is
        a production case."""
        if not isinstance(tag, str) or not tag.strip():
            raise ConfigurationError("delete_tagged(): the tag must not be blank")
        request = Request("DELETE", "test/cases", params={"tag": tag}, request_class="write")
        await self.call(request)

    async def fire(self, event: str, case_id: str, *, subscription_id: str | None = None) -> Fired:
        """``POST /test/webhooks/fire``: the case's current state as `event`, to one test
        subscription or every active one subscribed to it."""
        body: dict[str, object] = {"event": event, "caseId": case_id}
        if subscription_id is not None:
            body["subscriptionId"] = subscription_id
        request = Request("POST", "test/webhooks/fire", json=body, request_class="write")
        response = await self.call(request)
        return answer(response, Fired, "Debitura fire result")
