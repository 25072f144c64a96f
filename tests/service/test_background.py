"""The pieces the mail, webhook and connection queues share (claims are tested with each queue)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from service import background


def test_public_surface() -> None:
    assert sorted(background.__all__) == [
        "Every",
        "Loop",
        "claim_due",
        "doubling",
        "drain",
        "oldest_due",
    ]


def test_doubling_doubles_from_the_first_wait_up_to_the_most() -> None:
    first = timedelta(seconds=30)
    assert [background.doubling(first, tries).total_seconds() for tries in (1, 2, 3, 4)] == [
        30,
        60,
        120,
        240,
    ]
    assert background.doubling(first, 0) == first
    assert background.doubling(first, 20, most=timedelta(hours=2)) == timedelta(hours=2)


def test_drain_stops_when_nothing_is_due_at_the_limit_or_when_told() -> None:
    queue = list(range(5))
    handled: list[int] = []
    assert background.drain(lambda: queue.pop(0) if queue else None, handled.append) == 5
    assert handled == [0, 1, 2, 3, 4]
    queue = list(range(5))
    assert background.drain(lambda: queue.pop(0), handled.append, max_items=2) == 2
    assert background.drain(lambda: queue.pop(0), handled.append, should_stop=lambda: True) == 0
    assert queue == [2, 3, 4]


def test_every_runs_at_once_then_not_again_within_its_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(background.time, "monotonic", lambda: now[0])
    runs: list[float] = []
    every = background.Every(60, lambda: runs.append(now[0]))
    every()
    now[0] += 59
    every()
    now[0] += 1
    every()
    assert runs == [1000.0, 1060.0]


def test_a_loop_keeps_going_after_a_failing_step_and_stops_on_leaving() -> None:
    calls: list[int] = []
    second = threading.Event()

    def step() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is away")
        second.set()
        return 0

    loop = background.Loop({"test-queue": step}, poll_interval=0.01, join_timeout=5)
    with loop:
        assert second.wait(5)
    assert not any(thread.is_alive() for thread in loop.threads)
