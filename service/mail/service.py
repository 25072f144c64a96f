"""Attendee e-mail: templates, previews, the outbox, and sending one message.

A send never mails anyone from a web request: it writes one outbox row (`MailMessage`) per
attendee who has not had the message yet, unique per attendee, message and plan, and the
background worker (`service.mail.sender`) claims the rows one at a time and hands them to the
organizer's SMTP server. So a send started twice, or restarted after a stop, reaches each
person once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.attendee_page import service as page_service
from service.attendees import links
from service.audit import service as audit
from service.config import get_settings
from service.db import utcnow
from service.errors import Conflict, Invalid, NotFound
from service.mail import smtp
from service.mail.templates import DEFAULTS, Template, TemplateProblem, check, render
from service.models import (
    Assignment,
    Attendee,
    AttendeeStatus,
    Conference,
    MailMessage,
    MailMessageStatus,
    MailTemplate,
    Plan,
    PlanStatus,
)

Kind = Literal["invitation", "tables_ready", "table_changed"]
SMTP_FIELD = "HALLWAY_SMTP_URL"
FROM_FIELD = "HALLWAY_MAIL_FROM"


@dataclass(frozen=True)
class MailSetup:
    """Whether mail can be sent: the server and sender, or the reason it cannot."""

    server: smtp.SmtpServer | None
    sender: str
    problem: str
    pointer: str = ""


def setup() -> MailSetup:
    settings = get_settings()
    if not settings.smtp_url:
        return MailSetup(
            None,
            "",
            "No SMTP server is configured (HALLWAY_SMTP_URL), so no e-mail is sent; the "
            "mail-merge export (GET …/mail-merge) gives every attendee's link for your own "
            "mail tool.",
        )
    try:
        server = smtp.parse_smtp_url(settings.smtp_url)
    except ValueError as exc:
        return MailSetup(None, "", f"HALLWAY_SMTP_URL is not usable: {exc}.", SMTP_FIELD)
    _, address = parseaddr(settings.mail_from)
    if not address or "@" not in address or any(c in settings.mail_from for c in "\r\n"):
        return MailSetup(
            None,
            "",
            "HALLWAY_MAIL_FROM must be a sender address, e.g. hello@pyconf.example.",
            FROM_FIELD,
        )
    return MailSetup(server, settings.mail_from, "")


def require_setup() -> MailSetup:
    """The usable setup, or a 409 (nothing configured) / 422 (a setting does not parse)."""
    current = setup()
    if current.server is not None:
        return current
    if current.pointer:
        raise Invalid(
            current.problem, errors=[{"pointer": current.pointer, "detail": current.problem}]
        )
    raise Conflict(current.problem)


# --- templates --------------------------------------------------------------------------------


def get_template(session: Session, *, conference: Conference, kind: str) -> tuple[Template, bool]:
    """The organizer's template for ``kind``, or the built-in one; and whether it is their own."""
    row = session.scalar(
        select(MailTemplate).where(
            MailTemplate.conference_id == conference.id, MailTemplate.kind == kind
        )
    )
    if row is None:
        return DEFAULTS[kind], False
    return Template(subject=row.subject, body=row.body), True


def checked(template: Template, *, prefix: str = "#/body") -> Template:
    """``template`` if it renders; else a 422 naming the part that does not."""
    try:
        check(template)
    except TemplateProblem as exc:
        raise Invalid(
            exc.detail, errors=[{"pointer": f"{prefix}/{exc.field}", "detail": exc.detail}]
        ) from None
    return template


def put_template(
    session: Session, *, conference: Conference, kind: str, template: Template, actor: str
) -> None:
    checked(template)
    row = session.scalar(
        select(MailTemplate).where(
            MailTemplate.conference_id == conference.id, MailTemplate.kind == kind
        )
    )
    if row is None:
        row = MailTemplate(conference_id=conference.id, kind=kind, subject="", body="")
        session.add(row)
    row.subject = template.subject
    row.body = template.body
    audit.record(
        session,
        actor=actor,
        action="mail.template_saved",
        target_type="mail_template",
        target_id=kind,
        conference_id=conference.id,
    )
    session.flush()


def reset_template(session: Session, *, conference: Conference, kind: str, actor: str) -> None:
    row = session.scalar(
        select(MailTemplate).where(
            MailTemplate.conference_id == conference.id, MailTemplate.kind == kind
        )
    )
    if row is not None:
        session.delete(row)
        audit.record(
            session,
            actor=actor,
            action="mail.template_reset",
            target_type="mail_template",
            target_id=kind,
            conference_id=conference.id,
        )


# --- the message ------------------------------------------------------------------------------


