"""`DebituraAdapter`: the Debitura Customer API as a debtkit plugin."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from debtkit.budget import gate_for
from debtkit.client import check_connect_options, check_credentials
from debtkit.errors import APIStatusError, ConfigurationError
from debtkit.events.model import CaseEvent
from debtkit.model import Case, Debt
from debtkit.plugin import Capability, RateLimit, RateObservation
from debtkit.retry import RetryPolicy
from debtkit.transport import DEFAULT_MAX_RESPONSE_BYTES, RequestGate, Response, Timeouts, Transport
from debtkit.validation import PolicyRule
from debtkit_debitura import errors, mapping, rules, webhook_events
from debtkit_debitura.auth import ApiKeyAuth
from debtkit_debitura.client import DebituraClient

if TYPE_CHECKING:
    import aiohttp
    from aiohttp import web

__all__ = ["ENVIRONMENTS", "DebituraAdapter"]

ENVIRONMENTS: Mapping[str, str] = MappingProxyType(
    {
        "production": "https://customer-api.debitura.com",
        "test": "https://testcustomer-api.debitura.com",
    }
)


class DebituraAdapter:
    """Translator and factory for Debitura; stateless, so one instance serves everyone."""

    name = "debitura"
    capabilities = frozenset(
        {
            Capability.CREATE,
            Capability.IDEMPOTENCY_KEY,
            Capability.GET,
            Capability.FIND_BY_REFERENCE,
            Capability.LIST,
            Capability.PREVIEW,
            Capability.SIMULATOR,
        }
    )
    credential_env: Mapping[str, str] = MappingProxyType({"api_key": "DEBITURA_API_KEY"})

    def __repr__(self) -> str:
        return "DebituraAdapter()"

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """Per API key, reads and writes alike (Debitura's rate-limiting page). The minute is
        "a sliding window, 10-s segments": the budget holds each slot as a server counting in
        segments would (see `RateLimit.segment`)."""
        return (
            RateLimit("minute", 2000, 60.0, "sliding", segment=10.0),
            RateLimit("hour", 20000, 3600.0, "fixed"),
            RateLimit("day", 100000, 86400.0, "fixed"),
        )

    def policy_rules(self, clock: rules.Clock | None = None) -> Sequence[PolicyRule]:
        return rules.policy_rules(clock)

    def to_wire(
        self,
        debt: Debt,
        *,
        allow_pending_contracts: bool | None = None,
        is_test: bool | None = None,
    ) -> dict[str, Any]:
        return mapping.create_request(
            debt, allow_pending_contracts=allow_pending_contracts, is_test=is_test
        )

    def to_case(self, record: Mapping[str, Any]) -> Case:
        return mapping.to_case(record)

    def parse_error(self, response: Response) -> APIStatusError:
        return errors.parse_error(response)

    def parse_rate_headers(self, response: Response) -> RateObservation | None:
        return None  # Debitura documents no X-RateLimit-* headers

    def parse_webhook(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: float | None = None,
        tolerance: float = webhook_events.DEFAULT_TOLERANCE,
    ) -> CaseEvent:
        """Verify a webhook delivery (``X-Debitura-Signature``) and return its neutral event.

        `body` is the raw request body exactly as received; `secret` the subscription's
        secret as Debitura returned it (base64). Refused deliveries raise
        `WebhookSignatureError`, also when ``|now - t|`` exceeds `tolerance` seconds; `now`
        defaults to the system clock. See `debtkit_debitura.webhook_events`.
        """
        return webhook_events.parse_webhook(body, headers, secret, now=now, tolerance=tolerance)

    def connect(
        self,
        credentials: Mapping[str, str],
        *,
        base_url: str | None = None,
        environment: str = "production",
        session: aiohttp.ClientSession | None = None,
        gate: RequestGate | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        relax: Collection[str] = (),
        clock: rules.Clock | None = None,
        rate_overrides: Mapping[str, int | RateLimit] | None = None,
        time_scale: float = 1.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        **options: Any,
    ) -> DebituraClient:
        """A client for Debitura. Requests pass `gate`, by default the API key's shared
        `debtkit.budget.Budget`; `rate_overrides` (a customer's plan, by limit name:
        ``minute``, ``hour``, ``day``) and `time_scale` (for simulators) shape it.
        `max_response_bytes` is the largest answer read."""
        if options:
            raise ConfigurationError(f"debitura: unknown connect option(s) {sorted(options)}")
        check_connect_options(
            self.name, base_url=base_url, session=session, gate=gate, retry=retry,
            timeouts=timeouts, relax=relax, rate_overrides=rate_overrides, time_scale=time_scale,
            extra_text={"environment": environment}, extra_callables={"clock": clock},
        )  # fmt: skip
        api_key = check_credentials(self.name, credentials).get("api_key")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError(
                "debitura needs credentials {'api_key': ...} "
                f"(or ${self.credential_env['api_key']})"
            )
        if base_url is None:
            if environment not in ENVIRONMENTS:
                raise ConfigurationError(
                    f"debitura: unknown environment {environment!r}; "
                    f"known: {', '.join(ENVIRONMENTS)} (or pass base_url)"
                )
            base_url = ENVIRONMENTS[environment]
        retry = retry or RetryPolicy()
        transport = Transport(
            provider=self.name,
            base_url=base_url,
            auth=ApiKeyAuth(api_key),
            error_parser=errors.parse_error,
            session=session,
            timeouts=timeouts,
            gate=gate_for(
                self,
                credentials,
                gate,
                rate_overrides=rate_overrides,
                time_scale=time_scale,
                max_server_wait=retry.max_server_wait,
            ),
            retry=retry,
            max_response_bytes=max_response_bytes,
        )
        return DebituraClient(transport, self.policy_rules(clock), relax=relax)

    def simulator(self, **options: Any) -> web.Application:
        from debtkit_debitura.simulator import create_app

        return create_app(**options)
