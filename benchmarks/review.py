"""Review speed: reading a plan, its map and editing it, on a conference of 2,000 attendees.

Usage::

    python -m benchmarks.review [--attendees 2000] [--repeats 7] [--smoke]

Builds the demo conference with ``--attendees`` people (three lunches of 8, a dinner of 6) in a
fresh, migrated SQLite file, runs a plan to ready through the worker, then times through the
API (in process, no network): ``GET …/plans/{id}``, ``GET …/plans/{id}/map`` for the first lunch,
the first lunch's tables (``GET …/rounds/{id}/tables``: every table, the first page of 20, and
the two tables an edit touches, ``?tables=1,2``) and a swap of two people in the first lunch
(``POST …/plans/{id}/edits``, swapped back and forth). Prints the median and slowest of
``--repeats`` calls each. Targets: an edit and the redraw's read together under 300 ms.
``--smoke`` uses 120 attendees, the hashing encoder and three calls each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import machine_line, markdown_table


def _prepare(folder: Path, n_attendees: int) -> tuple[str, uuid.UUID, uuid.UUID]:
    """Load the demo conference, run one plan to ready; return key, conference and plan ids."""
    from service import migrations
    from service.config import get_settings
    from service.db import get_engine, session_scope
    from service.demo import load_demo
    from service.models import Conference
    from service.plans import service as plan_service
    from service.plans import worker

    url = f"sqlite:///{folder / 'review.db'}"
    os.environ["HALLWAY_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrations.upgrade(url)
    key = load_demo(n_attendees=n_attendees)
    assert key is not None
    with session_scope() as session:
        conference = session.query(Conference).filter_by(slug="demo").one()
        plan = plan_service.create_plan(
            session,
            conference=conference,
            round_ids=None,
            seed=7,
            time_budget=20,
            weights=None,
            replan=False,
            actor="bench",
        )
        ids = conference.id, plan.id
    assert worker.claim_next() == ids[1]
    worker.runner.run_plan(ids[1])
    return key, *ids


def _timed(call: Callable[[], Any], repeats: int) -> list[float]:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Plan review speed")
    parser.add_argument("--attendees", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="120 attendees, hashing encoder")
    args = parser.parse_args(argv)
    if args.smoke:
        args.attendees, args.repeats = 120, 3
        os.environ["HALLWAY_EMBEDDING_MODEL"] = "hashing"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cache = os.environ.get("HALLWAY_BENCH_CACHE")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        folder = Path(tmp)
        os.environ.setdefault("HALLWAY_CACHE_DIR", str(folder / "cache"))
        start = time.perf_counter()
        key, conference_id, plan_id = _prepare(folder, args.attendees)
        print(f"# plan of {args.attendees} attendees ready in {time.perf_counter() - start:.1f} s")

        from fastapi.testclient import TestClient

        from service.app import create_app

        with TestClient(create_app()) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            base = f"/v1/conferences/{conference_id}/plans/{plan_id}"
            plan = client.get(base)
            assert plan.status_code == 200, plan.text
            assert plan.json()["status"] == "ready", plan.json()["error"]
            rounds = client.get(f"/v1/conferences/{conference_id}/rounds").json()
            lunch = next(r for r in rounds if r["kind"] == "lunch")
            tables = client.get(f"{base}/rounds/{lunch['id']}/tables").json()
            version = [plan.headers["ETag"]]

            def edit(a: str, b: str) -> int:
                answer = client.post(
                    f"{base}/edits",
                    json={"op": "swap", "round_id": lunch["id"], "a": a, "b": b},
                    headers={"If-Match": version[0]},
                )
                if answer.status_code == 200:
                    version[0] = answer.headers["ETag"]
                return answer.status_code

            # A swap the rules allow; swapping it back and forth keeps it allowed.
            pair = next(
                (m["external_id"], n["external_id"])
                for m in tables[0]["members"]
                for t in tables[1:]
                for n in t["members"]
                if edit(m["external_id"], n["external_id"]) == 200
            )

            def get_plan() -> None:
                assert client.get(base).status_code == 200

            def get_map() -> None:
                answer = client.get(f"{base}/map", params={"round_id": lunch["id"]})
                assert answer.status_code == 200, answer.text

            def get_tables(params: dict[str, Any]) -> Callable[[], None]:
                def call() -> None:
                    answer = client.get(f"{base}/rounds/{lunch['id']}/tables", params=params)
                    assert answer.status_code == 200, answer.text

                return call

            def swap() -> None:
                assert edit(*pair) == 200

            rows = []
            for name, call in (
                ("GET plan", get_plan),
                ("GET map (first lunch)", get_map),
                ("GET tables (first lunch, all)", get_tables({})),
                ("GET tables (first page, limit=20)", get_tables({"page": 1, "limit": 20})),
                ("GET tables (?tables=1,2)", get_tables({"tables": "1,2"})),
                ("POST edit (swap)", swap),
            ):
                runs = _timed(call, args.repeats)
                rows.append(
                    [
                        name,
                        args.repeats,
                        f"{statistics.median(runs) * 1000:.0f}",
                        f"{max(runs) * 1000:.0f}",
                    ]
                )
    print(machine_line())
    print(f"{args.attendees} attendees, 3 lunches of 8 and a dinner of 6; ms per request\n")
    print(markdown_table(["request", "calls", "median ms", "slowest ms"], rows))


if __name__ == "__main__":
    main()
