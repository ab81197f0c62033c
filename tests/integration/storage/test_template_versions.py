"""Template versions, sender ID registrations and message settings in storage."""

from __future__ import annotations

import pytest
from alembic import command
from database_peek import peek
from sender_accounts import new_account

from parcelsms.adapters.storage.engine.backends import migration_engine
from parcelsms.adapters.storage.engine.migrate import alembic_config
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.content_ports import NewTemplateVersion, TemplateFinding, TemplateVariable

WARNING = TemplateFinding(code="mostly_variable", severity="warning", message="w")
ERROR = TemplateFinding(code="url_shortener", severity="error", message="e", span=(3, 9))


def version(account_id: str, language: str = "en", **fields: object) -> NewTemplateVersion:
    values: dict[str, object] = {
        "account_id": account_id,
        "name": "shipped",
        "language": language,
        "body": f"Shipped {{tracking}} ({language})",
        "variables": {"tracking": TemplateVariable(type="tracking_number", max_length=30)},
        "findings": (WARNING,),
    }
    values.update(fields)
    return NewTemplateVersion(**values)  # type: ignore[arg-type]


async def test_versions_are_numbered_per_variant_and_keep_variables_and_findings(
    storage: SqlStorage,
) -> None:
    account = await new_account(storage, "shop")
    first = await storage.content.create_template_version(version(account.id))
    spanish = await storage.content.create_template_version(version(account.id, "es"))
    second = await storage.content.create_template_version(version(account.id, findings=(ERROR,)))

    assert (first.version, spanish.version, second.version) == (1, 1, 2)
    assert second.variables == {"tracking": TemplateVariable(type="tracking_number", max_length=30)}
    assert second.findings == (ERROR,)
    assert second.has_errors
    assert not first.has_errors
    reread = await storage.content.get_template(account.id, first.id)
    assert reread is not None
    assert (reread.status, reread.superseded_by) == ("superseded", second.id)
    assert reread.default_language == "en"


