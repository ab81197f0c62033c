"""``parcelsms templates review|approve|reject`` and ``parcelsms sender-ids …`` on a real
database file, as an operator runs them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from click.testing import CliRunner
from sender_accounts import new_account

from parcelsms.bootstrap import open_platform_storage
from parcelsms.cli.main import main
from parcelsms.config import load_config
from parcelsms.pipeline.content_ports import NewTemplateVersion, TemplateFinding

FINDING = TemplateFinding(
    code="url_shortener",
    severity="error",
    message="The link uses the public URL shortener bit.ly.",
    span=(23, 41),
)


def configuration(tmp_path: Path) -> Path:
    path = tmp_path / "parcelsms.toml"
    path.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "cli.db"}"\n'
        '[security]\npepper = "cli-test-pepper-0123456789"\n'
    )
    return path


def seed(config: Path) -> tuple[str, str, str]:
    """A pending version with an error finding, a clean one, and a pending sender ID."""

    async def work() -> tuple[str, str, str]:
        storage = await open_platform_storage(load_config(config, {}), os.environ)
        try:
            account = await new_account(storage, "shop")
            flagged = await storage.content.create_template_version(
                NewTemplateVersion(
                    account_id=account.id,
                    name="promo",
                    language="en",
                    body="Your parcel. Track it: https://bit.ly/abc now",
                    variables={},
                    findings=(FINDING,),
                )
            )
            clean = await storage.content.create_template(account.id, "shipped", "de", "Paket {t}.")
            sender, _ = await storage.content.register_sender_id(
                account.id, "ACME", "alphanumeric", "GB"
            )
            return flagged.id, clean.id, sender.id
        finally:
            await storage.close()

    return asyncio.run(work())


def test_an_operator_reviews_templates_and_sender_ids_from_the_command_line(
    tmp_path: Path,
) -> None:
    config = configuration(tmp_path)
    flagged, clean, sender = seed(config)
    runner = CliRunner()
    option = ["--config", str(config)]

    queue = runner.invoke(main, ["templates", "review", *option])
    blocked = runner.invoke(main, ["templates", "approve", flagged, *option])
    overridden = runner.invoke(
        main, ["templates", "approve", flagged, "--override-findings", *option]
    )
    rejected = runner.invoke(
        main, ["templates", "reject", clean, "--reason", "Say which shop", *option]
    )
    empty = runner.invoke(main, ["templates", "review", *option])
    approved_list = runner.invoke(main, ["templates", "review", "--status", "approved", *option])
    senders = runner.invoke(main, ["sender-ids", "review", *option])
    sender_approved = runner.invoke(main, ["sender-ids", "approve", sender, *option])
    missing = runner.invoke(main, ["sender-ids", "reject", "sid_nope", "--reason", "x", *option])

    assert queue.exit_code == 0, queue.output
    assert flagged in queue.output
    assert clean in queue.output
    assert "ERROR url_shortener at 23-41 'https://bit.ly/abc'" in queue.output
    assert blocked.exit_code != 0
    assert "error finding" in blocked.output
    assert overridden.exit_code == 0, overridden.output
    assert f"template {flagged} approved" in overridden.output
    assert rejected.exit_code == 0, rejected.output
    assert "no template versions pending review" in empty.output
    assert flagged in approved_list.output
    assert "'ACME' (alphanumeric) for GB  [pending_review]" in senders.output
    assert sender_approved.exit_code == 0, sender_approved.output
    assert missing.exit_code != 0
    assert "no sender ID registration" in missing.output
