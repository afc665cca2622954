"""Simulated test-mode endpoints: drive test cases and fire their webhooks.

- ``POST /test/cases/{id}/advance`` ``{to, amount?}``: ``Active`` (from a pending state;
  fires ``case.updated``), ``Closed:Paid`` (records a payment of ``amount``, closes as
  "Paid"; fires ``payment.created``, ``case.updated``, ``case.closed``) and
  ``Closed:NoPayment`` (closes as "Pre-Legal Exhausted – No Payment"; fires ``case.updated``,
  ``case.closed``). A case already there answers ``advanced: false`` and fires nothing; one
  closed otherwise is a 400, as are a production case, a bad target and a missing or
  non-positive amount for ``Closed:Paid``. Closing activates first without an extra event
  (the documented event lists per target are exactly those above).
- ``DELETE /test/cases/{id}`` (idempotent: an absent case is 204 too) and
  ``DELETE /test/cases?tag=`` (all or nothing: 400 if the tag is blank or any match is a
  production case); a deleted case's payments and tasks go with it, its event log stays.
- ``POST /test/webhooks/fire`` ``{event, caseId, subscriptionId?}``: the case's current
  state as that event, to one test subscription or every active one wanting it; 422 (empty
  body, as declared) when the event needs data the case lacks (a payment, a chat).

Events from test cases reach ``isTestMode`` subscriptions only (`WebhookHub.dispatch`).
"""

from __future__ import annotations

import decimal
from typing import Any

from aiohttp import web

from debtkit_debitura.simulator.payments import PaymentBook, TaskBook
from debtkit_debitura.simulator.replies import empty, guid, json_reply, problem, read_object
from debtkit_debitura.simulator.state import SimulatorState, StoredCase, timestamp
from debtkit_debitura.simulator.webhooks import EVENT_TYPES, WebhookHub, case_data

__all__ = ["CLOSE_NO_PAYMENT", "CLOSE_PAID", "register"]

CLOSE_PAID = "Paid"
CLOSE_NO_PAYMENT = "Pre-Legal Exhausted – No Payment"
_TARGETS = ("Active", "Closed:Paid", "Closed:NoPayment")


def payment_data(payment: dict[str, Any]) -> dict[str, Any]:
    """A payment inside an event's ``data`` (its shape is not schematised by Debitura; this
    one is the ``PaymentDto``'s own fields)."""
    keys = ("id", "grossAmount", "currency", "date", "method", "recipient")
    return {key: payment[key] for key in keys}


def state_name(invoice: dict[str, Any]) -> str | None:
    """The advance endpoint's name for where a case is."""
    lifecycle, code = invoice.get("lifecycle"), invoice.get("closeCode")
    if lifecycle == "Closed":
        return {CLOSE_PAID: "Closed:Paid", CLOSE_NO_PAYMENT: "Closed:NoPayment"}.get(
            code or "", "Closed"
        )
    return lifecycle if isinstance(lifecycle, str) else None


