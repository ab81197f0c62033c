"""The Jinja2 environment of the console's pages (autoescaped), and one way to render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIRECTORY),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The page ``template`` rendered with ``context``; ``no-store``: pages hold account data."""
    body = environment.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status_code, headers=_HEADERS)


_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Everything is served from /console/static: no inline script, no third party.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}
