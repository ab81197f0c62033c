"""The demo account a fresh installation starts with.

Asked for with ``parcelsms serve --demo`` (``scripts/serve`` asks): on a database without
one, a verified account named ``demo`` is created with a balance, the approved demo templates
of ``parcelsms/data/demo_templates.toml`` (five parcel events in English and Spanish) and one
API key, so the first message can be sent at once. The key is an ordinary sender key of the
demo account (sender scopes, no ``admin``): it reaches that account and its balance only.
A plain ``serve`` never seeds, so no live key is printed into a service's log unasked.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from parcelsms.domain import api_keys
from parcelsms.domain.money import to_micros
from parcelsms.pipeline.account_security_ports import SYSTEM_ACTOR, AccountsAndKeys, KeySpec
from parcelsms.pipeline.content_ports import ContentStore

DEMO_ACCOUNT = "demo"
DEMO_BALANCE = "100"


@dataclass(frozen=True, slots=True)
class DemoSeed:
    account_id: str
    api_key: str
    templates: int


def demo_templates() -> list[dict[str, str]]:
    """The demo templates as data (name, language, body)."""
    text = resources.files("parcelsms.data").joinpath("demo_templates.toml").read_text("utf-8")
    loaded = tomllib.loads(text)["templates"]
    return [{"name": t["name"], "language": t["language"], "body": t["body"]} for t in loaded]


async def seed_demo(accounts: AccountsAndKeys, content: ContentStore) -> DemoSeed | None:
    """Create the demo account, templates and key; ``None`` when it exists already."""
    if await accounts.find_account_by_name(DEMO_ACCOUNT) is not None:
        return None
    # Verified, so the printed curl can send to any number: the demo is the operator's own
    # account on their own machine, not a sender awaiting review.
    profile = await accounts.create_sender_account(
        DEMO_ACCOUNT, to_micros(DEMO_BALANCE), "EUR", verified=True, actor=SYSTEM_ACTOR
    )
    account = profile.account
    count = 0
    for template in demo_templates():
        created = await content.create_template(
            account.id, template["name"], template["language"], template["body"]
        )
        await content.set_template_review(created.id, approved=True)
        count += 1
    spec = KeySpec(scopes=api_keys.DEFAULT_SENDER_SCOPES, label="demo")
    created_key = await accounts.create_key(account.id, spec, SYSTEM_ACTOR)
    return DemoSeed(account_id=account.id, api_key=created_key.plaintext, templates=count)
