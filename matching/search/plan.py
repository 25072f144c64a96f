"""What a search returns: the seating of every round and how the search went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matching.problem import Problem

__all__ = ["PHASE_JOINT", "PHASE_POLISH", "PHASE_ROUNDS", "Plan", "ProgressCallback"]

#: Called with (fraction done, message) as the work advances.
ProgressCallback = Callable[[float, str], None]

#: The search's phases, as a sentence reads them ("... while removing repeated pairs").
PHASE_ROUNDS = "seating each round"
PHASE_JOINT = "removing repeated pairs"
PHASE_POLISH = "polishing"


@dataclass(slots=True)
class Plan:
    """A solved seating.

    Attributes:
        table_of: Per round (aligned with ``problem.rounds``): table index of each member.
        moved: Per round name: attendees seated in the previous seating (see
            `Problem.build`) whose table changed.
        repeats: Pairs seated together more often than once, counting history.
        repeats_floor: The fewest repeated pairs any plan has, from table counts and the
            history (the search stops removing repeats once it gets there).
        iterations: Swap proposals evaluated.
        timed_out: Whether the time budget cut the search short.
        progress: Share of the search's planned work done (1.0 when its own stopping rule
            ended it; while it runs, the units of work done so far).
        phase: The phase running (`PHASE_ROUNDS`, `PHASE_JOINT`, `PHASE_POLISH`).
        cut_phase: The phase the time budget first cut, or None.
    """

    table_of: list[np.ndarray]
    moved: dict[str, int] = field(default_factory=dict)
    repeats: int = 0
    repeats_floor: int = 0
    iterations: int = 0
    timed_out: bool = False
    progress: float = 0.0
    phase: str = PHASE_ROUNDS
    cut_phase: str | None = None

    def stop(self) -> None:
        """Record that the time budget cut the running phase."""
        if not self.timed_out:
            self.timed_out = True
            self.cut_phase = self.phase

    def tables(self, problem: Problem) -> dict[str, list[list[str]]]:
        """The seating as round name -> tables -> attendee ids."""
        out: dict[str, list[list[str]]] = {}
        for spec, table_of in zip(problem.rounds, self.table_of, strict=True):
            tables: list[list[str]] = [[] for _ in range(spec.capacities.shape[0])]
            for person, table in zip(spec.members, table_of, strict=True):
                tables[int(table)].append(problem.ids[int(person)])
            out[spec.round.name] = tables
        return out
