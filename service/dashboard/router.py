"""The organizer dashboard: one HTML page and its script and style, served without a build step.

The page holds no data of its own; its script signs in with an API key kept in the browser's
``sessionStorage`` and calls the ``/v1`` API with ``Authorization: Bearer``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from service.errors import NotFound

HERE = Path(__file__).parent
# The script is a set of ES modules (one per view, no build step) beside one style sheet.
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
STATIC = {
    path.name: MEDIA_TYPES[path.suffix]
    for path in sorted((HERE / "static").iterdir())
    if path.suffix in MEDIA_TYPES
}
# Inline styles are allowed so that the printable cards (their own standalone HTML page, shown
# in a frame) keep their print styles; scripts come only from this origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; frame-src 'self' blob:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("", status_code=status.HTTP_200_OK, summary="Organizer dashboard")
def dashboard(request: Request) -> HTMLResponse:
    """The dashboard page; everything else is fetched by its script."""
    return templates.TemplateResponse(request, "dashboard.html", {}, headers=SECURITY_HEADERS)


@router.get("/static/{name}", status_code=status.HTTP_200_OK, summary="Dashboard asset")
def asset(name: str) -> FileResponse:
    """One of the dashboard's script modules or its style sheet."""
    media_type = STATIC.get(name)
    if media_type is None:
        raise NotFound(f"No dashboard asset named '{name}'.")
    return FileResponse(
        HERE / "static" / name,
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
