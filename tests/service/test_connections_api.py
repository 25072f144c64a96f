"""Registration connections over the API: creating, listing, the webhook address and its guards."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service import net
from service.connections.models import Connection, ConnectionDelivery, ConnectionLogEntry
from service.db import session_scope

FIXTURES = Path(__file__).parent.parent / "fixtures" / "platforms"
PRETIX_TOKEN = "pretix-token-3f9a8c7e1b2d4f6a"
TITO_TOKEN = "tito-token-a1b2c3d4e5f6"
TITO_SECRET = "tito-signing-secret-9988"
EVENTBRITE_TOKEN = "EVENTBRITEPRIVATETOKEN42"
SECRETS = (PRETIX_TOKEN, TITO_TOKEN, TITO_SECRET, EVENTBRITE_TOKEN)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every host name resolves to a public address (no network in tests)."""
    monkeypatch.setattr(net, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])


def make_connection(admin: TestClient, conference: dict[str, Any], platform: str) -> dict[str, Any]:
    bodies: dict[str, dict[str, Any]] = {
        "pretix": {
            "platform": "pretix",
            "name": "Shop",
            "organizer": "pyconf",
            "event": "pyconf27",
            "token": PRETIX_TOKEN,
        },
        "tito": {
            "platform": "tito",
            "event": "hallway-org/hallway-conf-27",
            "token": TITO_TOKEN,
            "signing_secret": TITO_SECRET,
        },
        "eventbrite": {
            "platform": "eventbrite",
            "event": "717926867587",
            "token": EVENTBRITE_TOKEN,
        },
    }
    response = admin.post(f"/v1/conferences/{conference['id']}/connections", json=bodies[platform])
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def hook_path(created: dict[str, Any]) -> str:
    url: str = created["webhook_url"]
    assert url.startswith("http://hallway.test/v1/hooks/")
    return url.removeprefix("http://hallway.test")


def tito_signature(body: bytes, secret: str = TITO_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def deliveries() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(ConnectionDelivery)) or 0


