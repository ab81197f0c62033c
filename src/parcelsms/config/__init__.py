"""Configuration: one TOML file plus ``PARCELSMS_*`` environment overrides, checked at start.

Which file (:func:`resolve_config_path`): the ``--config`` path when given, else the file
named by ``PARCELSMS_CONFIG``, else ``./parcelsms.toml`` when it exists, else none (all
defaults). :func:`load_config` reads it, applies the environment overrides and validates
everything, raising :class:`~parcelsms.errors.ConfigError` whose ``key`` names the setting
(``channels[1].port``, ``dispatch.validity``); a value that came from the environment
also names its variable.

Environment overrides: ``PARCELSMS_<TABLE>__<KEY>`` with a double underscore for each level
of nesting and list indexes as numbers: ``PARCELSMS_SERVER__PORT=9000``,
``PARCELSMS_DATABASE__URL=...``, ``PARCELSMS_CHANNELS__0__PASSWORD=...`` (keeps secrets out
of the file), ``PARCELSMS_PRICES__COUNTRIES__ES=0.04``. A value is read as a TOML value
when that gives the type the setting expects (``9000``, ``true``, ``["ES", "MX"]``) and as
the plain string otherwise, so ``PASSWORD=123456`` stays a string. Variables without a
double underscore (``PARCELSMS_CONFIG``) are not overrides.

Unknown keys, in the file or the environment, are errors: a misspelt setting would
otherwise be silently ignored.

Tables and their defaults::

    [server]     host = "127.0.0.1", port = 8080, public_url (for the printed curl),
                 trusted_proxies = [] (addresses or CIDR networks of reverse proxies whose
                 X-Forwarded-For / X-Forwarded-Proto are believed; none by default)
    [database]   url = "sqlite:///./parcelsms.db" (``sqlite+aiosqlite://`` is read the same),
                 or "postgresql://user:password@host/database" (psycopg 3, the postgres extra)
    [security]   pepper: unset means the composition root reads or creates
                 <database directory>/parcelsms.pepper (mode 0600); at least 16 characters.
                 admin_token: a bootstrap operator token accepted on /admin/v1 besides
                 operator keys (scope admin); at least 32 printable ASCII characters
                 key_rate_limit = 100 (requests/s per API key; 0 = none), key_rate_burst = 200
    [verification] magic_numbers = true (unverified accounts may send to the simulator's
                 magic numbers), test_numbers_per_account = 5, code_ttl = "10m",
                 code_attempts = 5, code_resend_interval = "60s", codes_per_day = 10,
                 code_sender_id (sender of verification codes; unset: the channel default)
    [countries]  file: an edited copy of the country rules registry (a path, relative to
                 the config file's directory); unset means the packaged registry
    [[channels]] name, kind = "smpp", host, port, system_id (<= 15), password (<= 8),
                 system_type = "" (<= 12), bind = "transceiver" | "transmitter_receiver",
                 window = 100 (1..1000), tps = 100 (> 0), sessions = 1 (1..16),
                 enquire_link_interval = 30, response_timeout = 10, reconnect_max_delay = 30
                 (seconds, after a refused bind), probe_interval = 0.5 (seconds between
                 connection attempts to an unreachable SMSC), recycle_after_timeouts = 3,
                 unanswered = "resubmit" | "wait_receipt" | "review" (default: from
                 [dispatch] unknown_outcome_policy), unanswered_wait = "60s",
                 breaker_error_rate = 0.5, breaker_min_submits = 20, breaker_sample = 50,
                 breaker_open_seconds = 5, breaker_probe_interval = 1,
                 breaker_probes_to_close = 3, source_ton, source_npi (0..255),
                 default_sender_id;
                 [[channels.receipt_failover]] rules: states = ["UNDELIV"] (receipt stat
                 words), error_codes = [] and countries = [] (empty: any),
                 no_receipt_after (a duration; unset: wait for the receipt)
    [[routes]]   channels = ["name", ...] (the plan), filters (ANDed, each optional):
                 countries = ["ES", "MX"] or ["*"] (the default), accounts, prefixes
                 (["+5511"]), carriers (["Vivo"]), sender_ids; strategy = "priority" |
                 "weighted" (weights = [3, 1]) | "least_cost" (delivery_floor = 0.9);
                 first match wins, a catch-all (only ["*"]) last (docs/routing.md); no
                 [[routes]] at all means one catch-all over every channel in file order
    [prices]     default = "0.05" per segment (decimal string or number, account currency,
                 at most 6 decimals), [prices.countries] ES = "0.04", ... — seeds the
                 database's price list on the first start only; afterwards the operator
                 edits prices with `parcelsms prices` or /admin/v1/prices (docs/billing.md)
    [limits]     defaults of the per-account limits (0 = no limit; the operator sets an
                 account's own with /admin/v1/accounts/{id}/limits): recipient_per_hour = 10,
                 recipient_per_day = 30 (messages to one number), duplicate_window = 30
                 (seconds in which the same text to the same number is refused),
                 daily_messages = 0, daily_spend = "0" (per account and UTC day),
                 warning_percent = 80 (when the daily-limit warning is sent)
    [dispatch]   max_segments = 10 (1..255), validity = "48h" ("30s", "15m", "2d", "1h30m"
                 or seconds), refund_on_carrier_reject = false,
                 unknown_outcome_policy = "resend" | "assume_submitted"
    [inbound]    match_window = "7d" (a reply belongs to the latest message sent to its
                 number within it), reassembly_timeout = "5m" (then a concatenated reply
                 is stored incomplete)
    [webhooks]   allow_private_targets = false, timeout_seconds = 10 (per request),
                 retry_window = "24h" (retries of one webhook, then dead-lettered),
                 max_attempts = 0 (0: no limit by count, else 1..1000),
                 retry_base_seconds = 5, retry_cap_seconds = 3600 (exponential backoff
                 with jitter), lease_seconds = 5, endpoint_concurrency = 10 (requests in
                 flight per URL, 1..100), endpoint_max_in_flight = 400 (rows held per URL)
    [simulator]  embedded (default: true when no channel is configured; its channel is
                 named "simulator"), scenario (a path, relative to the config file's
                 directory; to the working directory when there is no file)
    [logging]    level = "info", format = "json" | "console"
    [cluster]    takeover_seconds = 10 (3..600; PostgreSQL, several pipeline processes: a
                 dead pipeline's channels are bound by another within this time)

The tables are :mod:`parcelsms.config.tables`, their value types :mod:`parcelsms.config.values`,
the environment overrides :mod:`parcelsms.config.environment`.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import msgspec

from parcelsms.config.environment import apply_environment
from parcelsms.config.tables import (
    DEFAULT_DATABASE_URL,
    ChannelSettings,
    ClusterSettings,
    CountrySettings,
    DatabaseSettings,
    DispatchSettings,
    InboundSettings,
    LimitSettings,
    LoggingSettings,
    MetricsSettings,
    PriceSettings,
    ReceiptSettingsTable,
    RouteSettings,
    SecuritySettings,
    ServerSettings,
    SettingsTable,
    SimulatorSettings,
    VerificationSettings,
    WebhookSettings,
)
from parcelsms.config.values import Duration, amount_micros, parse_duration
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.receipt_failover import ReceiptFailoverPolicies, ReceiptRetryRule
from parcelsms.domain.routing import Route, RouteInvalid, RouteTable
from parcelsms.errors import ConfigError

DEFAULT_CONFIG_FILE: Final = "parcelsms.toml"
SIMULATOR_CHANNEL_NAME: Final = "simulator"
CONFIG_ENV_VARIABLE: Final = "PARCELSMS_CONFIG"


class Settings(SettingsTable, frozen=True):
    """The whole validated configuration; build it with :func:`load_config`."""

    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    security: SecuritySettings = msgspec.field(default_factory=SecuritySettings)
    verification: VerificationSettings = msgspec.field(default_factory=VerificationSettings)
    countries: CountrySettings = msgspec.field(default_factory=CountrySettings)
    channels: tuple[ChannelSettings, ...] = ()
    routes: tuple[RouteSettings, ...] = ()
    prices: PriceSettings = msgspec.field(default_factory=PriceSettings)
    limits: LimitSettings = msgspec.field(default_factory=LimitSettings)
    dispatch: DispatchSettings = msgspec.field(default_factory=DispatchSettings)
    receipts: ReceiptSettingsTable = msgspec.field(default_factory=ReceiptSettingsTable)
    inbound: InboundSettings = msgspec.field(default_factory=InboundSettings)
    webhooks: WebhookSettings = msgspec.field(default_factory=WebhookSettings)
    simulator: SimulatorSettings = msgspec.field(default_factory=SimulatorSettings)
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    cluster: ClusterSettings = msgspec.field(default_factory=ClusterSettings)

    @property
    def simulator_embedded(self) -> bool:
        """True when ``serve`` starts the embedded carrier simulator as a channel."""
        if self.simulator.embedded is None:
            return not self.channels
        return self.simulator.embedded

    def channel_names(self) -> tuple[str, ...]:
        """Configured channel names in file order, then ``simulator`` when embedded."""
        names = tuple(channel.name for channel in self.channels)
        return (*names, SIMULATOR_CHANNEL_NAME) if self.simulator_embedded else names

    def price_list(self) -> PriceList:
        """The per-segment prices as a domain :class:`PriceList`."""
        return PriceList(
            amount_micros(self.prices.default, "prices.default"),
            {
                country: amount_micros(amount, f"prices.countries.{country}")
                for country, amount in self.prices.countries.items()
            },
        )

    def receipt_failover_policies(self) -> ReceiptFailoverPolicies:
        """The channels' ``[[channels.receipt_failover]]`` rules as domain policies."""
        return ReceiptFailoverPolicies(
            {
                channel.name: tuple(
                    ReceiptRetryRule(
                        states=frozenset(rule.states),
                        error_codes=frozenset(rule.error_codes),
                        countries=frozenset(rule.countries),
                        no_receipt_after=rule.no_receipt_after,
                    )
                    for rule in channel.receipt_failover
                )
                for channel in self.channels
                if channel.receipt_failover
            }
        )

    def file_routes(self) -> tuple[Route, ...]:
        """The ``[[routes]]`` as domain routes (one catch-all over every channel when none)."""
        names = self.channel_names()
        if not self.routes:
            return (Route(countries="*", channels=names, name="routes[0]"),) if names else ()
        return tuple(
            Route(
                countries=frozenset(route.countries),
                channels=route.channels,
                accounts=frozenset(route.accounts),
                prefixes=route.prefixes,
                carriers=route.carriers,
                sender_ids=frozenset(route.sender_ids),
                strategy=route.strategy,
                weights=route.weights,
                delivery_floor=route.delivery_floor,
                name=f"routes[{index}]",
            )
            for index, route in enumerate(self.routes)
        )

    def route_table(self) -> RouteTable:
        """The ``[[routes]]`` as a validated :class:`RouteTable`; raises :class:`ConfigError`
        naming the route's key (``routes[2].channels``)."""
        try:
            return RouteTable(self.file_routes(), self.channel_names())
        except RouteInvalid as exc:
            raise ConfigError(exc.message, key=exc.field) from None


