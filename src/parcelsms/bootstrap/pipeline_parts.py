"""Wiring of the pipeline's parts: channels (and the embedded simulator), the receipt
correlator, the dispatcher and the webhook worker, for a ``pipeline`` or ``all`` process."""

from __future__ import annotations

from parcelsms.adapters.channels.smpp_channel import SmppChannel, SmppChannelSettings
from parcelsms.adapters.metrics.sampler import MetricsSampler
from parcelsms.adapters.process.wake_socket import WakeListener
from parcelsms.adapters.storage import SqlStorage
from parcelsms.bootstrap.channel_flow import (
    health_board,
    health_publisher,
    silence_sweeper,
    unanswered_policies,
)
from parcelsms.bootstrap.cluster_wiring import channel_ownership, lease_keeper, leased_channels
from parcelsms.bootstrap.inbound_wiring import inbound_sink
from parcelsms.bootstrap.process_signals import ListenerFactory
from parcelsms.bootstrap.route_wiring import build_route_book
from parcelsms.bootstrap.running_platform import PipelineWorkers, WebhookWorkers
from parcelsms.bootstrap.webhook_parts import build_webhook_delivery
from parcelsms.config import SIMULATOR_CHANNEL_NAME, Settings
from parcelsms.config.tables import ChannelSettings
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.magic_numbers import simulator_prefixes
from parcelsms.domain.numbers import mask_number
from parcelsms.domain.receipt_correlation import MessageIdFormat
from parcelsms.pipeline.channel_port import Channel
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings
from parcelsms.pipeline.receipts import ReceiptCorrelator, ReceiptSettings
from parcelsms.protocol.smpp.client import SmppClientConfig
from parcelsms.protocol.smpp.constants import BindType
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.protocol.text.concatenation import ConcatenationMethod
from parcelsms.simulator.behaviours import resolve_scenario
from parcelsms.simulator.carrier import CarrierSimulator
from parcelsms.simulator.magic_numbers import with_magic_numbers


def client_configs(channel: ChannelSettings) -> list[SmppClientConfig]:
    """One SMPP client per session and bind of ``channel``."""
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
                    probe_max_delay=channel.probe_interval,
                    recycle_after_timeouts=channel.recycle_after_timeouts,
                    name=f"{channel.name}#{index}",
                )
            )
    return configs


async def start_embedded_simulator(settings: Settings) -> tuple[CarrierSimulator, ChannelSettings]:
    """The carrier simulator used when no channel is configured, and the channel to it."""
    scenario = with_magic_numbers(
        resolve_scenario(settings.simulator.scenario), simulator_prefixes()
    )
    # Test-number codes sent to the simulator are logged (masked number): no phone gets them.
    simulator = CarrierSimulator(scenario, number_mask=mask_number)
    port = await simulator.start("127.0.0.1", 0)
    channel = ChannelSettings(
        name=SIMULATOR_CHANNEL_NAME,
        host="127.0.0.1",
        port=port,
        system_id="parcelsms",
        password="embedded",  # noqa: S106  # loopback-only bind to our own simulator
        window=100,
        tps=5000.0,
    )
    return simulator, channel


async def build_pipeline(
    settings: Settings,
    storage: SqlStorage,
    country_rules: CountryRules,
    wake_listener: ListenerFactory | None = None,
    *,
    deliver_webhooks: bool = True,
) -> PipelineWorkers:
    """Wire the pipeline; rings heard by the listener ``wake_listener`` makes (none: only its
    own poll) wake its dispatcher. Without ``deliver_webhooks`` a ``webhooks`` process
    delivers the outbox."""
    channel_settings = list(settings.channels)
    simulator: CarrierSimulator | None = None
    if settings.simulator_embedded:
        simulator, embedded = await start_embedded_simulator(settings)
        channel_settings.append(embedded)

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

    replies = inbound_sink(settings, storage, build_route_book(settings, storage), country_rules)
    health = health_board(channel_settings)
    channels = {
        c.name: SmppChannel(
            SmppChannelSettings(
                name=c.name,
                sessions=client_configs(c),
                default_sender_id=c.default_sender_id,
                concatenation=ConcatenationMethod(c.concatenation),
                configured_tps=c.tps,
                reassembly_timeout_seconds=settings.inbound.reassembly_timeout.total_seconds(),
            ),
            correlator,
            replies,
            health=health,
        )
        for c in channel_settings
    }
    ownership = channel_ownership(settings, channels)
    typed_channels: dict[str, Channel] = leased_channels(channels, ownership)
    # Claim no more than the channels can have in flight (plus as much again queued in
    # front of them): a crash then leaves few messages claimed-but-unsent to resolve.
    capacity = sum(c.window * c.sessions for c in channel_settings) * 2
    dispatcher = Dispatcher(
        storage.messages,
        typed_channels,
        DispatchSettings(
            batch_size=min(500, capacity),
            max_in_flight=capacity,
            unknown_outcome_policy=settings.dispatch.unknown_outcome_policy,
            unanswered=unanswered_policies(channel_settings),
        ),
        health=health,
        ownership=ownership,
        hurry=storage.writer.hurry,
    )
    listener = (
        wake_listener(dispatcher.wake)
        if wake_listener is not None
        else WakeListener(None, dispatcher.wake)
    )
    webhooks = (
        WebhookWorkers(*build_webhook_delivery(settings, storage)) if deliver_webhooks else None
    )
    return PipelineWorkers(
        settings=settings,
        storage=storage,
        channels=channels,
        dispatcher=dispatcher,
        webhooks=webhooks,
        receipts=correlator,
        wake_listener=listener,
        simulator=simulator,
        health_publisher=health_publisher(health, storage.channel_health, channels, ownership),
        lease_keeper=lease_keeper(settings, storage, channels, ownership, dispatcher),
        silence_sweeper=silence_sweeper(channel_settings, storage.messages),
        metrics_sampler=MetricsSampler(
            storage.writer.statistics,
            channels,
            settings.metrics.sample_interval,
            workers={
                "dispatcher": dispatcher.claim_loop,
                **({"webhooks": webhooks.worker.claim_loop} if webhooks is not None else {}),
            },
        )
        if settings.metrics.enabled
        else None,
    )
