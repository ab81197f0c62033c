"""Wiring of the API's parts: the accept step with its guards and price book, content
authoring, test-number verification and the HTTP app, for an ``api`` or ``all`` process."""

from __future__ import annotations

from collections.abc import Callable

from parcelsms import __version__
from parcelsms.adapters.metrics.exposition import MetricsExposition
from parcelsms.adapters.storage import SqlStorage
from parcelsms.adapters.webhooks.signing import new_signing_secret
from parcelsms.adapters.webhooks.target_guard import check_resolved_host, check_target
from parcelsms.api.app import create_app
from parcelsms.api.authentication import RateDefaults
from parcelsms.api.services import ApiServices
from parcelsms.bootstrap.console_wiring import build_console
from parcelsms.bootstrap.route_wiring import build_route_book, route_administration
from parcelsms.bootstrap.running_platform import ApiParts
from parcelsms.config import Settings
from parcelsms.domain.country_rules import CountryRules
from parcelsms.pipeline.accept import AcceptMessages, AcceptSettings
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.daily_limits import DailyRules
from parcelsms.pipeline.price_book import PriceBook
from parcelsms.pipeline.recipient_limits import RecipientRules
from parcelsms.pipeline.reports import Reports
from parcelsms.pipeline.sandbox_numbers import SandboxNumberSettings, SandboxNumberVerification
from parcelsms.pipeline.shared_request_rate import SharedRequestRate
from parcelsms.pipeline.signing_secrets import SigningSecretLookup
from parcelsms.pipeline.verification_guard import VerificationGuard


def _poll_finds_it() -> None:
    """No worker in this process: the pipeline's webhook worker finds the row at its poll."""


async def build_api(
    settings: Settings,
    storage: SqlStorage,
    pepper: bytes,
    country_rules: CountryRules,
    on_accepted: Callable[[], None],
    webhooks_due: Callable[[], None] | None = None,
) -> ApiParts:
    """Wire the API; ``on_accepted`` is called after new messages were committed to the
    queue (it wakes the dispatcher, in this process or the pipeline's), ``webhooks_due`` when a
    sender asked for a redelivery (the webhook worker, when it runs in this process; else
    the pipeline's worker finds it at its next poll)."""
    prices = settings.price_list()
    route_table = settings.route_table()
    # Loaded and validated once: a bad operator copy stops the start with its key named.
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
    # Both decided in the accept transaction, against what every process committed.
    recipient_rules = RecipientRules(limits)
    daily_rules = DailyRules(limits, warning_percent=limit_settings.warning_percent)
    price_book = PriceBook(storage.billing, prices)
    route_book = build_route_book(settings, storage)

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
        on_accepted=on_accepted,
        guards=[verification_guard],
        price_source=price_book,
        route_source=route_book,
        sends_free=verification_guard.sends_free,
        recipient_rules=recipient_rules.rule_for,
        refuse_blocked_recipients=True,
        daily_rules=daily_rules.rule_for,
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
        on_accepted=on_accepted,
        route_source=route_book,
    )
    services = ApiServices(
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
        routes=route_administration(settings, storage, route_book, price_book),
        limits=limits,
        reports=Reports(storage.reports),
        metrics=MetricsExposition(storage.reports) if settings.metrics.enabled else None,
        metrics_public=settings.metrics.public,
        key_rates=RateDefaults(
            per_second=settings.security.key_rate_limit,
            burst=settings.security.key_rate_burst,
        ),
        # One bucket per key in the database: the limit holds across API processes and nodes.
        shared_key_rates=SharedRequestRate(storage.accounts),
        account_changed=account_changed,
        channel_health=storage.channel_health,
        webhook_deliveries=storage.webhook_deliveries,
        inbound=storage.inbound,
        recipient_blocks=storage.recipient_blocks,
        events=storage.events,
        webhooks_due=webhooks_due or _poll_finds_it,
    )
    console = build_console(
        settings, storage, services, pepper, new_webhook_secret=new_signing_secret
    )
    app = create_app(services, console=console)
    return ApiParts(app=app, accept=accept)
