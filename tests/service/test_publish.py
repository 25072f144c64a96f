"""Publishing: only on top of the plan that is live now, and one publish at a time.

The concurrency tests send two real publish requests from two threads against the same
database (SQLite by default, PostgreSQL with ``HALLWAY_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from service.audit import service as audit_service
from service.config import get_settings
from service.db import session_scope
from service.models import Plan
from service.plans import worker
from service.plans.service import LIVE_PLAN_KEY


@pytest.fixture
def hashing(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cheap deterministic encoder instead of the real model."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


@pytest.fixture
def base(admin: TestClient, conference: dict[str, Any], hashing: None) -> str:
    """Twelve attendees and one lunch of tables of four."""
    url = f"/v1/conferences/{conference['id']}"
    topics = ["rust compilers", "pytest fixtures", "data pipelines", "web frameworks"]
    people = [
        {
            "external_id": f"P{i:02d}",
            "name": f"Person {i}",
            "interests": f"{topics[i % 4]} {topics[(i + 1) % 4]}",
            "affiliation": f"Company {i % 5}",
        }
        for i in range(12)
    ]
    assert admin.post(f"{url}/attendees:batch", json={"attendees": people}).status_code == 200
    lunch = {"name": "Lunch", "kind": "lunch", "starts_at": "2027-04-14T12:30:00Z", "table_size": 4}
    assert admin.post(f"{url}/rounds", json=lunch).status_code == 201
    return url


def run_plan(admin: TestClient, base: str, **body: Any) -> str:
    created = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 1, **body})
    assert created.status_code == 202, created.text
    assert worker.run_once() == uuid.UUID(created.json()["id"])
    assert admin.get(f"{base}/plans/{created.json()['id']}").json()["status"] == "ready"
    return str(created.json()["id"])


def statuses(admin: TestClient, base: str) -> dict[str, str]:
    return {p["id"]: p["status"] for p in admin.get(f"{base}/plans").json()}


def test_replan_from_an_older_plan_after_a_newer_publish_is_409(
    admin: TestClient, base: str
) -> None:
    first = run_plan(admin, base)
    assert admin.post(f"{base}/plans/{first}/publish").status_code == 200
    # A re-plan starts from the first plan ...
    replan = run_plan(admin, base, replan=True, seed=2)
    # ... and meanwhile another plan goes live.
    newer = run_plan(admin, base, seed=3)
    assert admin.post(f"{base}/plans/{newer}/publish").status_code == 200

    stale = admin.post(f"{base}/plans/{replan}/publish")
    assert stale.status_code == 409, stale.text
    problem = stale.json()
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert problem["live_plan_id"] == newer and problem["based_on_id"] == first
    assert newer in problem["detail"] and "re-plan" in problem["detail"]
    assert statuses(admin, base) == {
        first: "superseded",
        newer: "published",
        replan: "ready",
    }

    # A re-plan from the live plan publishes.
    again = run_plan(admin, base, replan=True, seed=4)
    assert admin.post(f"{base}/plans/{again}/publish").status_code == 200
    assert statuses(admin, base)[again] == "published"


def test_plan_queued_before_another_publish_is_409(admin: TestClient, base: str) -> None:
    one = run_plan(admin, base, seed=1)
    other = run_plan(admin, base, seed=2)  # both queued while nothing was live
    assert admin.post(f"{base}/plans/{one}/publish").status_code == 200
    late = admin.post(f"{base}/plans/{other}/publish")
    assert late.status_code == 409, late.text
    assert late.json()["live_plan_id"] == one and late.json()["based_on_id"] is None
    assert statuses(admin, base) == {one: "published", other: "ready"}


def test_publish_with_a_stale_version_is_412(admin: TestClient, base: str) -> None:
    plan = run_plan(admin, base)
    version = admin.get(f"{base}/plans/{plan}").json()["version"]
    stale = admin.post(f"{base}/plans/{plan}/publish", headers={"If-Match": f'"{version - 1}"'})
    assert stale.status_code == 412
    assert statuses(admin, base)[plan] == "ready"
    fresh = admin.post(f"{base}/plans/{plan}/publish", headers={"If-Match": f'"{version}"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == f'"{version + 1}"'


def ready_plan(conference_id: str, *, built_on: str | None) -> str:
    """A ready plan (no seats) queued while ``built_on`` was live, stored directly."""
    with session_scope() as session:
        plan = Plan(
            conference_id=uuid.UUID(conference_id),
            status="ready",
            params={LIVE_PLAN_KEY: built_on},
        )
        session.add(plan)
        session.flush()
        return str(plan.id)


def publish_at_once(clients: list[TestClient], urls: list[str]) -> list[int]:
    """POST each url with its own client from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(urls))
    codes: list[int] = [0] * len(urls)

    def publish(index: int) -> None:
        barrier.wait()
        codes[index] = clients[index].post(urls[index]).status_code

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


@pytest.fixture
def slow_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each audit record takes a moment: a publish that got past its checks is still open
    when the other publish makes its own, so a check that does not wait for its turn fails."""
    record: Callable[..., Any] = audit_service.record

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return record(*args, **kwargs)

    monkeypatch.setattr(audit_service, "record", slow)


@pytest.mark.parametrize("same_plan", [False, True], ids=["two-plans", "one-plan-twice"])
def test_concurrent_publishes_one_200_one_409(
    admin: TestClient,
    conference: dict[str, Any],
    key_factory: Any,
    slow_audit: None,
    same_plan: bool,
) -> None:
    from service.app import create_app

    base = f"/v1/conferences/{conference['id']}"
    # Two organizers, each with their own key and client.
    clients = []
    for _ in range(2):
        key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
        client = TestClient(create_app())
        client.headers["Authorization"] = f"Bearer {key}"
        assert client.get(base).status_code == 200
        clients.append(client)
    live = ready_plan(conference["id"], built_on=None)
    assert admin.post(f"{base}/plans/{live}/publish").status_code == 200
    for _ in range(3):
        a = ready_plan(conference["id"], built_on=live)
        b = a if same_plan else ready_plan(conference["id"], built_on=live)
        codes = publish_at_once(clients, [f"{base}/plans/{a}/publish", f"{base}/plans/{b}/publish"])
        assert sorted(codes) == [200, 409], codes
        now = statuses(admin, base)
        published = [p for p, s in now.items() if s == "published"]
        assert len(published) == 1 and published[0] in (a, b)
        live = published[0]


def test_the_database_keeps_one_live_plan_per_conference(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    base = f"/v1/conferences/{conference['id']}"
    live = ready_plan(conference["id"], built_on=None)
    assert admin.post(f"{base}/plans/{live}/publish").status_code == 200
    other = ready_plan(conference["id"], built_on=live)
    with pytest.raises(sa.exc.IntegrityError), session_scope() as session:
        session.execute(update(Plan).where(Plan.id == uuid.UUID(other)).values(status="published"))
    with session_scope() as session:
        live_now = session.scalars(select(Plan.id).where(Plan.status == "published")).all()
    assert [str(p) for p in live_now] == [live]