async def test_a_draft_is_submitted_once(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    draft = await storage.content.create_template_version(version(account.id, submit=False))
    assert (draft.status, draft.submitted_at) == ("draft", None)

    submitted = await storage.content.submit_template(account.id, draft.id, [ERROR])

    assert submitted is not None
    assert (submitted.status, submitted.findings) == ("pending_review", (ERROR,))
    assert submitted.submitted_at is not None
    with pytest.raises(CatalogueError) as again:
        await storage.content.submit_template(account.id, draft.id, [])
    assert again.value.code == "invalid_state"
    assert await storage.content.submit_template("acc_other", draft.id, []) is None


async def test_approving_supersedes_the_sending_version_and_errors_need_an_override(
    storage: SqlStorage,
) -> None:
    account = await new_account(storage, "shop")
    first = await storage.content.create_template_version(version(account.id))
    await storage.content.set_template_review(first.id, True)
    second = await storage.content.create_template_version(version(account.id, findings=(ERROR,)))

    with pytest.raises(CatalogueError) as blocked:
        await storage.content.set_template_review(second.id, True)
    approved = await storage.content.set_template_review(
        second.id, True, "ok", override_findings=True
    )
    with pytest.raises(CatalogueError) as twice:
        await storage.content.set_template_review(second.id, False, "too late")

    assert blocked.value.code == "template_has_errors"
    assert twice.value.code == "invalid_state"
    assert approved is not None
    assert approved.status == "approved"
    old = await storage.content.get_template(account.id, first.id)
    assert old is not None
    assert (old.status, old.superseded_by) == ("superseded", second.id)
    variants = await storage.content.find_template_variants(account.id, "shipped")
    assert variants is not None
    assert [item.id for item in variants.approved] == [second.id]
    assert await storage.content.set_template_review("tpl_unknown", True) is None


async def test_the_review_queue_lists_every_account_oldest_first(storage: SqlStorage) -> None:
    shop = await new_account(storage, "shop")
    other = await new_account(storage, "other")
    first = await storage.content.create_template_version(version(shop.id))
    second = await storage.content.create_template_version(version(other.id, "de"))
    await storage.content.create_template_version(version(other.id, "fr", submit=False))

    queue = await storage.content.list_templates_by_status("pending_review")
    drafts = await storage.content.list_templates_by_status("draft")

    assert [item.id for item in queue] == [first.id, second.id]
    assert [item.language for item in drafts] == ["fr"]
    assert await storage.content.get_template_for_review(second.id) == second


async def test_variants_by_id_pin_the_versions_language_and_the_default_can_move(
    storage: SqlStorage,
) -> None:
    account = await new_account(storage, "shop")
    english = await storage.content.create_template_version(version(account.id))
    spanish = await storage.content.create_template_version(version(account.id, "es"))
    for item in (english, spanish):
        await storage.content.set_template_review(item.id, True)
    await storage.content.create_template_version(version(account.id, "fr", default_language="es"))

    by_name = await storage.content.find_template_variants(account.id, "shipped")
    by_id = await storage.content.find_template_variants(account.id, spanish.id)

    assert by_name is not None
    assert by_id is not None
    assert (by_name.default_language, by_name.pinned_language) == ("es", None)
    assert by_id.pinned_language == "es"
    assert by_name.languages == ("en", "es", "fr")
    assert {item.language for item in by_name.approved} == {"en", "es"}
    assert await storage.content.find_template_variants(account.id, "missing") is None


async def test_sender_registrations_are_idempotent_until_rejected(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    first, created = await storage.content.register_sender_id(
        account.id, "ACME", "alphanumeric", "GB"
    )
    again, created_again = await storage.content.register_sender_id(
        account.id, "ACME", "alphanumeric", "GB"
    )
    rejected = await storage.content.review_sender_id(first.id, False, "not your brand")
    fresh, created_fresh = await storage.content.register_sender_id(
        account.id, "ACME", "alphanumeric", "GB"
    )

    assert (created, created_again, created_fresh) == (True, False, True)
    assert again.id == first.id
    assert rejected is not None
    assert (rejected.status, rejected.reason) == ("rejected", "not your brand")
    assert fresh.id != first.id
    assert [item.id for item in await storage.content.list_sender_ids(account.id)] == [
        first.id,
        fresh.id,
    ]
    assert [
        item.id for item in await storage.content.list_sender_ids_by_status("pending_review")
    ] == [fresh.id]
    with pytest.raises(CatalogueError) as twice:
        await storage.content.review_sender_id(first.id, True)
    assert twice.value.code == "invalid_state"
    assert await storage.content.get_sender_id("acc_other", fresh.id) is None


async def test_message_settings_default_and_change_one_field_at_a_time(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    assert (await storage.content.get_message_settings(account.id)).smart_encoding is False

    await storage.content.set_message_settings(account.id, link_domains=["shop.example"])
    changed = await storage.content.set_message_settings(account.id, smart_encoding=True)

    assert (changed.smart_encoding, changed.link_domains) == (True, ("shop.example",))
    assert changed.updated_at is not None


def test_migrating_existing_templates_numbers_versions_and_keeps_the_sending_one(
    empty_database_url: str,
) -> None:
    """A database created before revision 0002 keeps sending what it sent."""
    url = empty_database_url
    engine = migration_engine(url)
    config = alembic_config(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
        with peek(url) as raw:
            raw.execute(
                "INSERT INTO accounts VALUES ('acc_1', 'a', 'active', 'EUR', 0, 0, "
                "'2030-01-01 00:00:00')"
            )
            for template_id, language, status in [
                ("tpl_1", "es", "approved"),
                ("tpl_2", "es", "approved"),
                ("tpl_3", "es", "pending_review"),
                ("tpl_4", "en", "approved"),
            ]:
                raw.execute(
                    "INSERT INTO templates (id, account_id, name, language, body, status, "
                    "created_at) VALUES (?, 'acc_1', 'shipped', ?, 'x', ?, "
                    "'2030-01-01 00:00:00')",
                    (template_id, language, status),
                )
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
    finally:
        engine.dispose()
    with peek(url) as raw:
        rows = raw.execute(
            "SELECT id, status, version, superseded_by FROM templates ORDER BY id"
        ).fetchall()
        names = raw.execute("SELECT name, default_language FROM template_names").fetchall()

    assert rows == [
        ("tpl_1", "superseded", 1, "tpl_2"),
        ("tpl_2", "approved", 2, None),
        ("tpl_3", "pending_review", 3, None),
        ("tpl_4", "approved", 1, None),
    ]
    assert names == [("shipped", "en")]
