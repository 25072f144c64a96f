"""An erased attendee stays erased: no API write, import or registration sync brings them back."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.connections import worker
from service.db import session_scope
from service.models import Attendee, ErasedRegistration
from tests.service.test_connections_api import fixture_json
from tests.service.test_connections_worker import (
    api,  # noqa: F401  (a fixture)
    attendees,
    full_sync,
    log_entries,
    order_placed,
    pretix,  # noqa: F401  (a fixture)
    pretix_catalogue,
    public_dns,  # noqa: F401  (a fixture)
)

PRETIX_EVENT = "https://pretix.eu/api/v1/organizers/pyconf/events/pyconf27"
CSV = (
    b"external_id,name,email,interests\n"
    b"A-1,Ada Lovelace,ada@example.org,Engines\n"
    b"A-10,Grace Hopper,grace@example.org,Compilers\n"
)


def _base(conference: dict[str, Any]) -> str:
    return f"/v1/conferences/{conference['id']}"


def _import(admin: TestClient, conference: dict[str, Any], **params: str) -> Any:
    return admin.post(
        f"{_base(conference)}/attendees/import",
        params=params,
        files={"file": ("people.csv", CSV)},
    )


def _erase(admin: TestClient, conference: dict[str, Any], external_id: str) -> None:
    assert admin.delete(f"{_base(conference)}/attendees/{external_id}").status_code == 204


def _names(conference: dict[str, Any]) -> dict[str, str]:
    return {
        external_id: person.name
        for external_id, person in attendees(conference).items()
        if person.erased_at is None
    }


@pytest.fixture
def a1_erased(admin: TestClient, conference: dict[str, Any]) -> None:
    """The export imported (A-1 and A-10), then A-1 erased."""
    assert _import(admin, conference).status_code == 200
    _erase(admin, conference, "A-1")


def test_put_of_an_erased_id_is_refused_and_creates_nobody(
    admin: TestClient, conference: dict[str, Any], a1_erased: None
) -> None:
    again = admin.put(
        f"{_base(conference)}/attendees/A-1", json={"name": "Ada Lovelace", "interests": "x"}
    )
    assert again.status_code == 409, again.text
    assert again.json()["type"].endswith("/erased-attendee")
    assert "new registration id" in again.json()["detail"]
    assert _names(conference) == {"A-10": "Grace Hopper"}
    # Another id, and the other attendee, are written as ever.
    assert (
        admin.put(f"{_base(conference)}/attendees/A-2", json={"name": "Ada L."}).status_code == 201
    )
    assert (
        admin.patch(f"{_base(conference)}/attendees/A-10", json={"name": "G."}).status_code == 200
    )


def test_batch_refuses_the_erased_item_and_writes_the_others(
    admin: TestClient, conference: dict[str, Any], a1_erased: None
) -> None:
    answer = admin.post(
        f"{_base(conference)}/attendees:batch",
        json={
            "attendees": [
                {"external_id": "A-1", "name": "Ada"},
                {"external_id": "B-2", "name": "Bo"},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    results = {r["external_id"]: r for r in answer.json()["results"]}
    assert results["A-1"]["status"] == "error"
    assert "erased" in results["A-1"]["errors"][0]["detail"]
    assert results["B-2"]["status"] == "created"
    assert sorted(_names(conference)) == ["A-10", "B-2"]


def test_reimporting_the_export_leaves_the_erased_row_out_and_says_which(
    admin: TestClient, conference: dict[str, Any], a1_erased: None
) -> None:
    dry = _import(admin, conference, dry_run="true").json()
    assert dry["erased"] == [2]
    assert (dry["created"], dry["unchanged"]) == (0, 1)
    done = _import(admin, conference)
    assert done.status_code == 200, done.text
    assert done.json()["erased"] == [2]
    assert _names(conference) == {"A-10": "Grace Hopper"}


def test_the_erasure_keeps_a_digest_never_the_id(
    admin: TestClient, conference: dict[str, Any], a1_erased: None
) -> None:
    with session_scope() as session:
        rows = session.scalars(select(ErasedRegistration)).all()
        assert [r.conference_id for r in rows] == [uuid.UUID(conference["id"])]
        assert "A-1" not in rows[0].digest and len(rows[0].digest) == 64
    # Erasing in one conference does not block the same id in another.
    other = admin.post(
        "/v1/conferences", json={"slug": "other", "name": "Other", "timezone": "UTC"}
    ).json()
    assert (
        admin.put(f"/v1/conferences/{other['id']}/attendees/A-1", json={"name": "Ada"}).status_code
        == 201
    )


def test_a_platform_sync_after_the_erasure_does_not_bring_the_attendee_back(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],  # noqa: F811
    api: respx.MockRouter,  # noqa: F811
) -> None:
    _, _ = order_placed(client, pretix, api)
    assert worker.run_pending() == 1
    assert sorted(_names(conference)) == ["ABC23-1", "ABC23-2"]
    _erase(admin, conference, "ABC23-1")
    # The log no longer names them by their registration id.
    for entry in log_entries(pretix["id"]):
        assert "ABC23-1" not in entry.message + json.dumps(entry.changes)

    order = fixture_json("pretix_order_ABC23.json")
    api.get(f"{PRETIX_EVENT}/orders/?include_canceled_positions=true").respond(
        json={"count": 1, "next": None, "previous": None, "results": [order]}
    )
    pretix_catalogue(api)
    sync = full_sync(admin, conference, pretix)
    assert sync["status"] == "done"
    assert sync["counts"]["created"] == 0
    assert sync["counts"]["ignored"] == 1
    assert sorted(_names(conference)) == ["ABC23-2"]
    with session_scope() as session:
        erased = session.scalars(select(Attendee).where(Attendee.erased_at.is_not(None))).all()
        assert [p.name for p in erased] == ["Former attendee"]
    latest = log_entries(pretix["id"])[-1]
    assert "erased in Hallway" in latest.message or any(
        "erased in Hallway" in e.message for e in log_entries(pretix["id"])
    )
    for entry in log_entries(pretix["id"]):
        assert "ABC23-1" not in entry.message + json.dumps(entry.changes)
