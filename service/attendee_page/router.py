"""HTTP routes of the attendee's private page: HTML forms that work without JavaScript."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.attendee_page import service as page_service
from service.attendees import service as attendee_service
from service.db import SessionDep, get_read_session
from service.models import Attendee, Conference

# The link is the only key to the page: keep it out of caches, referrers and search engines.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
FORM_FIELDS = ("interests", "hometown", "languages", "solo", "dinner")


class PrivatePages:
    """ASGI middleware: every response under ``/me/`` carries the private-page headers.

    At the path, not the route, so redirects (``/me/<token>/``) and not-found pages carry them
    too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/me/"):
            await self.app(scope, receive, send)
            return

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(PRIVATE_HEADERS)
            await send(message)

        await self.app(scope, receive, send_private)


router = APIRouter(tags=["attendee page"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Commit before the response goes out: the 303 after a save is followed at once, and the
# next page must read what was just saved (the default "request" scope commits afterwards).
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "The link is unknown or no longer valid (an HTML page)."}
}


def _render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request, name, {**context, "nonce": nonce}, status_code=status_code
    )
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def _not_found(request: Request) -> HTMLResponse:
    return _render(request, "not_found.html", {}, status_code=status.HTTP_404_NOT_FOUND)


def _page(
    request: Request,
    session: Session,
    *,
    token: str,
    attendee: Attendee,
    form: page_service.ProfileForm,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    conference = session.get_one(Conference, attendee.conference_id)
    plan = page_service.published_plan(session, conference=conference)
    meals = (
        page_service.seated_meals(session, conference=conference, attendee=attendee, plan=plan)
        if plan is not None
        else []
    )
    context = {
        "token": token,
        "conference_name": conference.name,
        "attendee_name": attendee.name,
        "affiliation": attendee.affiliation,
        "form": form,
        "errors": errors or {},
        "saved": saved,
        "published": plan is not None,
        "meals": meals,
        "interests_max": page_service.INTERESTS_MAX,
    }
    return _render(request, "page.html", context, status_code=status_code)


@router.get(
    "/me/{token}",
    status_code=status.HTTP_200_OK,
    response_class=HTMLResponse,
    summary="Attendee page",
    responses=NOT_FOUND,
)
def attendee_page(
    token: str, request: Request, session: ReadSessionDep, saved: str | None = None
) -> HTMLResponse:
    """The attendee's profile form and, once published, their tables."""
    attendee = page_service.find_attendee_by_token(session, token=token)
    if attendee is None:
        return _not_found(request)
    page_service.note_first_visit(attendee)
    form = page_service.profile_form(attendee)
    return _page(request, session, token=token, attendee=attendee, form=form, saved=saved == "1")


@router.post(
    "/me/{token}",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=HTMLResponse,
    summary="Save the attendee's profile",
    responses={
        **NOT_FOUND,
        422: {"description": "The form again, with each problem next to its field."},
    },
)
def save_profile(
    token: str,
    request: Request,
    session: SessionDep,
    interests: Annotated[str, Form()] = "",
    hometown: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    solo: Annotated[str | None, Form()] = None,
    dinner: Annotated[str, Form()] = "no",
    show_affiliation: Annotated[str | None, Form()] = None,
    show_hometown: Annotated[str | None, Form()] = None,
    show_interests: Annotated[str | None, Form()] = None,
) -> Response:
    """Validate and store the profile form, then go back to the page with a notice."""
    attendee = page_service.find_attendee_by_token(session, token=token)
    if attendee is None:
        return _not_found(request)
    # An unticked checkbox is simply absent from the form.
    form = page_service.ProfileForm(
        interests=interests,
        hometown=hometown,
        languages=languages,
        solo=solo is not None,
        dinner=dinner,
        show_affiliation=show_affiliation is not None,
        show_hometown=show_hometown is not None,
        show_interests=show_interests is not None,
    )
    conference = session.get_one(Conference, attendee.conference_id)
    try:
        page_service.save_profile(session, conference=conference, attendee=attendee, form=form)
    except attendee_service.FieldErrors as exc:
        errors = _field_errors(exc.errors, form)
        return _page(
            request,
            session,
            token=token,
            attendee=attendee,
            form=form,
            errors=errors,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return RedirectResponse(
        f"{request.url.path}?saved=1#profile", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get(
    "/me/{token}/calendar.ics",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    summary="The attendee's meals as a calendar",
    responses={200: {"content": {"text/calendar": {}}}, **NOT_FOUND},
)
def attendee_calendar(token: str, request: Request, session: ReadSessionDep) -> Response:
    """An iCalendar file with one event per meal the attendee is seated at."""
    attendee = page_service.find_attendee_by_token(session, token=token)
    if attendee is None:
        return _not_found(request)
    conference = session.get_one(Conference, attendee.conference_id)
    plan = page_service.published_plan(session, conference=conference)
    meals = (
        page_service.seated_meals(session, conference=conference, attendee=attendee, plan=plan)
        if plan is not None
        else []
    )
    body = page_service.calendar(
        conference=conference,
        attendee=attendee,
        meals=meals,
        stamp=plan.published_at if plan is not None else None,
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{conference.slug}-meals.ics"'},
    )


def _field_errors(errors: list[dict[str, str]], form: page_service.ProfileForm) -> dict[str, str]:
    """Each problem under the form field it belongs to; the rest under "general"."""
    out: dict[str, str] = {}
    for error in errors:
        name = error["pointer"].strip("/").split("/")[0]
        key = name if name in FORM_FIELDS else "general"
        detail = error["detail"].removeprefix("Value error, ")
        if key == "interests" and len(form.interests) > page_service.INTERESTS_MAX:
            detail = (
                f"Please keep it to {page_service.INTERESTS_MAX:,} characters; "
                f"this is {len(form.interests):,}."
            )
        out.setdefault(key, detail)
    return out
