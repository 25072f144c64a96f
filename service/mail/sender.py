"""The mail queue's worker: claims outbox rows one at a time and hands them to the SMTP server.

It runs inside every plan worker (`hallway worker`, and the one `hallway serve` starts) on a
thread of its own, so a long plan never holds up the mail. A row is claimed (queued ->
sending, `service.background.claim_due`: one worker wins) before its message is sent and marked sent
right after, so a restarted send skips everyone already mailed. A worker stopped on purpose
finishes the message it holds first; a row left "sending" by a worker that died is failed with
that reason, never sent again by itself (the server may have taken it), and can be sent again
from the log. Deferred answers (4xx) are tried again with a doubling wait up to
``HALLWAY_MAIL_MAX_ATTEMPTS`` times; rejections (5xx) fail at once. At most
``HALLWAY_MAIL_PER_MINUTE`` messages leave per minute, counted in the database across workers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select, update

from service.audit import service as audit
from service.background import Loop, claim_due, doubling, drain, oldest_due
from service.config import get_settings
from service.db import session_scope, utcnow
from service.mail import service as mail_service
from service.mail import smtp
from service.mail.templates import TemplateProblem
from service.models import Attendee, AttendeeStatus, Conference, MailMessage, MailMessageStatus

log = logging.getLogger(__name__)

#: A row "sending" for longer than this lost its worker.
STALE_SENDING = timedelta(minutes=10)
ACTOR = "mailer"


def _claim() -> uuid.UUID | None:
    """Take the next due message (queued -> sending); None when nothing is due."""
    now = utcnow()
    with session_scope() as session:
        return claim_due(
            session,
            oldest_due(MailMessage, waiting=MailMessageStatus.QUEUED, now=now),
            model=MailMessage,
            waiting=MailMessageStatus.QUEUED,
            values={"status": MailMessageStatus.SENDING, "claimed_at": now, "updated_at": now},
        )


def _sent_last_minute() -> int:
    with session_scope() as session:
        since = utcnow() - timedelta(minutes=1)
        return session.scalar(select(func.count()).where(MailMessage.sent_at > since)) or 0


def fail_stale() -> int:
    """Fail rows left "sending" by a worker that died: they may have reached the server."""
    cutoff = utcnow() - STALE_SENDING
    with session_scope() as session:
        result = session.execute(
            update(MailMessage)
            .where(MailMessage.status == MailMessageStatus.SENDING, MailMessage.claimed_at < cutoff)
            .values(
                status=MailMessageStatus.FAILED,
                updated_at=utcnow(),
                last_answer="Interrupted while sending: it may or may not have arrived. "
                "Send failed messages again to retry.",
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _finish(message_id: uuid.UUID, *, status: str, answer: str, retry_in: float | None) -> None:
    now = utcnow()
    with session_scope() as session:
        row = session.get_one(MailMessage, message_id)
        attendee = session.get_one(Attendee, row.attendee_id)
        row.attempts += 1
        row.last_answer = answer
        row.updated_at = now
        if status == "sent":
            row.status = MailMessageStatus.SENT
            row.sent_at = now
        elif retry_in is not None:
            row.status = MailMessageStatus.QUEUED
            row.next_attempt_at = now + timedelta(seconds=retry_in)
        else:
            row.status = MailMessageStatus.FAILED
        audit.record(
            session,
            actor=ACTOR,
            action=f"mail.{'deferred' if row.status == MailMessageStatus.QUEUED else row.status}",
            target_type="attendee",
            target_id=attendee.external_id,
            conference_id=row.conference_id,
            details={"message": row.kind, "answer": answer, "attempt": row.attempts},
        )


def send_one(message_id: uuid.UUID) -> str:
    """Build and send one claimed message; record the outcome. Returns the new status."""
    settings = get_settings()
    current = mail_service.setup()
    if current.server is None:
        # Configuration gone since the send was queued: give the row back, send nothing.
        with session_scope() as session:
            session.execute(
                update(MailMessage)
                .where(MailMessage.id == message_id)
                .values(status=MailMessageStatus.QUEUED, claimed_at=None)
            )
        return MailMessageStatus.QUEUED
    with session_scope() as session:
        row = session.get_one(MailMessage, message_id)
        attendee = session.get_one(Attendee, row.attendee_id)
        conference = session.get_one(Conference, row.conference_id)
        attempts = row.attempts
        problem = ""
        message = None
        if attendee.erased_at is not None or attendee.status != AttendeeStatus.REGISTERED:
            problem = f"Not sent: the attendee is {attendee.status} now."
        elif not attendee.email:
            problem = "Not sent: the attendee has no e-mail address now."
        else:
            template, _ = mail_service.get_template(session, conference=conference, kind=row.kind)
            try:
                message = mail_service.build_message(
                    session,
                    conference=conference,
                    attendee=attendee,
                    template=template,
                    sender=current.sender,
                )
            except (TemplateProblem, ValueError) as exc:
                problem = f"Not sent: {exc}"
    if message is None:
        _finish(message_id, status="failed", answer=problem, retry_in=None)
        return "failed"
    try:
        answer = smtp.send(current.server, message, timeout=settings.smtp_timeout)
    except smtp.Deferred as exc:
        tries = attempts + 1
        retry = (
            doubling(timedelta(seconds=settings.mail_retry_seconds), tries).total_seconds()
            if tries < settings.mail_max_attempts
            else None
        )
        _finish(message_id, status="deferred", answer=str(exc), retry_in=retry)
        return "queued" if retry is not None else "failed"
    except smtp.Rejected as exc:
        _finish(message_id, status="failed", answer=str(exc), retry_in=None)
        return "failed"
    _finish(message_id, status="sent", answer=answer, retry_in=None)
    return "sent"


def run_pending(
    *, max_messages: int | None = None, should_stop: Callable[[], bool] = lambda: False
) -> int:
    """Send due messages until none is due, the rate limit is reached, or told to stop.

    Returns how many messages were handled (sent, deferred or failed).
    """
    if mail_service.setup().server is None:
        return 0
    limit = get_settings().mail_per_minute

    def claim() -> uuid.UUID | None:
        return None if _sent_last_minute() >= limit else _claim()

    return drain(claim, send_one, max_items=max_messages, should_stop=should_stop)


class MailLoop(Loop):
    """Runs the mail queue on a thread beside the plan worker's loop."""

    def __init__(self, *, poll_interval: float = 2.0) -> None:
        # The message in hand is finished first (an SMTP exchange is bounded by its timeout).
        super().__init__(
            {"mail-queue": self._step},
            poll_interval=poll_interval,
            join_timeout=get_settings().smtp_timeout + 5,
        )

    def _step(self) -> int:
        fail_stale()
        return run_pending(should_stop=self.stop.is_set)
