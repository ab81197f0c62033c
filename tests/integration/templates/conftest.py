"""Fixtures for templates, sender IDs and previews (see ``tests/support/content_platform``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from content_platform import Platform, error_of, open_platform


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    async for built in open_platform(tmp_path):
        yield built


@pytest.fixture(name="error_of")
def error_of_fixture() -> Any:
    """``error_of(response, status, code, field=None)`` asserts a catalogued error."""
    return error_of
