"""Every request example in the docs works against a started platform with the demo account.

The examples are found by their form, so a new one is tested without being listed here:

* a fenced ```` ```sh ```` block whose command is ``curl``, followed by a line that starts
  with the status it answers in backticks (`` `202 Accepted`, … ``) — run with ``bash``,
  ``$KEY`` set to the demo key, the docs' ``http://127.0.0.1:8080`` replaced by the
  platform's address and the placeholders ``psk_…`` / ``msg_…`` by the demo key and a
  message of the demo account;
* a ```` ```python ```` or ```` ```js ```` block that sends a signed request
  (``signed_request(`` / ``signedFetch(``) — run with the key and address substituted; it
  must succeed and answer a message id.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from demo_platform import DemoPlatform, demo_platform

ROOT = Path(__file__).parents[3]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS_HOST = "http://127.0.0.1:8080"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
_STATUS_LINE = re.compile(r"^`(\d{3})[ `]")


@dataclass(frozen=True)
class Example:
    """One request example: where it is, its language, its text and the status it shows."""

    where: str
    language: str
    text: str
    status: int | None


def _examples() -> list[Example]:
    found: list[Example] = []
    for document in DOCUMENTS:
        text = document.read_text("utf-8")
        for match in _FENCE.finditer(text):
            language, body = match.group(1), match.group(2)
            line = text.count("\n", 0, match.start()) + 1
            where = f"{document.relative_to(ROOT)}:{line}"
            if language == "sh" and body.lstrip().startswith("curl"):
                after = text[match.end() :].lstrip("\n").split("\n", 1)[0]
                status = _STATUS_LINE.match(after)
                found.append(Example(where, "sh", body, int(status.group(1)) if status else None))
            elif language == "python" and "signed_request(" in body:
                found.append(Example(where, "python", body, None))
            elif language == "js" and "signedFetch(" in body:
                found.append(Example(where, "js", body, None))
    return found


EXAMPLES = _examples()
CURL_EXAMPLES = [example for example in EXAMPLES if example.language == "sh"]
SIGNED_EXAMPLES = [example for example in EXAMPLES if example.language != "sh"]


@dataclass(frozen=True)
class DocsPlatform:
    platform: DemoPlatform
    message_id: str

    def substituted(self, text: str) -> str:
        return (
            text.replace(DOCS_HOST, self.platform.base_url)
            .replace("psk_…", self.platform.api_key)
            .replace("msg_…", self.message_id)
        )


@pytest.fixture(scope="module")
def docs_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsPlatform]:
    with demo_platform(tmp_path_factory.mktemp("docs")) as platform:
        response = httpx.post(
            f"{platform.base_url}/v1/messages",
            headers={"Authorization": f"Bearer {platform.api_key}"},
            json={
                "to": "+1 202 555 0100",
                "template": "delivered",
                "params": {"shop": "Acme", "tracking_number": "PX0"},
            },
        )
        assert response.status_code == 202, response.text
        yield DocsPlatform(platform, response.json()["id"])


def test_the_docs_have_request_examples_of_every_kind() -> None:
    assert len(CURL_EXAMPLES) >= 10
    assert {example.language for example in SIGNED_EXAMPLES} == {"python", "js"}


@pytest.mark.parametrize("example", CURL_EXAMPLES, ids=lambda example: example.where)
def test_every_curl_example_states_its_status(example: Example) -> None:
    assert example.status is not None, (
        f"{example.where}: follow the block with a line starting with its status, e.g. `200 OK`:"
    )


@pytest.mark.parametrize("example", CURL_EXAMPLES, ids=lambda example: example.where)
def test_every_curl_example_answers_the_status_it_shows(
    example: Example, docs_platform: DocsPlatform
) -> None:
    command = docs_platform.substituted(example.text).rstrip() + " -w '\\n%{http_code}'"
    result = subprocess.run(
        ["bash", "-c", command],
        env={"KEY": docs_platform.platform.api_key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    assert int(status) == example.status, f"{example.where}: {status} {body}"


@pytest.mark.parametrize("example", SIGNED_EXAMPLES, ids=lambda example: example.where)
def test_every_signed_request_example_sends_a_message(
    example: Example, docs_platform: DocsPlatform
) -> None:
    source = docs_platform.substituted(example.text).replace(
        '"psk_…"', f'"{docs_platform.platform.api_key}"'
    )
    if example.language == "python":
        command = [sys.executable, "-c", source]
    else:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        command = [node, "-e", source]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "msg_" in result.stdout, result.stdout
