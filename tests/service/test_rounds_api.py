"""Round routes: table plans, times in the venue's zone, CRUD."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _base(conference: dict[str, Any]) -> str:
    return f"/v1/conferences/{conference['id']}/rounds"


def test_round_crud(admin: TestClient, conference: dict[str, Any]) -> None:
    created = admin.post(
        _base(conference),
        json={
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00",
            "table_size": 8,
        },
    )
    assert created.status_code == 201
    body = created.json()
    # No offset given: read in the conference's zone (Europe/Berlin, +02:00 in April).
    assert body["starts_at"] == "2027-04-14T12:30:00+02:00"
    url = f"{_base(conference)}/{body['id']}"
    assert admin.get(url).json() == body
    patched = admin.patch(url, json={"capacities": [6, 6, 8], "location": "Hall C"})
    assert patched.status_code == 200
    assert patched.json()["capacities"] == [6, 6, 8] and patched.json()["table_size"] is None
    dinner = admin.post(
        _base(conference),
        json={
            "name": "Dinner",
            "kind": "dinner",
            "starts_at": "2027-04-13T19:00:00+02:00",
            "table_size": 6,
        },
    )
    assert dinner.status_code == 201
    listed = [r["name"] for r in admin.get(_base(conference)).json()]
    assert listed == ["Dinner", "Lunch 1"]
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404


def test_round_validation(admin: TestClient, conference: dict[str, Any]) -> None:
    both = admin.post(
        _base(conference), json={"name": "L", "kind": "lunch", "table_size": 8, "capacities": [8]}
    )
    assert both.status_code == 422
    neither = admin.post(_base(conference), json={"name": "L", "kind": "lunch"})
    assert neither.status_code == 422
    tiny = admin.post(_base(conference), json={"name": "L", "kind": "lunch", "table_size": 1})
    assert tiny.status_code == 422 and tiny.json()["errors"][0]["pointer"] == "#/body/table_size"
    kind = admin.post(_base(conference), json={"name": "L", "kind": "brunch", "table_size": 4})
    assert kind.status_code == 422 and kind.json()["errors"][0]["pointer"] == "#/body/kind"


def test_round_names_are_unique(admin: TestClient, conference: dict[str, Any]) -> None:
    body = {"name": "Lunch 1", "kind": "lunch", "table_size": 8}
    assert admin.post(_base(conference), json=body).status_code == 201
    assert admin.post(_base(conference), json=body).status_code == 409


def test_unknown_round_is_404(admin: TestClient, conference: dict[str, Any]) -> None:
    url = f"{_base(conference)}/00000000-0000-0000-0000-000000000000"
    assert admin.get(url).status_code == 404
    assert admin.patch(url, json={"location": "x"}).status_code == 404
    assert admin.delete(url).status_code == 404


def test_patch_cannot_clear_required_fields(admin: TestClient, conference: dict[str, Any]) -> None:
    body = {"name": "Lunch 1", "kind": "lunch", "table_size": 8}
    url = f"{_base(conference)}/{admin.post(_base(conference), json=body).json()['id']}"
    refused = admin.patch(url, json={"name": None})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "#/body/name"
    conf = admin.patch(f"/v1/conferences/{conference['id']}", json={"timezone": None})
    assert conf.status_code == 422 and conf.json()["errors"][0]["pointer"] == "#/body/timezone"
    assert admin.get(url).json()["name"] == "Lunch 1"
