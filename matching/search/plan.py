"""What a search returns: the seating of every round and how the search went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matching.problem import Problem

__all__ = ["Plan", "ProgressCallback"]

#: Called with (fraction done, message) as the work advances.
ProgressCallback = Callable[[float, str], None]


@dataclass(slots=True)
class Plan:
    """A solved seating.

    Attributes:
        table_of: Per round (aligned with ``problem.rounds``): table index of each member.
        moved: Per round name: attendees seated in the previous seating (see
            `Problem.build`) whose table changed.
        repeats: Pairs seated together more often than once, counting history.
        iterations: Swap proposals evaluated.
        timed_out: Whether the time budget cut the search short.
    """

    table_of: list[np.ndarray]
    moved: dict[str, int] = field(default_factory=dict)
    repeats: int = 0
    iterations: int = 0
    timed_out: bool = False

    def tables(self, problem: Problem) -> dict[str, list[list[str]]]:
        """The seating as round name -> tables -> attendee ids."""
        out: dict[str, list[list[str]]] = {}
        for spec, table_of in zip(problem.rounds, self.table_of, strict=True):
            tables: list[list[str]] = [[] for _ in range(spec.capacities.shape[0])]
            for person, table in zip(spec.members, table_of, strict=True):
                tables[int(table)].append(problem.ids[int(person)])
            out[spec.round.name] = tables
        return out
