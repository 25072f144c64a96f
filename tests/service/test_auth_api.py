"""API keys: 401 without a valid key, 404 for another conference's key, scopes enforced."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def test_missing_key_is_401_problem(client: TestClient) -> None:
    response = client.get("/v1/conferences")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("/unauthorized")


def test_wrong_key_and_wrong_scheme_are_401(client: TestClient, admin_key: str) -> None:
    assert (
        client.get("/v1/conferences", headers={"Authorization": "Bearer hw_nope"}).status_code
        == 401
    )
    basic = client.get("/v1/conferences", headers={"Authorization": f"Basic {admin_key}"})
    assert basic.status_code == 401


def test_admin_key_creates_conference_key_shown_once(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    created = admin.post(
        f"/v1/conferences/{conference['id']}/keys", json={"name": "pretix", "scopes": ["ingest"]}
    )
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("hw_") and key["scopes"] == ["ingest"]
    listed = admin.get(f"/v1/conferences/{conference['id']}/keys").json()
    assert [k["prefix"] for k in listed] == [key["prefix"]]
    assert all("key" not in k for k in listed)


def test_key_is_stored_hashed(
    admin: TestClient, conference: dict[str, Any], settings_env: str
) -> None:
    from sqlalchemy import select

    from service.db import session_scope
    from service.models import ApiKey

    secret = admin.post(f"/v1/conferences/{conference['id']}/keys", json={}).json()["key"]
    with session_scope() as session:
        hashes = list(session.scalars(select(ApiKey.key_hash)))
    assert secret not in hashes
    assert all(len(h) == 64 for h in hashes)


def test_other_conferences_key_gets_404(
    admin: TestClient, conference: dict[str, Any], key_factory: Any
) -> None:
    other = admin.post("/v1/conferences", json={"slug": "other-conf", "name": "Other"}).json()
    other_key = key_factory(conference_id=_uuid(other["id"]), scopes=["read", "write"])
    headers = {"Authorization": f"Bearer {other_key}"}
    for path in (
        f"/v1/conferences/{conference['id']}",
        f"/v1/conferences/{conference['slug']}/attendees",
        f"/v1/conferences/{conference['id']}/rounds",
    ):
        response = admin.get(path, headers=headers)
        assert response.status_code == 404, path
    # ... exactly as for a conference that does not exist at all.
    missing = admin.get("/v1/conferences/no-such-conf", headers=headers)
    assert missing.status_code == 404
    assert admin.get(f"/v1/conferences/{other['id']}", headers=headers).status_code == 200
    visible = admin.get("/v1/conferences", headers=headers).json()
    assert [c["slug"] for c in visible] == ["other-conf"]


def test_scopes_are_enforced(
    admin: TestClient, conference: dict[str, Any], key_factory: Any
) -> None:
    cid = _uuid(conference["id"])
    read_only = {"Authorization": f"Bearer {key_factory(conference_id=cid, scopes=['read'])}"}
    ingest = {"Authorization": f"Bearer {key_factory(conference_id=cid, scopes=['ingest'])}"}
    body = {"name": "Ada"}
    put = admin.put(f"/v1/conferences/{cid}/attendees/a1", json=body, headers=read_only)
    assert put.status_code == 403
    assert (
        admin.put(f"/v1/conferences/{cid}/attendees/a1", json=body, headers=ingest).status_code
        == 201
    )
    # Ingest keys push attendees but do not manage meals.
    round_body = {"name": "Lunch 1", "kind": "lunch", "table_size": 8}
    assert (
        admin.post(f"/v1/conferences/{cid}/rounds", json=round_body, headers=ingest).status_code
        == 403
    )
    # Only admin keys create conferences and keys.
    assert (
        admin.post("/v1/conferences", json={"slug": "x-y", "name": "X"}, headers=ingest).status_code
        == 403
    )
    assert admin.post(f"/v1/conferences/{cid}/keys", json={}, headers=ingest).status_code == 403


def test_revoked_key_stops_working(admin: TestClient, conference: dict[str, Any]) -> None:
    key = admin.post(f"/v1/conferences/{conference['id']}/keys", json={"scopes": ["read"]}).json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert admin.get(f"/v1/conferences/{conference['id']}", headers=headers).status_code == 200
    revoked = admin.delete(f"/v1/conferences/{conference['id']}/keys/{key['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert admin.get(f"/v1/conferences/{conference['id']}", headers=headers).status_code == 401


def test_unknown_scope_is_rejected(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.post(f"/v1/conferences/{conference['id']}/keys", json={"scopes": ["root"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"].startswith("#/body/scopes")


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


PRIVATE = {
    "email": "ada.private@example.org",
    "dietary": "DIET-secret-no-nuts",
    "accessibility": "ACCESS-secret-ramp",
}
#: What may be in an ingest key's answer about an attendee.
RECEIPT_FIELDS = {"id", "external_id", "status", "created_at", "updated_at"}


@pytest.fixture
def ingest(admin: TestClient, conference: dict[str, Any], key_factory: Any) -> dict[str, Any]:
    """An ingest key and an attendee with an e-mail, notes and a private link."""
    cid = _uuid(conference["id"])
    base = f"/v1/conferences/{cid}"
    made = admin.put(f"{base}/attendees/a1", json={"name": "Ada", **PRIVATE})
    assert made.status_code == 201 and "/me/" in made.json()["link"]
    key = key_factory(conference_id=cid, scopes=["ingest"])
    return {"base": base, "headers": {"Authorization": f"Bearer {key}"}}


def assert_nothing_private(body: str) -> None:
    for value in (*PRIVATE.values(), "/me/", "link"):
        assert value not in body, f"{value!r} in {body[:300]}"


def test_ingest_key_cannot_read_attendees(admin: TestClient, ingest: dict[str, Any]) -> None:
    base, headers = ingest["base"], ingest["headers"]
    assert admin.get(f"{base}/attendees/a1", headers=headers).status_code == 403
    assert admin.get(f"{base}/attendees", headers=headers).status_code == 403


def test_ingest_key_put_with_empty_body_returns_no_email_or_link(
    admin: TestClient, ingest: dict[str, Any]
) -> None:
    base, headers = ingest["base"], ingest["headers"]
    unchanged = admin.put(f"{base}/attendees/a1", json={}, headers=headers)
    assert unchanged.status_code == 200, unchanged.text
    assert set(unchanged.json()) == RECEIPT_FIELDS
    assert unchanged.json()["external_id"] == "a1"
    assert_nothing_private(unchanged.text)
    created = admin.put(f"{base}/attendees/a2", json={"name": "Bo", **PRIVATE}, headers=headers)
    assert created.status_code == 201, created.text
    assert set(created.json()) == RECEIPT_FIELDS
    assert_nothing_private(created.text)


def test_ingest_key_patch_returns_no_email_or_link(
    admin: TestClient, ingest: dict[str, Any]
) -> None:
    base, headers = ingest["base"], ingest["headers"]
    patched = admin.patch(f"{base}/attendees/a1", json={"status": "cancelled"}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "cancelled"
    assert set(patched.json()) == RECEIPT_FIELDS
    assert_nothing_private(patched.text)


def test_ingest_key_batch_and_import_return_nothing_private(
    admin: TestClient, ingest: dict[str, Any]
) -> None:
    base, headers = ingest["base"], ingest["headers"]
    batch = admin.post(
        f"{base}/attendees:batch",
        json={"attendees": [{"external_id": "a1"}, {"external_id": "a3", "name": "Cy", **PRIVATE}]},
        headers=headers,
    )
    assert batch.status_code == 200, batch.text
    assert [r["status"] for r in batch.json()["results"]] == ["unchanged", "created"]
    assert_nothing_private(batch.text)
    upload = b"id,name\na1,Ada\na4,Dee\n"
    imported = admin.post(
        f"{base}/attendees/import", files={"file": ("a.csv", upload)}, headers=headers
    )
    assert imported.status_code == 200, imported.text
    assert_nothing_private(imported.text)


def test_keys_that_may_read_still_get_the_whole_attendee(
    admin: TestClient, conference: dict[str, Any], key_factory: Any
) -> None:
    cid = _uuid(conference["id"])
    organizer = key_factory(conference_id=cid, scopes=["read", "write"])
    headers = {"Authorization": f"Bearer {organizer}"}
    put = admin.put(
        f"/v1/conferences/{cid}/attendees/a1", json={"name": "Ada", **PRIVATE}, headers=headers
    )
    assert put.status_code == 201
    assert put.json()["email"] == PRIVATE["email"] and "/me/" in put.json()["link"]
    # A write-only key may change attendees but not read them, so it gets a receipt too.
    writer = {"Authorization": f"Bearer {key_factory(conference_id=cid, scopes=['write'])}"}
    revoked = admin.post(f"/v1/conferences/{cid}/attendees/a1/link:revoke", headers=writer)
    assert revoked.status_code == 200
    assert set(revoked.json()) == RECEIPT_FIELDS
