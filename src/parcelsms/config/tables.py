"""The tables of the configuration file, one immutable msgspec Struct per ``[table]``.

Field types and ranges here are the first validation pass (msgspec refuses unknown keys,
wrong types and out-of-range numbers); the cross-field checks live in
:func:`parcelsms.config.load_config`. The whole file is :class:`parcelsms.config.Settings`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Final, Literal

import msgspec

from parcelsms.config.values import Amount, Byte, Duration, Port, Positive, amount_micros
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.domain.receipt_failover import RECEIPT_FAILURE_STATS

DEFAULT_DATABASE_URL: Final = "sqlite:///./parcelsms.db"


class SettingsTable(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every settings table: immutable and refusing unknown keys."""


class ServerSettings(SettingsTable, frozen=True):
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8080
    public_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()


class DatabaseSettings(SettingsTable, frozen=True):
    url: str = DEFAULT_DATABASE_URL


class SecuritySettings(SettingsTable, frozen=True):
    pepper: str | None = None
    admin_token: str | None = None
    key_rate_limit: Annotated[float, msgspec.Meta(ge=0)] = 100.0
    key_rate_burst: Annotated[int, msgspec.Meta(ge=1)] = 200


class VerificationSettings(SettingsTable, frozen=True):
    magic_numbers: bool = True
    test_numbers_per_account: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    code_ttl: Duration = Duration(minutes=10)
    code_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    code_resend_interval: Duration = Duration(seconds=60)
    codes_per_day: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    code_sender_id: str | None = None


class CountrySettings(SettingsTable, frozen=True):
    file: str | None = None


class ReceiptFailoverSettings(SettingsTable, frozen=True):
    """``[[channels.receipt_failover]]``: failed receipts worth the next channel of the plan
    (:mod:`parcelsms.domain.receipt_failover`; docs/operator.md, "Failover on receipts")."""

    states: tuple[str, ...] = ("UNDELIV",)
    error_codes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    no_receipt_after: Duration | None = None

    def __post_init__(self) -> None:
        for state in self.states:
            if state not in RECEIPT_FAILURE_STATS:
                known = ", ".join(sorted(RECEIPT_FAILURE_STATS))
                raise ValueError(f"{state!r} is not a failed receipt state; one of {known}")
        for country in self.countries:
            if country not in KNOWN_REGIONS:
                raise ValueError(
                    f"{country!r} is not an ISO 3166 alpha-2 country code with a numbering "
                    "plan (write capitals; the United Kingdom is GB)"
                )
        if not self.states and self.no_receipt_after is None:
            raise ValueError("a rule needs states or no_receipt_after, else it retries nothing")


class ChannelSettings(SettingsTable, frozen=True):
    name: str
    host: str
    port: Port
    system_id: str
    password: str
    kind: Literal["smpp"] = "smpp"
    system_type: str = ""
    bind: Literal["transceiver", "transmitter_receiver"] = "transceiver"
    window: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100
    tps: Positive = 100.0
    sessions: Annotated[int, msgspec.Meta(ge=1, le=16)] = 1
    enquire_link_interval: Positive = 30.0
    response_timeout: Positive = 10.0
    # Backoff ceiling after a refused bind; an unreachable SMSC is probed every probe_interval.
    reconnect_max_delay: Positive = 30.0
    probe_interval: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.5
    # Consecutive response timeouts after which a bind is closed and bound again (0: never).
    recycle_after_timeouts: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 3
    # What happens to a submit never answered (docs/operator.md, "Channels").
    unanswered: Literal["resubmit", "wait_receipt", "review"] | None = None
    unanswered_wait: Duration = Duration(seconds=60)
    # Failed receipts (or none in time) that send a message to the next channel of its plan.
    receipt_failover: tuple[ReceiptFailoverSettings, ...] = ()
    # The circuit breaker: opens when this share of the last breaker_sample submits failed.
    breaker_error_rate: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.5
    breaker_min_submits: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 20
    breaker_sample: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    breaker_open_seconds: Positive = 5.0
    breaker_probe_interval: Positive = 1.0
    breaker_probes_to_close: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    source_ton: Byte | None = None
    source_npi: Byte | None = None
    default_sender_id: str | None = None
    concatenation: Literal["udh8", "udh16", "sar", "payload"] = "udh8"
    # How the SMSC writes message ids in responses and receipts (docs/smpp.md).
    message_id_format: Literal[
        "auto",
        "decimal",
        "hex",
        "opaque",
        "hex_response_decimal_receipt",
        "decimal_response_hex_receipt",
    ] = "auto"


