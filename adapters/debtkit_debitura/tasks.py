"""`client.tasks`: what Debitura needs from the creditor, as typed `Task` objects.

Tasks are a live queue, not a log: an open task disappears from ``status=Open`` once it is
solved (often automatically). ``GET /tasks`` is paged and account-wide (some tasks belong to
no case: signing a contract, assigning a bank account); ``GET /cases/{id}/tasks`` answers one
case's tasks unpaged. Both filter by ``status`` (Open, the default, or Solved) and by any
number of ``type`` codes. `Task.to_event()` turns a task into a neutral
``ACTION_REQUIRED`` `CaseEvent`: what is needed and the URL where a person solves it.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any

import attrs

from debtkit.errors import ConfigurationError
from debtkit.events.model import CaseEvent, EventType
from debtkit.transport import Request
from debtkit_debitura.calls import (
    MAX_PAGE_SIZE,
    Resource,
    page_size,
    paged_records,
    path,
    read,
    records,
    segment,
    structure,
)
from debtkit_debitura.mapping import PROVIDER

__all__ = ["TASK_STATUSES", "TASK_TYPES", "Task", "TaskAction", "Tasks"]

TASK_STATUSES = ("Open", "Solved")
# Known codes; Debitura adds new ones additively, so others are sent and read as they are.
TASK_TYPES = (
    "Generic",
    "ReplyToChat",
    "SelectQuoteWinner",
    "ReviewPartner",
    "ClientInputRequired",
    "SignContract",
    "MoreInfoNeeded",
    "AssignBankAccount",
    "CaseValidationNeedsInfo",
)


@attrs.frozen
class TaskAction:
    """The API call that resolves the task (``{caseId}`` placeholders left in `path`)."""

    method: str | None = None
    path: str | None = None


@attrs.frozen
class Task:
    """``TaskDto``: one thing the creditor is asked to do."""

    id: str
    type: str | None = None
    type_label: str | None = None
    title: str | None = None
    description: str | None = attrs.field(default=None, repr=False)  # free text
    status: str | None = None
    case_id: str | None = None
    case_reference: str | None = None
    lead_id: str | None = None
    deadline: dt.datetime | None = None
    date_created: dt.datetime | None = None
    date_solved: dt.datetime | None = None
    solution_url: str | None = None
    action: TaskAction | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def is_open(self) -> bool:
        return (self.status or "Open").casefold() == "open"

    def to_event(self) -> CaseEvent:
        """This task as an ``ACTION_REQUIRED`` event; its id is the task's, so the same task
        read twice is the same event."""
        return CaseEvent(
            event_id=f"{PROVIDER}:task:{self.id}",
            provider=PROVIDER,
            event_type=EventType.ACTION_REQUIRED,
            raw_type=f"task.{self.type or 'Generic'}",
            occurred_at=self.date_created,
            case_id=self.case_id,
            creditor_reference=self.case_reference,
            action=self.title or self.type_label or self.type,
            solution_url=self.solution_url,
            raw=self.raw,
        )


def to_task(record: object) -> Task:
    return structure(record, Task, "Debitura task")


def _task_key(task: Task) -> str:
    return task.id


class Tasks(Resource):
    """Debitura's task queue, through the client's transport (reads only)."""

    def list(
        self,
        *,
        status: str = "Open",
        types: Collection[str] = (),
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[Task]:
        """Every task on the account with this status and (any of) these types, page by page."""
        params = _filters(status, types, "tasks.list()")
        size = _size(page_size)
        return paged_records(
            self.transport, "tasks", "tasks", to_task, params=params, size=size, key=_task_key
        )

    async def for_case(
        self, case_id: str, *, status: str = "Open", types: Collection[str] = ()
    ) -> builtins.list[Task]:
        """``GET /cases/{id}/tasks``: the case's tasks, in one read."""
        params = _filters(status, types, "tasks.for_case()")
        url = path("cases", segment(case_id), "tasks")
        response = await self.call(Request("GET", url, params=params))
        return read(response, lambda b: [to_task(r) for r in records(b, "Debitura tasks")])


def _size(value: object) -> int:
    return page_size(value, "tasks.list()")


def _filters(status: str, types: Collection[str], operation: str) -> dict[str, Any]:
    canonical = {s.casefold(): s for s in TASK_STATUSES}.get(str(status).casefold())
    if canonical is None:
        raise ConfigurationError(f"{operation}: status must be one of {', '.join(TASK_STATUSES)}")
    wanted = [types] if isinstance(types, str) else list(types)
    if not all(isinstance(t, str) and t for t in wanted):
        raise ConfigurationError(f"{operation}: types must be task type codes")
    params: dict[str, Any] = {"status": canonical}
    if wanted:
        params["type"] = wanted  # repeated keys, as Debitura reads arrays
    return params
