"""Attendee routes: idempotent upserts, batches, listing, cancellation and erasure."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ADA = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.org",
    "affiliation": "Analytical Engines Ltd",
    "interests": "numerical computing and teaching",
    "languages": "en, fr",
    "solo": "yes",
    "dinner": True,
    "dietary": "vegetarian",
}


def _base(conference: dict[str, Any]) -> str:
    return f"/v1/conferences/{conference['id']}/attendees"


def test_put_is_idempotent_upsert(admin: TestClient, conference: dict[str, Any]) -> None:
    url = f"{_base(conference)}/T-1"
    first = admin.put(url, json=ADA)
    assert first.status_code == 201
    body = first.json()
    assert body["external_id"] == "T-1"
    assert body["email"] == "ada@example.org"
    assert body["languages"] == ["English", "French"]
    assert body["solo"] is True and body["status"] == "registered"
    assert body["link"].startswith("http://hallway.test/me/")
    again = admin.put(url, json=ADA)
    assert again.status_code == 200
    assert again.json()["updated_at"] == body["updated_at"]
    assert again.json()["link"] == body["link"]


def test_put_keeps_fields_it_does_not_send(admin: TestClient, conference: dict[str, Any]) -> None:
    url = f"{_base(conference)}/T-1"
    admin.put(url, json=ADA)
    # A registration system re-pushing name and company must not wipe the attendee's profile.
    response = admin.put(url, json={"name": "Ada King", "affiliation": "AE Ltd"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Ada King" and body["interests"] == ADA["interests"]


def test_put_rejects_bad_fields_with_pointers(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    response = admin.put(
        f"{_base(conference)}/T-2", json={"name": "Bob", "email": "not-an-email", "solo": "maybe"}
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert {"#/body/email", "#/body/solo"} <= pointers
    assert admin.get(f"{_base(conference)}/T-2").status_code == 404


def test_new_attendee_needs_a_name(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.put(f"{_base(conference)}/T-3", json={"affiliation": "ACME"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/body/name"


def test_body_id_must_match_path(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.put(f"{_base(conference)}/T-4", json={"external_id": "T-5", "name": "X"})
    assert response.status_code == 422


def test_patch_cancel_and_unknown(admin: TestClient, conference: dict[str, Any]) -> None:
    url = f"{_base(conference)}/T-1"
    admin.put(url, json=ADA)
    cancelled = admin.patch(url, json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert admin.get(url).json()["name"] == "Ada Lovelace"
    assert (
        admin.patch(f"{_base(conference)}/nobody", json={"status": "cancelled"}).status_code == 404
    )


def test_delete_erases_person(
    admin: TestClient, conference: dict[str, Any], settings_env: str
) -> None:
    from sqlalchemy import select

    from service.db import session_scope
    from service.models import Attendee

    url = f"{_base(conference)}/T-1"
    link = admin.put(url, json=ADA).json()["link"]
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    assert admin.delete(url).status_code == 404
    with session_scope() as session:
        rows = list(session.scalars(select(Attendee)))
    assert len(rows) == 1
    stored = rows[0]
    assert stored.email is None and stored.interests == "" and stored.dietary == ""
    assert "Ada" not in stored.name and stored.link_token_hash is None
    assert link.rsplit("/", 1)[1] not in repr(vars(stored))
    # A registration system still holding them cannot push them back under this id (a person
    # who registers again has a new one; see test_erased_registrations).
    assert admin.put(url, json={"name": "Ada Lovelace"}).status_code == 409


def test_batch_reports_each_item(admin: TestClient, conference: dict[str, Any]) -> None:
    admin.put(f"{_base(conference)}/T-1", json=ADA)
    items = [
        {"external_id": "T-1", **ADA},  # unchanged
        {"external_id": "T-1b", "name": "Grace Hopper", "affiliation": "Navy"},  # created
        {"external_id": "T-2", "name": "Bad", "email": "broken"},  # error
        {"name": "No id"},  # error
        {"external_id": "T-1b", "name": "Twice"},  # error: duplicate within the batch
    ]
    response = admin.post(f"{_base(conference)}:batch", json={"attendees": items})
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "unchanged",
        "created",
        "error",
        "error",
        "error",
    ]
    assert body["results"][2]["errors"][0]["pointer"] == "/email"
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 1, "error": 3}
    assert admin.get(f"{_base(conference)}/T-1b").json()["name"] == "Grace Hopper"
    assert admin.get(f"{_base(conference)}/T-2").status_code == 404
    update = admin.post(
        f"{_base(conference)}:batch",
        json={"attendees": [{"external_id": "T-1b", "hometown": "NYC"}]},
    )
    assert update.json()["results"][0]["status"] == "updated"


def test_batch_limit_is_413(
    admin: TestClient, conference: dict[str, Any], monkeypatch: Any
) -> None:
    from service.config import get_settings

    monkeypatch.setenv("HALLWAY_MAX_BATCH_ITEMS", "3")
    get_settings.cache_clear()
    items = [{"external_id": f"x{i}", "name": f"P{i}"} for i in range(4)]
    response = admin.post(f"{_base(conference)}:batch", json={"attendees": items})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert admin.get(_base(conference)).json()["items"] == []


def test_list_paginates_and_filters(admin: TestClient, conference: dict[str, Any]) -> None:
    items = [
        {
            "external_id": f"P{i:03d}",
            "name": f"Person {i}",
            "solo": i % 3 == 0,
            "dinner": i % 2 == 0,
            "status": "cancelled" if i == 7 else "registered",
        }
        for i in range(25)
    ]
    assert admin.post(f"{_base(conference)}:batch", json={"attendees": items}).status_code == 200
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        page = admin.get(_base(conference), params=params).json()
        seen += [a["external_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{i:03d}" for i in range(25)]
    solo = admin.get(_base(conference), params={"solo": True, "limit": 100}).json()["items"]
    assert {a["external_id"] for a in solo} == {f"P{i:03d}" for i in range(25) if i % 3 == 0}
    both = admin.get(_base(conference), params={"solo": True, "dinner": True}).json()["items"]
    assert {a["external_id"] for a in both} == {f"P{i:03d}" for i in range(25) if i % 6 == 0}
    cancelled = admin.get(_base(conference), params={"status": "cancelled"}).json()["items"]
    assert [a["external_id"] for a in cancelled] == ["P007"]
    assert admin.get(_base(conference), params={"cursor": "!!!"}).status_code == 422
    assert admin.get(_base(conference), params={"status": "gone"}).status_code == 422


def test_link_revocation(admin: TestClient, conference: dict[str, Any]) -> None:
    url = f"{_base(conference)}/T-1"
    old = admin.put(url, json=ADA).json()["link"]
    new = admin.post(f"{url}/link:revoke").json()["link"]
    assert new != old and admin.get(url).json()["link"] == new
