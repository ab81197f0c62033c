"""Channel leases and pipeline nodes in storage: shares, takeover, leaving, and the claims
and recovery that follow them (SQLite and PostgreSQL; lease times on the database's clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from database_peek import peek
from scripted_channels import ScriptedChannel
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.channel_leases import ChannelOwnership, LeasedChannel, LeaseKeeper
from parcelsms.pipeline.channel_port import OutboundSms, SendResultKind
from parcelsms.pipeline.lease_ports import NodeIdentity
from parcelsms.pipeline.message_ports import HandedOver

TAKEOVER = timedelta(seconds=30)
CHANNELS = ("alpha", "beta")
FIRST = NodeIdentity("clm_first", "host-a", 101)
SECOND = NodeIdentity("clm_second", "host-b", 102)


async def joined_together(storage: SqlStorage) -> tuple[frozenset[str], frozenset[str]]:
    """Two nodes register, then each takes its share (as two pipelines started together)."""
    for node in (FIRST, SECOND):
        await storage.leases.lease_round(node, CHANNELS, TAKEOVER, acquire=False)
    first = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
    second = await storage.leases.lease_round(SECOND, CHANNELS, TAKEOVER, acquire=True)
    return first.owned, second.owned


def silence(database_url: str, node: NodeIdentity) -> None:
    """The node died long ago: its heartbeat and its leases are in the past."""
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    with peek(database_url) as db:
        past = long_ago if db.is_postgres else long_ago.strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute(
            "UPDATE pipeline_nodes SET heartbeat_at = ? WHERE node_id = ?", [past, node.node_id]
        )
        db.execute(
            "UPDATE channel_leases SET expires_at = ? WHERE node_id = ?", [past, node.node_id]
        )


async def test_two_nodes_started_together_each_hold_one_of_two_channels(
    storage: SqlStorage,
) -> None:
    first, second = await joined_together(storage)
    assert first == {"alpha"}
    assert second == {"beta"}


async def test_a_renewal_keeps_the_channels_and_reports_the_others_as_held_elsewhere(
    storage: SqlStorage,
) -> None:
    await joined_together(storage)
    again = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
    assert again.owned == {"alpha"}
    assert again.acquired == ()
    assert again.elsewhere == {"beta"}
    assert again.live_nodes == 2


async def test_a_live_nodes_channel_is_never_taken(storage: SqlStorage) -> None:
    await joined_together(storage)
    for _ in range(3):
        rounds = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
        assert rounds.owned == {"alpha"}


async def test_a_dead_nodes_channel_is_taken_once_its_lease_expired(
    storage: SqlStorage, database_url: str
) -> None:
    await joined_together(storage)
    silence(database_url, SECOND)
    taken = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
    assert taken.owned == {"alpha", "beta"}
    assert taken.acquired == ("beta",)
    assert taken.live_nodes == 1
    with peek(database_url) as db:  # the dead node's row is forgotten
        rows = db.execute("SELECT node_id FROM pipeline_nodes").fetchall()
    assert [row[0] for row in rows] == [FIRST.node_id]


async def test_a_node_that_leaves_hands_its_channel_over_without_waiting(
    storage: SqlStorage,
) -> None:
    await joined_together(storage)
    await storage.leases.leave(SECOND.node_id)
    taken = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
    assert taken.acquired == ("beta",)


async def test_a_node_over_its_share_is_told_to_give_up_the_surplus_for_a_newcomer(
    storage: SqlStorage,
) -> None:
    alone = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
    assert alone.owned == {"alpha", "beta"}
    await storage.leases.lease_round(SECOND, CHANNELS, TAKEOVER, acquire=False)
    crowded = await storage.leases.lease_round(FIRST, CHANNELS, TAKEOVER, acquire=True)
    assert crowded.surplus == ("beta",)
    await storage.leases.release_leases(FIRST.node_id, crowded.surplus)
    newcomer = await storage.leases.lease_round(SECOND, CHANNELS, TAKEOVER, acquire=True)
    assert newcomer.owned == {"beta"}


async def test_recovery_leaves_a_live_nodes_claims_and_resolves_a_dead_nodes(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await joined_together(storage)
    await enqueue(storage, account.id, count=2)
    assert len(await storage.messages.claim_for_dispatch(SECOND.node_id, 1, clock())) == 1
    assert len(await storage.messages.claim_for_dispatch("clm_pre_upgrade", 1, clock())) == 1
    # SECOND is live: only the claim of a token without a node row is resolved.
    assert await storage.messages.recover_claims(FIRST.node_id, "resend", live_within=TAKEOVER) == 1
    silence(database_url, SECOND)
    assert await storage.messages.recover_claims(FIRST.node_id, "resend", live_within=TAKEOVER) == 1


async def test_a_claim_skips_messages_standing_at_channels_held_elsewhere(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    at_alpha = await enqueue(storage, account.id, route_plan=("alpha", "beta"))
    at_beta = await enqueue(storage, account.id, route_plan=("beta", "alpha"))
    elsewhere = frozenset({"beta"})
    claimed = await storage.messages.claim_for_dispatch(
        "clm_first", 10, clock(), skip_channels=elsewhere
    )
    assert [item.message_id for item in claimed] == at_alpha
    # The plan's next round starts over at its first channel: route index 2 is alpha.
    await storage.messages.record_submissions(
        [HandedOver(message_id=at_alpha[0], route_index=3, channel="beta")]
    )
    assert (
        await storage.messages.claim_for_dispatch("clm_first", 10, clock(), skip_channels=elsewhere)
        == []
    )
    theirs = await storage.messages.claim_for_dispatch(
        "clm_second", 10, clock(), skip_channels=frozenset({"alpha"})
    )
    assert sorted(item.message_id for item in theirs) == sorted(at_alpha + at_beta)
    handed = next(item for item in theirs if item.message_id == at_alpha[0])
    assert handed.route_index == 3


async def test_a_node_whose_lease_was_taken_from_it_stops_submitting_on_that_channel(
    storage: SqlStorage, database_url: str
) -> None:
    channels = {name: ScriptedChannel(name, SendResultKind.ACCEPTED) for name in CHANNELS}
    ownership = ChannelOwnership(frozenset(channels))

    async def recover() -> int:
        return 0

    keeper = LeaseKeeper(
        storage.leases,
        FIRST,
        channels,  # type: ignore[arg-type]
        ownership,
        takeover=TAKEOVER,
        recover=recover,
        settle_seconds=0.0,
    )
    await keeper.join()
    assert ownership.owned == {"alpha", "beta"}
    beta = LeasedChannel(channels["beta"], ownership)  # type: ignore[arg-type]
    with peek(database_url) as db:  # another node took it (an operator's hand, a bug)
        db.execute("UPDATE channel_leases SET node_id = 'clm_thief' WHERE channel = 'beta'")
    await keeper.heartbeat()
    assert ownership.owned == {"alpha"}
    sms = OutboundSms(message_id="msg_1", to_e164="+447911123456", sender_id=None, body="x")
    assert (await beta.send(sms)).kind is SendResultKind.NOT_SENT
    assert channels["beta"].sent == []
    await keeper.wait_stopped()
    assert channels["beta"].closes == 1
    await keeper.leave()
    with peek(database_url) as db:  # leaving gives up its own leases, not the thief's
        rows = db.execute("SELECT channel, node_id FROM channel_leases").fetchall()
    assert [tuple(row) for row in rows] == [("beta", "clm_thief")]
