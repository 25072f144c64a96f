"""Publish day: bursts degrade politely, the service stops on time, reads never wait for writes.

The burst and shutdown tests run the real ``hallway serve`` (two web processes) on 127.0.0.1
against this test's database; every load loop is bounded in requests and seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from service.attendees import links
from service.db import session_scope
from service.models import Attendee
from service.overload import AdmissionControl
from tests.serving import family_of, hallway_serve

pytestmark = pytest.mark.slow
CONFERENCE = "pyconf-2027"


def _slow_app(seconds: float) -> Starlette:
    async def slow(_request: Request) -> PlainTextResponse:
        await asyncio.sleep(seconds)
        return PlainTextResponse("done")

    async def health(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/slow", slow), Route("/healthz", health)])


def test_requests_beyond_the_slots_and_the_queue_get_a_fast_503_with_retry_after() -> None:
    app = AdmissionControl(_slow_app(0.5), limit=2, queue=2, wait=5.0)

    async def burst() -> tuple[list[httpx.Response], float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            start = time.perf_counter()
            answers = await asyncio.gather(*(client.get("/slow") for _ in range(10)))
            return list(answers), time.perf_counter() - start

    answers, _ = asyncio.run(burst())
    statuses = sorted(r.status_code for r in answers)
    # Two at work, two waiting (served after the first two), six turned away at once.
    assert statuses == [200] * 4 + [503] * 6
    refused = [r for r in answers if r.status_code == 503]
    assert all(r.headers["retry-after"] == "1" for r in refused)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    assert refused[0].json()["status"] == 503
    assert app.in_flight == 0 and app.waiting == 0


def test_a_waiting_request_gets_503_when_its_wait_runs_out() -> None:
    app = AdmissionControl(_slow_app(1.0), limit=1, queue=5, wait=0.1)

    async def two() -> list[tuple[int, float]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def timed() -> tuple[int, float]:
                start = time.perf_counter()
                response = await client.get("/slow")
                return response.status_code, time.perf_counter() - start

            return list(await asyncio.gather(timed(), timed()))

    results = sorted(asyncio.run(two()))
    assert [status for status, _ in results] == [200, 503]
    assert results[1][1] < 0.8  # turned away after its 0.1 s wait, not after the slow one


def test_health_check_skips_the_line() -> None:
    app = AdmissionControl(_slow_app(0.5), limit=1, queue=0, wait=0.0)

    async def run() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            busy = asyncio.create_task(client.get("/slow"))
            await asyncio.sleep(0.05)
            health = await client.get("/healthz")
            return health.status_code, (await busy).status_code

    assert asyncio.run(run()) == (200, 200)


def test_a_burst_of_api_calls_leaves_attendee_pages_a_lane_of_their_own() -> None:
    async def slow(_request: Request) -> PlainTextResponse:
        await asyncio.sleep(0.5)
        return PlainTextResponse("done")

    inner = Starlette(routes=[Route("/v1/slow", slow), Route("/me/{token}", slow)])
    app = AdmissionControl(inner, limit=2, queue=0, wait=0.0)

    async def run() -> tuple[list[int], int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = [asyncio.create_task(client.get("/v1/slow")) for _ in range(6)]
            await asyncio.sleep(0.05)
            page = await client.get("/me/abc")
            return sorted([(await t).status_code for t in api]), page.status_code

    api_statuses, page_status = asyncio.run(run())
    assert api_statuses == [200, 200, 503, 503, 503, 503]
    assert page_status == 200


# --- the real service ---------------------------------------------------------------------


@pytest.fixture
def filled(admin: TestClient, conference: dict[str, Any], key_factory: Any) -> str:
    """300 attendees in the conference; returns an organizer key."""
    people = [
        {"external_id": f"A-{i:04d}", "name": f"Person {i}", "email": f"p{i}@example.org"}
        for i in range(300)
    ]
    response = admin.post(
        f"/v1/conferences/{CONFERENCE}/attendees:batch", json={"attendees": people}
    )
    assert response.status_code == 200, response.text
    key: str = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    return key


async def _burst(base: str, key: str, n: int) -> list[httpx.Response | BaseException]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{base}/v1/conferences/{CONFERENCE}/attendees?limit=100"
    async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:
        return list(
            await asyncio.gather(*(client.get(url) for _ in range(n)), return_exceptions=True)
        )


def test_burst_of_200_list_requests_degrades_politely_and_recovers(
    filled: str, settings_env: str, tmp_path: Path
) -> None:
    with hallway_serve(settings_env, tmp_path) as (base, _proc, _log):
        health: list[tuple[float, int]] = []
        stop = threading.Event()

        def probe() -> None:
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    start = time.perf_counter()
                    status = client.get(f"{base}/healthz").status_code
                    health.append((time.perf_counter() - start, status))
                    stop.wait(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        start = time.perf_counter()
        try:
            answers = asyncio.run(_burst(base, filled, 200))
        finally:
            stop.set()
            prober.join()
        took = time.perf_counter() - start
        failures = [a for a in answers if isinstance(a, BaseException)]
        assert not failures, f"{len(failures)} requests failed, e.g. {failures[0]!r}"
        responses = [a for a in answers if isinstance(a, httpx.Response)]
        assert {r.status_code for r in responses} <= {200, 503}
        assert all("retry-after" in r.headers for r in responses if r.status_code == 503)
        assert sum(r.status_code == 200 for r in responses) >= 32
        assert took < 25, f"the burst took {took:.1f} s"
        assert health and all(status == 200 for _, status in health)
        assert max(latency for latency, _ in health) < 2.0
        # Full service within 5 s of the burst's end.
        deadline = time.monotonic() + 5
        headers = {"Authorization": f"Bearer {filled}"}
        while True:
            response = httpx.get(
                f"{base}/v1/conferences/{CONFERENCE}/attendees?limit=100",
                headers=headers,
                timeout=5,
            )
            if response.status_code == 200:
                break
            assert time.monotonic() < deadline, "no full service 5 s after the burst"
            time.sleep(0.1)
        assert len(response.json()["items"]) == 100


def test_sigterm_stops_serve_within_ten_seconds_during_a_burst(
    filled: str, settings_env: str, tmp_path: Path
) -> None:
    with hallway_serve(settings_env, tmp_path, worker=True) as (base, proc, _log):
        family = family_of(proc.pid)
        assert len(family) >= 4  # uvicorn's supervisor, two web processes, the plan worker
        loader = threading.Thread(target=lambda: asyncio.run(_burst(base, filled, 150)))
        loader.start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        proc.wait(timeout=12)
        stopped_after = time.monotonic() - start
        loader.join(timeout=40)
        assert stopped_after < 10, f"serve took {stopped_after:.1f} s to stop"
        time.sleep(0.5)
        assert [p.pid for p in family if p.is_running() and p.status() != "zombie"] == []


def test_stopping_ends_what_a_child_started_even_when_it_ignores_sigterm(tmp_path: Path) -> None:
    from service import server

    pid_file = tmp_path / "grandchild.pid"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    script = (
        "import pathlib, subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', {stubborn!r}])\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid))\n"
        "time.sleep(0.5)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.supervise([child])  # returns once the child has gone, after stopping the rest
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while psutil.pid_exists(grandchild) and psutil.Process(grandchild).status() != "zombie":
        assert time.monotonic() < deadline, "the grandchild outlived the stop"
        time.sleep(0.05)


def test_serve_runs_one_web_process_per_core_by_default(settings_env: str) -> None:
    from service import server

    assert server.web_processes() == len(os.sched_getaffinity(0))


def test_attendee_link_tokens_are_masked_in_the_access_log(
    filled: str, settings_env: str, tmp_path: Path
) -> None:
    with session_scope() as session:
        person = session.query(Attendee).filter_by(external_id="A-0001").one()
        token = links.issue_link(session, person)
    with hallway_serve(settings_env, tmp_path, processes=1) as (base, proc, log_path):
        assert httpx.get(f"{base}/me/{token}", timeout=10).status_code == 200
        assert httpx.get(f"{base}/me/{token}/calendar.ics", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=12)
    log = log_path.read_text()
    assert "GET /me/…/calendar.ics" in log
    assert token not in log


def test_trailing_slash_redirect_of_the_attendee_page_keeps_private_headers(
    client: TestClient, filled: str
) -> None:
    with session_scope() as session:
        person = session.query(Attendee).filter_by(external_id="A-0002").one()
        token = links.issue_link(session, person)
    response = client.get(f"/me/{token}/", follow_redirects=False)
    assert response.status_code in (307, 308)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


# --- SQLite as the default -----------------------------------------------------------------


@pytest.mark.skipif(
    bool(os.environ.get("HALLWAY_TEST_DATABASE_URL")), reason="SQLite's locking is the point"
)
def test_reads_never_wait_for_a_writer_on_sqlite(
    admin: TestClient, filled: str, settings_env: str
) -> None:
    path = settings_env.removeprefix("sqlite:///")
    headers = {"Authorization": f"Bearer {filled}"}
    url = f"/v1/conferences/{CONFERENCE}/attendees?limit=100"
    assert admin.get(url, headers=headers).status_code == 200
    writing = threading.Event()
    done = threading.Event()

    def long_write() -> None:
        # A plan being stored: one write transaction held for four seconds.
        db = sqlite3.connect(path, timeout=30)
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE attendee SET hometown = 'Darmstadt'")
        writing.set()
        time.sleep(4.0)
        db.commit()
        db.close()
        done.set()

    writer = threading.Thread(target=long_write)
    writer.start()
    writing.wait(10)
    slowest = 0.0
    reads = 0
    while not done.is_set() and reads < 200:
        start = time.perf_counter()
        response = admin.get(url, headers=headers)
        slowest = max(slowest, time.perf_counter() - start)
        assert response.status_code == 200, response.text
        reads += 1
    writer.join()
    # A read that waited for the writer would take the rest of its four seconds; a busy
    # machine's hiccups stay well under two.
    assert reads >= 5
    assert slowest < 2.0, f"a read waited {slowest:.1f} s for the writer"


@pytest.mark.skipif(
    bool(os.environ.get("HALLWAY_TEST_DATABASE_URL")), reason="backs up the SQLite file"
)
def test_backup_while_writing_is_a_consistent_copy(
    filled: str, settings_env: str, tmp_path: Path
) -> None:
    path = settings_env.removeprefix("sqlite:///")
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        db = sqlite3.connect(path, timeout=30)
        i = 0
        while not stop.is_set() and i < 5000:
            db.execute("UPDATE attendee SET hometown = ? WHERE external_id = 'A-0000'", (str(i),))
            db.execute(
                "UPDATE attendee SET affiliation = ? WHERE external_id = 'A-0299'", (str(i),)
            )
            db.commit()
            written.append(i)
            i += 1
        db.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    target = tmp_path / "copy.db"
    env = {**os.environ, "HALLWAY_DATABASE_URL": settings_env}
    try:
        time.sleep(0.2)
        result = subprocess.run(
            [sys.executable, "-c", "from service.cli import main; main()", "backup", str(target)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    assert len(written) > 1
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM attendee").fetchone() == (300,)
    # One moment: both rows carry the same write (a torn copy would mix two).
    first = copy.execute("SELECT hometown FROM attendee WHERE external_id = 'A-0000'").fetchone()
    last = copy.execute("SELECT affiliation FROM attendee WHERE external_id = 'A-0299'").fetchone()
    copy.close()
    assert first == last


def test_backup_refuses_to_overwrite_and_names_pg_dump_for_postgres(tmp_path: Path) -> None:
    from service.backups import BackupError, backup_sqlite

    existing = tmp_path / "there.db"
    existing.write_bytes(b"")
    db = tmp_path / "a.db"
    sqlite3.connect(db).close()
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(f"sqlite:///{db}", existing)
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://u:p@127.0.0.1/x", tmp_path / "b.db")
