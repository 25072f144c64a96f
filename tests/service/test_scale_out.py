"""Scale-out: two web processes and two plan workers on one database, one worker killed mid-run.

Twenty plans over four conferences must each end ready exactly once (every seat written once),
the plan the killed worker held included; attendee pages are answered by both web processes.
On PostgreSQL (``HALLWAY_TEST_DATABASE_URL``) this is the production layout; on SQLite it
checks that the embedded default holds the same layout.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.attendees import links
from service.db import session_scope
from service.models import Assignment, Attendee, Conference, Plan
from tests.serving import hallway_serve

pytestmark = pytest.mark.slow
CONFERENCES = 4
PLANS_EACH = 5
PEOPLE = 16
WORKER_CMD = [sys.executable, "-c", "from service.cli import main; main()", "worker"]


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*WORKER_CMD, "--poll", "0.2", "--stale-after", "4", "--heartbeat", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def conferences(admin: TestClient) -> list[str]:
    slugs = []
    for c in range(CONFERENCES):
        slug = f"conf-{c}"
        assert admin.post("/v1/conferences", json={"slug": slug, "name": slug}).status_code == 201
        people = [
            {
                "external_id": f"{slug}-{i:02d}",
                "name": f"Person {c}-{i}",
                "affiliation": f"Company {i % 5}",
                "interests": ["testing", "packaging", "databases", "typing"][i % 4],
            }
            for i in range(PEOPLE)
        ]
        batch = admin.post(f"/v1/conferences/{slug}/attendees:batch", json={"attendees": people})
        assert batch.status_code == 200, batch.text
        lunch = {"name": "Lunch 1", "kind": "lunch", "table_size": 4}
        assert admin.post(f"/v1/conferences/{slug}/rounds", json=lunch).status_code == 201
        slugs.append(slug)
    return slugs


@pytest.fixture
def workers(settings_env: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {**os.environ, "HALLWAY_DATABASE_URL": settings_env}
    env["HALLWAY_CACHE_DIR"] = str(tmp_path / "cache")
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    procs = [_start_worker(env, log) for log in logs]
    state = {"procs": procs, "logs": logs, "env": env}
    try:
        yield state
    finally:
        for proc in state["procs"]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in state["procs"]:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _plan_states(slug: str) -> list[tuple[uuid.UUID, str, int]]:
    with session_scope() as session:
        rows = session.execute(
            select(Plan.id, Plan.status, Plan.params)
            .join(Conference, Conference.id == Plan.conference_id)
            .where(Conference.slug == slug)
            .order_by(Plan.created_at)
        ).all()
    return [(r.id, r.status, int(r.params.get("attempts", 0))) for r in rows]


def _running_plan_of(log: Path) -> uuid.UUID | None:
    """The plan a worker said it started last, if that plan is still running."""
    found = re.findall(r"running plan ([0-9a-f-]{36})", log.read_text(errors="replace"))
    if not found:
        return None
    plan_id = uuid.UUID(found[-1])
    with session_scope() as session:
        status = session.scalar(select(Plan.status).where(Plan.id == plan_id))
    return plan_id if status == "running" else None


def test_twenty_plans_finish_once_while_a_worker_is_killed_and_restarted(
    admin: TestClient, conferences: list[str], workers: dict[str, Any]
) -> None:
    started = {slug: 0 for slug in conferences}
    killed: uuid.UUID | None = None
    deadline = time.monotonic() + 240
    while True:
        assert time.monotonic() < deadline, {s: _plan_states(s) for s in conferences}
        for slug in conferences:
            states = _plan_states(slug)
            busy = any(status in ("queued", "running") for _, status, _ in states)
            if not busy and started[slug] < PLANS_EACH:
                body = {"seed": started[slug], "time_budget": 5}
                response = admin.post(f"/v1/conferences/{slug}/plans", json=body)
                assert response.status_code == 202, response.text
                started[slug] += 1
        if killed is None:
            held = _running_plan_of(workers["logs"][0])
            if held is not None:
                workers["procs"][0].kill()  # no goodbye: as if the machine lost the process
                workers["procs"][0].wait()
                killed = held
                workers["procs"][0] = _start_worker(workers["env"], workers["logs"][0])
        finished = all(
            started[s] == PLANS_EACH
            and all(status not in ("queued", "running") for _, status, _ in _plan_states(s))
            for s in conferences
        )
        if finished:
            break
        time.sleep(0.2)
    assert killed is not None, "worker A never held a plan to kill"
    all_plans = [p for s in conferences for p in _plan_states(s)]
    assert len(all_plans) == CONFERENCES * PLANS_EACH
    assert {status for _, status, _ in all_plans} == {"ready"}
    attempts = {plan_id: tries for plan_id, _, tries in all_plans}
    assert attempts[killed] == 2  # taken over once, after its worker died
    with session_scope() as session:
        seats = dict(
            session.execute(
                select(Assignment.plan_id, func.count()).group_by(Assignment.plan_id)
            ).all()
        )
    assert {plan_id: seats.get(plan_id) for plan_id in attempts} == {
        plan_id: PEOPLE for plan_id in attempts
    }


def _web_processes(serve_pid: int) -> list[psutil.Process]:
    family = psutil.Process(serve_pid).children(recursive=True)
    return [p for p in family if "spawn_main" in " ".join(p.cmdline())]


def test_attendee_pages_are_served_by_both_web_processes(
    conferences: list[str], settings_env: str, tmp_path: Path
) -> None:
    with session_scope() as session:
        secret = links.link_secret(session)
        tokens = [links.token_for(a, secret) for a in session.scalars(select(Attendee))]
    with hallway_serve(settings_env, tmp_path, processes=2) as (base, proc, _log):
        web = _web_processes(proc.pid)
        assert len(web) == 2
        before = [p.cpu_times().user + p.cpu_times().system for p in web]
        # New connections each time, so the kernel hands them to either process.
        for token in tokens[:200]:
            assert httpx.get(f"{base}/me/{token}", timeout=10).status_code == 200
        used = [
            p.cpu_times().user + p.cpu_times().system - b for p, b in zip(web, before, strict=True)
        ]
    assert min(used) > 0.1 * sum(used), f"CPU seconds per web process: {used}"