def resolve_config_path(
    cli_path: Path | str | None, environ: Mapping[str, str], cwd: Path
) -> Path | None:
    """Which configuration file to read: ``cli_path``, else ``$PARCELSMS_CONFIG``, else
    ``<cwd>/parcelsms.toml`` when it exists, else ``None`` (defaults only).

    Relative paths are taken relative to ``cwd``. An explicitly named file is returned
    even when missing, so that :func:`load_config` reports it instead of silently using
    defaults.
    """
    named = cli_path if cli_path not in (None, "") else environ.get(CONFIG_ENV_VARIABLE)
    if named:
        return cwd / Path(named)
    default = cwd / DEFAULT_CONFIG_FILE
    return default if default.is_file() else None


def load_config(path: Path | None, environ: Mapping[str, str]) -> Settings:
    """Read ``path`` (or nothing), apply ``PARCELSMS_*`` overrides from ``environ``, validate.

    Raises :class:`ConfigError` naming the offending key for every problem found: an
    unreadable file or TOML syntax error, an unknown key, a wrong type or range, an
    unknown channel in a route, a bad price, country code or duration.
    """
    data = _read_file(path) if path is not None else {}
    from_environment = apply_environment(data, environ, Settings)
    try:
        try:
            settings = msgspec.convert(data, Settings, dec_hook=_decode_custom)
        except msgspec.ValidationError as exc:
            raise _translate(exc) from None
        settings = _check(settings, path)
    except ConfigError as exc:
        variable = from_environment.get(exc.key or "")
        if variable is None:
            raise
        message = str(exc).removeprefix(f"{exc.key}: ")
        raise ConfigError(f"{message} (set by {variable})", key=exc.key) from None
    return settings


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _decode_custom(kind: type, value: Any) -> Any:
    if kind is Duration:
        return parse_duration(value)
    raise NotImplementedError(f"no decoder for {kind!r}")


