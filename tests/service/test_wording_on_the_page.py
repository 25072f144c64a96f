"""Why lines on the attendee page: an invitation for the blank, no placeholder quoted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.wording import NO_PROFILE

PEOPLE = {
    "R1": {"name": "Ruth Ng", "interests": "Rust and packaging"},
    "R2": {"name": "Info Requested Info Requested", "interests": "Rust on microcontrollers"},
}
WHY = {
    ("Lunch", "R1"): "You and Info Requested Info Requested both talk about Rust.",
    ("Lunch", "R2"): "You and Ruth Ng both talk about Rust.",
}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def links(admin: TestClient, conference: dict[str, Any], plan_factory: Any) -> dict[str, str]:
    base = f"/v1/conferences/{conference['id']}"
    tokens = {}
    for external_id, body in PEOPLE.items():
        response = admin.put(f"{base}/attendees/{external_id}", json=body)
        assert response.status_code == 201, response.text
        tokens[external_id] = response.json()["link"].rsplit("/me/", 1)[1]
    lunch = {"name": "Lunch", "kind": "lunch", "table_size": 2}
    assert admin.post(f"{base}/rounds", json=lunch).status_code == 201
    plan_factory(conference, {"Lunch": [["R1", "R2"]]}, why=WHY)
    return tokens


def test_a_placeholder_name_is_never_quoted_on_the_page(
    client: TestClient, links: dict[str, str]
) -> None:
    text = _text(client.get(f"/me/{links['R1']}").text)
    assert "Someone at your table also talks about Rust." in text
    assert "You and Info Requested" not in text


def test_someone_whose_profile_is_now_blank_is_invited_to_write_one(
    admin: TestClient, conference: dict[str, Any], client: TestClient, links: dict[str, str]
) -> None:
    before = _text(client.get(f"/me/{links['R2']}").text)
    assert "You and Ruth Ng both talk about Rust." in before
    base = f"/v1/conferences/{conference['id']}"
    response = admin.patch(f"{base}/attendees/R2", json={"interests": "n/a"})
    assert response.status_code == 200, response.text
    after = _text(client.get(f"/me/{links['R2']}").text)
    assert NO_PROFILE in after
    assert "You and Ruth Ng" not in after
