"""Reaching every attendee: the mail-merge export and e-mail through the organizer's server.

E-mail tests run a real SMTP server (aiosmtpd) on 127.0.0.1, started by the test.
"""

from __future__ import annotations

import csv
import email
import io
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.policy import default
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.config import get_settings
from service.db import session_scope
from service.mail import sender, smtp
from service.models import Attendee, AuditEvent, Plan
from tests.meals import add_lunch_and_dinner

PEOPLE: dict[str, dict[str, Any]] = {
    "A1": {"name": "Ada Lovelace", "email": "ada@engines.example", "interests": "Engines."},
    "A2": {"name": "=cmd|' /C calc'!A0", "email": "evil@example.org"},
    "A3": {"name": "Grace Hopper", "email": "grace@navy.example"},
    "A4": {"name": "Gone Person", "email": "gone@example.org", "status": "cancelled"},
}


@pytest.fixture
def base(admin: TestClient, conference: dict[str, Any]) -> str:
    path = f"/v1/conferences/{conference['id']}"
    for external_id, body in PEOPLE.items():
        assert admin.put(f"{path}/attendees/{external_id}", json=body).status_code == 201
    return path


def read_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


# --- mail merge -----------------------------------------------------------------------------


def test_mail_merge_before_publish_has_links_and_no_cancelled(admin: TestClient, base: str) -> None:
    response = admin.get(f"{base}/mail-merge", params={"format": "csv"})
    assert response.status_code == 200, response.text
    rows = read_csv(response.content)
    assert [r["attendee_id"] for r in rows] == ["A1", "A2", "A3"]
    ada = rows[0]
    assert ada["email"] == "ada@engines.example"
    assert ada["link"] == admin.get(f"{base}/attendees/A1").json()["link"]
    assert ada["profile"] == "from registration" and ada["link_opened"] == "no"
    assert rows[2]["profile"] == "blank"
    # A name a spreadsheet would run is escaped.
    assert rows[1]["name"].startswith("'=")
    assert not any(key.endswith(" table") for key in rows[0])


