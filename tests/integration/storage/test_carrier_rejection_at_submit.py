"""A carrier that refuses a submit for good (a permanent ``command_status``) gives the
message its verdict: ``rejected`` with the carrier's status, refunded since no carrier ever
took it; a temporary refusal goes on to the next channel of the plan."""

from __future__ import annotations

import asyncio
from typing import Any

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.channel_port import ChannelResult, OutboundSms, SendResultKind
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings
from parcelsms.pipeline.message_ports import SubmittedPart

ESME_RINVDSTADR = 0x0000000B


class Carrier:
    """Answers every submit with ``kind`` (ACCEPTED: with a carrier id)."""

    is_available = True
    send_rate: float | None = None

    def __init__(self, name: str, kind: SendResultKind, status_code: int | None = None) -> None:
        self.name = name
        self.kind = kind
        self.status_code = status_code
        self.sent = 0

    async def send(self, sms: OutboundSms) -> ChannelResult:
        self.sent += 1
        await asyncio.sleep(0)
        if self.kind is SendResultKind.ACCEPTED:
            return ChannelResult(self.kind, (SubmittedPart(part_no=1, carrier_id_raw="7f"),))
        return ChannelResult(self.kind, detail="refused", status_code=self.status_code)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def _dispatch_until_final(
    storage: SqlStorage, account_id: str, message_id: str, channels: dict[str, Carrier], clock: Any
) -> Any:
    settings = DispatchSettings(idle_poll_seconds=0.01)
    dispatcher = Dispatcher(storage.messages, channels, settings, clock=clock)  # type: ignore[arg-type]
    running = asyncio.create_task(dispatcher.run())
    try:
        async with asyncio.timeout(20):
            while True:
                detail = await storage.message_queries.get_message(account_id, message_id)
                assert detail is not None
                if detail.message.status not in ("queued",):
                    return detail
                await asyncio.sleep(0.01)
    finally:
        await dispatcher.stop()
        await running


async def test_a_permanent_refusal_is_the_carriers_rejection_refunded(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id, route_plan=("alpha", "beta"))
    alpha = Carrier("alpha", SendResultKind.PERMANENT, ESME_RINVDSTADR)
    beta = Carrier("beta", SendResultKind.ACCEPTED)

    detail = await _dispatch_until_final(
        storage, account.id, message_id, {"alpha": alpha, "beta": beta}, clock
    )

    assert detail.message.status == "rejected"
    assert detail.message.last_error is not None
    assert detail.message.last_error.err == "0x0000000b"
    assert (alpha.sent, beta.sent) == (1, 0)  # another carrier would refuse it too
    after = await storage.accounts.get_account(account.id)
    assert after is not None
    assert after.balance_micros == 1_000_000  # reserved, then refunded


async def test_a_temporary_refusal_goes_on_to_the_next_channel(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id, route_plan=("alpha", "beta"))
    alpha = Carrier("alpha", SendResultKind.TEMPORARY, 0x00000008)
    beta = Carrier("beta", SendResultKind.ACCEPTED)

    detail = await _dispatch_until_final(
        storage, account.id, message_id, {"alpha": alpha, "beta": beta}, clock
    )

    assert detail.message.status == "submitted"
    assert (alpha.sent, beta.sent) == (1, 1)
