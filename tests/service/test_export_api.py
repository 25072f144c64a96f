"""Exporting the published plan as CSV, JSON and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.meals import add_lunch_and_dinner


@pytest.fixture
def published(admin: TestClient, conference: dict[str, Any], plan_factory: Any) -> dict[str, Any]:
    """Three attendees seated over two rounds in a published plan."""
    base = f"/v1/conferences/{conference['id']}"
    people = [
        ("A1", {"name": "Ada Lovelace", "affiliation": "AE Ltd", "dietary": "vegetarian"}),
        (
            "A2",
            {"name": '=HYPERLINK("http://x")', "affiliation": "+Evil", "accessibility": "-ramp"},
        ),
        ("A3", {"name": "Grace Hopper", "affiliation": "@Navy"}),
    ]
    for external_id, body in people:
        assert admin.put(f"{base}/attendees/{external_id}", json=body).status_code == 201
    add_lunch_and_dinner(admin, base)
    plan_factory(
        conference,
        {"Lunch 1": [["A1", "A2"], ["A3"]], "Dinner 1": [["A1", "A2", "A3"]]},
    )
    return conference


def test_nothing_published_is_409(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.get(f"/v1/conferences/{conference['id']}/export")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_csv_export_rows_and_escaping(admin: TestClient, published: dict[str, Any]) -> None:
    response = admin.get(f"/v1/conferences/{published['id']}/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 6
    assert list(rows[0]) == [
        "round",
        "kind",
        "starts_at",
        "place",
        "table",
        "attendee_id",
        "name",
        "affiliation",
        "dietary",
        "accessibility",
    ]
    first = rows[0]
    assert first["round"] == "Lunch 1" and first["starts_at"] == "2027-04-14T12:30:00+02:00"
    assert first["place"] == "Hall B" and first["table"] == "1"
    by_id = {(r["round"], r["attendee_id"]): r for r in rows}
    assert by_id[("Lunch 1", "A3")]["table"] == "2"
    evil = by_id[("Lunch 1", "A2")]
    for column in ("name", "affiliation", "accessibility"):
        assert evil[column][0] == "'", evil[column]
    assert by_id[("Lunch 1", "A3")]["affiliation"] == "'@Navy"
    assert by_id[("Lunch 1", "A1")]["dietary"] == "vegetarian"


def test_json_and_xlsx_exports(admin: TestClient, published: dict[str, Any]) -> None:
    as_json = admin.get(f"/v1/conferences/{published['slug']}/export", params={"format": "json"})
    assert as_json.status_code == 200
    rows = as_json.json()
    assert len(rows) == 6 and {r["round"] for r in rows} == {"Lunch 1", "Dinner 1"}
    as_xlsx = admin.get(f"/v1/conferences/{published['id']}/export", params={"format": "xlsx"})
    assert as_xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "round" and len(values) == 7
    names = {row[6] for row in values[1:]}
    assert '=HYPERLINK("http://x")' in names or '\'=HYPERLINK("http://x")' in names
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)


def test_bad_format_is_422(admin: TestClient, published: dict[str, Any]) -> None:
    response = admin.get(f"/v1/conferences/{published['id']}/export", params={"format": "pdf"})
    assert response.status_code == 422