def context_for(session: Session, *, conference: Conference, attendee: Attendee) -> dict[str, Any]:
    """What a template sees for ``attendee``: never an e-mail or a note, anyone's."""
    plan = page_service.published_plan(session, conference=conference)
    meals = (
        page_service.seated_meals(session, conference=conference, attendee=attendee, plan=plan)
        if plan is not None
        else []
    )
    return {
        "conference": {
            "name": conference.name,
            "location": conference.location,
            "starts_on": conference.starts_on or "",
            "ends_on": conference.ends_on or "",
        },
        "attendee": {
            "name": attendee.name,
            "affiliation": attendee.affiliation,
            "external_id": attendee.external_id,
        },
        "link": links.link_url(links.token_for(attendee, links.link_secret(session))),
        "meals": [
            {"name": m.name, "when": m.when, "place": m.location, "table": m.table} for m in meals
        ],
    }


def build_message(
    session: Session,
    *,
    conference: Conference,
    attendee: Attendee,
    template: Template,
    sender: str,
) -> EmailMessage:
    """The exact message ``attendee`` gets.

    Headers are set through `EmailMessage`'s structured headers: a display name is quoted or
    encoded, never copied raw, and a line break in any header value is refused, so nothing an
    attendee or organizer typed can add a header.

    Raises:
        TemplateProblem: the template does not render for this attendee.
        ValueError: the attendee has no usable e-mail address.
    """
    text = render(template, context_for(session, conference=conference, attendee=attendee))
    if not attendee.email:
        raise ValueError("The attendee has no e-mail address.")
    local, _, domain = attendee.email.rpartition("@")
    display = " ".join(attendee.name.split())
    message = EmailMessage()
    from_name, from_address = parseaddr(sender)
    f_local, _, f_domain = from_address.rpartition("@")
    message["From"] = Address(display_name=from_name, username=f_local, domain=f_domain)
    message["To"] = Address(display_name=display, username=local, domain=domain)
    message["Subject"] = text.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=f_domain or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text.body)
    return message


def find_attendee(session: Session, *, conference: Conference, external_id: str) -> Attendee:
    attendee = session.scalar(
        select(Attendee).where(
            Attendee.conference_id == conference.id,
            Attendee.external_id == external_id,
            Attendee.erased_at.is_(None),
        )
    )
    if attendee is None:
        raise NotFound(f"Attendee '{external_id}' was not found in this conference.")
    return attendee


def preview(
    session: Session,
    *,
    conference: Conference,
    attendee: Attendee,
    template: Template,
) -> EmailMessage:
    """The message as it would go out now (the sender is a placeholder if none is set)."""
    sender = get_settings().mail_from or "Hallway <hallway@example.invalid>"
    if not attendee.email:
        raise Invalid(
            f"Attendee '{attendee.external_id}' has no e-mail address.",
            errors=[{"pointer": "#/body/attendee", "detail": "no e-mail address"}],
        )
    try:
        return build_message(
            session, conference=conference, attendee=attendee, template=template, sender=sender
        )
    except TemplateProblem as exc:
        raise Invalid(
            exc.detail, errors=[{"pointer": f"#/body/{exc.field}", "detail": exc.detail}]
        ) from None
    except ValueError as exc:
        raise Invalid(
            str(exc), errors=[{"pointer": "#/body/attendee", "detail": str(exc)}]
        ) from None


# --- who gets what ---------------------------------------------------------------------------


def live_plan(
    session: Session, *, conference: Conference
) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """The published plan's id and the plan it re-planned (None for a first plan)."""
    row = session.execute(
        select(Plan.id, Plan.based_on_id).where(
            Plan.conference_id == conference.id, Plan.status == PlanStatus.PUBLISHED
        )
    ).first()
    return (row.id, row.based_on_id) if row is not None else None


def _seats(session: Session, plan_id: uuid.UUID) -> dict[uuid.UUID, set[tuple[uuid.UUID, int]]]:
    seats: dict[uuid.UUID, set[tuple[uuid.UUID, int]]] = {}
    rows = session.execute(
        select(Assignment.attendee_id, Assignment.round_id, Assignment.table_number).where(
            Assignment.plan_id == plan_id
        )
    )
    for attendee_id, round_id, table in rows:
        seats.setdefault(attendee_id, set()).add((round_id, table))
    return seats


