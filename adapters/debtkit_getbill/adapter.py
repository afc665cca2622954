"""`GetBillAdapter`: the entry point debtkit loads as ``getbill``."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from debtkit import (
    APIStatusError,
    Capability,
    Case,
    ConfigurationError,
    Debt,
    PolicyRule,
    RateLimit,
    RateObservation,
)
from debtkit.budget import gate_for
from debtkit.client import check_connect_options, check_credentials
from debtkit.events.model import CaseEvent
from debtkit.retry import RetryPolicy
from debtkit.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    RequestGate,
    Response,
    Timeouts,
    Transport,
)
from debtkit_getbill.auth import DEFAULT_SCOPE, GetBillAuth
from debtkit_getbill.client import GetBillClient, RateObservingGate
from debtkit_getbill.credits import estimate_credits
from debtkit_getbill.errors import error_from_response, rate_observation
from debtkit_getbill.options import PROVIDER
from debtkit_getbill.rules import policy_rules
from debtkit_getbill.webhook_events import parse_webhook
from debtkit_getbill.wire import case_from_record, debt_payload, unstructure

if TYPE_CHECKING:
    import aiohttp
    from aiohttp import web

__all__ = ["DEFAULT_BASE_URL", "GetBillAdapter"]

DEFAULT_BASE_URL = "https://getbill.io/external-api/v1"
_CREDENTIALS = ("client_id", "client_secret", "access_token")
_OPTIONS = (
    "scope", "clock", "renew_margin", "default_region", "user_agent",
    "rate_overrides", "time_scale", "max_response_bytes",
)  # fmt: skip


class GetBillAdapter:
    name = PROVIDER
    capabilities = frozenset(
        {
            Capability.CREATE,
            Capability.BATCH_CREATE,
            Capability.GET,
            Capability.FIND_BY_REFERENCE,
            Capability.LIST,
            Capability.UPDATE,
            Capability.DELETE,
            Capability.SIMULATOR,
        }
    )
    credential_env: Mapping[str, str] = MappingProxyType(
        {"client_id": "GETBILL_CLIENT_ID", "client_secret": "GETBILL_CLIENT_SECRET"}
    )

    def __repr__(self) -> str:
        return "GetBillAdapter()"

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """500 writes and 1,000 reads per sliding hour, per OAuth client (documented)."""
        return (
            RateLimit("write", 500, 3600.0, "sliding", frozenset({"write"})),
            RateLimit("read", 1000, 3600.0, "sliding", frozenset({"read"})),
        )

    def policy_rules(self) -> Sequence[PolicyRule]:
        return policy_rules()

    def to_wire(self, debt: Debt) -> dict[str, Any]:
        """The create body for a validated debt (see `debtkit_getbill.wire`)."""
        body: dict[str, Any] = unstructure(debt_payload(debt))
        return body

    def to_case(self, record: Mapping[str, Any]) -> Case:
        return case_from_record(record)

    def parse_error(self, response: Response) -> APIStatusError:
        return error_from_response(response)

    def parse_rate_headers(self, response: Response) -> RateObservation | None:
        return rate_observation(response)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None
    ) -> CaseEvent:
        """Verify a webhook delivery (``X-GetBill-Signature``) and return its neutral event.

        GetBill signs no timestamp and sends no event id: the event id is a digest of the
        body, and replay protection comes from deduplicating on it (a receiver's
        seen-store). `now` is unused. See `debtkit_getbill.webhook_events`.
        """
        return parse_webhook(body, headers, secret, now=now)

    def connect(
        self,
        credentials: Mapping[str, str],
        *,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        gate: RequestGate | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        relax: Collection[str] = (),
        token_url: str | None = None,
        **options: Any,
    ) -> GetBillClient:
        """A client for GetBill. `credentials`: ``client_id`` and ``client_secret`` (OAuth
        client credentials), or a ready ``access_token``.

        The client's API families (``client.followups``, ``.debtors``, ``.creditors``,
        ``.company``, ``.reports``) ask for their own scopes in their own tokens when
        ``scope`` does not cover them (see `debtkit_getbill.api`).

        Options: ``scope`` (default ``"debts:read debts:write"``), ``default_region`` for
        national phone numbers (default ``"FR"``), ``renew_margin`` and ``clock`` for the
        token cache, ``user_agent`` appended to debtkit's, ``max_response_bytes`` (the largest
        answer read, `debtkit.transport.DEFAULT_MAX_RESPONSE_BYTES` by default). Requests pass
        `gate`, by default
        the credential's shared `debtkit.budget.Budget`; ``rate_overrides`` (a customer's
        plan, e.g. ``{"write": 1000}``) and ``time_scale`` (for simulators) shape it.
        """
        check_connect_options(
            PROVIDER, base_url=base_url, session=session, gate=gate, retry=retry,
            timeouts=timeouts, relax=relax, rate_overrides=options.get("rate_overrides"),
            time_scale=options.get("time_scale", 1.0),
            extra_text={name: options.get(name) for name in ("scope", "user_agent")},
            extra_callables={"clock": options.get("clock")},
            extra_numbers={"renew_margin": options.get("renew_margin")},
        )  # fmt: skip
        if token_url is not None:
            check_connect_options(PROVIDER, base_url=token_url)
        auth = _auth(check_credentials(PROVIDER, credentials), token_url, options)
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"unknown GetBill option(s) {sorted(unknown)}; known: {sorted(_OPTIONS)}"
            )
        url = base_url or DEFAULT_BASE_URL
        if token_url is None:
            parts = urlsplit(url)
            auth.token_url = f"{parts.scheme}://{parts.netloc}/token" if parts.netloc else None
        retry = retry or RetryPolicy()
        budget = gate_for(
            self, credentials, gate,
            rate_overrides=options.get("rate_overrides"), time_scale=options.get("time_scale", 1.0),
            max_server_wait=retry.max_server_wait,
        )  # fmt: skip
        observer = RateObservingGate(budget)
        transport = Transport(
            provider=PROVIDER,
            base_url=url,
            auth=auth,
            error_parser=self.parse_error,
            session=session,
            timeouts=timeouts,
            gate=observer,
            retry=retry,
            user_agent=options.get("user_agent"),
            max_response_bytes=options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES),
        )
        return GetBillClient(
            transport,
            self.policy_rules(),
            relax=relax,
            default_region=options.get("default_region", "FR"),
            observer=observer,
        )

    def estimate_cost(self, debts: Iterable[Debt]) -> list[str]:
        """The credit estimate as lines for a person, shown by the CLI before an import."""
        estimate = estimate_credits(debts)
        tiers = ", ".join(f"{tier} {count}" for tier, count in estimate.debts_by_tier.items())
        lines = [
            f"estimated GetBill credits: {estimate.total:,} "
            f"({estimate.call_credits:,} for one AI call per debt with a phone: {tiers or 'none'}; "
            f"{estimate.civility_detection_credits} civility detection, "
            f"{estimate.email_validation_credits} email validation)"
        ]
        if estimate.unpriced:
            lines.append(
                f"  {len(estimate.unpriced)} debt(s) call countries GetBill does not price"
            )
        if estimate.without_phone:
            lines.append(f"  {len(estimate.without_phone)} debt(s) have no valid phone: no call")
        return lines

    def simulator(self, **options: Any) -> web.Application:
        """The GetBill simulator app (see `debtkit_getbill.simulator.create_app`)."""
        from debtkit_getbill.simulator import create_app

        return create_app(**options)


def _auth(
    credentials: Mapping[str, str], token_url: str | None, options: Mapping[str, Any]
) -> GetBillAuth:
    unknown = set(credentials) - set(_CREDENTIALS)
    if unknown:
        raise ConfigurationError(
            f"unknown GetBill credential(s) {sorted(unknown)}; expected client_id and "
            "client_secret, or access_token"
        )
    given = {name for name in _CREDENTIALS if credentials.get(name)}
    if "access_token" not in given:
        missing = [name for name in ("client_id", "client_secret") if name not in given]
        if missing:
            raise ConfigurationError(
                f"GetBill credentials are missing {' and '.join(missing)} "
                "(give client_id and client_secret, or access_token)"
            )
    extra: dict[str, Any] = {}
    for name in ("clock", "renew_margin"):
        if name in options:
            extra[name] = options[name]
    return GetBillAuth(
        client_id=credentials.get("client_id") or None,
        client_secret=credentials.get("client_secret") or None,
        access_token=credentials.get("access_token") or None,
        scope=options.get("scope", DEFAULT_SCOPE),
        token_url=token_url,
        **extra,
    )