class RouteSettings(SettingsTable, frozen=True):
    """One ``[[routes]]`` entry: filters (empty: any) and a plan (docs/routing.md)."""

    channels: tuple[str, ...]
    countries: tuple[str, ...] = ("*",)
    accounts: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    sender_ids: tuple[str, ...] = ()
    strategy: Literal["priority", "weighted", "least_cost"] = "priority"
    weights: tuple[int, ...] = ()
    delivery_floor: float = 0.0


class PriceSettings(SettingsTable, frozen=True):
    default: Amount = "0.05"
    # Values are checked by hand so that an error can name the country's key.
    countries: dict[str, Any] = msgspec.field(default_factory=dict)


class LimitSettings(SettingsTable, frozen=True):
    recipient_per_hour: Annotated[int, msgspec.Meta(ge=0)] = 10
    recipient_per_day: Annotated[int, msgspec.Meta(ge=0)] = 30
    duplicate_window: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 30
    daily_messages: Annotated[int, msgspec.Meta(ge=0)] = 0
    daily_spend: Amount = "0"
    warning_percent: Annotated[int, msgspec.Meta(ge=1, le=99)] = 80

    @property
    def daily_spend_micros(self) -> int:
        """``daily_spend`` in micro-units (checked at load)."""
        return amount_micros(self.daily_spend, "limits.daily_spend")


class DispatchSettings(SettingsTable, frozen=True):
    max_segments: Annotated[int, msgspec.Meta(ge=1, le=255)] = 10
    validity: Duration = Duration(hours=48)
    refund_on_carrier_reject: bool = False
    unknown_outcome_policy: Literal["resend", "assume_submitted"] = "resend"


class ReceiptSettingsTable(SettingsTable, frozen=True):
    """``[receipts]``: how long receipts wait for their submission (docs/smpp.md)."""

    early_window: Duration = Duration(seconds=5)
    pending_ttl: Duration = Duration(hours=72)
    memory_seconds: Annotated[float, msgspec.Meta(ge=1, le=86_400)] = 120.0


class InboundSettings(SettingsTable, frozen=True):
    """``[inbound]``: replies from handsets (docs/inbound.md)."""

    # A reply belongs to the latest message sent to its number within this window.
    match_window: Duration = Duration(days=7)
    # Parts of a concatenated reply wait this long for the others, then it is stored incomplete.
    reassembly_timeout: Duration = Duration(minutes=5)


class WebhookSettings(SettingsTable, frozen=True):
    """``[webhooks]``: targets, timeouts, the retry schedule and per-endpoint limits
    (docs/webhooks.md)."""

    allow_private_targets: bool = False
    max_attempts: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    timeout_seconds: Positive = 10.0
    retry_window: Duration = Duration(hours=24)
    retry_base_seconds: Positive = 5.0
    retry_cap_seconds: Positive = 3600.0
    lease_seconds: Annotated[float, msgspec.Meta(ge=1, le=600)] = 5.0
    endpoint_concurrency: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    endpoint_max_in_flight: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 400

    def __post_init__(self) -> None:
        if self.retry_cap_seconds < self.retry_base_seconds:
            raise ValueError("webhooks.retry_cap_seconds must be at least retry_base_seconds")


class SimulatorSettings(SettingsTable, frozen=True):
    embedded: bool | None = None
    scenario: str | None = None


class ClusterSettings(SettingsTable, frozen=True):
    """``[cluster]``: several pipeline processes on one PostgreSQL (docs/operator.md
    "Processes"). A channel whose pipeline died is bound by another within
    ``takeover_seconds``; each pipeline heartbeats every third of it."""

    takeover_seconds: Annotated[float, msgspec.Meta(ge=3, le=600)] = 10.0

    @property
    def takeover(self) -> timedelta:
        return timedelta(seconds=self.takeover_seconds)


class MetricsSettings(SettingsTable, frozen=True):
    enabled: bool = True
    # True: /metrics without the operator's credentials (an API on a private address).
    public: bool = False
    sample_interval: Annotated[float, msgspec.Meta(gt=0, le=300)] = 5.0


class LoggingSettings(SettingsTable, frozen=True):
    level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    format: Literal["json", "console"] = "json"
