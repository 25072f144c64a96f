"""The seating search, one module per phase, each beside its compiled kernels.

* `solver`: `solve`, the phases in order under one time budget.
* `construction`: a round's first seating (kindred units dealt to mixed tables).
* `rounds`: phase one, a round's annealed swap search (`_round_kernels`).
* `joint`: phase two, the rounds together against repeated pairs (`_joint_kernels`).
* `exact`: a complete search for a repeat-free plan on small conferences (`_exact_kernels`).
* `meetings`, `plan`: who met whom; what a search returns.
"""

from matching.search.plan import Plan, ProgressCallback
from matching.search.solver import solve

__all__ = ["Plan", "ProgressCallback", "solve"]
