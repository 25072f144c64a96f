"""Request limits: body sizes, and path and query values checked before any route runs.

Every request body has a size limit: uploads (`HALLWAY_MAX_UPLOAD_BYTES`, plus room for the
multipart envelope) on the import route, `HALLWAY_MAX_JSON_BYTES` everywhere else (JSON bodies
and the attendee page's form). A body that declares a larger ``Content-Length`` is refused before
a byte of it is read; a body sent without one (chunked) is counted as it arrives and refused
the moment it passes the limit, so the server never reads more than the limit plus one chunk.
Both answers are ``413`` problem+json naming the limit.

API path and query values (ids, slugs, cursors) follow the single-line rule of
`service.validation` and are at most `MAX_PARAMETER_CHARS` long; otherwise the answer is
``422`` naming the parameter, before any dependency touches the database.
"""

from __future__ import annotations

import json
import re
from typing import Final

from fastapi import Depends, FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import get_settings
from service.errors import PROBLEM_BASE, PROBLEM_JSON, Invalid
from service.validation import control_character

__all__ = ["MAX_PARAMETER_CHARS", "BodyLimit", "check_parameters", "install_limits"]

# The longest real value is a cursor of a 200-character id (about 280 characters).
MAX_PARAMETER_CHARS: Final = 1000
# Boundaries, part headers and the file name around an uploaded file.
MULTIPART_ALLOWANCE: Final = 64 * 1024
UPLOAD_PATHS: Final = re.compile(r"^/v1/conferences/[^/]+/attendees/import$")
API_PREFIX: Final = "/v1/"


class _BodyTooLarge(Exception):
    """Raised into the app when a body without Content-Length passes the limit."""


class BodyLimit:
    """ASGI middleware refusing request bodies over their limit with 413 problem+json.

    The limits are read from the settings on every request, so tests and deployments can
    change them without rebuilding the app.

    Example:
        >>> from starlette.applications import Starlette
        >>> app = BodyLimit(Starlette())
        >>> app.limit_for("/v1/conferences/x/attendees") == get_settings().max_json_bytes
        True
    """

    def __init__(self, app: ASGIApp, *, upload_paths: re.Pattern[str] = UPLOAD_PATHS) -> None:
        self.app = app
        self.upload_paths = upload_paths

    def limit_for(self, path: str) -> int:
        settings = get_settings()
        if self.upload_paths.match(path):
            return settings.max_upload_bytes + MULTIPART_ALLOWANCE
        return settings.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, scope, limit=limit)
            return

        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, scope, limit=limit)
                    # Stops the app reading on; whatever it answers now is dropped below.
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # The app may have wrapped our signal (FastAPI turns body errors into a 400, an
            # exception group may hold it); once the 413 is out, nothing else matters.
            if not refused:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            # The server already refuses a malformed length; treat it as unknown otherwise.
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send: Send, scope: Scope, *, limit: int) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + "payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"The request body is larger than the limit of {limit:,} bytes.",
            "instance": scope["path"],
            "limit": limit,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read, so the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _parameter_problem(value: str) -> str | None:
    if len(value) > MAX_PARAMETER_CHARS:
        return f"is {len(value):,} characters long; at most {MAX_PARAMETER_CHARS:,} are read"
    problem = control_character(value, multiline=False)
    return None if problem is None else f"contains {problem}"


def check_parameters(request: Request) -> None:
    """Dependency of every API route: refuse path and query values no id or cursor can be.

    The HTML pages (the attendee page, the dashboard) answer in HTML and only ever look their
    path values up by hash or in a fixed list, so they are left to do that.

    Raises:
        Invalid: naming the parameter with a JSON pointer, e.g. ``#/path/external_id``.
    """
    if not request.url.path.startswith(API_PREFIX):
        return
    places = (("path", request.path_params.items()), ("query", request.query_params.multi_items()))
    for place, items in places:
        for name, value in items:
            name_problem = _parameter_problem(str(name))
            if name_problem is not None:
                raise Invalid(
                    f"A {place} parameter's name {name_problem}.",
                    errors=[{"pointer": f"#/{place}", "detail": f"a name {name_problem}"}],
                )
            problem = _parameter_problem(value) if isinstance(value, str) else None
            if problem is not None:
                raise Invalid(
                    f"The {place} parameter '{name}' {problem}.",
                    errors=[{"pointer": f"#/{place}/{name}", "detail": problem}],
                )


def install_limits(app: FastAPI) -> None:
    """Add the body limits and the parameter check to ``app``.

    Call it before the routers are included: the check becomes the first dependency of
    every route included afterwards.
    """
    app.router.dependencies.insert(0, Depends(check_parameters))
    app.add_middleware(BodyLimit)
