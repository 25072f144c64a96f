"""Hallway's matching library: seat conference attendees so that strangers meet.

The public API: `Matcher` (the façade), `Weights` (soft-rule weights), `Infeasible` (a hard
rule cannot hold, naming it by `RuleName`), `check_feasibility` (instant checks before any
embedding, with its `Feasibility` and `Finding`), `DiversityGrouping` (maximally diverse
grouping from a precomputed matrix) and the plain data types of `matching.types`. The plan
report's types are in `matching.report` (imported on demand: it loads scikit-learn's TF-IDF).
"""

from matching.errors import Infeasible
from matching.feasibility import Feasibility, Finding, check_feasibility
from matching.matcher import Matcher
from matching.objective import Weights
from matching.precomputed import DiversityGrouping
from matching.rule_names import RuleName
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
    "RuleName",
    "Seating",
    "Weights",
    "check_feasibility",
]
