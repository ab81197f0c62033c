"""Which parts of the platform one process runs.

``parcelsms serve`` starts one ``pipeline`` process and ``--api-workers`` ``api`` processes on
one database (:mod:`parcelsms.cli.supervisor`); each role can also be started alone
(``serve --role api|pipeline``) to place them on different machines or under another
supervisor, and ``all`` runs every part in one process (the way to run on a machine with one
core, and what the in-process tests build).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ALL = "all"
    API = "api"
    PIPELINE = "pipeline"

    @property
    def runs_api(self) -> bool:
        return self is not Role.PIPELINE

    @property
    def runs_pipeline(self) -> bool:
        return self is not Role.API
