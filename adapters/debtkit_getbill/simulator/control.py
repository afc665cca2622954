"""Simulator-only control endpoints (not GetBill's API): drive debts, configure webhooks.

See `debtkit_getbill.simulator.webhooks` for what each endpoint does and delivers. They
take no token and are not rate-limited: they stand for what happens inside GetBill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from debtkit import jsonutil
from debtkit_getbill.simulator.state import SimulatorState
from debtkit_getbill.simulator.validation import amount_text
from debtkit_getbill.simulator.webhooks import parse_amount

__all__ = ["CONTROL_PREFIX", "control_routes", "set_status", "updated"]

CONTROL_PREFIX = "/_simulator"
PAID = "status.default.paid"

StateOf = Callable[[web.Request], SimulatorState]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=jsonutil.dumps(data), status=status, content_type="application/json")


def _refuse(status: int, message: str) -> web.Response:
    return _json({"error": True, "message": message, "code": status}, status)


async def _object(request: web.Request) -> Mapping[str, Any] | None:
    try:
        body = jsonutil.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, Mapping) else None


def set_status(state: SimulatorState, record: dict[str, Any], status: str, **context: Any) -> None:
    """Move a debt to `status` and deliver ``debt.status_changed`` (nothing if unchanged)."""
    previous = record.get("status")
    if previous == status:
        return
    record["status"] = status
    data = dict(record)
    if context:
        data["status_change_context"] = context
    state.webhooks.emit(
        "debt.status_changed", data, {"status": {"previous": previous, "new": status}}
    )


def updated(state: SimulatorState, record: dict[str, Any], before: Mapping[str, Any]) -> None:
    """Deliver ``debt.updated`` with ``changes`` (previous/new) for the fields that changed."""
    changes = {
        name: {"previous": old, "new": record.get(name)}
        for name, old in before.items()
        if record.get(name) != old
    }
    if changes:
        state.webhooks.emit("debt.updated", record, changes)


def control_routes(state_of: StateOf) -> list[web.RouteDef]:
    async def configure(request: web.Request) -> web.Response:
        body = await _object(request)
        if body is None or not isinstance(body.get("url"), str):
            return _refuse(400, "url and secret are required")
        secret = body.get("secret")
        if not isinstance(secret, str) or not secret:
            return _refuse(400, "url and secret are required")
        state_of(request).webhooks.configure(body["url"], secret)
        return _json({"url": body["url"]})

    def found(request: web.Request) -> dict[str, Any] | None:
        return state_of(request).debts.get(request.match_info["debt_id"])

    async def change_status(request: web.Request) -> web.Response:
        record = found(request)
        if record is None:
            return _refuse(404, "Debt not found")
        body = await _object(request)
        status = body.get("status") if body is not None else None
        if not isinstance(status, str) or not status.strip():
            return _refuse(400, "status is required")
        set_status(state_of(request), record, status.strip())
        return _json({"error": False, "data": record})

    async def record_payment(request: web.Request) -> web.Response:
        state = state_of(request)
        record = found(request)
        if record is None:
            return _refuse(404, "Debt not found")
        body = await _object(request) or {}
        amount = parse_amount(body.get("amount"))
        if amount is None:
            return _refuse(400, "amount must be a positive number")
        failed = body.get("failed") is True
        moment = dt.datetime.fromtimestamp(state.clock(), tz=dt.timezone.utc)
        payment = {
            "id": f"pay_{state.new_id()}",
            "debt_id": record["id"],
            "internal_id": record.get("internal_id"),
            "amount": amount,
            "amount_text": amount_text(amount),
            "currency": body.get("currency") or record.get("currency"),
            "method": body.get("method") or "card",
            "status": "failed" if failed else "received",
            "paid_at": moment.isoformat(timespec="seconds"),
        }
        state.payments.append(payment)
        state.webhooks.emit("payment.failed" if failed else "payment.received", payment)
        received = sum(
            (p["amount"] for p in state.payments
             if p["debt_id"] == record["id"] and p["status"] == "received"),
            Decimal(0),
        )  # fmt: skip
        if not failed and received >= Decimal(str(record["amount"])):
            set_status(state, record, PAID, payment_id=payment["id"], amount=amount)
        return _json({"error": False, "data": payment}, 201)

    async def redeliver(request: web.Request) -> web.Response:
        body = await _object(request) or {}
        last = body.get("last")
        if last is not None and (not isinstance(last, int) or isinstance(last, bool)):
            return _refuse(400, "last must be a whole number")
        return _json({"queued": state_of(request).webhooks.redeliver(last)})

    return [
        web.post(f"{CONTROL_PREFIX}/webhook", configure),
        web.post(f"{CONTROL_PREFIX}/debts/{{debt_id}}/status", change_status),
        web.post(f"{CONTROL_PREFIX}/debts/{{debt_id}}/payments", record_payment),
        web.post(f"{CONTROL_PREFIX}/webhooks/redeliver", redeliver),
    ]
