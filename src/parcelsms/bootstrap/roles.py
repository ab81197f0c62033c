"""Which parts of the platform one process runs.

``parcelsms serve`` starts one ``pipeline`` process, ``--api-workers`` ``api`` processes and,
on a machine with more than one core, one ``webhooks`` process on one database
(:mod:`parcelsms.cli.supervisor`); each role can also be started alone
(``serve --role api|pipeline|webhooks``) to place them on different machines or under another
supervisor, and ``all`` runs every part in one process (the way to run on a machine with one
core, and what the in-process tests build). A pipeline delivers webhooks itself unless it is
told that a ``webhooks`` process does (``--webhooks-apart``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ALL = "all"
    API = "api"
    PIPELINE = "pipeline"
    WEBHOOKS = "webhooks"

    @property
    def runs_api(self) -> bool:
        return self in (Role.ALL, Role.API)

    @property
    def runs_pipeline(self) -> bool:
        return self in (Role.ALL, Role.PIPELINE)
