"""Content checks of message templates, split by concern.

The public entry point is :func:`parcelsms.domain.content_checks.check_template`; the
modules here are its parts: ``findings`` (the result type), ``variables`` (declared
variables), ``body_map`` (offsets of placeholders and literal text in a body),
``phrases``, ``links``, ``structure`` and ``length``.
"""
