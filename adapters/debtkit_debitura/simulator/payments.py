"""Simulated payments and tasks: ``GET /cases/{id}/payments``, ``GET /Payments[/{id}]``,
``GET /tasks`` and ``GET /cases/{id}/tasks``.

Payments appear when a test case is advanced to ``Closed:Paid`` (`debtkit_debitura.simulator.
testmode`); a test may also `PaymentBook.record` one. Tasks: a case created in "Pending
contract signing" opens the account-level ``SignContract`` task (once), and a test may
`TaskBook.open` any other, for a case or for the account. Listings are newest first, paged
as ``GET /cases`` is (``Page``/``PageSize``, names case-insensitive, PageSize 1-100).
"""

from __future__ import annotations

import decimal
import math
import uuid
from collections.abc import Sequence
from typing import Any

import attrs
from aiohttp import web

from debtkit_debitura.simulator.replies import api_error, guid, json_reply
from debtkit_debitura.simulator.state import SimulatorState, StoredCase, timestamp

__all__ = ["PAYMENTS", "TASKS", "PaymentBook", "TaskBook", "register"]

_SIGNING_URL = "https://app.debitura.com/settings/contracts"


@attrs.define
class PaymentBook:
    state: SimulatorState
    payments: dict[str, dict[str, Any]] = attrs.field(factory=dict)  # id → PaymentDto

    def record(
        self, case: StoredCase, amount: decimal.Decimal, method: str = "BankTransfer"
    ) -> dict[str, Any]:
        """A payment on `case`, as a collection partner would register it."""
        now = timestamp(self.state.clock())
        invoice = case.invoice
        payment_id = str(uuid.uuid4())
        payment: dict[str, Any] = {
            "id": payment_id,
            "dateCreated": now,
            "dateUpdated": None,
            "date": now,
            "grossAmount": amount,
            "recipient": "CollectionPartner",
            "method": method,
            "currency": invoice.get("currency"),
            "invoice": {
                "invoiceId": invoice["id"],
                "reference": invoice.get("reference"),
                "status": invoice.get("lifecycle"),
            },
        }
        self.payments[payment_id] = payment
        return payment

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        return [p for p in self.payments.values() if p["invoice"]["invoiceId"] == case_id]

    def forget_case(self, case_id: str) -> None:
        for payment in self.for_case(case_id):
            del self.payments[payment["id"]]


