"""Templates shared by every route: Traditional Chinese pages with the CSRF token at hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from portal.security import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` with the request, its CSRF token and `context`."""
    return templates.TemplateResponse(
        request, template, {"csrf_token": csrf_token(request), **context}, status_code=status_code
    )
