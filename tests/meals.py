"""The two meals several API tests seat people at: a lunch at tables of two, a dinner of three."""

from __future__ import annotations

from fastapi.testclient import TestClient

LUNCH_AND_DINNER = (
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
)


def add_lunch_and_dinner(admin: TestClient, base: str) -> None:
    """Create "Lunch 1" and "Dinner 1" in the conference at ``base``."""
    for body in LUNCH_AND_DINNER:
        assert admin.post(f"{base}/rounds", json=body).status_code == 201
