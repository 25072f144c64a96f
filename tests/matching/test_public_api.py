"""The library's public surface is what ``__all__`` says, and nothing moves out of it unnoticed."""

from __future__ import annotations

import importlib

import pytest

import matching

PUBLIC = {
    "matching": [
        "Attendee", "Constraints", "DiversityGrouping", "Feasibility", "Finding", "History",
        "Infeasible", "Matcher", "Pin", "Round", "RoundKind", "RuleName", "Seating", "Weights",
        "check_feasibility",
    ],
    "matching.report": [
        "REPORT_VERSION", "AttendeeRound", "AttendeeView", "HardEntry", "Minimum", "Report",
        "RoundReport", "RoundViolations", "SearchRun", "SeatExplanation", "Summary",
        "TableReport", "TableViolations", "attendee_view", "build_report", "common_ground",
        "table_view",
    ],
    "matching.search": ["Plan", "ProgressCallback", "solve"],
}  # fmt: skip


@pytest.mark.parametrize("module", list(PUBLIC))
def test_all_is_the_public_surface(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name


def test_the_package_exports_the_same_objects_as_their_modules() -> None:
    from matching.errors import Infeasible
    from matching.objective import Weights
    from matching.rule_names import RuleName

    assert (matching.Infeasible, matching.Weights, matching.RuleName) == (
        Infeasible,
        Weights,
        RuleName,
    )
