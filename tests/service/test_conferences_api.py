"""Conference routes and the error format."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_create_get_patch(admin: TestClient) -> None:
    created = admin.post(
        "/v1/conferences",
        json={
            "slug": "euro-py",
            "name": "EuroPy",
            "timezone": "Europe/Prague",
            "starts_on": "2027-07-01",
            "ends_on": "2027-07-03",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["slug"] == "euro-py" and body["timezone"] == "Europe/Prague"
    assert body["created_at"].endswith("Z") or "+00:00" in body["created_at"]
    by_slug = admin.get("/v1/conferences/euro-py")
    by_id = admin.get(f"/v1/conferences/{body['id']}")
    assert by_slug.json() == by_id.json() == body
    patched = admin.patch(f"/v1/conferences/{body['id']}", json={"name": "EuroPy 2027"})
    assert patched.status_code == 200 and patched.json()["name"] == "EuroPy 2027"
    assert admin.get("/v1/conferences/euro-py").json()["name"] == "EuroPy 2027"


def test_duplicate_slug_is_409(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.post("/v1/conferences", json={"slug": conference["slug"], "name": "Again"})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_validation_errors_point_at_each_field(admin: TestClient) -> None:
    response = admin.post(
        "/v1/conferences", json={"slug": "Not A Slug!", "name": "", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"].endswith("/invalid") and body["status"] == 422
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"#/body/slug", "#/body/name", "#/body/timezone"} <= pointers


def test_dates_must_be_in_order(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.patch(
        f"/v1/conferences/{conference['id']}",
        json={"starts_on": "2027-05-02", "ends_on": "2027-05-01"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/body/ends_on"


def test_unknown_conference_and_route_are_problems(admin: TestClient) -> None:
    missing = admin.get("/v1/conferences/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Conference 'nothing-here' was not found."
    route = admin.get("/v1/no-such-route")
    assert route.status_code == 404
    assert route.headers["content-type"].startswith("application/problem+json")


def test_changes_are_audited(
    admin: TestClient, conference: dict[str, Any], settings_env: str
) -> None:
    import uuid

    from service.audit import service as audit
    from service.db import session_scope

    admin.patch(f"/v1/conferences/{conference['id']}", json={"location": "Berlin"})
    with session_scope() as session:
        events = audit.list_events(session, conference_id=uuid.UUID(conference["id"]))
        actions = [e.action for e in events]
        actors = {e.actor for e in events}
    assert actions[:2] == ["conference.updated", "conference.created"]
    assert all(a.startswith("key:") for a in actors)


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def has_example(media: dict[str, Any]) -> bool:
        if media.get("example") or media.get("examples"):
            return True
        options = media["schema"].get("anyOf", [media["schema"]])
        names = [o["$ref"].rsplit("/", 1)[1] for o in options if "$ref" in o]
        return any(schemas[name].get("examples") for name in names)

    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation.get("description"), f"{method.upper()} {path} has no description"
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert has_example(body["application/json"]), f"{method.upper()} {path}: no example"
