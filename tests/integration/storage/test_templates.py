"""Templates: versions, review, and which version sends."""

from __future__ import annotations

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage


async def approved(storage: SqlStorage, account_id: str, name: str, language: str) -> str:
    template = await storage.content.create_template(
        account_id, name, language, f"{name} {language}"
    )
    reviewed = await storage.content.set_template_review(template.id, approved=True)
    assert reviewed is not None
    assert reviewed.status == "approved"
    return template.id


async def test_a_new_template_waits_for_review(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    template = await storage.content.create_template(
        account.id, "shipped", "en", "Shipped {tracking}"
    )
    assert template.status == "pending_review"
    assert template.reviewed_at is None
    assert await storage.content.get_template(account.id, template.id) == template
    lookup = await storage.content.find_sendable_template(account.id, "shipped", "en")
    assert lookup.template is None
    assert lookup.problem == "template_not_approved"


async def test_a_rejected_template_keeps_its_reason(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    template = await storage.content.create_template(account.id, "promo", "en", "Buy now!")
    rejected = await storage.content.set_template_review(template.id, False, "marketing content")
    assert rejected is not None
    assert (rejected.status, rejected.reason) == ("rejected", "marketing content")


async def test_the_latest_approved_version_sends(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    await approved(storage, account.id, "shipped", "en")
    newer = await approved(storage, account.id, "shipped", "en")
    await storage.content.create_template(account.id, "shipped", "en", "draft, not reviewed")
    lookup = await storage.content.find_sendable_template(account.id, "shipped", "en")
    assert lookup.template is not None
    assert lookup.template.id == newer


async def test_an_id_selects_its_name_in_the_requested_language(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    english = await approved(storage, account.id, "shipped", "en")
    spanish = await approved(storage, account.id, "shipped", "es")
    by_id = await storage.content.find_sendable_template(account.id, english, None)
    assert by_id.template is not None
    assert by_id.template.id == english
    in_spanish = await storage.content.find_sendable_template(account.id, english, "es")
    assert in_spanish.template is not None
    assert in_spanish.template.id == spanish


async def test_without_a_language_the_default_language_sends(
    storage: SqlStorage,
) -> None:
    """The first variant's language is the template's default until another is chosen."""
    account = await new_account(storage, "shop")
    spanish = await approved(storage, account.id, "delayed", "es")
    only = await storage.content.find_sendable_template(account.id, "delayed", None)
    assert only.template is not None
    assert only.template.id == spanish
    await approved(storage, account.id, "delayed", "en")
    both = await storage.content.find_sendable_template(account.id, "delayed", None)
    assert both.template is not None
    assert both.template.id == spanish
    assert both.template.default_language == "es"
    assert both.languages == ("en", "es")


async def test_a_missing_language_is_reported_with_the_available_ones(
    storage: SqlStorage,
) -> None:
    account = await new_account(storage, "shop")
    await approved(storage, account.id, "shipped", "en")
    lookup = await storage.content.find_sendable_template(account.id, "shipped", "fr")
    assert lookup.problem == "template_language_unavailable"
    assert lookup.languages == ("en",)


async def test_unknown_names_and_ids_are_unknown_templates(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    by_name = await storage.content.find_sendable_template(account.id, "nothing", None)
    by_id = await storage.content.find_sendable_template(
        account.id, "tpl_01HZZZZZZZZZZZZZZZZZZZZZZZ", None
    )
    assert by_name.problem == by_id.problem == "unknown_template"


async def test_templates_of_another_account_are_invisible(storage: SqlStorage) -> None:
    owner = await new_account(storage, "owner")
    other = await new_account(storage, "other")
    template_id = await approved(storage, owner.id, "shipped", "en")
    assert await storage.content.get_template(other.id, template_id) is None
    assert await storage.content.list_templates(other.id) == []
    lookup = await storage.content.find_sendable_template(other.id, template_id, None)
    assert lookup.problem == "unknown_template"
    assert [t.id for t in await storage.content.list_templates(owner.id)] == [template_id]
