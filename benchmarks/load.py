"""Publish-day load: the attendee page, the calendar and the organizer's list under a crowd.

Builds a published conference (2,000 generated attendees by default, three lunches and a dinner,
planned by the real engine) in a temporary SQLite file or in the PostgreSQL database given with
``--database-url`` (which is emptied first), starts ``hallway serve`` on 127.0.0.1 and drives it
with ``wrk`` (Debian's package; ``make bench`` installs it), every scenario bounded in time and
connections:

- ``/me/<token>`` and ``/me/<token>/calendar.ics``, each request a different attendee's link;
- ``GET /v1/conferences/demo/attendees?limit=100`` with the organizer's key;
- a burst ten times over capacity (400 connections) on the attendee list, while ``/healthz`` and one
  attendee page are probed; then how long until the page answers at normal speed again.

Usage::

    python -m benchmarks.load [--attendees 2000] [--seconds 10] [--repeats 3]
        [--database-url URL] [--smoke]

Prints one markdown table: rate (requests/s), p50 / p95 / p99 latency (ms) and errors.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.common import machine_line, markdown_table

WRK_SCRIPT = r"""
paths = {}
counter = 0
threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do table.insert(paths, line) end
  if args[2] ~= nil and args[2] ~= "" then wrk.headers["Authorization"] = "Bearer " .. args[2] end
  counter = math.random(#paths)
  statuses = {}
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do totals[code] = (totals[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(totals) do table.insert(parts, code .. ":" .. n) end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f %d %s\n",
    summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """What one wrk run measured."""

    name: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Socket errors and answers that are neither 2xx nor a polite 429/503."""
        bad = sum(n for code, n in self.statuses.items() if code >= 300 and code not in (429, 503))
        return bad + self.socket_errors

    @property
    def turned_away(self) -> int:
        return sum(n for code, n in self.statuses.items() if code in (429, 503))


def median_result(name: str, runs: list[LoadResult]) -> LoadResult:
    """One line for repeated runs: the median of each figure, the sums of the counts."""
    return LoadResult(
        name=f"{name} (median of {len(runs)})" if len(runs) > 1 else name,
        requests=int(statistics.median(r.requests for r in runs)),
        seconds=statistics.median(r.seconds for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p95_ms=statistics.median(r.p95_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        max_ms=max(r.max_ms for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        statuses={
            code: sum(r.statuses.get(code, 0) for r in runs)
            for code in {c for r in runs for c in r.statuses}
        },
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(database_url: str, n_attendees: int) -> tuple[str, list[str]]:
    """Migrate, load and plan a conference, publish it; return the organizer key and tokens."""
    from service import migrations
    from service.attendees import links
    from service.config import get_settings
    from service.db import get_engine, session_scope
    from service.demo import load_demo
    from service.models import Attendee, Conference
    from service.plans import service as plan_service
    from service.plans import worker

    os.environ["HALLWAY_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrations.upgrade(database_url)
    key = load_demo(n_attendees=n_attendees)
    assert key is not None, "the database already holds a demo conference"
    with session_scope() as session:
        conference = session.query(Conference).filter_by(slug="demo").one()
        plan = plan_service.create_plan(
            session,
            conference=conference,
            round_ids=None,
            seed=7,
            time_budget=60,
            weights=None,
            replan=False,
            actor="bench",
        )
        plan_id = plan.id
    claimed = worker.claim_next()
    assert claimed == plan_id
    worker.runner.run_plan(plan_id)
    with session_scope() as session:
        conference = session.query(Conference).filter_by(slug="demo").one()
        plan = plan_service.get_plan(session, conference=conference, plan_id=plan_id)
        assert plan.status == "ready", plan.error
        plan_service.publish(session, conference=conference, plan=plan, actor="bench")
    with session_scope() as session:
        secret = links.link_secret(session)
        tokens = [links.token_for(a, secret) for a in session.query(Attendee)]
    get_engine().dispose()
    return key, tokens


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def serving(database_url: str, workdir: Path, *, web_processes: int | None) -> Iterator[str]:
    """Run ``hallway serve`` on a free loopback port; yield its base URL."""
    port = free_port()
    env = {**os.environ, "HALLWAY_DATABASE_URL": database_url}
    if web_processes is not None:
        env["HALLWAY_WEB_PROCESSES"] = str(web_processes)
    cmd = [str(Path(sys.executable).parent / "hallway"), "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-migrate", "--no-worker"]
    log = (workdir / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("hallway serve did not start; see serve.log")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wrk(
    name: str,
    base: str,
    paths_file: Path,
    script: Path,
    *,
    seconds: int,
    connections: int,
    key: str = "",
) -> LoadResult:
    """One bounded wrk run (2 threads) over the paths in ``paths_file``."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(script), base, "--", str(paths_file), key]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    fields = line.split()
    statuses = {}
    if len(fields) > 8 and fields[8]:
        for part in fields[8].split(","):
            code, count = part.split(":")
            statuses[int(code)] = int(count)
    return LoadResult(
        name=name,
        requests=int(fields[1]),
        seconds=int(fields[2]) / 1e6,
        p50_ms=float(fields[3]),
        p95_ms=float(fields[4]),
        p99_ms=float(fields[5]),
        max_ms=float(fields[6]),
        socket_errors=int(fields[7]),
        statuses=statuses,
    )


def probe(url: str, stop: threading.Event, out: list[tuple[float, int]]) -> None:
    """Request ``url`` every 0.2 s until ``stop``; record (latency s, status or 0)."""
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            start = time.perf_counter()
            try:
                status = client.get(url).status_code
            except httpx.HTTPError:
                status = 0
            out.append((time.perf_counter() - start, status))
            stop.wait(0.2)


def recovery_seconds(url: str, *, normal_ms: float, limit: float = 30.0) -> float:
    """Seconds until ``url`` answers 200 within ``normal_ms`` three times in a row."""
    start = time.monotonic()
    good = 0
    with httpx.Client(timeout=10) as client:
        while time.monotonic() - start < limit:
            t0 = time.perf_counter()
            try:
                ok = client.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            fast = (time.perf_counter() - t0) * 1000 <= normal_ms
            good = good + 1 if ok and fast else 0
            if good == 3:
                return time.monotonic() - start
            time.sleep(0.05)
    return float("inf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--attendees", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=8, help="clients in the normal runs")
    parser.add_argument("--burst", type=int, default=400, help="clients in the burst")
    parser.add_argument("--web-processes", type=int, default=None)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (emptied first)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each normal scenario")
    parser.add_argument("--smoke", action="store_true", help="120 attendees, 2 s runs, once")
    args = parser.parse_args(argv)
    if args.smoke:
        args.attendees, args.seconds, args.burst, args.repeats = 120, 2, 80, 1
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package 'wrk'; `make bench` installs it)")
        return 2
    with tempfile.TemporaryDirectory(prefix="hallway-load-") as tmp:
        workdir = Path(tmp)
        # The embedding model's prepared files, kept between runs like the other benchmarks'.
        cache = Path(
            os.environ.get("HALLWAY_BENCH_CACHE", Path.home() / ".cache" / "hallway-bench")
        )
        os.environ.setdefault("HALLWAY_CACHE_DIR", str(cache / "embeddings"))
        if args.database_url:
            reset_postgres(args.database_url)
            url, database = args.database_url, "PostgreSQL"
        else:
            url, database = f"sqlite:///{workdir / 'hallway.db'}", "SQLite"
        t0 = time.perf_counter()
        key, tokens = prepare(url, args.attendees)
        print(f"prepared {len(tokens)} attendees in {time.perf_counter() - t0:.0f} s", flush=True)
        script = workdir / "paths.lua"
        script.write_text(WRK_SCRIPT)
        # Each repeat of the page run gets attendees of its own, so each starts with their
        # first visits, as on publish day.
        me_files = []
        for repeat in range(args.repeats):
            part = workdir / f"me-{repeat}.txt"
            part.write_text("".join(f"/me/{t}\n" for t in tokens[repeat :: args.repeats]))
            me_files.append(part)
        ics = workdir / "ics.txt"
        ics.write_text("".join(f"/me/{t}/calendar.ics\n" for t in tokens))
        listing = workdir / "list.txt"
        cursorless = "/v1/conferences/demo/attendees?limit=100"
        listing.write_text(f"{cursorless}\n")
        results: list[LoadResult] = []
        burst_note = ""
        with serving(url, workdir, web_processes=args.web_processes) as base:
            run = {"base": base, "seconds": args.seconds, "script": script}
            # Warm every process up (imports, templates, connections) before measuring, on the
            # calendar so that the page run still sees everyone's first visit, as on publish day.
            wrk("warm-up", base, ics, script, seconds=5, connections=args.connections)
            runs: dict[str, list[LoadResult]] = {"/me/<token>": [], "calendar.ics": []}
            runs["attendees?limit=100"] = []
            for repeat in range(args.repeats):
                scenarios = (
                    ("/me/<token>", me_files[repeat], ""),
                    ("calendar.ics", ics, ""),
                    ("attendees?limit=100", listing, key),
                )
                for name, paths, auth in scenarios:
                    runs[name].append(
                        wrk(name, paths_file=paths, connections=args.connections, key=auth, **run)
                    )
            results.extend(median_result(name, found) for name, found in runs.items())
            stop = threading.Event()
            health: list[tuple[float, int]] = []
            page: list[tuple[float, int]] = []
            probes = [
                threading.Thread(target=probe, args=(f"{base}/healthz", stop, health)),
                threading.Thread(target=probe, args=(f"{base}/me/{tokens[0]}", stop, page)),
            ]
            for thread in probes:
                thread.start()
            burst = wrk(
                f"burst: attendees, {args.burst} clients",
                paths_file=listing,
                connections=args.burst,
                key=key,
                **run,
            )
            stop.set()
            for thread in probes:
                thread.join()
            results.append(burst)
            normal = max(100.0, results[0].p99_ms * 2)
            back = recovery_seconds(f"{base}/me/{tokens[0]}", normal_ms=normal)
            worst_health = max((lat for lat, _ in health), default=0.0)
            health_ok = sum(1 for _, s in health if s == 200)
            page_ok = sum(1 for _, s in page if s == 200)
            burst_note = (
                f"During the burst: /healthz answered {health_ok}/{len(health)} probes "
                f"(slowest {worst_health * 1000:.0f} ms), an attendee page {page_ok}/{len(page)}; "
                f"{burst.turned_away} requests turned away politely (429/503). "
                f"Full service (3 page answers in a row under {normal:.0f} ms) "
                f"{back:.1f} s after the burst ended."
            )
    print()
    print(
        f"Load on {database}, {args.attendees} attendees, {machine_line()}, "
        f"{args.seconds} s per run"
    )
    print()
    rows = [
        [
            r.name,
            r.requests,
            f"{r.rate:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            r.errors,
            r.turned_away,
        ]
        for r in results
    ]
    headers = ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "429/503"]
    print(markdown_table(headers, rows))
    print()
    print(burst_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
