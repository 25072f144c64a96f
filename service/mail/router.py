"""HTTP routes for attendee e-mail: status, templates, previews, sends and the log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status
from sqlalchemy.orm import Session

from service.auth import ReadAccess, WriteAccess
from service.db import SessionDep
from service.errors import Forbidden
from service.mail import service as mail_service
from service.mail.schemas import (
    KindProgress,
    LogEntry,
    LogPage,
    MailStatus,
    PreviewIn,
    PreviewOut,
    SendIn,
    SendOut,
    TemplateIn,
    TemplateOut,
)
from service.mail.templates import FIELDS, Template
from service.models import MailMessageStatus
from service.validation import Line

router = APIRouter(prefix="/v1/conferences/{conference_id}/mail", tags=["mail"])
Kind = Literal["invitation", "tables_ready", "table_changed"]


@router.get("", summary="Mail settings and progress")
def mail_status(access: ReadAccess, session: SessionDep) -> MailStatus:
    """Whether e-mail can be sent (else why, and the mail-merge export instead), and how far
    each message has gone: queued, sending, sent, failed."""
    setup = mail_service.setup()
    progress = mail_service.progress(session, conference=access.conference)
    return MailStatus(
        configured=setup.server is not None,
        server=setup.server.describe() if setup.server else "",
        sender=setup.sender,
        problem=setup.problem,
        progress={k: KindProgress(**v) for k, v in progress.items()},
    )


def _template_out(session: Session, access: ReadAccess, kind: str) -> TemplateOut:
    template, custom = mail_service.get_template(session, conference=access.conference, kind=kind)
    return TemplateOut(
        kind=kind, subject=template.subject, body=template.body, custom=custom, fields=dict(FIELDS)
    )


@router.get("/templates/{kind}", summary="Get a message's subject and text")
def get_template(kind: Kind, access: ReadAccess, session: SessionDep) -> TemplateOut:
    """The organizer's template, or the built-in one, with the fields it may use."""
    return _template_out(session, access, kind)


@router.put("/templates/{kind}", summary="Save a message's subject and text")
def put_template(
    kind: Kind, data: TemplateIn, access: WriteAccess, session: SessionDep
) -> TemplateOut:
    """Jinja2 templates (sandboxed). An unknown field or a template that does not render is a
    422 naming `subject` or `body`; nothing is saved."""
    mail_service.put_template(
        session,
        conference=access.conference,
        kind=kind,
        template=Template(subject=data.subject, body=data.body),
        actor=access.caller.actor,
    )
    return _template_out(session, access, kind)


@router.delete("/templates/{kind}", summary="Go back to the built-in text")
def reset_template(kind: Kind, access: WriteAccess, session: SessionDep) -> TemplateOut:
    """Forget the organizer's template for this message."""
    mail_service.reset_template(
        session, conference=access.conference, kind=kind, actor=access.caller.actor
    )
    session.flush()
    return _template_out(session, access, kind)


@router.post("/{kind}/preview", summary="Preview the exact message for one attendee")
def preview(kind: Kind, data: PreviewIn, access: WriteAccess, session: SessionDep) -> PreviewOut:
    """The message as it would be sent to this attendee, with the saved template or the subject
    and text given (unsaved). Sends nothing."""
    saved, _ = mail_service.get_template(session, conference=access.conference, kind=kind)
    template = Template(
        subject=data.subject if data.subject is not None else saved.subject,
        body=data.body if data.body is not None else saved.body,
    )
    mail_service.checked(template)
    attendee = mail_service.find_attendee(
        session, conference=access.conference, external_id=data.attendee
    )
    message = mail_service.preview(
        session, conference=access.conference, attendee=attendee, template=template
    )
    return PreviewOut(
        headers={name: str(message[name]) for name in ("From", "To", "Subject")},
        subject=str(message["Subject"]),
        text=message.get_content(),
    )


@router.post(
    "/{kind}:send",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a message to everyone who has not had it yet",
    responses={
        409: {"description": "No SMTP server is configured, or nothing is published yet."},
    },
)
def send(
    kind: Kind,
    access: WriteAccess,
    session: SessionDep,
    data: Annotated[SendIn | None, Body()] = None,
) -> SendOut:
    """Queue the message for every registered attendee who has not had it (the background
    worker sends it); nobody gets it twice, even when a send is started again."""
    if not access.caller.can("read"):
        raise Forbidden("Sending mail needs a key with 'read' and 'write'.")
    counts = mail_service.queue(
        session,
        conference=access.conference,
        kind=kind,
        actor=access.caller.actor,
        retry_failed=bool(data and data.retry_failed),
    )
    return SendOut(**counts)


@router.get("/messages", summary="The per-attendee mail log")
def messages(
    access: ReadAccess,
    session: SessionDep,
    kind: Kind | None = None,
    status_: Annotated[MailMessageStatus | None, Query(alias="status")] = None,
    q: Annotated[Line | None, Query(max_length=200, description="Name or id.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LogPage:
    """Each message to each attendee: queued, sent or failed, with the server's last answer."""
    rows, total = mail_service.log(
        session,
        conference=access.conference,
        kind=kind,
        status=status_,
        q=q,
        limit=limit,
        offset=offset,
    )
    return LogPage(
        items=[
            LogEntry(
                external_id=attendee.external_id,
                name=attendee.name,
                kind=m.kind,
                status=MailMessageStatus(m.status),
                attempts=m.attempts,
                answer=m.last_answer,
                sent_at=m.sent_at,
                updated_at=m.updated_at,
            )
            for m, attendee in rows
        ],
        total=total,
    )