_ERROR_WITH_PATH: Final = re.compile(r"(?s)(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?")
_NAMED_FIELD: Final = re.compile(r"Object (?:contains unknown|missing required) field `(.+)`")


def _translate(exc: msgspec.ValidationError) -> ConfigError:
    """Turn msgspec's ``"... - at `$.channels[1].port`"`` into a ConfigError with a key."""
    found = _ERROR_WITH_PATH.fullmatch(str(exc))
    message = found["message"] if found else str(exc)
    path = (found["path"] or "") if found else ""
    key = path.removeprefix(".")
    named = _NAMED_FIELD.fullmatch(message)
    if named:
        key = f"{key}.{named[1]}" if key else named[1]
        if message.startswith("Object contains unknown"):
            message = "unknown setting; check its spelling against docs/operator.md"
        else:
            message = "required setting is missing"
    return ConfigError(message, key=key or None)


def _check(settings: Settings, path: Path | None) -> Settings:
    """Cross-field checks msgspec cannot express; returns settings with resolved paths."""
    seen: set[str] = set()
    for index, channel in enumerate(settings.channels):
        key = f"channels[{index}]"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", channel.name):
            raise ConfigError(
                "a channel name is 1 to 64 letters, digits, '_', '.' or '-'", key=f"{key}.name"
            )
        if channel.name in seen:
            raise ConfigError(f"channel name {channel.name!r} is used twice", key=f"{key}.name")
        if channel.name == SIMULATOR_CHANNEL_NAME and settings.simulator_embedded:
            raise ConfigError(
                f"{SIMULATOR_CHANNEL_NAME!r} is the embedded simulator's channel name",
                key=f"{key}.name",
            )
        seen.add(channel.name)
        # SMPP 3.4 section 4.1.1 limits: longer values cannot be sent in a bind.
        for field_name, limit in (("system_id", 15), ("password", 8), ("system_type", 12)):
            value: str = getattr(channel, field_name)
            if len(value) > limit or not value.isascii():
                raise ConfigError(
                    f"SMPP 3.4 allows at most {limit} ASCII characters", key=f"{key}.{field_name}"
                )
        if not channel.system_id:
            raise ConfigError("system_id cannot be empty", key=f"{key}.system_id")
        if not channel.host:
            raise ConfigError("host cannot be empty", key=f"{key}.host")
    if not settings.channel_names():
        raise ConfigError(
            "no channel is configured and the embedded simulator is disabled, so nothing "
            "could be sent",
            key="channels",
        )
    settings.route_table()
    settings.price_list()
    _ = settings.limits.daily_spend_micros
    public_url = settings.server.public_url
    if public_url is not None and not re.match(r"https?://[^/\s]+", public_url):
        raise ConfigError("an absolute http:// or https:// URL", key="server.public_url")
    settings = _check_trusted_proxies(settings)
    if "://" not in settings.database.url:
        raise ConfigError(f'a database URL such as "{DEFAULT_DATABASE_URL}"', key="database.url")
    pepper = settings.security.pepper
    if pepper is not None and len(pepper) < 16:
        raise ConfigError("the pepper needs at least 16 characters", key="security.pepper")
    admin_token = settings.security.admin_token
    if admin_token is not None and (
        len(admin_token) < 32 or not (admin_token.isascii() and admin_token.isprintable())
    ):
        raise ConfigError(
            "the admin token needs at least 32 printable ASCII characters (e.g. `openssl rand "
            "-hex 32`)",
            key="security.admin_token",
        )
    countries_file = settings.countries.file
    if countries_file is not None and path is not None:
        resolved_file = str(path.parent / Path(countries_file).expanduser())
        settings = msgspec.structs.replace(
            settings,
            countries=msgspec.structs.replace(settings.countries, file=resolved_file),
        )
    scenario = settings.simulator.scenario
    if scenario is not None and path is not None:
        resolved = str(path.parent / Path(scenario).expanduser())
        return msgspec.structs.replace(
            settings, simulator=msgspec.structs.replace(settings.simulator, scenario=resolved)
        )
    return settings


def _check_trusted_proxies(settings: Settings) -> Settings:
    """Canonical networks (``"127.0.0.1/32"``) for ``server.trusted_proxies``.

    Host bits are refused, as in key allowlists: ``10.0.0.1/8`` could mean one proxy or a
    whole network, and trusting a network by mistake lets its hosts choose their address.
    """
    networks: list[str] = []
    for index, entry in enumerate(settings.server.trusted_proxies):
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError:
            raise ConfigError(
                f"{entry!r} is not an IP address or a network in CIDR form such as "
                '"127.0.0.1", "10.0.0.0/8" or "2001:db8::/32" (host bits must be zero)',
                key=f"server.trusted_proxies[{index}]",
            ) from None
        if str(network) not in networks:
            networks.append(str(network))
    server = msgspec.structs.replace(settings.server, trusted_proxies=tuple(networks))
    return msgspec.structs.replace(settings, server=server)
