"""The composition root: configuration in, a running platform out.

This package is the one place that picks concrete implementations — the SQLite storage
adapter, SMPP channels, the webhook sender, the embedded carrier simulator, the signals between
processes — and wires them into the pipeline's use cases and workers (:mod:`.pipeline_parts`)
and the HTTP API (:mod:`.api_parts`), for the parts one process runs (:mod:`.roles`). Nothing
outside this package imports adapters; the running result, its workers and stop order, is
:class:`~parcelsms.bootstrap.running_platform.Platform`.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from parcelsms.adapters.process.wake_socket import WakeSender
from parcelsms.adapters.storage import SqlStorage, open_storage
from parcelsms.adapters.storage.engine.sqlite_engine import SqliteSettings
from parcelsms.bootstrap.country_rules_wiring import load_settings_country_rules
from parcelsms.bootstrap.process_signals import (
    CrossProcessSignals,
    ListenerFactory,
    announce_change,
    cross_process_signals,
)
from parcelsms.bootstrap.roles import Role
from parcelsms.bootstrap.running_platform import Platform, WebhookWorkers
from parcelsms.config import Settings
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.pricing import PriceList
from parcelsms.pipeline.ttl_cache import share_changes
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy


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
    path = pepper_file(settings)
    directory = path.parent
    if not path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def pepper_file(settings: Settings) -> Path:
    """Where the pepper is kept when neither the configuration nor the environment gives it:
    ``parcelsms.pepper`` beside the SQLite database (the working directory on PostgreSQL)."""
    url = make_url(settings.database.url)
    database = url.database or ""
    is_file = database and database != ":memory:" and url.get_backend_name() == "sqlite"
    directory = Path(database).resolve().parent if is_file else Path().resolve()
    return directory / "parcelsms.pepper"


def pepper_source(settings: Settings, environ: Mapping[str, str]) -> str:
    """Where this configuration takes the pepper from, in words (never the pepper itself)."""
    if settings.security.pepper:
        return "[security] pepper in the configuration file"
    if environ.get("PARCELSMS_PEPPER"):
        return "the environment variable PARCELSMS_PEPPER"
    return f"the file {pepper_file(settings)}"


QUEUE_WORKER_FLUSH_INTERVAL = 0.05
"""Seconds between the write transactions of a busy pipeline or webhook process (its writer's
``min_interval``); an API process commits at once, its requests waiting. A queue worker held up
by its storage (no room left, or a backlog) hurries the writer (:mod:`..pipeline.claim_loop`);
without that, the dispatcher's in-flight limit capped a backlog of batches at about 1,600
messages/s. Measured on 2 cores (2026-12-06), pairs against commits at once: paced 1,000
single sends/s (``bench/throughput.py``), the pipeline's CPU per message 0.52 → 0.26-0.28 ms,
request p50 7.5-9.0 → 5.0-6.7 ms, accept-to-final-webhook p50 208 → 263 ms; with the neutral
harness and its SMPP sink, single sends (50 connections) 1,600-2,160 → 1,980-2,180 msgs/s in
three pairs of four (0.80-0.94 → 0.68-0.74 ms CPU per message), batches of 100 unchanged
within the noise (four pairs, -4 % to +5 %)."""


async def open_platform_storage(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    checkpoints: bool = False,
    country_rules: CountryRules | None = None,
    min_flush_interval: float = 0.0,
) -> SqlStorage:
    """Open (and migrate) the configured storage; on the first start, seed the database's
    price list from ``[prices]``. With ``checkpoints``, this process checkpoints the WAL in
    the background (the pipeline's job: one process per database). ``country_rules``: the
    registry already loaded by the caller (else loaded here). ``min_flush_interval``: see
    :data:`QUEUE_WORKER_FLUSH_INTERVAL`."""
    rules = country_rules or load_settings_country_rules(settings)
    storage = await open_storage(
        settings.database.url,
        # Every process of a platform leaves the WAL to the pipeline's checkpointer: a commit
        # that checkpoints holds the machine-wide write lock while it copies (and syncs).
        settings=SqliteSettings(
            background_checkpoint=checkpoints, checkpointed_elsewhere=not checkpoints
        ),
        pepper=resolve_pepper(settings, environ),
        webhook_policy=StatusWebhookPolicy(
            functools.partial(build_webhook_payload, country_rules=rules)
        ),
        refund_on_reject=settings.dispatch.refund_on_carrier_reject,
        receipt_early_window=settings.receipts.early_window,
        receipt_failover=settings.receipt_failover_policies(),
        min_flush_interval=min_flush_interval,
    )
    try:
        await storage.billing.seed_prices(settings.price_list())
    except BaseException:
        await storage.close()
        raise
    return storage


async def build_platform(
    settings: Settings,
    environ: Mapping[str, str],
    role: Role = Role.ALL,
    *,
    webhooks_apart: bool = False,
) -> Platform:
    """Wire the parts of ``role`` from settings (the pipeline starts the embedded simulator
    when no channel is configured).

    In a process of its own (``api`` or ``pipeline``), caches and the dispatcher hear of the
    other processes' changes and new messages through :func:`cross_process_signals`; an
    ``all`` process needs neither and uses none (several platforms may then share one test
    process). A ``pipeline`` with ``webhooks_apart`` leaves the outbox to a ``webhooks``
    process.

    A role imports only its own parts (``api_parts``: the HTTP app and the console;
    ``pipeline_parts``: channels, the dispatcher, the simulator): a process imports them from
    scratch when it starts, and ``serve`` starts five, so each import left out of a role
    shortens every start and every restart of a crashed process.
    """
    pepper = resolve_pepper(settings, environ)
    # Loaded and validated once: a bad operator copy stops the start with its key named.
    country_rules = load_settings_country_rules(settings)
    storage = await open_platform_storage(
        settings,
        environ,
        checkpoints=role.runs_pipeline,
        country_rules=country_rules,
        min_flush_interval=(
            QUEUE_WORKER_FLUSH_INTERVAL if role in (Role.PIPELINE, Role.WEBHOOKS) else 0.0
        ),
    )
    platform = Platform(settings=settings, storage=storage, role=role)
    try:
        signals: CrossProcessSignals | None = None
        listener: ListenerFactory | None = None
        if role is not Role.ALL:
            signals = cross_process_signals(settings)
            share_changes(signals.changes)
            # Listen from the start, not from the first cached read: on PostgreSQL the
            # listener's connection takes a moment, and a change announced before it listens
            # would only reach this process's caches once it is connected.
            signals.changes.current()
            platform.release.append(signals.changes.close)
            listener = signals.listener
        if role.runs_pipeline:
            from parcelsms.bootstrap.pipeline_parts import build_pipeline

            platform.pipeline = await build_pipeline(
                settings,
                storage,
                country_rules,
                listener,
                deliver_webhooks=role is Role.ALL or not webhooks_apart,
            )
        if role is Role.WEBHOOKS:
            from parcelsms.adapters.metrics.sampler import MetricsSampler
            from parcelsms.bootstrap.webhook_parts import build_webhook_delivery

            sender, worker = build_webhook_delivery(settings, storage)
            platform.webhooks = WebhookWorkers(
                sender,
                worker,
                metrics_sampler=MetricsSampler(
                    None,
                    {},
                    settings.metrics.sample_interval,
                    workers={"webhooks": worker.claim_loop},
                )
                if settings.metrics.enabled
                else None,
            )
        if role.runs_api:
            from parcelsms.bootstrap.api_parts import build_api

            if platform.pipeline is not None:
                pipeline = platform.pipeline
                assert pipeline.webhooks is not None  # one process: it delivers them too
                platform.api = await build_api(
                    settings,
                    storage,
                    pepper,
                    country_rules,
                    pipeline.dispatcher.wake,
                    pipeline.webhooks.wake,
                )
            else:
                ring = signals.doorbell() if signals is not None else WakeSender(None)
                platform.api = await build_api(settings, storage, pepper, country_rules, ring.ring)
                platform.api.close_wake = ring.close
    except BaseException:
        await platform.close()
        raise
    return platform


__all__ = [
    "Platform",
    "PriceList",
    "Role",
    "announce_change",
    "build_platform",
    "cross_process_signals",
    "open_platform_storage",
    "pepper_file",
    "pepper_source",
    "resolve_pepper",
]
