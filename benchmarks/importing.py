"""Attendee import speed: a generated export through the real import path into SQLite.

Usage::

    python -m benchmarks.importing [--rows 20000] [--repeats 3] [--smoke]

Each run imports the same CSV into a fresh, migrated SQLite file (every row new), then
re-imports it (every row unchanged), as an organizer re-uploading a registration export would.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import machine_line, markdown_table


def _export(rows: int) -> bytes:
    from matching.datasets import make_conference

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "name", "email", "affiliation", "interests", "hometown", "solo", "dinner"]
    )
    for p in make_conference(rows, random_state=1):
        writer.writerow(
            [p.id, p.name, p.email, p.affiliation, p.interests, p.hometown, p.solo, p.dinner]
        )
    return buffer.getvalue().encode()


def _import_twice(data: bytes, folder: Path) -> tuple[float, float, int]:
    import time

    from service import migrations
    from service.attendees.importing import import_file
    from service.config import get_settings
    from service.db import get_engine, session_scope
    from service.models import Conference

    path = Path(tempfile.mkdtemp(dir=folder)) / "bench.db"
    os.environ["HALLWAY_DATABASE_URL"] = f"sqlite:///{path}"
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrations.upgrade(os.environ["HALLWAY_DATABASE_URL"])
    with session_scope() as session:
        session.add(Conference(slug="bench", name="Bench"))
    timings = []
    created = 0
    for _ in range(2):
        start = time.perf_counter()
        with session_scope() as session:
            conference = session.query(Conference).one()
            result = import_file(
                session,
                conference=conference,
                data=data,
                filename="export.csv",
                dry_run=False,
                skip_invalid=False,
                actor="bench",
            )
            created = max(created, result.created)
        timings.append(time.perf_counter() - start)
    get_engine().dispose()
    return timings[0], timings[1], created


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Attendee import speed")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="500 rows, one run")
    args = parser.parse_args(argv)
    rows, repeats = (500, 1) if args.smoke else (args.rows, args.repeats)
    print(f"# Attendee import, {rows:,} rows of CSV into SQLite\n\n{machine_line()}\n")
    data = _export(rows)
    with tempfile.TemporaryDirectory() as folder:
        runs = [_import_twice(data, Path(folder)) for _ in range(repeats)]
    first = statistics.median(r[0] for r in runs)
    again = statistics.median(r[1] for r in runs)
    print(
        markdown_table(
            ["rows", "runs", "import s (median)", "rows/s", "re-import s (median)", "created"],
            [[rows, repeats, first, rows / first, again, runs[-1][2]]],
        )
    )


if __name__ == "__main__":
    main()