@attrs.define
class TaskBook:
    state: SimulatorState
    tasks: dict[str, dict[str, Any]] = attrs.field(factory=dict)  # id → TaskDto

    def open(
        self,
        task_type: str,
        title: str,
        *,
        case: StoredCase | None = None,
        solution_url: str = "https://app.debitura.com/tasks",
        action: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        task_id = str(uuid.uuid4())
        task: dict[str, Any] = {
            "id": task_id,
            "type": task_type,
            "typeLabel": task_type,
            "title": title,
            "description": None,
            "status": "Open",
            "caseId": case.invoice["id"] if case else None,
            "caseReference": case.invoice.get("creditorReference") if case else None,
            "leadId": None,
            "deadline": None,
            "dateCreated": timestamp(self.state.clock()),
            "dateSolved": None,
            "solutionUrl": solution_url,
        }
        if action is not None:
            task["action"] = action
        self.tasks[task_id] = task
        return task

    def solve(self, case_id: str, task_type: str | None = None) -> None:
        for task in self.tasks.values():
            wanted = task["caseId"] == case_id and task_type in (None, task["type"])
            if wanted and task["status"] == "Open":
                task["status"] = "Solved"
                task["dateSolved"] = timestamp(self.state.clock())

    def forget_case(self, case_id: str) -> None:
        for key in [k for k, t in self.tasks.items() if t["caseId"] == case_id]:
            del self.tasks[key]


PAYMENTS = web.AppKey("debitura_payments", PaymentBook)
TASKS = web.AppKey("debitura_tasks", TaskBook)


def _page(request: web.Request) -> tuple[int, int] | web.Response:
    query = {k.casefold(): v for k, v in request.query.items()}
    try:
        page = int(query.get("page", "1"))
        size = int(query.get("pagesize", "10"))
    except ValueError:
        return api_error(400, "InvalidQuery", "Page and PageSize must be integers.")
    if page < 1 or not 1 <= size <= 100:
        return api_error(400, "InvalidQuery", "Page must be ≥ 1 and PageSize 1 to 100.")
    return page, size


def _paged(key: str, items: Sequence[dict[str, Any]], page: int, size: int) -> web.Response:
    chunk = list(items[(page - 1) * size : page * size])
    return json_reply(
        {
            "page": {
                "totalResults": len(items),
                "pageSize": size,
                "currentPage": page,
                "responseCount": len(chunk),
                "totalPages": math.ceil(len(items) / size),
            },
            key: chunk,
        }
    )


class _Routes:
    def __init__(self, state: SimulatorState, payments: PaymentBook, tasks: TaskBook) -> None:
        self.state, self.payments, self.tasks = state, payments, tasks

    def _case(self, request: web.Request) -> StoredCase | web.Response:
        key = guid(request.match_info["id"])
        if key is None:
            return api_error(400, "InvalidId", "The id must be a GUID.")
        found = self.state.cases.get(key)
        if found is None:
            return api_error(404, "NotFound", "Case not found.")
        return found

    async def case_payments(self, request: web.Request) -> web.Response:
        case = self._case(request)
        if isinstance(case, web.Response):
            return case
        return json_reply(self.payments.for_case(str(case.invoice["id"])))

    async def list_payments(self, request: web.Request) -> web.Response:
        paging = _page(request)
        if isinstance(paging, web.Response):
            return paging
        newest = sorted(self.payments.payments.values(), key=lambda p: p["dateCreated"])[::-1]
        return _paged("payments", newest, *paging)

    async def get_payment(self, request: web.Request) -> web.Response:
        key = guid(request.match_info["id"])
        if key is None:
            return api_error(400, "InvalidId", "The id must be a GUID.")
        found = self.payments.payments.get(key)
        if found is None:
            return api_error(404, "NotFound", "Payment not found.")
        return json_reply(found)

    def _tasks(self, request: web.Request, case_id: str | None) -> list[dict[str, Any]] | str:
        status = request.query.get("status", "Open")
        if status.casefold() not in {"open", "solved"}:
            return "status must be Open or Solved."
        types = {t for v in request.query.getall("type", []) for t in v.split(",") if t}
        return [
            t
            for t in reversed(self.tasks.tasks.values())
            if t["status"].casefold() == status.casefold()
            and (not types or t["type"] in types)
            and (case_id is None or t["caseId"] == case_id)
        ]

    async def list_tasks(self, request: web.Request) -> web.Response:
        paging = _page(request)
        if isinstance(paging, web.Response):
            return paging
        found = self._tasks(request, None)
        if isinstance(found, str):
            return api_error(400, "InvalidQuery", found)
        return _paged("tasks", found, *paging)

    async def case_tasks(self, request: web.Request) -> web.Response:
        case = self._case(request)
        if isinstance(case, web.Response):
            return case
        found = self._tasks(request, str(case.invoice["id"]))
        if isinstance(found, str):
            return api_error(400, "InvalidQuery", found)
        return json_reply(found)


def register(app: web.Application, state: SimulatorState) -> tuple[PaymentBook, TaskBook]:
    """Add the payment and task routes; the books are ``app[PAYMENTS]`` and ``app[TASKS]``."""
    payments, tasks = PaymentBook(state), TaskBook(state)
    app[PAYMENTS], app[TASKS] = payments, tasks

    def sign_contract_task(case: StoredCase) -> None:
        # An account-level task (no caseId, as the TaskDto documents for SignContract), open
        # once however many cases wait for the signature.
        if case.invoice.get("lifecycle") != "Pending contract signing":
            return
        if not any(
            t["type"] == "SignContract" and t["status"] == "Open" for t in tasks.tasks.values()
        ):
            tasks.open(
                "SignContract", "Sign the debt collection agreement", solution_url=_SIGNING_URL
            )

    state.case_listeners.append(sign_contract_task)
    routes = _Routes(state, payments, tasks)
    app.router.add_get("/cases/{id}/payments", routes.case_payments)
    app.router.add_get("/cases/{id}/tasks", routes.case_tasks)
    app.router.add_get("/Payments", routes.list_payments)
    app.router.add_get("/Payments/{id}", routes.get_payment)
    app.router.add_get("/tasks", routes.list_tasks)
    return payments, tasks
