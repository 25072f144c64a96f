"""Hallway's matching library: seat conference attendees so that strangers meet.

The public API: `Matcher` (the façade), `Weights` (soft-rule weights), `Infeasible` (a hard
rule cannot hold), `DiversityGrouping` (maximally diverse grouping from a precomputed matrix)
and the plain data types of `matching.types`.
"""

from matching.matcher import Matcher
from matching.precomputed import DiversityGrouping
from matching.problem import Infeasible, Weights
from matching.types import Attendee, Constraints, History, Pin, Round, RoundKind, Seating

__all__ = [
    "Attendee",
    "Constraints",
    "DiversityGrouping",
    "History",
    "Infeasible",
    "Matcher",
    "Pin",
    "Round",
    "RoundKind",
    "Seating",
    "Weights",
]
