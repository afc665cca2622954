"""Every operation of Debitura's OpenAPI document, in one place: called by this adapter (and by
what), or not, and why not. tests/adapters/debitura/test_operations.py reads the document and
fails on an operation in neither table, and checks the called ones against what the
integration tests actually send and what the simulator serves.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CALLED", "NOT_CALLED", "Operation"]

Operation = tuple[str, str]  # (method, path template as the document writes it)

CALLED: Mapping[Operation, str] = {
    ("POST", "/cases"): "DebituraClient.create",
    ("GET", "/cases"): "DebituraClient.cases",
    ("POST", "/cases/preview"): "DebituraClient.preview",
    ("GET", "/cases/{id}"): "DebituraClient.get",
    ("GET", "/cases/by-creditor-reference/{creditorReference}"): "DebituraClient.find",
    ("GET", "/cases/case-reference/{caseReference}"): "DebituraClient.get_by_case_reference",
    ("GET", "/me"): "DebituraClient.me",
    ("GET", "/cases/{id}/contract-status"): "case_detail.contract_status",
    ("GET", "/cases/{id}/timeline"): "case_detail.timeline",
    ("GET", "/cases/{id}/validation"): "case_detail.validation",
    ("GET", "/cases/{id}/exclusive-period"): "case_detail.exclusive_period",
    ("GET", "/cases/{id}/quote-requests"): "quotes.requests",
    ("GET", "/cases/{id}/quote-requests/{quoteRequestId}"): "quotes.request",
    ("GET", "/cases/{id}/quote-requests/{quoteRequestId}/quotes"): "quotes.quotes",
    ("GET", "/cases/{id}/quote-requests/{quoteRequestId}/quotes/{quoteId}"): "quotes.quote",
    ("GET", "/cases/{id}/chats"): "messages.list",
    ("POST", "/cases/{id}/chats"): "messages.send",
    ("GET", "/cases/{id}/files"): "files.list",
    ("POST", "/cases/{id}/files"): "files.upload",
    ("GET", "/users"): "account.users",
    ("GET", "/contracts/debt-collection/status"): "account.contract_status",
    ("GET", "/coverage"): "coverage.list",
    ("GET", "/coverage/{id}"): "coverage.get",
    ("POST", "/coverage/check-eligibility"): "coverage.check_eligibility",
    ("POST", "/divisions"): "divisions.create",
    ("GET", "/divisions"): "divisions.list",
    ("GET", "/divisions/{id}"): "divisions.get",
    ("PUT", "/divisions/{id}"): "divisions.update",
    ("DELETE", "/divisions/{id}"): "divisions.delete",
    ("POST", "/divisions/{id}/archive"): "divisions.archive",
    ("GET", "/cases/{id}/payments"): "payments.for_case",
    ("GET", "/Payments"): "payments.list",
    ("GET", "/Payments/{id}"): "payments.get",
    ("GET", "/tasks"): "tasks.list",
    ("GET", "/cases/{id}/tasks"): "tasks.for_case",
    ("POST", "/test/cases/{id}/advance"): "test_mode.advance",
    ("DELETE", "/test/cases/{id}"): "test_mode.delete_case",
    ("DELETE", "/test/cases"): "test_mode.delete_tagged",
    ("POST", "/test/webhooks/fire"): "test_mode.fire",
    ("GET", "/webhooks/events"): "webhooks.events",
    ("POST", "/webhooks/events/{id}/replay"): "webhooks.replay_event",
    ("POST", "/webhooks"): "webhooks.create",
    ("GET", "/webhooks"): "webhooks.list",
    ("GET", "/webhooks/{id}"): "webhooks.get",
    ("PATCH", "/webhooks/{id}"): "webhooks.update",
    ("DELETE", "/webhooks/{id}"): "webhooks.delete",
    ("POST", "/webhooks/{id}/test"): "webhooks.test",
}

_DEPRECATED = "deprecated"

NOT_CALLED: Mapping[Operation, str] = {
    ("GET", "/coverage/search"): _DEPRECATED,
    ("GET", "/coverage/:search"): _DEPRECATED,
    ("POST", "/webhooks/{id}/replay"): _DEPRECATED,
    ("POST", "/webhooks/{id}:replay"): _DEPRECATED,
    ("POST", "/divisions/{id}:archive"): (
        "alias: the same operation as POST /divisions/{id}/archive, which divisions.archive "
        "calls (the simulator serves both)"
    ),
    ("POST", "/webhooks/{id}:test"): (
        "alias: the same operation as POST /webhooks/{id}/test, which webhooks.test calls"
    ),
}
