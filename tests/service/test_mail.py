"""Reaching every attendee: the mail-merge export and e-mail through the organizer's server.

E-mail tests run a real SMTP server (aiosmtpd) on 127.0.0.1, started by the test.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

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


def add_rounds(admin: TestClient, base: str) -> None:
    for body in (
        {
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00+02:00",
            "location": "Hall B",
            "table_size": 2,
        },
        {
            "name": "Dinner 1",
            "kind": "dinner",
            "starts_at": "2027-04-14T19:00:00+02:00",
            "location": "Keller",
            "capacities": [3],
        },
    ):
        assert admin.post(f"{base}/rounds", json=body).status_code == 201


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
    add_rounds(admin, base)
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
    import uuid

    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=scopes)
    response = client.get(f"{base}/mail-merge", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert "@" not in response.text


def test_mail_merge_format_is_checked(admin: TestClient, base: str) -> None:
    response = admin.get(f"{base}/mail-merge", params={"format": "pdf"})
    assert response.status_code == 422
    assert "format" in response.text