class _Routes:
    def __init__(
        self, state: SimulatorState, hub: WebhookHub, payments: PaymentBook, tasks: TaskBook
    ) -> None:
        self.state, self.hub, self.payments, self.tasks = state, hub, payments, tasks

    def _test_case(self, raw_id: str) -> StoredCase | web.Response:
        key = guid(raw_id)
        if key is None:
            return problem("id", "The id must be a GUID.")
        case = self.state.cases.get(key)
        if case is None:
            return empty(404)
        if not case.invoice.get("isTestCase"):
            return problem("id", "The case is not a test case.")
        return case

    def _move(self, case: StoredCase, lifecycle: str, close_code: str | None = None) -> None:
        invoice = case.invoice
        now = timestamp(self.state.clock())
        if invoice.get("dateCollectionStarted") is None:
            invoice["dateCollectionStarted"] = now
            invoice["currentEngagementPhase"] = "Pre-legal"
        if lifecycle == "Closed":
            invoice["dateFinished"] = now
        self.state.set_lifecycle(str(invoice["id"]), lifecycle, close_code)

    def _fire(self, event: str, case: StoredCase, **extra: Any) -> int:
        return self.hub.dispatch(event, case, case_data(case, **extra))

    async def advance(self, request: web.Request) -> web.Response:
        self.hub.origin = f"{request.scheme}://{request.host}"
        case = self._test_case(request.match_info["id"])
        if isinstance(case, web.Response):
            return case
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        target = body.get("to")
        if target not in _TARGETS:
            return problem("to", f"to must be one of {', '.join(_TARGETS)}.")
        amount = body.get("amount")
        if target == "Closed:Paid" and (
            isinstance(amount, bool)
            or not isinstance(amount, (int, decimal.Decimal))
            or amount <= 0
        ):
            return problem("amount", "amount is required and must be positive for Closed:Paid.")
        invoice = case.invoice
        current = state_name(invoice)
        if current == target or (target == "Active" and invoice.get("lifecycle") == "Closed"):
            return json_reply({"advanced": False, "state": current})
        if invoice.get("lifecycle") == "Closed":
            return problem("to", f"The case is already closed as {current}; cannot go to {target}.")
        old = invoice.get("lifecycle")
        case_id = str(invoice["id"])
        if target == "Active":
            self._move(case, "Active")
            self.tasks.solve(case_id)
            self._fire("case.updated", case, oldLifecycle=old, newLifecycle="Active")
        elif target == "Closed:Paid":
            paid = decimal.Decimal(str(amount))
            payment = self.payments.record(case, paid)
            remainder = max(decimal.Decimal(invoice.get("grossAmount") or 0) - paid, 0)
            invoice["remainder"] = remainder
            self._move(case, "Closed", CLOSE_PAID)
            payment["invoice"]["status"] = "Closed"
            self._fire(
                "payment.created",
                case,
                payment=payment_data(payment),
            )
            self._fire("case.updated", case, oldLifecycle=old, newLifecycle="Closed")
            self._fire("case.closed", case, closeCode=CLOSE_PAID, closeComment=None)
        else:
            self._move(case, "Closed", CLOSE_NO_PAYMENT)
            self._fire("case.updated", case, oldLifecycle=old, newLifecycle="Closed")
            self._fire("case.closed", case, closeCode=CLOSE_NO_PAYMENT, closeComment=None)
        return json_reply({"advanced": True, "state": state_name(invoice)})

    def _delete(self, case_id: str) -> None:
        self.state.cases.pop(case_id, None)
        self.payments.forget_case(case_id)
        self.tasks.forget_case(case_id)

    async def delete_case(self, request: web.Request) -> web.Response:
        key = guid(request.match_info["id"])
        if key is None:
            return problem("id", "The id must be a GUID.")
        case = self.state.cases.get(key)
        if case is None:
            return empty(204)  # already gone: deleting is idempotent
        if not case.invoice.get("isTestCase"):
            return problem("id", "Production cases cannot be deleted.")
        self._delete(key)
        return empty(204)

    async def delete_tagged(self, request: web.Request) -> web.Response:
        tag = request.query.get("tag", "")
        if not tag.strip():
            return problem("tag", "tag is required.")
        matches = [c for c in self.state.cases.values() if c.tag == tag]
        if any(not c.invoice.get("isTestCase") for c in matches):
            return problem("tag", "Some cases with this tag are production cases; none deleted.")
        for case in matches:
            self._delete(str(case.invoice["id"]))
        return empty(204)

    async def fire(self, request: web.Request) -> web.Response:
        self.hub.origin = f"{request.scheme}://{request.host}"
        body = await read_object(request)
        if isinstance(body, web.Response):
            return body
        event = body.get("event")
        if event not in EVENT_TYPES:
            return problem("event", f"event must be one of {sorted(EVENT_TYPES)}.")
        case = self._test_case(str(body.get("caseId") or ""))
        if isinstance(case, web.Response):
            return case
        target = None
        if body.get("subscriptionId") is not None:
            target = self.hub.subscriptions.get(guid(str(body["subscriptionId"])) or "")
            if target is None or not target.is_test_mode:
                return problem("subscriptionId", "No such test subscription.")
        extra = self._current(event, case)
        if extra is None:
            return empty(422)
        if target is not None:
            self.hub.enqueue(target, event, case, case_data(case, **extra))
            count = 1
        else:
            count = self._fire(event, case, **extra)
        return json_reply(
            {"eventType": event, "caseId": case.invoice["id"], "enqueuedCount": count}
        )

    def _current(self, event: str, case: StoredCase) -> dict[str, Any] | None:
        invoice = case.invoice
        if event == "case.updated":
            return {
                "oldLifecycle": invoice.get("lifecycle"),
                "newLifecycle": invoice.get("lifecycle"),
            }
        if event == "case.closed":
            return {"closeCode": invoice.get("closeCode"), "closeComment": None}
        if event == "payment.created":
            payments = self.payments.for_case(str(invoice["id"]))
            if not payments:
                return None
            return {"payment": payment_data(payments[-1])}
        if event in {"payment.deleted", "chat.created"}:
            return None  # the simulator deletes no payments and holds no chats
        return {}


def register(
    app: web.Application,
    state: SimulatorState,
    hub: WebhookHub,
    payments: PaymentBook,
    tasks: TaskBook,
) -> None:
    routes = _Routes(state, hub, payments, tasks)
    app.router.add_post("/test/cases/{id}/advance", routes.advance)
    app.router.add_delete("/test/cases/{id}", routes.delete_case)
    app.router.add_delete("/test/cases", routes.delete_tagged)
    app.router.add_post("/test/webhooks/fire", routes.fire)