def audience(session: Session, *, conference: Conference, kind: str) -> tuple[str, list[uuid.UUID]]:
    """The plan key and the attendees ``kind`` is for (registered, with an e-mail address).

    Invitations go to everyone registered; "tables ready" to those seated in the published
    plan; "table changed" to those whose table in some meal differs from the plan it re-planned.

    Raises:
        Conflict: nothing is published (tables messages), or the live plan is not a re-plan.
    """
    stmt = select(Attendee.id).where(
        Attendee.conference_id == conference.id,
        Attendee.erased_at.is_(None),
        Attendee.status == AttendeeStatus.REGISTERED,
        Attendee.email.is_not(None),
        Attendee.email != "",
    )
    people = list(session.scalars(stmt))
    if kind == "invitation":
        return "", people
    live = live_plan(session, conference=conference)
    if live is None:
        raise Conflict("No plan is published yet: publish one before telling people their tables.")
    plan_id, based_on = live
    seats = _seats(session, plan_id)
    if kind == "tables_ready":
        return str(plan_id), [p for p in people if p in seats]
    if based_on is None:
        raise Conflict("The published plan is not a re-plan: nobody's table changed.")
    before = _seats(session, based_on)
    return str(plan_id), [p for p in people if p in seats and p in before and seats[p] != before[p]]


def queue(
    session: Session, *, conference: Conference, kind: str, actor: str, retry_failed: bool = False
) -> dict[str, int]:
    """Queue ``kind`` for everyone who has not had it yet; return how many were queued.

    Rows are inserted with "do nothing on conflict" against the once-per-attendee constraint,
    so two sends at once queue each person once.
    """
    require_setup()
    plan_key, people = audience(session, conference=conference, kind=kind)
    checked(get_template(session, conference=conference, kind=kind)[0], prefix="#/template")
    existing = set(
        session.scalars(
            select(MailMessage.attendee_id).where(
                MailMessage.conference_id == conference.id,
                MailMessage.kind == kind,
                MailMessage.plan_key == plan_key,
            )
        )
    )
    new = [p for p in people if p not in existing]
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(new), 500):
        chunk = new[start : start + 500]
        stmt = insert(MailMessage).on_conflict_do_nothing(
            index_elements=["attendee_id", "kind", "plan_key"]
        )
        session.execute(
            stmt,
            [
                {
                    "id": uuid.uuid4(),
                    "conference_id": conference.id,
                    "attendee_id": p,
                    "kind": kind,
                    "plan_key": plan_key,
                    "status": MailMessageStatus.QUEUED,
                    "attempts": 0,
                    "last_answer": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for p in chunk
            ],
        )
    retried = 0
    if retry_failed:
        failed = session.scalars(
            select(MailMessage).where(
                MailMessage.conference_id == conference.id,
                MailMessage.kind == kind,
                MailMessage.plan_key == plan_key,
                MailMessage.status == MailMessageStatus.FAILED,
            )
        )
        for row in failed:
            row.status = MailMessageStatus.QUEUED
            row.attempts = 0
            row.next_attempt_at = None
            retried += 1
    counts = {"queued": len(new), "retried": retried, "already": len(existing) - retried}
    audit.record(
        session,
        actor=actor,
        action="mail.queued",
        target_type="mail",
        target_id=kind,
        conference_id=conference.id,
        details=counts,
    )
    session.flush()
    return counts


def progress(session: Session, *, conference: Conference) -> dict[str, dict[str, int]]:
    """Per message, how many rows are in each state."""
    out: dict[str, dict[str, int]] = {
        kind: {status.value: 0 for status in MailMessageStatus} for kind in DEFAULTS
    }
    rows = session.execute(
        select(MailMessage.kind, MailMessage.status, func.count())
        .where(MailMessage.conference_id == conference.id)
        .group_by(MailMessage.kind, MailMessage.status)
    )
    for kind, status, count in rows:
        out[kind][status] = count
    return out


def log(
    session: Session,
    *,
    conference: Conference,
    kind: str | None,
    status: MailMessageStatus | None,
    q: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[MailMessage, Attendee]], int]:
    """The per-attendee log, newest change first, and how many entries match."""
    stmt = (
        select(MailMessage, Attendee)
        .join(Attendee, Attendee.id == MailMessage.attendee_id)
        .where(MailMessage.conference_id == conference.id)
    )
    if kind:
        stmt = stmt.where(MailMessage.kind == kind)
    if status:
        stmt = stmt.where(MailMessage.status == status)
    if q:
        needle = q.lower()
        stmt = stmt.where(
            func.lower(Attendee.name).contains(needle, autoescape=True)
            | func.lower(Attendee.external_id).contains(needle, autoescape=True)
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(MailMessage.updated_at.desc(), MailMessage.id).offset(offset).limit(limit)
    ).all()
    return [(m, a) for m, a in rows], total


def kinds() -> Sequence[str]:
    return tuple(DEFAULTS)
