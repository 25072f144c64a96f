"""The objective the search minimises: soft-rule weights and their slots in the weight vector.

The compiled kernels read the weights as one float vector; the ``W_*`` constants name its slots.
Keep-apart is a hard rule but sits in the vector with a huge weight, so a search never makes a
swap that breaks it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["N_WEIGHTS", "Weights"]

# Positions in the weight vector handed to the kernels.
W_COWORKER = 0
W_PARTY = 1
W_REPEAT = 2
W_APART = 3
W_SOLO = 4
W_LONE = 5
W_PARTY_SOLO = 6
W_KINDRED = 7
W_LANGUAGE = 8
W_HOMETOWN = 9
W_FIRST_TIME = 10
W_DIVERSITY = 11
W_MOVE = 12
N_WEIGHTS = 13
#: The weight that makes a keep-apart pair at one table cost more than any soft rule.
APART_WEIGHT = 1e7


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the soft rules, in product.md's order of importance.

    Hard rules are not weighted: they always hold. ``moved`` is the price of moving an
    already-seated attendee when re-planning.

    Example:
        >>> Weights(kindred=0.0, diversity=0.0).coworker
        1000.0
    """

    coworker: float = 1000.0
    party: float = 1000.0
    repeat: float = 200.0
    solo_balance: float = 50.0
    lone_outsider: float = 50.0
    party_without_solo: float = 20.0
    kindred: float = 30.0
    language: float = 2.0
    hometown: float = 1.0
    first_time: float = 0.5
    # 2.0 keeps dinner groups (six people, each with a kindred partner) as mixed as lunches:
    # on 2,000 generated attendees dinner diversity goes from 0.936 to 0.97 of random seating
    # while every lunch keeps a kindred tablemate for over 98% (benchmarks/quality.py).
    diversity: float = 2.0
    moved: float = 300.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"The '{f.name}' weight must be a finite number >= 0. Got {value!r} instead."
                )

    def as_array(self) -> np.ndarray:
        """The weights in the kernels' order (keep-apart is a hard rule: a huge weight)."""
        w = np.zeros(N_WEIGHTS, dtype=np.float64)
        w[W_COWORKER] = self.coworker
        w[W_PARTY] = self.party
        w[W_REPEAT] = self.repeat
        w[W_APART] = APART_WEIGHT
        w[W_SOLO] = self.solo_balance
        w[W_LONE] = self.lone_outsider
        w[W_PARTY_SOLO] = self.party_without_solo
        w[W_KINDRED] = self.kindred
        w[W_LANGUAGE] = self.language
        w[W_HOMETOWN] = self.hometown
        w[W_FIRST_TIME] = self.first_time
        w[W_DIVERSITY] = self.diversity
        w[W_MOVE] = self.moved
        return w
