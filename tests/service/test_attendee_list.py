"""The organizer's attendee list: search, filters, and whether each person opened their link
and wrote their profile (recorded once, on the first visit and the first save)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from service.attendee_page.visits import FirstVisits, first_visits
from service.db import get_engine, session_scope
from service.models import Attendee

PEOPLE: dict[str, dict[str, Any]] = {
    "T-001": {"name": "Ada Lovelace", "email": "ada@engines.example", "affiliation": "AE Ltd"},
    "T-002": {
        "name": "Grace Hopper",
        "email": "grace@navy.example",
        "affiliation": "US Navy",
        "solo": True,
        "interests": "COBOL and compilers.",
    },
    "T-003": {
        "name": "Brian Kernighan",
        "email": "bwk@bell.example",
        "affiliation": "Bell Labs",
        "dinner": True,
    },
    "X-100": {"name": "Zoë 100% Ünder_score", "affiliation": "Percent_Co", "status": "cancelled"},
}


@pytest.fixture
def base(admin: TestClient, conference: dict[str, Any]) -> str:
    path = f"/v1/conferences/{conference['id']}"
    for external_id, body in PEOPLE.items():
        assert admin.put(f"{path}/attendees/{external_id}", json=body).status_code == 201
    return path


def ids(admin: TestClient, base: str, **params: Any) -> list[str]:
    response = admin.get(f"{base}/attendees", params=params)
    assert response.status_code == 200, response.text
    return [item["external_id"] for item in response.json()["items"]]


def token_of(admin: TestClient, base: str, external_id: str) -> str:
    link: str = admin.get(f"{base}/attendees/{external_id}").json()["link"]
    return link.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("hopper", ["T-002"]),  # name, any case
        ("BELL.EXAMPLE", ["T-003"]),  # e-mail
        ("ae ltd", ["T-001"]),  # affiliation
        ("t-00", ["T-001", "T-002", "T-003"]),  # external id
        ("100%", ["X-100"]),  # LIKE wildcards are literal
        ("_co", ["X-100"]),
        ("%", ["X-100"]),
        ("nobody", []),
    ],
)
def test_search_by_name_email_company_and_id(
    admin: TestClient, base: str, q: str, expected: list[str]
) -> None:
    assert ids(admin, base, q=q) == expected


def test_filters_and_total(admin: TestClient, base: str) -> None:
    assert ids(admin, base, status="cancelled") == ["X-100"]
    assert ids(admin, base, solo=True) == ["T-002"]
    assert ids(admin, base, dinner=True) == ["T-003"]
    assert ids(admin, base, has_profile=True) == ["T-002"]
    assert ids(admin, base, has_profile=False) == ["T-001", "T-003", "X-100"]
    page = admin.get(f"{base}/attendees", params={"limit": 1, "q": "t-"}).json()
    assert [i["external_id"] for i in page["items"]] == ["T-001"]
    assert page["total"] == 3
    second = admin.get(
        f"{base}/attendees", params={"limit": 5, "q": "t-", "cursor": page["next_cursor"]}
    ).json()
    assert [i["external_id"] for i in second["items"]] == ["T-002", "T-003"]


def test_first_visit_recorded_once_and_no_visit_writes_while_the_page_is_served(
    admin: TestClient, base: str
) -> None:
    token = token_of(admin, base, "T-001")
    assert ids(admin, base, link_opened=True) == []
    before = admin.get(f"{base}/attendees/T-001").json()
    assert before["link_opened_at"] is None

    writes: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            writes.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        for _ in range(3):
            assert admin.get(f"/me/{token}").status_code == 200
        # A page view never waits for a write: first visits are written a batch at a time.
        assert writes == [], "a page view wrote while it was served"
        assert first_visits.flush() == 1
        assert len(writes) == 1 and "link_opened_at" in writes[0]
        writes.clear()
        assert admin.get(f"/me/{token}").status_code == 200
        assert first_visits.flush() == 0
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert writes == [], "a visit after the first one must not write"

    after = admin.get(f"{base}/attendees/T-001").json()
    assert after["link_opened_at"] is not None
    # Opening the page is not a change to the record.
    assert after["updated_at"] == before["updated_at"]
    assert ids(admin, base, link_opened=True) == ["T-001"]
    assert ids(admin, base, link_opened=False) == ["T-002", "T-003", "X-100"]


def test_first_visits_noted_before_a_shutdown_are_written_by_it(
    admin_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service import app as app_module
    from service.attendee_page import service as page_service

    # A recorder whose thread would not write before the shutdown.
    slow = FirstVisits(interval=3600)
    monkeypatch.setattr(page_service, "first_visits", slow)
    monkeypatch.setattr(app_module, "first_visits", slow)
    with TestClient(app_module.create_app()) as client:
        client.headers["Authorization"] = f"Bearer {admin_key}"
        made = client.post("/v1/conferences", json={"slug": "conf-c", "name": "C"})
        assert made.status_code == 201, made.text
        put = client.put("/v1/conferences/conf-c/attendees/P-1", json={"name": "Pia"})
        assert put.status_code == 201
        link = client.get("/v1/conferences/conf-c/attendees/P-1").json()["link"]
        assert client.get(f"/me/{link.rsplit('/', 1)[1]}").status_code == 200
        assert slow.pending_count() == 1
    # Leaving the block shuts the app down, as SIGTERM does.
    assert slow.pending_count() == 0
    with session_scope() as session:
        row = session.scalars(select(Attendee).where(Attendee.external_id == "P-1")).one()
    assert row.link_opened_at is not None


def test_nothing_about_the_visitor_is_stored(admin: TestClient, base: str) -> None:
    token = token_of(admin, base, "T-002")
    marker = "agent-7c1e-visitor"
    response = admin.get(
        f"/me/{token}", headers={"User-Agent": marker, "X-Forwarded-For": "203.0.113.9"}
    )
    assert response.status_code == 200
    first_visits.flush()
    with session_scope() as session:
        row = session.scalars(select(Attendee).where(Attendee.external_id == "T-002")).one()
        stored = repr({c.key: getattr(row, c.key) for c in Attendee.__table__.columns})
    assert row.link_opened_at is not None
    assert marker not in stored and "203.0.113.9" not in stored


def test_profile_written_after_the_attendee_saves_on_their_page(
    admin: TestClient, base: str
) -> None:
    token = token_of(admin, base, "T-003")
    # An organizer filling in interests is not the attendee writing their profile.
    admin.patch(f"{base}/attendees/T-003", json={"interests": "Awk."})
    assert ids(admin, base, profile_written=True) == []
    response = admin.post(
        f"/me/{token}",
        data={"interests": "Awk, troff and clear manuals.", "dinner": "yes"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert ids(admin, base, profile_written=True) == ["T-003"]
    first = admin.get(f"{base}/attendees/T-003").json()["profile_written_at"]
    assert first is not None
    admin.post(f"/me/{token}", data={"interests": "Awk again."}, follow_redirects=False)
    assert admin.get(f"{base}/attendees/T-003").json()["profile_written_at"] == first


def test_a_failed_save_is_not_a_written_profile(admin: TestClient, base: str) -> None:
    token = token_of(admin, base, "T-001")
    response = admin.post(f"/me/{token}", data={"interests": "x" * 5000})
    assert response.status_code == 422
    assert ids(admin, base, profile_written=True) == []


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"link_opened": "perhaps"}, "link_opened"),
        ({"profile_written": "2"}, "profile_written"),
        ({"has_profile": "maybe"}, "has_profile"),
    ],
)
def test_bad_search_and_filters_are_422_naming_the_parameter(
    admin: TestClient, base: str, params: dict[str, str], pointer: str
) -> None:
    response = admin.get(f"{base}/attendees", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert pointer in response.text
