"""A carrier channel for dispatcher tests that answers every submit as scripted."""

from __future__ import annotations

import asyncio

from parcelsms.pipeline.channel_port import ChannelResult, OutboundSms, SendResultKind
from parcelsms.pipeline.message_ports import SubmittedPart


class ScriptedChannel:
    """A carrier channel that answers every submit with ``kind``."""

    is_available = True
    send_rate: float | None = None

    def __init__(self, name: str, kind: SendResultKind) -> None:
        self.name = name
        self.kind = kind
        self.sent: list[str] = []
        self.starts = 0
        self.closes = 0

    async def send(self, sms: OutboundSms) -> ChannelResult:
        self.sent.append(sms.message_id)
        await asyncio.sleep(0)
        if self.kind is SendResultKind.ACCEPTED:
            part = SubmittedPart(part_no=1, carrier_id_raw=f"{self.name}-{len(self.sent)}")
            return ChannelResult(self.kind, (part,), latency_seconds=0.003)
        return ChannelResult(self.kind, detail="scripted", latency_seconds=0.003)

    async def start(self) -> None:
        self.starts += 1

    async def close(self) -> None:
        self.closes += 1
