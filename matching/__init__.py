"""Hallway's matching library: seat conference attendees so that strangers meet.

The public API: `Matcher` (the façade), `Weights` (soft-rule weights), `Infeasible` (a hard
rule cannot hold), `check_feasibility` (instant checks before any embedding, with its
`Feasibility` and `Finding`), `DiversityGrouping` (maximally diverse grouping from a
precomputed matrix) and the plain data types of `matching.types`.
"""

from matching.errors import Infeasible
from matching.feasibility import Feasibility, Finding, check_feasibility
from matching.matcher import Matcher
from matching.objective import Weights
from matching.precomputed import DiversityGrouping
from matching.types import Attendee, Constraints, History, Pin, Round, RoundKind, Seating

__all__ = [
    "Attendee",
    "Constraints",
    "DiversityGrouping",
    "Feasibility",
    "Finding",
    "History",
    "Infeasible",
    "Matcher",
    "Pin",
    "Round",
    "RoundKind",
    "Seating",
    "Weights",
    "check_feasibility",
]
