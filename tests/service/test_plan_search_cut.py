"""A plan's message says when the time budget cut the search; its summary gives the unavoidable
minimum of repeated pairs beside the count."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.plans import worker
from tests.service.test_plans_api import conf, hashing, run_plan

__all__ = ["conf", "hashing"]  # fixtures used here


def test_an_uncut_plan_is_ready_with_the_repeats_minimum(
    admin: TestClient, conf: dict[str, Any]
) -> None:
    plan = run_plan(admin, conf["base"], time_budget=60)
    assert plan["status"] == "ready"
    assert plan["message"] == "Ready for review"
    summary = plan["summary"]
    # 24 people: two lunches at 4 tables of 6 and a dinner of 12 at 5 + 5 + 4 in between. Each
    # first-lunch table of 6 spread over 4 tables of 6 leaves 2 pairs together again.
    assert summary["repeated_pairs_min"] >= 4 * 2
    assert summary["repeated_pairs"] >= summary["repeated_pairs_min"]


def test_a_plan_cut_by_the_time_budget_says_how_far_the_search_got(
    admin: TestClient, conf: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = conf["base"]
    created = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 2})
    assert created.status_code == 202, created.text
    plan_id = created.json()["id"]
    readings = [0]

    def clock() -> float:  # a second per reading: the budget is two readings of the search
        readings[0] += 1
        return 1000.0 + readings[0]

    with monkeypatch.context() as patch:
        patch.setattr(time, "perf_counter", clock)
        assert worker.run_once() == uuid.UUID(plan_id)
    plan = admin.get(f"{base}/plans/{plan_id}").json()
    assert plan["status"] == "ready", plan
    assert plan["message"].startswith("Ready for review. The search was stopped by the time budget")
    assert "% of its planned work" in plan["message"]
