"""Printable table cards of a plan."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def planned(admin: TestClient, conference: dict[str, Any], plan_factory: Any) -> dict[str, Any]:
    """Five attendees at two lunch tables and one dinner table of a ready plan."""
    base = f"/v1/conferences/{conference['id']}"
    people = {
        "A1": {
            "name": "Ada Lovelace",
            "email": "ada@engines.example",
            "affiliation": "AE Ltd",
            "dietary": "vegetarian-secret",
            "accessibility": "step-free-secret",
        },
        "A2": {"name": "Grace Hopper", "email": "grace@navy.example", "affiliation": "Navy"},
        "A3": {"name": "Alan Turing", "affiliation": "Bletchley"},
        "A4": {"name": "Katherine Johnson", "affiliation": "NASA"},
        "A5": {"name": "Edsger Dijkstra", "affiliation": "TU Eindhoven"},
    }
    for external_id, body in people.items():
        assert admin.put(f"{base}/attendees/{external_id}", json=body).status_code == 201
    lunch = admin.post(
        f"{base}/rounds",
        json={
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00+02:00",
            "location": "Hall B",
            "table_size": 3,
        },
    ).json()
    dinner = admin.post(
        f"{base}/rounds",
        json={"name": "Dinner 1", "kind": "dinner", "location": "Keller", "capacities": [5]},
    ).json()
    plan_id = plan_factory(
        conference,
        {"Lunch 1": [["A1", "A2", "A3"], ["A4", "A5"]], "Dinner 1": [list(people)]},
        capacities={"Lunch 1": [3, 3], "Dinner 1": [5]},
        topics={
            "Lunch 1": [["compilers", "navy history"], ["orbits", "graphs"]],
            "Dinner 1": [["mathematics"]],
        },
        publish=False,
    )
    return {"conference": conference, "plan_id": str(plan_id), "lunch": lunch, "dinner": dinner}


def _sections(html: str) -> list[str]:
    return re.findall(r'<section class="card".*?</section>', html, flags=re.S)


def test_one_page_per_table_with_names_and_topics(
    admin: TestClient, planned: dict[str, Any]
) -> None:
    cid, plan_id = planned["conference"]["id"], planned["plan_id"]
    response = admin.get(
        f"/v1/conferences/{cid}/plans/{plan_id}/cards",
        params={"round_id": planned["lunch"]["id"]},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "@page" in html and "page-break-after" in html
    first, second = _sections(html)
    assert "Table 1" in first and "Table 2" in second
    for card in (first, second):
        assert "Lunch 1" in card and "Hall B" in card
        # The venue's local time (Europe/Berlin), as the round was given.
        assert "12:30" in card
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"):
        assert name in first and name not in second
    for name in ("Katherine Johnson", "Edsger Dijkstra"):
        assert name in second and name not in first
    assert "compilers" in first and "navy history" in first
    assert "orbits" in second and "graphs" in second and "compilers" not in second


def test_every_round_without_round_id(admin: TestClient, planned: dict[str, Any]) -> None:
    cid, plan_id = planned["conference"]["slug"], planned["plan_id"]
    response = admin.get(f"/v1/conferences/{cid}/plans/{plan_id}/cards")
    assert response.status_code == 200
    sections = _sections(response.text)
    assert len(sections) == 3
    assert "Dinner 1" in sections[2] and "Keller" in sections[2] and "mathematics" in sections[2]
    assert sections[2].count("<li>") == 5


def test_no_private_fields_on_cards(admin: TestClient, planned: dict[str, Any]) -> None:
    cid, plan_id = planned["conference"]["id"], planned["plan_id"]
    html = admin.get(f"/v1/conferences/{cid}/plans/{plan_id}/cards").text
    for private in (
        "ada@engines.example",
        "grace@navy.example",
        "vegetarian-secret",
        "step-free-secret",
    ):
        assert private not in html


def test_read_key_of_the_conference_may_print(
    client: TestClient, planned: dict[str, Any], key_factory: Any
) -> None:
    cid, plan_id = planned["conference"]["id"], planned["plan_id"]
    key = key_factory(conference_id=uuid.UUID(cid), scopes=["read"])
    response = client.get(
        f"/v1/conferences/{cid}/plans/{plan_id}/cards",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert len(_sections(response.text)) == 3


def test_another_conferences_key_gets_404(
    admin: TestClient, planned: dict[str, Any], key_factory: Any
) -> None:
    other = admin.post("/v1/conferences", json={"slug": "other-conf", "name": "Other"}).json()
    key = key_factory(conference_id=uuid.UUID(other["id"]), scopes=["read", "write"])
    cid, plan_id = planned["conference"]["id"], planned["plan_id"]
    response = admin.get(
        f"/v1/conferences/{cid}/plans/{plan_id}/cards",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    # Nor can that key reach the plan through its own conference.
    response = admin.get(
        f"/v1/conferences/{other['id']}/plans/{plan_id}/cards",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 404


def test_unknown_round_and_missing_key(client: TestClient, planned: dict[str, Any]) -> None:
    cid, plan_id = planned["conference"]["id"], planned["plan_id"]
    url = f"/v1/conferences/{cid}/plans/{plan_id}/cards"
    assert client.get(url, params={"round_id": str(uuid.uuid4())}).status_code == 404
    del client.headers["Authorization"]
    assert client.get(url).status_code == 401
