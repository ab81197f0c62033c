"""The composition root: configuration in, a running platform out.

This is the one module that picks concrete implementations — the SQLite storage adapter,
SMPP channels, the webhook sender, the embedded carrier simulator — and wires them
into the pipeline's use cases and workers and the HTTP API. Nothing outside this package
imports adapters; the running result, its workers and stop order, is
:class:`~parcelsms.bootstrap.running_platform.Platform`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from parcelsms import __version__
from parcelsms.adapters.channels.smpp_channel import SmppChannel, SmppChannelSettings
from parcelsms.adapters.metrics.exposition import MetricsExposition
from parcelsms.adapters.metrics.sampler import MetricsSampler
from parcelsms.adapters.storage import SqlStorage, open_storage
from parcelsms.adapters.webhooks.backoff import next_attempt_delay
from parcelsms.adapters.webhooks.sender import WebhookSender, WebhookTimeouts
from parcelsms.adapters.webhooks.signing import new_signing_secret
from parcelsms.adapters.webhooks.target_guard import check_resolved_host, check_target
from parcelsms.api.app import create_app
from parcelsms.api.authentication import RateDefaults
from parcelsms.api.services import ApiServices
from parcelsms.bootstrap.running_platform import Platform
from parcelsms.config import SIMULATOR_CHANNEL_NAME, Settings
from parcelsms.config.tables import ChannelSettings
from parcelsms.domain.country_rules_loading import load_country_rules
from parcelsms.domain.magic_numbers import simulator_prefixes
from parcelsms.domain.numbers import mask_number
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.receipt_correlation import MessageIdFormat
from parcelsms.pipeline.accept import AcceptMessages, AcceptSettings
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.channel_port import Channel
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.daily_limits import DailyLimitGuard
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings
from parcelsms.pipeline.message_ports import InboundMessage
from parcelsms.pipeline.price_book import PriceBook
from parcelsms.pipeline.receipts import ReceiptCorrelator, ReceiptSettings
from parcelsms.pipeline.recipient_limits import RecipientLimitGuard
from parcelsms.pipeline.reports import Reports
from parcelsms.pipeline.sandbox_numbers import SandboxNumberSettings, SandboxNumberVerification
from parcelsms.pipeline.signing_secrets import SigningSecretLookup
from parcelsms.pipeline.verification_guard import VerificationGuard
from parcelsms.pipeline.webhook_delivery import WebhookDeliverySettings, WebhookDeliveryWorker
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.protocol.smpp.client import SmppClientConfig
from parcelsms.protocol.smpp.constants import BindType
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.protocol.text.concatenation import ConcatenationMethod
from parcelsms.simulator.behaviours import resolve_scenario
from parcelsms.simulator.carrier import CarrierSimulator
from parcelsms.simulator.magic_numbers import with_magic_numbers


def resolve_pepper(settings: Settings, environ: Mapping[str, str]) -> bytes:
    """The server pepper for API key hashes.

    From ``[security] pepper`` or ``PARCELSMS_PEPPER``; else a random one created once in a
    file beside the SQLite database (``parcelsms.pepper``, mode 0600; its directory 0700 when
    created here), so keys keep working across restarts without configuration. Losing the
    pepper invalidates every API key.
    """
    configured = settings.security.pepper or environ.get("PARCELSMS_PEPPER")
    if configured:
        return configured.encode("utf-8")
    url = make_url(settings.database.url)
    database = url.database or ""
    directory = Path(database).resolve().parent if database and database != ":memory:" else Path()
    path = directory / "parcelsms.pepper"
    if not path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


async def open_platform_storage(settings: Settings, environ: Mapping[str, str]) -> SqlStorage:
    """Open (and migrate) the configured storage; on the first start, seed the database's
    price list from ``[prices]``."""
    storage = await open_storage(
        settings.database.url,
        pepper=resolve_pepper(settings, environ),
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        refund_on_reject=settings.dispatch.refund_on_carrier_reject,
        receipt_early_window=settings.receipts.early_window,
    )
    try:
        await storage.billing.seed_prices(settings.price_list())
    except BaseException:
        await storage.close()
        raise
    return storage


def _client_configs(channel: ChannelSettings) -> list[SmppClientConfig]:
    timeouts = SmppTimeouts(
        response=channel.response_timeout,
        enquire_link_interval=channel.enquire_link_interval,
        inactivity=max(channel.enquire_link_interval * 3, 30.0),
    )
    tps_per_session = channel.tps / channel.sessions
    configs: list[SmppClientConfig] = []
    binds = (
        [BindType.TRANSCEIVER]
        if channel.bind == "transceiver"
        else [BindType.TRANSMITTER, BindType.RECEIVER]
    )
    for index in range(channel.sessions):
        for bind_type in binds:
            configs.append(
                SmppClientConfig(
                    host=channel.host,
                    port=channel.port,
                    system_id=channel.system_id,
                    password=channel.password,
                    system_type=channel.system_type,
                    bind_type=bind_type,
                    window=channel.window,
                    tps=tps_per_session,
                    timeouts=timeouts,
                    reconnect_max_delay=channel.reconnect_max_delay,
                    name=f"{channel.name}#{index}",
                )
            )
    return configs


async def build_platform(settings: Settings, environ: Mapping[str, str]) -> Platform:
    """Wire a platform from settings. Starts the embedded simulator when it is needed."""
    storage = await open_platform_storage(settings, environ)
    channel_settings = list(settings.channels)
    simulator: CarrierSimulator | None = None
    if settings.simulator_embedded:
        scenario = with_magic_numbers(
            resolve_scenario(settings.simulator.scenario), simulator_prefixes()
        )
        # Test-number codes sent to the simulator are logged (masked number): no phone gets them.
        simulator = CarrierSimulator(scenario, number_mask=mask_number)
        port = await simulator.start("127.0.0.1", 0)
        channel_settings.append(
            ChannelSettings(
                name=SIMULATOR_CHANNEL_NAME,
                host="127.0.0.1",
                port=port,
                system_id="parcelsms",
                password="embedded",  # noqa: S106  # loopback-only bind to our own simulator
                window=100,
                tps=5000.0,
            )
        )

    prices = settings.price_list()
    route_table = settings.route_table()
    # Loaded and validated once: a bad operator copy stops the start with its key named.
    countries_file = settings.countries.file
    country_rules = load_country_rules(Path(countries_file) if countries_file else None)

    receipt_settings = settings.receipts
    correlator = ReceiptCorrelator(
        storage.receipts,
        {c.name: MessageIdFormat(c.message_id_format) for c in channel_settings},
        ReceiptSettings(
            early_window=receipt_settings.early_window,
            pending_ttl=receipt_settings.pending_ttl,
            memory_seconds=receipt_settings.memory_seconds,
        ),
    )
    await correlator.load()

    async def inbound_sink(message: InboundMessage) -> None:
        await storage.messages.store_inbound([message])

    channels = {
        c.name: SmppChannel(
            SmppChannelSettings(
                name=c.name,
                sessions=_client_configs(c),
                default_sender_id=c.default_sender_id,
                concatenation=ConcatenationMethod(c.concatenation),
            ),
            correlator,
            inbound_sink,
        )
        for c in channel_settings
    }
    typed_channels: dict[str, Channel] = dict(channels)
    # Claim no more than the channels can have in flight (plus as much again queued in
    # front of them): a crash then leaves few messages claimed-but-unsent to resolve.
    capacity = sum(c.window * c.sessions for c in channel_settings) * 2
    # Built before the use cases that queue messages, so that they can wake it.
    dispatcher = Dispatcher(
        storage.messages,
        typed_channels,
        DispatchSettings(
            batch_size=min(500, capacity),
            max_in_flight=capacity,
            unknown_outcome_policy=settings.dispatch.unknown_outcome_policy,
        ),
    )
    allow_private = settings.webhooks.allow_private_targets

    def check_url(url: str) -> None:
        check_target(url, allow_private=allow_private)

    async def check_host(url: str) -> None:
        await check_resolved_host(url, allow_private=allow_private)

    signing_secrets = SigningSecretLookup(storage.webhook_endpoints)

    # Who may send to whom (account states), then how much: per recipient and per day.
    verification_guard = VerificationGuard(
        storage.accounts, allow_magic_numbers=settings.verification.magic_numbers
    )
    limit_settings = settings.limits
    limits = AccountLimitsCache(
        storage.billing,
        EffectiveLimits(
            recipient_per_hour=limit_settings.recipient_per_hour,
            recipient_per_day=limit_settings.recipient_per_day,
            duplicate_window_seconds=limit_settings.duplicate_window,
            daily_messages=limit_settings.daily_messages,
            daily_spend_micros=limit_settings.daily_spend_micros,
        ),
    )
    recipient_guard = RecipientLimitGuard(limits)
    daily_guard = DailyLimitGuard(
        limits, storage.billing, warning_percent=limit_settings.warning_percent
    )
    # Seeded from the database so that a restart does not reset the counters.
    await recipient_guard.load(storage.billing)
    await daily_guard.load(storage.billing)
    price_book = PriceBook(storage.billing, prices)

    def account_changed(account_id: str) -> None:
        verification_guard.forget(account_id)
        limits.forget(account_id)

    accept = AcceptMessages(
        AcceptSettings(
            prices=prices,
            routes=route_table,
            validity=settings.dispatch.validity,
            max_segments=settings.dispatch.max_segments,
            country_rules=country_rules,
        ),
        storage.messages,
        storage.content,
        check_callback_url=check_url,
        has_signing_secret=signing_secrets.exists,
        on_accepted=dispatcher.wake,
        guards=[verification_guard, recipient_guard, daily_guard],
        price_source=price_book,
        sends_free=verification_guard.sends_free,
    )
    # Templates, sender IDs and their review; a change tells the accept step to forget the
    # account's cached templates and senders.
    compose = accept.compose_settings
    authoring = ContentAuthoring(
        storage.content,
        country_rules=compose.country_rules,
        max_segments=compose.max_segments,
        on_change=accept.forget_account,
    )
    verification = settings.verification
    test_numbers = SandboxNumberVerification(
        storage.accounts,
        storage.messages,
        SandboxNumberSettings(
            routes=route_table,
            code_ttl=verification.code_ttl,
            max_attempts=verification.code_attempts,
            max_numbers=verification.test_numbers_per_account,
            resend_interval=verification.code_resend_interval.total_seconds(),
            daily_codes=verification.codes_per_day,
            sender_id=verification.code_sender_id,
        ),
        on_accepted=dispatcher.wake,
    )
    sender = WebhookSender(
        timeouts=WebhookTimeouts(total=settings.webhooks.timeout_seconds),
        allow_private=allow_private,
    )
    webhooks = WebhookDeliveryWorker(
        storage.webhook_outbox,
        sender,
        next_delay=lambda attempt: next_attempt_delay(attempt),
        settings=WebhookDeliverySettings(max_attempts=settings.webhooks.max_attempts),
    )
    app = create_app(
        ApiServices(
            accounts=storage.accounts,
            billing=storage.billing,
            content=storage.content,
            message_queries=storage.message_queries,
            receipts=storage.receipts,
            webhook_endpoints=storage.webhook_endpoints,
            accept=accept,
            authoring=authoring,
            new_webhook_secret=new_signing_secret,
            check_webhook_url=check_url,
            check_webhook_host=check_host,
            version=__version__,
            admin_token=settings.security.admin_token,
            test_numbers=test_numbers,
            prices_changed=price_book.invalidate,
            limits=limits,
            reports=Reports(storage.reports),
            key_rates=RateDefaults(
                per_second=settings.security.key_rate_limit,
                burst=settings.security.key_rate_burst,
            ),
            account_changed=account_changed,
            metrics=MetricsExposition(storage.reports) if settings.metrics.enabled else None,
            metrics_public=settings.metrics.public,
        )
    )
    return Platform(
        settings=settings,
        storage=storage,
        channels=channels,
        accept=accept,
        dispatcher=dispatcher,
        webhooks=webhooks,
        webhook_sender=sender,
        receipts=correlator,
        app=app,
        simulator=simulator,
        daily_limits=daily_guard,
        metrics_sampler=MetricsSampler(
            storage.writer.statistics, channels, settings.metrics.sample_interval
        )
        if settings.metrics.enabled
        else None,
    )


__all__ = ["Platform", "PriceList", "build_platform", "open_platform_storage", "resolve_pepper"]
