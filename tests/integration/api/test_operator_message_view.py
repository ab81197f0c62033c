"""The operator sees the carrier channel of a message; its sender sees only a route label."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from parcelsms.pipeline.message_ports import Submitted, SubmittedPart

from .conftest import build_api, client_for, close_api, shipped_body

TOKEN = "operator-token-for-the-message-view-0123456789"


async def test_the_operator_sees_the_channel_where_the_sender_sees_a_route_label(
    tmp_path: Path,
) -> None:
    api = await build_api(tmp_path, admin_token=TOKEN)
    operator = client_for(api.app, TOKEN)
    try:
        sent = await api.alpha.client.post("/v1/messages", json=shipped_body())
        assert sent.status_code == 202, sent.text
        message_id = sent.json()["id"]
        messages = api.storage.messages
        await messages.claim_for_dispatch("worker", 10, datetime.now(UTC))
        part = SubmittedPart(part_no=1, carrier_id_raw="5f3a9c")
        await messages.record_submissions(
            [Submitted(message_id=message_id, channel="sim", parts=(part,))]
        )

        sender = (await api.alpha.client.get(f"/v1/messages/{message_id}")).json()
        seen = await operator.get(f"/admin/v1/messages/{message_id}")

        assert seen.status_code == 200
        operator_view = seen.json()
        assert operator_view["account_id"] == api.alpha.account_id
        assert operator_view["parts"][0]["channel"] == "sim"
        assert operator_view["parts"][0]["route"] == sender["parts"][0]["route"]
        assert operator_view["history"][1]["detail"]["channel"] == "sim"
        assert "sim" not in str(sender)  # the sender never sees the channel's name
        assert sender["history"][1]["detail"]["route"].startswith("rt_")

        missing = await operator.get("/admin/v1/messages/msg_nope")
        assert missing.status_code == 404
        refused = await api.alpha.client.get(f"/admin/v1/messages/{message_id}")
        assert refused.status_code == 403
    finally:
        await operator.aclose()
        await close_api(api)