def log_messages(connection_id: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.scalars(
            select(ConnectionLogEntry)
            .where(ConnectionLogEntry.connection_id == uuid.UUID(connection_id))
            .order_by(ConnectionLogEntry.created_at)
        )
        return [(row.kind, row.message) for row in rows]


# --- creating and reading -------------------------------------------------------------------


def test_create_pretix_connection_gives_webhook_url_and_never_the_token(
    admin: TestClient, conference: dict[str, Any], public_dns: None
) -> None:
    created = make_connection(admin, conference, "pretix")
    assert created["platform"] == "pretix"
    assert created["base_url"] == "https://pretix.eu"
    assert created["organizer"] == "pyconf" and created["event"] == "pyconf27"
    assert created["webhook_url"].startswith(f"http://hallway.test/v1/hooks/{created['id']}/")
    assert_no_secrets(json.dumps(created))
    listed = admin.get(f"/v1/conferences/{conference['id']}/connections")
    one = admin.get(f"/v1/conferences/{conference['id']}/connections/{created['id']}")
    assert listed.status_code == 200 and one.status_code == 200
    assert [c["id"] for c in listed.json()] == [created["id"]]
    for response in (listed, one):
        assert_no_secrets(response.text)
        assert "webhook_url" not in response.text
    # Stored encrypted, and only the hash of the URL's secret.
    with session_scope() as session:
        row = session.get_one(Connection, uuid.UUID(created["id"]))
        assert PRETIX_TOKEN not in row.token_encrypted
        assert created["webhook_url"].rsplit("/", 1)[1] not in row.hook_secret_hash


def test_tito_connection_needs_signing_secret_and_account_slash_event(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    response = admin.post(
        f"/v1/conferences/{conference['id']}/connections",
        json={"platform": "tito", "event": "just-an-event", "token": TITO_TOKEN},
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"#/body/event", "#/body/signing_secret"}
    assert_no_secrets(response.text)


def test_pretix_connection_needs_organizer_and_a_public_https_address(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    url = f"/v1/conferences/{conference['id']}/connections"
    missing = admin.post(url, json={"platform": "pretix", "event": "e", "token": PRETIX_TOKEN})
    assert missing.status_code == 422
    assert [e["pointer"] for e in missing.json()["errors"]] == ["#/body/organizer"]
    private = admin.post(
        url,
        json={
            "platform": "pretix",
            "event": "e",
            "organizer": "o",
            "base_url": "https://10.1.2.3",
            "token": PRETIX_TOKEN,
        },
    )
    assert private.status_code == 422
    assert [e["pointer"] for e in private.json()["errors"]] == ["#/body/base_url"]
    assert_no_secrets(private.text)
    assert admin.get(url).json() == []


def test_bad_platform_and_unknown_fields_are_422(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    url = f"/v1/conferences/{conference['id']}/connections"
    response = admin.post(url, json={"platform": "meetup", "event": "1", "token": "x"})
    assert response.status_code == 422
    assert any(e["pointer"] == "#/body/platform" for e in response.json()["errors"])
    nul = admin.post(url, json={"platform": "eventbrite", "event": "1", "token": "a\x00b"})
    assert nul.status_code == 422


def test_read_key_cannot_create_and_other_conference_gets_404(
    client: TestClient, admin: TestClient, conference: dict[str, Any], key_factory: Any
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    reader = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read"])
    response = client.post(
        f"/v1/conferences/{conference['id']}/connections",
        json={"platform": "eventbrite", "event": "1", "token": "t"},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert response.status_code == 403
    other = admin.post("/v1/conferences", json={"slug": "other", "name": "Other"}).json()
    assert (
        admin.get(f"/v1/conferences/{other['id']}/connections/{created['id']}").status_code == 404
    )


def test_rotating_the_webhook_url_retires_the_old_one(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    old = hook_path(created)
    rotated = admin.post(
        f"/v1/conferences/{conference['id']}/connections/{created['id']}/webhook-url"
    )
    assert rotated.status_code == 200
    new = rotated.json()["webhook_url"].removeprefix("http://hallway.test")
    assert new != old
    body = fixture_bytes("eventbrite_webhook_attendee_updated.json")
    assert admin.post(old, content=body).status_code == 401
    assert admin.post(new, content=body).status_code == 202


def test_delete_connection_stops_its_webhook(admin: TestClient, conference: dict[str, Any]) -> None:
    created = make_connection(admin, conference, "eventbrite")
    path = f"/v1/conferences/{conference['id']}/connections/{created['id']}"
    assert admin.delete(path).status_code == 204
    assert admin.get(path).status_code == 404
    body = fixture_bytes("eventbrite_webhook_attendee_updated.json")
    assert admin.post(hook_path(created), content=body).status_code == 404


# --- the webhook address ---------------------------------------------------------------------


def test_webhook_is_stored_and_answered_202_without_api_key(
    client: TestClient, admin: TestClient, conference: dict[str, Any], public_dns: None
) -> None:
    created = make_connection(admin, conference, "pretix")
    path = hook_path(created)
    anonymous = TestClient(client.app)
    response = anonymous.post(path, content=fixture_bytes("pretix_webhook_order_placed.json"))
    assert response.status_code == 202, response.text
    delivery_id = response.json()["delivery_id"]
    with session_scope() as session:
        row = session.get_one(ConnectionDelivery, uuid.UUID(delivery_id))
        assert (row.status, row.dedup_key) == ("received", "pretix:123455")
    log = admin.get(f"/v1/conferences/{conference['id']}/connections/{created['id']}/log")
    assert log.status_code == 200
    assert [e["kind"] for e in log.json()["items"]] == ["received", "connection"]


def test_wrong_url_secret_is_401_and_unknown_connection_404(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    body = fixture_bytes("eventbrite_webhook_attendee_updated.json")
    wrong = client.post(f"/v1/hooks/{created['id']}/not-the-secret", content=body)
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    unknown = client.post(f"/v1/hooks/{uuid.uuid4()}/whatever", content=body)
    assert unknown.status_code == 404
    assert client.post("/v1/hooks/not-a-uuid/whatever", content=body).status_code == 404
    assert deliveries() == 0


def test_tito_valid_signature_is_accepted(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "tito")
    body = fixture_bytes("tito_webhook_ticket_completed.json")
    response = client.post(
        hook_path(created),
        content=body,
        headers={"Tito-Signature": tito_signature(body), "X-Webhook-Name": "ticket.completed"},
    )
    assert response.status_code == 202, response.text
    with session_scope() as session:
        row = session.get_one(ConnectionDelivery, uuid.UUID(response.json()["delivery_id"]))
        assert row.action == "ticket.completed"


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90LXRoZS1zaWduYXR1cmU=", tito_signature(b"another body"), "wrong-secret"],
)
def test_tito_bad_signature_is_401_before_the_body_is_read(
    client: TestClient, admin: TestClient, conference: dict[str, Any], signature: str | None
) -> None:
    created = make_connection(admin, conference, "tito")
    body = fixture_bytes("tito_webhook_ticket_completed.json")
    if signature == "wrong-secret":
        signature = tito_signature(body, secret="not-the-secret")
    headers = {"Tito-Signature": signature} if signature is not None else {}
    response = client.post(hook_path(created), content=body, headers=headers)
    assert response.status_code == 401
    # A malformed body with a bad signature is refused for the signature: it is never parsed.
    garbage = client.post(hook_path(created), content=b"{not json", headers=headers)
    assert garbage.status_code == 401
    assert deliveries() == 0


def test_eventbrite_api_url_to_a_foreign_host_is_refused_and_logged(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    for api_url in (
        "https://evil.example/v3/orders/1/",
        "http://www.eventbriteapi.com/v3/orders/1/",
        "https://www.eventbriteapi.com.evil.example/v3/orders/1/",
        "https://user@www.eventbriteapi.com:8443/v3/orders/1/",
        "https://169.254.169.254/latest/meta-data/",
    ):
        body = json.dumps({"config": {"action": "order.placed"}, "api_url": api_url}).encode()
        response = client.post(hook_path(created), content=body)
        assert response.status_code == 422, api_url
        assert response.headers["content-type"] == "application/problem+json"
    assert deliveries() == 0
    refused = [m for kind, m in log_messages(created["id"]) if kind == "refused"]
    assert len(refused) == 5
    assert "evil.example" in refused[0]


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"notification_id": 1}', b'{"code": "../x", "action": 1}'],
)
def test_malformed_pretix_body_is_problem_json_logged_and_not_stored(
    client: TestClient, admin: TestClient, conference: dict[str, Any], public_dns: None, body: bytes
) -> None:
    created = make_connection(admin, conference, "pretix")
    response = client.post(hook_path(created), content=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert deliveries() == 0
    assert [kind for kind, _ in log_messages(created["id"])] == ["connection", "refused"]


def test_oversized_webhook_is_413_logged_and_not_stored(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    body = b'{"config": {"action": "x"}, "pad": "' + b"a" * 300_000 + b'"}'
    response = client.post(hook_path(created), content=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks() -> Any:
        yield body[:1000]
        yield body[1000:]

    streamed = client.post(hook_path(created), content=chunks())
    assert streamed.status_code == 413
    assert deliveries() == 0
    assert [kind for kind, _ in log_messages(created["id"])].count("refused") == 2


def test_same_delivery_twice_is_stored_once(
    client: TestClient, admin: TestClient, conference: dict[str, Any], public_dns: None
) -> None:
    created = make_connection(admin, conference, "pretix")
    body = fixture_bytes("pretix_webhook_order_placed.json")
    first = client.post(hook_path(created), content=body)
    again = client.post(hook_path(created), content=body)
    assert first.status_code == again.status_code == 202
    assert first.json()["delivery_id"] == again.json()["delivery_id"]
    assert again.json()["duplicate"] is True
    # Another notification about the same order is a delivery of its own.
    other = json.loads(body) | {"notification_id": 123456, "action": "pretix.event.order.paid"}
    third = client.post(hook_path(created), content=json.dumps(other).encode())
    assert third.json()["delivery_id"] != first.json()["delivery_id"]
    assert deliveries() == 2


def test_sync_is_queued_once_and_readable(admin: TestClient, conference: dict[str, Any]) -> None:
    created = make_connection(admin, conference, "eventbrite")
    base = f"/v1/conferences/{conference['id']}/connections/{created['id']}"
    first = admin.post(f"{base}/sync")
    again = admin.post(f"{base}/sync")
    assert first.status_code == again.status_code == 202
    assert first.json()["sync_id"] == again.json()["sync_id"]
    sync = admin.get(f"{base}/syncs/{first.json()['sync_id']}")
    assert sync.status_code == 200
    assert sync.json()["status"] == "queued"
    assert sync.json()["counts"] == {
        "created": 0, "updated": 0, "cancelled": 0, "unchanged": 0, "ignored": 0, "invalid": 0
    }  # fmt: skip
    assert admin.get(f"{base}/syncs/{uuid.uuid4()}").status_code == 404
    assert admin.get(base).json()["last_sync"]["id"] == first.json()["sync_id"]


def test_log_pages_with_a_cursor_and_refuses_a_bad_one(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    for number in range(3):
        body = json.dumps(
            {
                "config": {"action": "attendee.updated"},
                "api_url": f"https://www.eventbriteapi.com/v3/events/717926867587/attendees/{number}/",
            }
        ).encode()
        assert client.post(hook_path(created), content=body).status_code == 202
    base = f"/v1/conferences/{conference['id']}/connections/{created['id']}/log"
    first = admin.get(base, params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = admin.get(base, params={"limit": 2, "before": first["next_cursor"]}).json()
    seen = [e["id"] for e in first["items"] + rest["items"]]
    assert len(seen) == len(set(seen)) == 4
    assert rest["next_cursor"] is None
    assert admin.get(base, params={"before": "garbage"}).status_code == 422


def test_patch_stores_a_new_signing_secret_and_never_shows_it(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "tito")
    path = f"/v1/conferences/{conference['id']}/connections/{created['id']}"
    body = fixture_bytes("tito_webhook_ticket_completed.json")
    new_secret = "the-endpoint-security-token"
    signed = {"Tito-Signature": tito_signature(body, secret=new_secret)}
    assert client.post(hook_path(created), content=body, headers=signed).status_code == 401
    changed = admin.patch(path, json={"signing_secret": new_secret, "name": "Tito shop"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Tito shop"
    assert new_secret not in changed.text
    assert client.post(hook_path(created), content=body, headers=signed).status_code == 202
    assert admin.patch(path, json={"token": None}).status_code == 422
    eventbrite = make_connection(admin, conference, "eventbrite")
    refused = admin.patch(
        f"/v1/conferences/{conference['id']}/connections/{eventbrite['id']}",
        json={"signing_secret": "x"},
    )
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.json()["errors"]] == ["#/body/signing_secret"]
