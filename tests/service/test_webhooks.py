"""Outbound webhooks: subscriptions, signed deliveries to a real receiver, retries, disabling."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Text, cast, func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service import net
from service.config import get_settings
from service.db import session_scope
from service.models import (
    AuditEvent,
    Conference,
    Plan,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from service.plans import service as plan_service
from service.plans import worker
from service.webhooks import sender
from tests.meals import add_lunch_and_dinner
from tests.service.receiver import Answer, Received, Receiver, serve

ALL_ATTENDEE_EVENTS = [
    "attendee.created",
    "attendee.updated",
    "attendee.cancelled",
    "attendee.profile_written",
]
ADA = {
    "name": "Ada Lovelace",
    "email": "ada@engines.example",
    "affiliation": "Analytical Engines",
    "interests": "notes on the engine",
    "dietary": "vegetarian",
}


@dataclass
class Hooks:
    """A receiver that verifies every signature and, like a careful receiver, processes each
    ``webhook-id`` once; it can be told to fail the next few requests."""

    receiver: Receiver
    secret: str = ""
    fail_next: int = 0
    status_when_failing: int = 500
    accepted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> Answer:
        try:
            body = Webhook(self.secret).verify(request.body, request.headers)
        except WebhookVerificationError:
            self.bad_signatures += 1
            return Answer(401, b"bad signature")
        if self.fail_next > 0:
            self.fail_next -= 1
            return Answer(self.status_when_failing, b"receiver is down")
        message = request.headers["webhook-id"]
        if message not in {m for m, _ in self.accepted}:
            self.accepted.append((message, body))
        return Answer(204, b"")

    @property
    def types(self) -> list[str]:
        return [body["type"] for _, body in self.accepted]

    def url(self) -> str:
        return self.receiver.url("/hallway")


@pytest.fixture
def loopback(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let webhooks go to http://127.0.0.1 (the receiver), as an operator may for tests."""
    monkeypatch.setenv("HALLWAY_ALLOW_HTTP_LOOPBACK", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def hooks(loopback: None) -> Iterator[Hooks]:
    with serve() as receiver:
        hooks = Hooks(receiver)
        receiver.respond = hooks.answer
        yield hooks


@pytest.fixture
def base(conference: dict[str, Any]) -> str:
    return f"/v1/conferences/{conference['id']}"


def subscribe(admin: TestClient, base: str, hooks: Hooks, events: list[str]) -> dict[str, Any]:
    response = admin.post(f"{base}/webhooks", json={"url": hooks.url(), "events": events})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    hooks.secret = created["secret"]
    return created


class Clock:
    """The worker's idea of now, moved by hand through the retry schedule."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def publish_replan(conference: dict[str, Any], *, plan_id: uuid.UUID, of: uuid.UUID) -> None:
    """Publish ``plan_id`` as a re-plan of the published plan ``of``."""
    with session_scope() as session:
        plan = session.get_one(Plan, plan_id)
        plan.based_on_id = of
        plan_service.publish(
            session,
            conference=session.get_one(Conference, uuid.UUID(conference["id"])),
            plan=plan,
            actor="test",
        )


def deliveries(admin: TestClient, base: str, webhook_id: str) -> list[dict[str, Any]]:
    response = admin.get(f"{base}/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- subscriptions ------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_stores_it_encrypted(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["plan.published"])
    assert created["secret"].startswith("whsec_")
    assert created["enabled"] is True and created["disabled_reason"] is None
    fetched = admin.get(f"{base}/webhooks/{created['id']}").json()
    listed = admin.get(f"{base}/webhooks").json()["items"]
    assert "secret" not in fetched and all("secret" not in item for item in listed)
    assert [item["id"] for item in listed] == [created["id"]]
    with session_scope() as session:
        stored = session.get_one(WebhookSubscription, uuid.UUID(created["id"]))
        assert created["secret"] not in stored.secret_encrypted
        assert created["secret"][6:] not in stored.secret_encrypted


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.1]/hook",
        "https://intranet.example.com/hook",  # resolves to a private address below
        "ftp://hooks.example.com/hook",
    ],
)
def test_private_and_non_https_urls_are_refused_with_422_naming_the_url(
    admin: TestClient, base: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(net, "resolve", lambda host, port: [ipaddress.ip_address("10.20.30.40")])
    response = admin.post(f"{base}/webhooks", json={"url": url, "events": ["plan.published"]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/body/url"]
    assert admin.get(f"{base}/webhooks").json()["items"] == []


@pytest.mark.parametrize("url", ["https://a..b/hook", "https://[::1/hook", "https://x:99999/"])
def test_malformed_urls_are_422_not_server_errors(admin: TestClient, base: str, url: str) -> None:
    response = admin.post(f"{base}/webhooks", json={"url": url, "events": ["plan.published"]})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "#/body/url"


def test_plain_http_to_loopback_is_refused_unless_the_operator_allows_it(
    admin: TestClient, base: str
) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["plan.published"]}
    refused = admin.post(f"{base}/webhooks", json=body)
    assert refused.status_code == 422
    assert "https://" in refused.json()["errors"][0]["detail"]


def test_unknown_events_and_fields_are_422(admin: TestClient, base: str, hooks: Hooks) -> None:
    for body, pointer in (
        ({"url": hooks.url(), "events": ["plan.exploded"]}, "#/body/events/0"),
        ({"url": hooks.url(), "events": []}, "#/body/events"),
        ({"url": hooks.url(), "events": ["plan.published"], "secret": "x"}, "#/body/secret"),
        ({"url": "https://exa\x00mple.com/", "events": ["plan.published"]}, "#/body/url"),
    ):
        response = admin.post(f"{base}/webhooks", json=body)
        assert response.status_code == 422, response.text
        assert pointer in [e["pointer"] for e in response.json()["errors"]]


def test_patch_checks_the_url_and_another_conferences_webhook_is_404(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["plan.published"])
    bad = admin.patch(f"{base}/webhooks/{created['id']}", json={"url": "https://10.1.1.1/"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "#/body/url"
    assert admin.get(f"{base}/webhooks/{created['id']}").json()["url"] == hooks.url()
    other = admin.post("/v1/conferences", json={"slug": "other", "name": "Other"}).json()
    assert admin.get(f"/v1/conferences/{other['id']}/webhooks/{created['id']}").status_code == 404
    assert admin.get(f"{base}/webhooks/{uuid.uuid4()}").status_code == 404
    assert admin.delete(f"{base}/webhooks/{created['id']}").status_code == 204
    assert admin.get(f"{base}/webhooks").json()["items"] == []


def test_read_keys_list_and_write_keys_manage(
    client: TestClient, base: str, conference: dict[str, Any], key_factory: Any, hooks: Hooks
) -> None:
    reader = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read"])
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get(f"{base}/webhooks", headers=headers).status_code == 200
    body = {"url": hooks.url(), "events": ["plan.published"]}
    assert client.post(f"{base}/webhooks", json=body, headers=headers).status_code == 403


# --- secret rotation ---------------------------------------------------------------------------


def _signatures(request: Received) -> list[str]:
    return request.headers["webhook-signature"].split(" ")


def _verifies(secret: str, request: Received) -> bool:
    try:
        Webhook(secret).verify(request.body, request.headers)
    except WebhookVerificationError:
        return False
    return True


def test_a_rotated_secret_signs_beside_the_new_one_until_its_time_is_up(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    old = created["secret"]
    rotated = admin.post(f"{base}/webhooks/{created['id']}/secret", json={"keep_old_for_hours": 2})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    shown = admin.get(f"{base}/webhooks/{created['id']}").json()
    assert "secret" not in shown
    until = datetime.fromisoformat(shown["previous_secret_until"])
    assert timedelta(hours=1.9) < until - datetime.now(UTC) <= timedelta(hours=2)

    # The receiver still checks with the old secret: nothing is refused meanwhile.
    assert admin.put(f"{base}/attendees/A1", json=ADA).status_code == 201
    assert sender.run_pending() == 1
    request = hooks.receiver.received[-1]
    assert len(_signatures(request)) == 2
    assert _verifies(old, request) and _verifies(new, request)
    assert hooks.bad_signatures == 0

    # Once the old secret's time is up, only the new one signs.
    with session_scope() as session:
        row = session.get_one(WebhookSubscription, uuid.UUID(created["id"]))
        row.previous_secret_until = datetime.now(UTC) - timedelta(seconds=1)
    assert admin.get(f"{base}/webhooks/{created['id']}").json()["previous_secret_until"] is None
    hooks.secret = new
    assert admin.put(f"{base}/attendees/A2", json={"name": "Grace"}).status_code == 201
    assert sender.run_pending() == 1
    request = hooks.receiver.received[-1]
    assert len(_signatures(request)) == 1
    assert _verifies(new, request) and not _verifies(old, request)
    assert hooks.types == ["attendee.created", "attendee.created"]
    with session_scope() as session:
        stored = session.get_one(WebhookSubscription, uuid.UUID(created["id"]))
        assert new not in stored.secret_encrypted and old not in (
            stored.previous_secret_encrypted or ""
        )
        rotations = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "webhook.secret_rotated")
        )
    assert rotations == 1


def test_a_rotation_with_no_overlap_stops_the_old_secret_at_once(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    old = created["secret"]
    rotated = admin.post(f"{base}/webhooks/{created['id']}/secret", json={"keep_old_for_hours": 0})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["previous_secret_until"] is None
    hooks.secret = rotated.json()["secret"]
    assert admin.put(f"{base}/attendees/A1", json=ADA).status_code == 201
    assert sender.run_pending() == 1
    request = hooks.receiver.received[-1]
    assert len(_signatures(request)) == 1 and not _verifies(old, request)
    assert hooks.bad_signatures == 0


def test_rotation_input_is_checked_and_needs_a_write_key(
    client: TestClient,
    admin: TestClient,
    base: str,
    conference: dict[str, Any],
    key_factory: Any,
    hooks: Hooks,
) -> None:
    created = subscribe(admin, base, hooks, ["plan.published"])
    url = f"{base}/webhooks/{created['id']}/secret"
    for body in ({"keep_old_for_hours": 169}, {"keep_old_for_hours": -1}, {"hours": 1}):
        refused = admin.post(url, json=body)
        assert refused.status_code == 422, body
    # No body: the old secret keeps signing for a day.
    default = admin.post(url)
    assert default.status_code == 200, default.text
    until = datetime.fromisoformat(default.json()["previous_secret_until"])
    assert timedelta(hours=23.9) < until - datetime.now(UTC) <= timedelta(hours=24)
    assert admin.post(f"{base}/webhooks/{uuid.uuid4()}/secret").status_code == 404
    reader = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read"])
    assert client.post(url, headers={"Authorization": f"Bearer {reader}"}).status_code == 403


# --- events and signed deliveries ---------------------------------------------------------------


def test_attendee_upserts_reach_a_receiver_signed_with_minimal_data(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ALL_ATTENDEE_EVENTS)
    assert admin.put(f"{base}/attendees/A1", json=ADA).status_code == 201
    moved = {"affiliation": "Babbage & Co"}
    assert admin.put(f"{base}/attendees/A1", json=moved).status_code == 200
    assert admin.put(f"{base}/attendees/A1", json=moved).status_code == 200
    assert admin.patch(f"{base}/attendees/A1", json={"status": "cancelled"}).status_code == 200

    assert sender.run_pending() == 3
    assert hooks.bad_signatures == 0
    # The unchanged PUT said nothing.
    assert hooks.types == ["attendee.created", "attendee.updated", "attendee.cancelled"]
    created, updated, cancelled = (body for _, body in hooks.accepted)
    assert created["data"]["attendee"] == {
        "external_id": "A1",
        "name": "Ada Lovelace",
        "status": "registered",
    }
    assert updated["data"]["changed"] == ["affiliation"]
    assert cancelled["data"]["attendee"]["status"] == "cancelled"
    assert cancelled["data"]["changed"] == ["status"]
    assert created["timestamp"].endswith("Z")
    raw = json.dumps([body for _, body in hooks.accepted])
    for secret in ("ada@engines.example", "vegetarian", "notes on the engine", "/me/", "Babbage"):
        assert secret not in raw
    # Every request says what it is.
    request = hooks.receiver.received[0]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")


def test_batches_emit_one_event_per_person_and_only_to_subscribers_of_that_event(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ["attendee.created"])
    batch = {
        "attendees": [
            {"external_id": "B1", "name": "Grace Hopper"},
            {"external_id": "B2", "name": "Edsger Dijkstra"},
        ]
    }
    response = admin.post(f"{base}/attendees:batch", json=batch)
    assert response.status_code == 200, response.text
    admin.put(f"{base}/attendees/B1", json={"affiliation": "Navy"})
    sender.run_pending()
    assert sorted(body["data"]["attendee"]["external_id"] for _, body in hooks.accepted) == [
        "B1",
        "B2",
    ]
    assert hooks.types == ["attendee.created", "attendee.created"]


def test_nothing_is_stored_for_a_conference_without_webhooks(admin: TestClient, base: str) -> None:
    assert admin.put(f"{base}/attendees/A1", json=ADA).status_code == 201
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_imports_emit_and_a_refused_import_sends_nothing(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ["attendee.created"])
    url = f"{base}/attendees/import"
    # A bad row: the import writes nothing, so its events are rolled back with it.
    refused = b"id,name,email\nC1,Cora,cora@example.com\nC2,Dan,not-an-email\n"
    response = admin.post(url, files={"file": ("people.csv", refused)})
    assert response.status_code == 422, response.text
    sender.run_pending()
    assert hooks.accepted == []
    good = b"id,name,email\nC1,Cora,cora@example.com\nC2,Dan,dan@example.com\n"
    assert admin.post(url, files={"file": ("people.csv", good)}).status_code == 200
    sender.run_pending()
    created = sorted(body["data"]["attendee"]["external_id"] for _, body in hooks.accepted)
    assert created == ["C1", "C2"]


def test_profile_written_on_the_attendee_page(
    admin: TestClient, base: str, hooks: Hooks, settings_env: str
) -> None:
    from service.app import create_app

    subscribe(admin, base, hooks, ALL_ATTENDEE_EVENTS)
    link = admin.put(f"{base}/attendees/A1", json=ADA).json()["link"]
    token = link.rsplit("/me/", 1)[1]
    visitor = TestClient(create_app())
    form = {"interests": "compilers", "hometown": "London", "languages": "en", "dinner": "yes"}
    assert visitor.post(f"/me/{token}", data=form, follow_redirects=False).status_code == 303
    sender.run_pending()
    assert hooks.types == ["attendee.created", "attendee.profile_written"]
    written = hooks.accepted[1][1]["data"]
    assert written["first"] is True
    assert written["changed"] == ["dinner", "hometown", "interests", "languages", "visibility"]
    assert "compilers" not in json.dumps(written) and "London" not in json.dumps(written)


def test_publish_sends_plan_published_and_a_replan_says_who_moved(
    admin: TestClient, base: str, hooks: Hooks, conference: dict[str, Any], plan_factory: Any
) -> None:
    for external_id, name in (("A1", "Ada"), ("A2", "Grace"), ("A3", "Edsger")):
        admin.put(f"{base}/attendees/{external_id}", json={"name": name, "dinner": True})
    add_lunch_and_dinner(admin, base)
    subscribe(admin, base, hooks, ["plan.published", "plan.replanned"])

    first = plan_factory(
        conference, {"Lunch 1": [["A1", "A2"], ["A3"]], "Dinner 1": [["A1", "A2", "A3"]]}
    )
    sender.run_pending()
    assert hooks.types == ["plan.published"]
    published = hooks.accepted[0][1]["data"]
    assert published["plan"]["id"] == str(first)
    assert published["plan"]["based_on_id"] is None
    assert published["conference"] == {"id": conference["id"], "slug": "pyconf-2027"}
    rounds = {r["name"]: r for r in published["rounds"]}
    assert (rounds["Lunch 1"]["tables"], rounds["Lunch 1"]["seated"]) == (2, 3)
    assert (rounds["Dinner 1"]["tables"], rounds["Dinner 1"]["seated"]) == (1, 3)
    assert rounds["Lunch 1"]["location"] == "Hall B"
    assert published["export"].endswith(f"/v1/conferences/{conference['id']}/export?format=json")

    second = plan_factory(
        conference,
        {"Lunch 1": [["A3", "A2"], ["A1"]], "Dinner 1": [["A1", "A2", "A3"]]},
        publish=False,
    )
    publish_replan(conference, plan_id=second, of=first)
    sender.run_pending()
    assert hooks.types == ["plan.published", "plan.published", "plan.replanned"]
    replanned = hooks.accepted[2][1]["data"]
    assert replanned["plan"]["based_on_id"] == str(first)
    assert replanned["moved"] == 2
    assert [r["name"] for r in replanned["rounds"]] == ["Lunch 1"]
    # Who moved and why, as the plan's moves (GET …/plans/{id}/moves) say it.
    assert replanned["rounds"][0]["moves"] == [
        {"attendee": "A1", "from": 1, "to": 2, "reason": "make-room"},
        {"attendee": "A3", "from": 2, "to": 1, "reason": "make-room"},
    ]
    moves = admin.get(f"{base}/plans/{second}/moves").json()["moves"]
    assert [(m["attendee"]["external_id"], m["reason"]) for m in moves] == [
        (m["attendee"], m["reason"]) for m in replanned["rounds"][0]["moves"]
    ]


# --- retries, the log, disabling, re-sending ---------------------------------------------------


def test_a_receiver_failing_three_times_gets_each_event_exactly_once(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    admin.put(f"{base}/attendees/A2", json={"name": "Grace"})
    hooks.fail_next = 3
    clock = Clock()
    # The first event's first attempt fails; the receiver is down, so the second event waits
    # with it (5 s) rather than being tried too. Nothing is due before that.
    assert sender.run_pending(clock=clock) == 1
    clock.advance(4)
    assert sender.run_pending(clock=clock) == 0
    clock.advance(1)
    assert sender.run_pending(clock=clock) == 1  # second failure: both wait 5 min
    clock.advance(5 * 60)
    assert sender.run_pending(clock=clock) == 1  # third failure: both wait 30 min
    clock.advance(30 * 60 - 1)
    assert sender.run_pending(clock=clock) == 0
    clock.advance(1)
    assert sender.run_pending(clock=clock) == 2  # the receiver is back: both accepted
    clock.advance(10 * 3600)
    assert sender.run_pending(clock=clock) == 0

    ids = [r.headers["webhook-id"] for r in hooks.receiver.received]
    assert len(ids) == 5 and len(set(ids)) == 2
    accepted = [message for message, _ in hooks.accepted]
    assert sorted(accepted) == sorted(set(ids))
    assert hooks.bad_signatures == 0
    with session_scope() as session:
        rows = session.scalars(select(WebhookDelivery)).all()
        assert sorted((d.status, d.attempts) for d in rows) == [("delivered", 1), ("delivered", 4)]


def test_the_delivery_log_shows_attempts_status_error_and_next_attempt(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    hooks.fail_next = 1
    clock = Clock()
    sender.run_pending(clock=clock)
    [entry] = deliveries(admin, base, created["id"])
    assert entry["status"] == "pending"
    assert entry["attempts"] == 1
    assert entry["last_status_code"] == 500
    assert "receiver is down" in entry["last_error"]
    assert entry["event_type"] == "attendee.created"
    assert entry["webhook_id"] == hooks.receiver.received[0].headers["webhook-id"]
    due = datetime.fromisoformat(entry["next_attempt_at"])
    assert abs((due - clock.now).total_seconds() - 5) < 1
    assert entry["payload"]["data"]["attendee"]["external_id"] == "A1"
    counts = admin.get(f"{base}/webhooks/{created['id']}").json()["deliveries"]
    assert counts == {"pending": 1, "sending": 0, "delivered": 0, "failed": 0}

    clock.advance(5)
    sender.run_pending(clock=clock)
    [entry] = deliveries(admin, base, created["id"])
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("delivered", 2, 204)
    assert entry["next_attempt_at"] is None and entry["last_error"] == ""
    filtered = admin.get(f"{base}/webhooks/{created['id']}/deliveries?status=failed").json()
    assert filtered == {"items": [], "total": 0, "next_cursor": None}


def test_redirects_are_failures_not_followed(admin: TestClient, base: str, hooks: Hooks) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    hooks.receiver.respond = lambda r: Answer(307, b"", {"Location": "https://10.0.0.1/"})
    sender.run_pending()
    [entry] = deliveries(admin, base, created["id"])
    assert entry["status"] == "pending" and entry["last_status_code"] == 307
    assert "not followed" in entry["last_error"]
    assert len(hooks.receiver.received) == 1


def test_a_webhook_is_disabled_when_a_delivery_exhausts_its_retries_and_can_be_resumed(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    hooks.fail_next = 1000
    clock = Clock()
    for wait in sender.SCHEDULE:
        clock.advance(wait)
        assert sender.run_pending(clock=clock) == 1
    assert len(hooks.receiver.received) == len(sender.SCHEDULE) == 8
    clock.advance(36000)
    assert sender.run_pending(clock=clock) == 0

    webhook = admin.get(f"{base}/webhooks/{created['id']}").json()
    assert webhook["enabled"] is False
    assert "8 failed attempts" in webhook["disabled_reason"]
    assert "receiver is down" in webhook["disabled_reason"]
    [entry] = deliveries(admin, base, created["id"])
    assert entry["status"] == "failed" and entry["next_attempt_at"] is None
    with session_scope() as session:
        told = session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.disabled"))
        assert [e.target_id for e in told] == [created["id"]]

    # While disabled nothing new is queued for it, and a re-send waits for it to be enabled.
    admin.put(f"{base}/attendees/A2", json={"name": "Grace"})
    assert len(deliveries(admin, base, created["id"])) == 1
    resend = f"{base}/webhooks/{created['id']}/deliveries/{entry['id']}/resend"
    assert admin.post(resend).status_code == 409

    enabled = admin.patch(f"{base}/webhooks/{created['id']}", json={"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    hooks.fail_next = 0
    again = admin.post(resend)
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "pending"
    assert sender.run_pending(clock=clock) == 1
    [entry] = deliveries(admin, base, created["id"])
    assert (entry["status"], entry["attempts"]) == ("delivered", 9)
    assert hooks.types == ["attendee.created"]
    # Every attempt, the re-send included, carried the event's one webhook-id.
    assert len({r.headers["webhook-id"] for r in hooks.receiver.received}) == 1


def test_resend_of_a_delivered_event_repeats_its_webhook_id(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    sender.run_pending()
    [entry] = deliveries(admin, base, created["id"])
    url = f"{base}/webhooks/{created['id']}/deliveries/{entry['id']}/resend"
    assert admin.post(url).status_code == 202
    assert sender.run_pending() == 1
    first, second = hooks.receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert len(hooks.accepted) == 1  # the receiver saw a repeat
    missing = f"{base}/webhooks/{created['id']}/deliveries/{uuid.uuid4()}/resend"
    assert admin.post(missing).status_code == 404


def test_workers_at_once_send_each_delivery_once(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ["attendee.created"])
    items = [{"external_id": f"P{i}", "name": f"Person {i}"} for i in range(12)]
    assert admin.post(f"{base}/attendees:batch", json={"attendees": items}).status_code == 200
    threads = [threading.Thread(target=sender.run_pending) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [r.headers["webhook-id"] for r in hooks.receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_a_delivery_left_sending_by_a_dead_worker_goes_again_with_its_id(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    clock = Clock()
    claimed = sender.claim(now=clock())
    assert claimed is not None
    # The worker died holding it: nobody else takes it at once...
    assert sender.run_pending(clock=clock) == 0
    clock.advance(sender.STALE_SENDING.total_seconds() + 1)
    assert sender.run_pending(clock=clock) == 1
    assert hooks.types == ["attendee.created"]


# --- erasure ------------------------------------------------------------------------------------


def test_erasure_leaves_nothing_of_the_person_in_stored_events(
    admin: TestClient, base: str, hooks: Hooks, conference: dict[str, Any], plan_factory: Any
) -> None:
    subscribe(admin, base, hooks, [*ALL_ATTENDEE_EVENTS, "plan.published", "plan.replanned"])
    for external_id, name in (("Q1", "Quilla Quartermain"), ("A2", "Grace"), ("A3", "Edsger")):
        admin.put(f"{base}/attendees/{external_id}", json={"name": name, "dinner": True})
    add_lunch_and_dinner(admin, base)
    first = plan_factory(
        conference, {"Lunch 1": [["Q1", "A2"], ["A3"]], "Dinner 1": [["Q1", "A2", "A3"]]}
    )
    second = plan_factory(
        conference,
        {"Lunch 1": [["A3", "A2"], ["Q1"]], "Dinner 1": [["Q1", "A2", "A3"]]},
        publish=False,
    )
    publish_replan(conference, plan_id=second, of=first)

    def stored(text: str) -> int:
        with session_scope() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(WebhookEvent)
                    .where(cast(WebhookEvent.payload, Text).contains(text))
                )
                or 0
            )

    assert stored("Quilla") == 1 and stored('"Q1"') == 2  # created; created and the moves
    assert admin.delete(f"{base}/attendees/Q1").status_code == 204
    assert stored("Quilla") == 0 and stored('"Q1"') == 0
    sender.run_pending()
    raw = json.dumps([body for _, body in hooks.accepted])
    assert "Quilla" not in raw and '"Q1"' not in raw
    assert hooks.types.count("plan.replanned") == 1


def test_old_events_are_deleted_with_their_log_once_nothing_is_left_to_send(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    sender.run_pending()
    hooks.fail_next = 1
    admin.put(f"{base}/attendees/A2", json={"name": "Grace"})
    sender.run_pending()  # A2 waits for its retry
    later = datetime.now(UTC) + sender.KEEP_EVENTS + timedelta(days=1)
    assert sender.prune(now=datetime.now(UTC)) == 0
    assert sender.prune(now=later) == 1
    [left] = deliveries(admin, base, created["id"])
    assert left["payload"]["data"]["attendee"]["external_id"] == "A2"


def test_the_plan_worker_sends_webhooks_on_its_own(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    deadline = time.monotonic() + 30
    worker.run_forever(
        poll_interval=0.05,
        should_stop=lambda: bool(hooks.accepted) or time.monotonic() > deadline,
    )
    assert hooks.types == ["attendee.created"]


def test_a_webhook_deleted_while_its_delivery_is_being_sent_is_no_error(
    admin: TestClient, base: str, hooks: Hooks
) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    admin.put(f"{base}/attendees/A1", json={"name": "Ada"})
    admin.put(f"{base}/attendees/A2", json={"name": "Grace"})
    clock = Clock()
    job = sender.claim_job(now=clock())
    assert job is not None
    assert admin.delete(f"{base}/webhooks/{created['id']}").status_code == 204
    assert sender.send(job, now=clock()) == "gone"
    assert sender.run_pending(clock=clock) == 0


def test_the_delivery_log_pages_with_a_cursor(admin: TestClient, base: str, hooks: Hooks) -> None:
    created = subscribe(admin, base, hooks, ["attendee.created"])
    items = [{"external_id": f"P{i}", "name": f"Person {i}"} for i in range(7)]
    assert admin.post(f"{base}/attendees:batch", json={"attendees": items}).status_code == 200
    url = f"{base}/webhooks/{created['id']}/deliveries"
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = admin.get(url, params=params).json()
        assert page["total"] == 7
        seen += [item["payload"]["data"]["attendee"]["external_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"P{i}" for i in range(7)]
    assert len(seen) == 7
    bad = admin.get(url, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "#/query/cursor"
