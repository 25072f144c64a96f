"""Mail resources as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.models import MailMessageStatus
from service.validation import Line, Text


class TemplateIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "{{ conference.name }}: what would you like to talk about?",
                    "body": "Hello {{ attendee.name }},\n\nTell us here: {{ link }}\n",
                }
            ]
        }
    )

    subject: Text = Field(min_length=1, max_length=500, description="A Jinja2 template.")
    body: Text = Field(min_length=1, max_length=20_000, description="A Jinja2 template.")


class TemplateOut(BaseModel):
    kind: str
    subject: str
    body: str
    custom: bool = Field(description="False: the built-in text.")
    fields: dict[str, str] = Field(description="What the templates may use.")


class PreviewIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"attendee": "A-17"}]})

    attendee: Line = Field(max_length=200, description="The attendee's external id.")
    subject: Text | None = Field(
        default=None, max_length=500, description="An unsaved subject to try; else the saved one."
    )
    body: Text | None = Field(
        default=None, max_length=20_000, description="An unsaved text to try; else the saved one."
    )


class PreviewOut(BaseModel):
    headers: dict[str, str] = Field(description="From, To, Subject as they would be sent.")
    subject: str
    text: str


class SendIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"retry_failed": False}]})

    retry_failed: bool = Field(
        default=False, description="Also queue again the messages that failed."
    )


class SendOut(BaseModel):
    queued: int = Field(description="People newly queued: they have not had this message yet.")
    retried: int = Field(description="Failed messages queued again.")
    already: int = Field(description="People who had it, or have it queued, already.")


class KindProgress(BaseModel):
    queued: int
    sending: int
    sent: int
    failed: int


class MailStatus(BaseModel):
    configured: bool = Field(description="Whether e-mail can be sent at all.")
    server: str = Field(description="The SMTP server, without its password.")
    sender: str
    problem: str = Field(description="Why no e-mail is sent, when it is not.")
    progress: dict[str, KindProgress]


class LogEntry(BaseModel):
    external_id: str
    name: str
    kind: str
    status: MailMessageStatus
    attempts: int
    answer: str = Field(description="The server's last answer, or why it was not sent.")
    sent_at: datetime | None
    updated_at: datetime


class LogPage(BaseModel):
    items: list[LogEntry]
    total: int
