"""THREAT_MODEL.md describes the code as it is: the modules and classes it names exist and
do what the document says they do."""

from __future__ import annotations

import re
from pathlib import Path

import parcelsms

PACKAGE = Path(parcelsms.__file__).parent
THREAT_MODEL = (PACKAGE.parents[1] / "THREAT_MODEL.md").read_text("utf-8")


def _section(title: str) -> str:
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", THREAT_MODEL, re.M | re.S)
    assert found, title
    return found.group(1)


def test_every_module_the_threat_model_names_exists() -> None:
    named = set(
        re.findall(r"`((?:adapters|api|pipeline|domain|protocol)/[\w/]+\.py)`", THREAT_MODEL)
    )
    assert named
    assert sorted(path for path in named if not (PACKAGE / path).is_file()) == []


def test_the_ssrf_section_names_the_client_that_sends_webhooks_and_its_resolver() -> None:
    section = _section("Webhook SSRF")
    sender = (PACKAGE / "adapters/webhooks/sender.py").read_text("utf-8")
    assert "`adapters/webhooks/sender.py`" in section
    assert "`GuardedResolver`" in section
    assert "GuardedResolver(" in sender
    # The sender is the project's own client; no library connector does the check.
    assert "connector" not in section
    assert "ClientSession" not in sender