def test_mail_merge_after_publish_has_each_meals_table(
    admin: TestClient, base: str, conference: dict[str, Any], plan_factory: Any
) -> None:
    add_lunch_and_dinner(admin, base)
    plan_factory(conference, {"Lunch 1": [["A1", "A2"], ["A3"]], "Dinner 1": [["A1", "A3"]]})
    rows = read_csv(admin.get(f"{base}/mail-merge", params={"format": "csv"}).content)
    by_id = {r["attendee_id"]: r for r in rows}
    assert by_id["A3"]["Lunch 1 table"] == "2"
    assert by_id["A3"]["Lunch 1 time"] == "2027-04-14 12:30"
    assert by_id["A3"]["Lunch 1 place"] == "Hall B"
    assert by_id["A1"]["Dinner 1 table"] == "1"
    assert by_id["A2"]["Dinner 1 table"] == "" and by_id["A2"]["Dinner 1 place"] == ""

    xlsx = admin.get(f"{base}/mail-merge", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[0]
    assert header[:4] == ["attendee_id", "name", "email", "link"]
    assert "Lunch 1 table" in header
    assert [row[0] for row in values[1:]] == ["A1", "A2", "A3"]


@pytest.mark.parametrize("scopes", [["read"], ["ingest"], ["write"]])
def test_mail_merge_needs_read_and_write(
    client: TestClient,
    base: str,
    conference: dict[str, Any],
    key_factory: Any,
    scopes: list[str],
) -> None:
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=scopes)
    response = client.get(f"{base}/mail-merge", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert "@" not in response.text


def test_mail_merge_format_is_checked(admin: TestClient, base: str) -> None:
    response = admin.get(f"{base}/mail-merge", params={"format": "pdf"})
    assert response.status_code == 422
    assert "format" in response.text


# --- e-mail through a real SMTP server on 127.0.0.1 --------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives and answers as told."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        # Answers to give to DATA before accepting, e.g. ["451 4.3.0 try later"].
        self.answers: list[str] = []
        self.refuse_always = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_always:
            return self.refuse_always
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=default))
        )
        return "250 2.0.0 OK queued"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch, settings_env: str) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("HALLWAY_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("HALLWAY_MAIL_FROM", "PyConf Team <team@pyconf.example>")
        monkeypatch.setenv("HALLWAY_MAIL_RETRY_SECONDS", "0")
        monkeypatch.setenv("HALLWAY_MAIL_MAX_ATTEMPTS", "3")
        get_settings.cache_clear()
        yield handler
    finally:
        controller.stop()
        get_settings.cache_clear()


def log_of(admin: TestClient, base: str, **params: Any) -> list[dict[str, Any]]:
    response = admin.get(f"{base}/mail/messages", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_invitation_reaches_everyone_registered_with_their_link(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    sent = admin.post(f"{base}/mail/invitation:send")
    assert sent.status_code == 202, sent.text
    assert sent.json()["queued"] == 3
    # Nothing leaves inside the request: the worker sends.
    assert inbox.messages == []
    assert sender.run_pending() == 3
    by_rcpt = {rcpts[0]: message for rcpts, message in inbox.messages}
    assert sorted(by_rcpt) == ["ada@engines.example", "evil@example.org", "grace@navy.example"]
    ada = by_rcpt["ada@engines.example"]
    assert ada["Subject"] == "PyConf 2027: tell us what you want to talk about"
    assert ada["From"].addresses[0].addr_spec == "team@pyconf.example"
    link = admin.get(f"{base}/attendees/A1").json()["link"]
    body = ada.get_content()
    assert link in body and "Ada Lovelace" in body
    # Nobody's message names anyone else's address.
    for rcpts, message in inbox.messages:
        others = set(by_rcpt) - set(rcpts)
        assert not any(o in message.as_string() for o in others)
    assert {e["status"] for e in log_of(admin, base)} == {"sent"}
    status = admin.get(f"{base}/mail").json()
    assert status["configured"] is True
    assert status["progress"]["invitation"]["sent"] == 3
    # A second send reaches nobody: everyone has had it.
    again = admin.post(f"{base}/mail/invitation:send").json()
    assert again["queued"] == 0 and again["already"] == 3
    assert sender.run_pending() == 0
    assert len(inbox.messages) == 3


def test_every_send_is_in_the_audit_log(admin: TestClient, base: str, inbox: Inbox) -> None:
    admin.post(f"{base}/mail/invitation:send")
    sender.run_pending()
    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.sent")).all()
        assert sorted(e.target_id for e in events) == ["A1", "A2", "A3"]
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.queued"))
            .one()
            .details["queued"]
            == 3
        )


def test_interrupted_send_restarted_delivers_each_message_once(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    admin.post(f"{base}/mail/invitation:send")
    assert sender.run_pending(max_messages=1) == 1  # stopped half-way
    assert len(inbox.messages) == 1
    # The organizer presses send again, and the worker starts over.
    assert admin.post(f"{base}/mail/invitation:send").json()["queued"] == 0
    assert sender.run_pending() == 2
    assert sender.run_pending() == 0
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["ada@engines.example", "evil@example.org", "grace@navy.example"]


def test_two_workers_at_once_send_each_message_once(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    admin.post(f"{base}/mail/invitation:send")
    with ThreadPoolExecutor(3) as pool:
        handled = sum(pool.map(lambda _: sender.run_pending(), range(3)))
    assert handled == 3
    assert len(inbox.messages) == 3


def test_deferred_4xx_is_retried_then_sent(admin: TestClient, base: str, inbox: Inbox) -> None:
    admin.patch(f"{base}/attendees/A2", json={"status": "cancelled"})
    admin.patch(f"{base}/attendees/A3", json={"status": "cancelled"})
    inbox.answers = ["451 4.3.0 Mailbox busy, try later"]
    admin.post(f"{base}/mail/invitation:send")
    assert sender.run_pending() == 2  # deferred once, then sent (no wait in this test)
    [entry] = log_of(admin, base)
    assert entry["status"] == "sent" and entry["attempts"] == 2
    assert len(inbox.messages) == 1
    with session_scope() as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("mail.%"))
                .order_by(AuditEvent.created_at)
            )
        ]
    assert "mail.deferred" in actions and "mail.sent" in actions


def test_deferred_waits_before_it_is_tried_again(
    admin: TestClient, base: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLWAY_MAIL_RETRY_SECONDS", "3600")
    get_settings.cache_clear()
    inbox.answers = ["421 4.7.0 slow down"] * 3
    admin.post(f"{base}/mail/invitation:send")
    assert sender.run_pending() == 3
    assert sender.run_pending() == 0  # not due for an hour
    assert {e["status"] for e in log_of(admin, base)} == {"queued"}
    assert all("421" in e["answer"] for e in log_of(admin, base))


def test_5xx_is_failed_and_not_retried(admin: TestClient, base: str, inbox: Inbox) -> None:
    inbox.refuse_always = "550 5.1.1 No such user here"
    admin.post(f"{base}/mail/invitation:send")
    assert sender.run_pending() == 3
    assert sender.run_pending() == 0
    entries = log_of(admin, base, status="failed")
    assert len(entries) == 3
    assert all(e["attempts"] == 1 and "550" in e["answer"] for e in entries)


def test_4xx_forever_gives_up_after_the_last_attempt(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    inbox.refuse_always = "452 4.2.2 Mailbox full"
    admin.patch(f"{base}/attendees/A2", json={"status": "cancelled"})
    admin.patch(f"{base}/attendees/A3", json={"status": "cancelled"})
    admin.post(f"{base}/mail/invitation:send")
    assert sender.run_pending() == 3  # HALLWAY_MAIL_MAX_ATTEMPTS=3
    assert sender.run_pending() == 0
    [entry] = log_of(admin, base)
    assert entry["status"] == "failed" and entry["attempts"] == 3


def test_tables_ready_and_table_changed_after_a_replan(
    admin: TestClient, base: str, inbox: Inbox, conference: dict[str, Any], plan_factory: Any
) -> None:
    add_lunch_and_dinner(admin, base)
    # Nothing published: nobody can be told their tables.
    assert admin.post(f"{base}/mail/tables_ready:send").status_code == 409
    first = plan_factory(
        conference, {"Lunch 1": [["A1", "A2"], ["A3"]], "Dinner 1": [["A1", "A2", "A3"]]}
    )
    assert admin.post(f"{base}/mail/table_changed:send").status_code == 409
    assert admin.post(f"{base}/mail/tables_ready:send").json()["queued"] == 3
    sender.run_pending()
    grace = next(m for r, m in inbox.messages if r == ["grace@navy.example"])
    assert grace["Subject"] == "PyConf 2027: your tables are ready"
    text = grace.get_content()
    assert "Lunch 1" in text and "Hall B" in text and "table 2" in text
    assert "Dinner 1" in text and "Keller" in text and "table 1" in text
    assert "12:30" in text
    assert admin.get(f"{base}/attendees/A3").json()["link"] in text

    # A re-plan moves Ada and Grace at lunch; the dinner stays.
    second = plan_factory(
        conference,
        {"Lunch 1": [["A3", "A2"], ["A1"]], "Dinner 1": [["A1", "A2", "A3"]]},
        publish=False,
    )
    with session_scope() as session:
        plan = session.get_one(Plan, second)
        plan.based_on_id = first
    from service.models import Conference
    from service.plans import service as plan_service

    with session_scope() as session:
        plan_service.publish(
            session,
            conference=session.get_one(Conference, uuid.UUID(conference["id"])),
            plan=session.get_one(Plan, second),
            actor="test",
        )
    inbox.messages.clear()
    changed = admin.post(f"{base}/mail/table_changed:send").json()
    assert changed["queued"] == 2
    sender.run_pending()
    assert sorted(r[0] for r, _ in inbox.messages) == ["ada@engines.example", "grace@navy.example"]
    ada = next(m for r, m in inbox.messages if r == ["ada@engines.example"])
    assert ada["Subject"] == "PyConf 2027: your table changed"
    assert "table 2" in ada.get_content()
    # The new plan's "tables ready" is a new message for everyone seated in it.
    assert admin.post(f"{base}/mail/tables_ready:send").json()["queued"] == 3


def test_cancelled_attendees_get_nothing_even_when_cancelled_after_queueing(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    admin.post(f"{base}/mail/invitation:send")
    admin.patch(f"{base}/attendees/A3", json={"status": "cancelled"})
    sender.run_pending()
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["ada@engines.example", "evil@example.org"]
    assert "gone@example.org" not in recipients
    failed = log_of(admin, base, status="failed")
    assert [e["external_id"] for e in failed] == ["A3"]


def test_line_breaks_in_a_name_or_subject_never_reach_the_headers(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    with session_scope() as session:
        # Past the API's own checks, as an old row or another writer might hold it.
        ada = session.scalars(select(Attendee).where(Attendee.external_id == "A1")).one()
        ada.name = "Ada\r\nBcc: victim@evil.example"
    admin.put(
        f"{base}/mail/templates/invitation",
        json={"subject": "Hi {{ attendee.name }}\r\nX-Injected: yes", "body": "{{ link }}"},
    )
    admin.patch(f"{base}/attendees/A2", json={"status": "cancelled"})
    admin.patch(f"{base}/attendees/A3", json={"status": "cancelled"})
    admin.post(f"{base}/mail/invitation:send")
    sender.run_pending()
    [(rcpts, message)] = inbox.messages
    assert rcpts == ["ada@engines.example"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "victim@evil.example" not in rcpts
    header_block = message.as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in header_block and "\nX-Injected" not in header_block


def test_preview_shows_the_exact_message_and_sends_nothing(
    admin: TestClient, base: str, inbox: Inbox
) -> None:
    response = admin.post(
        f"{base}/mail/invitation/preview",
        json={"attendee": "A1", "subject": "For {{ attendee.name }} at {{ conference.name }}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"] == "For Ada Lovelace at PyConf 2027"
    assert "ada@engines.example" in body["headers"]["To"]
    assert admin.get(f"{base}/attendees/A1").json()["link"] in body["text"]
    assert sender.run_pending() == 0 and inbox.messages == []


def test_no_smtp_configured_sends_nothing_and_says_so(admin: TestClient, base: str) -> None:
    status = admin.get(f"{base}/mail").json()
    assert status["configured"] is False and "mail-merge" in status["problem"]
    response = admin.post(f"{base}/mail/invitation:send")
    assert response.status_code == 409
    assert "mail-merge" in response.json()["detail"]
    assert log_of(admin, base) == []
    assert sender.run_pending() == 0


@pytest.mark.parametrize(
    "url",
    ["http://mail.example", "smtp://", "smtp://host:notaport", "smtp://user:pw@mail.example:25x"],
)
def test_smtp_url_that_does_not_parse_is_422_naming_it(
    admin: TestClient, base: str, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("HALLWAY_SMTP_URL", url)
    monkeypatch.setenv("HALLWAY_MAIL_FROM", "team@pyconf.example")
    get_settings.cache_clear()
    response = admin.post(f"{base}/mail/invitation:send")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "HALLWAY_SMTP_URL" in response.text
    assert log_of(admin, base) == []
    assert admin.get(f"{base}/mail").json()["configured"] is False


def test_a_password_is_never_sent_in_clear_text() -> None:
    with pytest.raises(ValueError, match="clear text"):
        smtp.parse_smtp_url("smtp://me:pw@127.0.0.1:25")
    server = smtp.parse_smtp_url("smtp://me:p%40ss@mail.example")
    assert server.starttls and server.port == 587 and server.password == "p@ss"
    assert "p@ss" not in server.describe()
    assert smtp.parse_smtp_url("smtps://me:pw@mail.example").port == 465
    assert not smtp.parse_smtp_url("smtp://127.0.0.1:2525").starttls


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "Hi {{ attendee.email }}", "body": "x"}, "subject"),
        ({"subject": "Hi", "body": "{{ attendee.phone }}"}, "body"),
        ({"subject": "Hi", "body": "{% for m in meals %}"}, "body"),
        ({"subject": "Hi", "body": "{{ unknown_field }}"}, "body"),
        ({"subject": "{{ ''.__class__.__mro__ }}", "body": "x"}, "subject"),
        ({"subject": "Hi", "body": "{{ conference.name | nosuchfilter }}"}, "body"),
    ],
)
def test_a_template_that_does_not_render_is_422_and_nothing_is_saved(
    admin: TestClient, base: str, body: dict[str, str], field: str
) -> None:
    response = admin.put(f"{base}/mail/templates/invitation", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["pointer"].endswith(f"/{field}")
    saved = admin.get(f"{base}/mail/templates/invitation").json()
    assert saved["custom"] is False
    preview = admin.post(f"{base}/mail/invitation/preview", json={"attendee": "A1", **body})
    assert preview.status_code == 422


def test_templates_save_and_reset(admin: TestClient, base: str) -> None:
    body = {"subject": "{{ conference.name }} — hello", "body": "Dear {{ attendee.name }}"}
    saved = admin.put(f"{base}/mail/templates/tables_ready", json=body)
    assert saved.status_code == 200 and saved.json()["custom"] is True
    assert admin.get(f"{base}/mail/templates/tables_ready").json()["subject"] == body["subject"]
    reset = admin.delete(f"{base}/mail/templates/tables_ready").json()
    assert reset["custom"] is False and "ready" in reset["subject"]
    assert admin.get(f"{base}/mail/templates/nope").status_code == 422


def test_rate_limit_holds_the_rest_for_the_next_minute(
    admin: TestClient, base: str, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLWAY_MAIL_PER_MINUTE", "2")
    get_settings.cache_clear()
    admin.post(f"{base}/mail/invitation:send")
    assert sender.run_pending() == 2
    assert sender.run_pending() == 0
    assert len(inbox.messages) == 2
    assert admin.get(f"{base}/mail").json()["progress"]["invitation"]["queued"] == 1
