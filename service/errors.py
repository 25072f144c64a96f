"""One error hierarchy, rendered by one handler as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://hallway.dev/problems/"


class AppError(Exception):
    """Base of every error the service reports to a client."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.headers = headers or {}
        self.extra = extra


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Missing or invalid API key"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="hallway"'})


class HookRefused(AppError):
    """A platform's webhook call without the URL's secret or a valid signature."""

    status, slug, title = 401, "webhook-refused", "Webhook refused"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Not allowed with this key"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class IdempotencyKeyInUse(Conflict):
    """The first request with this ``Idempotency-Key`` is still running."""

    slug, title = "idempotency-key-in-use", "A request with this Idempotency-Key is running"


class ErasedAttendee(Conflict):
    """The id belonged to an attendee erased from this conference (`service.attendees.erased`)."""

    slug, title = "erased-attendee", "This attendee was erased"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Stale version"


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "If-Match required"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class Invalid(AppError):
    status, slug, title = 422, "invalid", "Invalid input"


class IdempotencyKeyReused(AppError):
    """The ``Idempotency-Key`` was first used for another request (path, method or body)."""

    status, slug = 422, "idempotency-key-reused"
    title = "Idempotency-Key used for another request"


class Infeasible(AppError):
    status, slug, title = 422, "infeasible", "The rules cannot all be met"


class Unavailable(AppError):
    """The work cannot be done right now (every worker busy); the client should retry."""

    status, slug, title = 503, "overloaded", "Too busy"


def reject_nulls(changes: dict[str, Any], keys: Sequence[str]) -> None:
    """Refuse a patch that sets one of ``keys`` to null (they may be changed, not cleared).

    Raises:
        Invalid: naming the first such field with its JSON pointer.
    """
    for key in keys:
        if key in changes and changes[key] is None:
            raise Invalid(
                f"'{key}' cannot be null.", errors=[{"pointer": f"#/body/{key}", "detail": "null"}]
            )


def problem_response(
    *,
    status: int,
    title: str,
    detail: str,
    slug: str,
    instance: str,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = list(errors)
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(loc: Sequence[Any]) -> str:
    # FastAPI locations start with where the value came from ("body", "query", "path").
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "#/" + "/".join(parts)


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "too many clients" in text


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of the app, ours and the framework's, as problem+json."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(
            status=exc.status,
            title=exc.title,
            detail=exc.detail,
            slug=exc.slug,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"pointer": _pointer(e.get("loc", ())), "detail": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        return problem_response(
            status=422,
            title="Invalid input",
            detail=f"{len(errors)} field(s) failed validation.",
            slug="invalid",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
        # A pool that stays empty or a database lock that outlasts the busy timeout is
        # overload, not a bug in the request: ask the client to come back.
        if isinstance(exc, OperationalError) and not _is_busy(exc):
            raise exc
        return problem_response(
            status=503,
            title="Too busy",
            detail="The database is busy right now; try again in a few seconds.",
            slug="overloaded",
            instance=request.url.path,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase
        return problem_response(
            status=exc.status_code,
            title=phrase,
            detail=str(exc.detail) if exc.detail else phrase,
            slug=phrase.lower().replace(" ", "-"),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )
