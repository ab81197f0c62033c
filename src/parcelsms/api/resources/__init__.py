"""The API's resources: each one's schemas, representations and handlers in one place.

A resource is a module holding, in this order, its request and response Structs (msgspec),
its representations (port record → Struct) and its endpoints class, whose ``routes()`` lists
its route table entries. A resource too big for one module is a sub-package with the same
parts by topic (``schemas.py`` for Structs and representations, then one module per
endpoints class). Shared machinery stays one level up in :mod:`parcelsms.api`.

Sender routes (``/v1``): :mod:`.messages`, :mod:`.previews`, :mod:`.templates`,
:mod:`.sender_ids`, :mod:`.message_settings`, :mod:`.webhooks`, :mod:`.billing`,
:mod:`.account`, :mod:`.sandbox_numbers` (``/v1/test_numbers``), :mod:`.keys`.
Operator routes (``/admin/v1``): :mod:`.admin_reviews`, :mod:`.admin_accounts`,
:mod:`.billing` (``admin_*`` modules), :mod:`.admin_keys`, :mod:`.admin_receipts`,
:mod:`.admin_channels`.
Unauthenticated: :mod:`.meta` (health, ``/openapi.json``, ``/docs``).
"""
