"""The plan worker: atomic claims, heartbeats, recovery of plans whose worker died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from service.config import get_settings
from service.db import get_engine, session_scope
from service.models import Plan
from service.plans import worker

HALLWAY = str(Path(sys.executable).with_name("hallway"))


@pytest.fixture
def hashing(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


def crowd(n: int) -> list[dict[str, Any]]:
    words = ["rust", "pytest", "django", "numpy", "asyncio", "typing", "teaching", "pandas"]
    return [
        {
            "external_id": f"W{i:04d}",
            "name": f"Worker Test {i}",
            "affiliation": f"Company {i % 37}",
            "interests": f"{words[i % 8]} {words[(i * 5 + 3) % 8]} {words[(i // 8) % 8]}",
            "hometown": f"Town {i % 13}",
            "solo": i % 5 == 0,
            "dinner": i % 2 == 0,
            "first_time": i % 4 == 0,
        }
        for i in range(n)
    ]


def setup_conference(admin: TestClient, conference: dict[str, Any], n: int) -> str:
    base = f"/v1/conferences/{conference['id']}"
    people = crowd(n)
    for start in range(0, n, 1000):
        batch = {"attendees": people[start : start + 1000]}
        assert admin.post(f"{base}/attendees:batch", json=batch).status_code == 200
    for body in (
        {"name": "Lunch 1", "kind": "lunch", "table_size": 8},
        {"name": "Dinner 1", "kind": "dinner", "table_size": 6},
        {"name": "Lunch 2", "kind": "lunch", "table_size": 8},
    ):
        assert admin.post(f"{base}/rounds", json=body).status_code == 201
    return base


def plan_row(plan_id: uuid.UUID | str) -> Plan:
    with session_scope() as session:
        plan = session.get(Plan, uuid.UUID(str(plan_id)))
        assert plan is not None
        return plan


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def workers() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real ``hallway worker`` processes; every one still alive is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [HALLWAY, "worker", "--poll", "0.2", *args],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_claims_are_atomic(admin: TestClient, conference: dict[str, Any], hashing: None) -> None:
    base = setup_conference(admin, conference, 12)
    created = admin.post(f"{base}/plans", json={"time_budget": 2})
    assert created.status_code == 202
    with session_scope() as session:
        more = [Plan(conference_id=uuid.UUID(conference["id"]), params={}) for _ in range(5)]
        session.add_all(more)
        session.flush()
        queued = {uuid.UUID(created.json()["id"]), *(p.id for p in more)}

    # Every claimer reads the queue, then waits before it writes: all of them see the same oldest
    # plan, so a claim that is not atomic hands one plan to several workers.
    def slow_read(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "queued" in str(args[0]):
            time.sleep(0.1)

    engine = get_engine()
    event.listen(engine, "after_cursor_execute", slow_read)
    start = threading.Barrier(4)

    def claimer() -> list[uuid.UUID]:
        start.wait(timeout=30)
        mine = []
        while (plan_id := worker.claim_next()) is not None:
            mine.append(plan_id)
        return mine

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            claims = [c for f in [pool.submit(claimer) for _ in range(4)] for c in f.result()]
    finally:
        event.remove(engine, "after_cursor_execute", slow_read)
    assert sorted(claims) == sorted(queued)  # each plan claimed once, by one thread
    for plan_id in queued:
        plan = plan_row(plan_id)
        assert plan.status == "running" and plan.params["attempts"] == 1
        assert plan.started_at is not None and plan.heartbeat_at is not None


def test_a_lost_plan_is_queued_again_once_then_failed(
    admin: TestClient, conference: dict[str, Any], hashing: None
) -> None:
    base = setup_conference(admin, conference, 12)
    plan_id = uuid.UUID(admin.post(f"{base}/plans", json={"time_budget": 2}).json()["id"])
    assert worker.claim_next() == plan_id
    # Its worker is gone: no heartbeat arrives any more.
    assert worker.recover_stale(stale_after=60) == []
    assert worker.recover_stale(stale_after=0) == [plan_id]
    requeued = admin.get(f"{base}/plans/{plan_id}").json()
    assert requeued["status"] == "queued" and "worker stopped" in requeued["message"]
    assert worker.claim_next() == plan_id
    assert worker.recover_stale(stale_after=0) == [plan_id]
    failed = admin.get(f"{base}/plans/{plan_id}").json()
    assert failed["status"] == "failed"
    assert "worker stopped" in failed["error"] and "2 times" in failed["error"]
    # The conference is free for a new plan again.
    assert admin.post(f"{base}/plans", json={"time_budget": 2}).status_code == 202


def test_killed_worker_plan_is_recovered_by_the_next_worker(
    admin: TestClient,
    conference: dict[str, Any],
    hashing: None,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    base = setup_conference(admin, conference, 900)
    created = admin.post(f"{base}/plans", json={"time_budget": 30, "seed": 5})
    assert created.status_code == 202
    plan_id = created.json()["id"]

    first = workers("--stale-after", "3")
    wait_for(
        lambda: plan_row(plan_id).status == "running" and plan_row(plan_id).progress >= 0.1,
        timeout=90,
        what="the first worker to be solving",
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = plan_row(plan_id)
    assert killed.status == "running" and killed.finished_at is None

    second = workers("--stale-after", "3")
    wait_for(
        lambda: plan_row(plan_id).status in ("ready", "failed"),
        timeout=120,
        what="the second worker to finish the plan",
    )
    done = admin.get(f"{base}/plans/{plan_id}").json()
    assert done["status"] == "ready", done["error"]
    assert done["params"]["attempts"] == 2
    assert done["summary"]["attendees"] == 900 and done["summary"]["hard_violations"] == 0

    # A clean stop (SIGTERM) ends the idle worker.
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
