"""The simulator's state and plumbing for GetBill's other API families.

`register` adds the routes of `followups`, `parties` (debtors, creditors, debts by each) and
`account` (company, reports, report files) to an app built by `create_app`; the state lives at
``app[EXTRAS]`` (`ExtrasState`), beside the debts of ``app[STATE]``.

Behaviour where GetBill's docs are silent (the adapter assumes the same):
- Debtors and creditors are derived from the debts: one debtor per distinct first name, last
  name and phone (else email), one creditor per distinct ``company`` (the client an agency
  collects for); debts without ``company`` have no creditor. Both are created when first
  read after the debt, and keep later updates. Their naive timestamps are UTC wall time.
- Lists clamp ``limit`` to 100 and answer a page past the end with no items, as debts do;
  unknown query parameters are ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from aiohttp import web

from debtkit_getbill.simulator.state import SimulatorState

__all__ = ["ALL_SCOPES", "EXTRAS", "ExtrasState", "paged", "register"]

# Every scope the endpoint pages require (the auth page's list plus debtors/creditors).
ALL_SCOPES = (
    "company:read", "creditors:read", "creditors:write", "debtors:read", "debtors:write",
    "debts:read", "debts:write", "followups:read", "followups:write", "reports:read",
    "users:read", "webhooks:read",
)  # fmt: skip
MAX_PAGE_SIZE = 100


class ExtrasState:
    def __init__(self, state: SimulatorState) -> None:
        self.core = state  # the debts, the clock
        self.followups: dict[str, dict[str, Any]] = {}
        self.debtors: dict[str, dict[str, Any]] = {}
        self.creditors: dict[str, dict[str, Any]] = {}
        self.debt_debtor: dict[str, str] = {}  # debt id -> debtor id
        self.debt_creditor: dict[str, str] = {}  # debt id -> creditor id
        self._debtor_keys: dict[tuple[str, ...], str] = {}
        self._creditor_keys: dict[str, str] = {}
        created = self.now_z()
        self.profile: dict[str, Any] = {
            "id": "cmp_sim",
            "name": "Simulated Collections SAS",
            "email": "contact@simulated.example",
            "phone": "+33100000000",
            "created_at": created,
        }
        self.credits: dict[str, Any] = {
            "current_credits": 100_000,
            "subscription": {"plan": "Professional", "status": "active", "expires_at": None},
        }
        self.users: list[dict[str, Any]] = [
            {"id": "usr_admin", "email": "admin@simulated.example", "firstname": "Ada",
             "lastname": "Admin", "is_active": True, "created_at": created,
             "last_activity": created},
            {"id": "usr_agent", "email": "agent@simulated.example", "firstname": "Alan",
             "lastname": "Agent", "is_active": False, "created_at": created,
             "last_activity": None},
        ]  # fmt: skip
        self.reports: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # report id -> file content
        self.downloads: dict[str, tuple[str, float]] = {}  # token -> (report id, expires)
        self.download_log: list[Mapping[str, str]] = []  # the headers of each file request

    def new_id(self, prefix: str = "") -> str:
        return prefix + secrets.token_hex(6)

    def moment(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.core.clock(), tz=dt.timezone.utc)

    def now_z(self) -> str:
        return self.moment().isoformat(timespec="seconds").replace("+00:00", "Z")

    def now_naive(self) -> str:
        return self.moment().strftime("%Y-%m-%d %H:%M:%S")

    def sync(self) -> None:
        """Derive debtors and creditors for debts created since the last look."""
        for debt_id, debt in self.core.debts.items():
            if debt_id not in self.debt_debtor:
                self.debt_debtor[debt_id] = self._debtor_for(debt)
            company = (debt.get("company") or "").strip()
            if company and debt_id not in self.debt_creditor:
                self.debt_creditor[debt_id] = self._creditor_for(company, debt)

    def _debtor_for(self, debt: Mapping[str, Any]) -> str:
        contact = debt.get("phone") or (debt.get("email") or "").lower()
        key = (str(debt.get("firstname")).lower(), str(debt.get("lastname")).lower(), contact)
        seen = _naive(debt.get("import_date")) or self.now_naive()
        if key in self._debtor_keys:
            debtor = self.debtors[self._debtor_keys[key]]
            debtor["lastSeenAt"] = max(debtor["lastSeenAt"], seen)
            return str(debtor["id"])
        debtor_id = self.new_id("dbr_")
        address = debt.get("address") or ", ".join(
            str(debt[k]) for k in ("street_number", "street_address", "postal_code", "city")
            if debt.get(k)
        ) or None  # fmt: skip
        self.debtors[debtor_id] = {
            "id": debtor_id, "firstName": debt.get("firstname"), "lastName": debt.get("lastname"),
            "email": debt.get("email"), "phone": debt.get("phone"), "address": address,
            "dateOfBirth": debt.get("birthdate"), "firstSeenAt": seen, "lastSeenAt": seen,
            "lastUpdatedAt": seen,
        }  # fmt: skip
        self._debtor_keys[key] = debtor_id
        return debtor_id

    def _creditor_for(self, company: str, debt: Mapping[str, Any]) -> str:
        key = company.lower()
        if key in self._creditor_keys:
            return self._creditor_keys[key]
        creditor_id = self.new_id("crd_")
        seen = _naive(debt.get("import_date")) or self.now_naive()
        self.creditors[creditor_id] = {
            "id": creditor_id, "name": company, "email": None, "phone": None, "address": None,
            "city": None, "postalCode": None, "country": None, "registrationNumber": None,
            "taxNumber": None, "contactPerson": None, "createdAt": seen, "updatedAt": seen,
        }  # fmt: skip
        self._creditor_keys[key] = creditor_id
        return creditor_id

    def debts_of(self, links: Mapping[str, str], owner: str) -> list[dict[str, Any]]:
        live = self.core.debts
        return [live[d] for d, o in links.items() if o == owner and d in live]


def _naive(iso: Any) -> str | None:
    if not isinstance(iso, str):
        return None
    moment = dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def total(debts: Sequence[Mapping[str, Any]], *, paid_only: bool = False) -> Decimal:
    return sum(
        (Decimal(d["amount"]) for d in debts
         if not paid_only or d.get("status") == "status.default.paid"),
        Decimal(0),
    )  # fmt: skip


def paged(query: Mapping[str, str], items: Sequence[Any]) -> dict[str, Any] | dict[str, list[str]]:
    """A list envelope for one page, or the field errors of bad ``page``/``limit``."""
    errors: dict[str, list[str]] = {}
    numbers = {}
    for name, default in (("page", 1), ("limit", 20)):
        raw = query.get(name)
        if raw is not None and (not raw.isdigit() or int(raw) < 1):
            errors[name] = ["Must be a positive integer"]
        numbers[name] = int(raw) if raw is not None and raw.isdigit() and int(raw) >= 1 else default
    if errors:
        return errors
    page, limit = numbers["page"], min(numbers["limit"], MAX_PAGE_SIZE)
    start = (page - 1) * limit
    pagination = {
        "total": len(items), "page": page, "limit": limit,
        "pages": math.ceil(len(items) / limit),
    }  # fmt: skip
    return {"error": False, "data": list(items[start : start + limit]), "pagination": pagination}


EXTRAS: web.AppKey[ExtrasState] = web.AppKey("getbill_extras", ExtrasState)


def register(app: web.Application, state: SimulatorState) -> None:
    """Add every route of the other API families, with their state, to `app`."""
    from debtkit_getbill.simulator import account, followups, parties

    app[EXTRAS] = ExtrasState(state)
    followups.add_routes(app)
    parties.add_routes(app)
    account.add_routes(app)
