"""Who meets whom: pairs of people sharing a table, in the history or a round's seating."""

from __future__ import annotations

import numpy as np

from matching.problem import Problem, RoundSpec
from matching.search._common_kernels import table_pairs

__all__ = ["count_repeats", "pair_set", "pairs", "tables_of"]


def pair_set(met: list[np.ndarray], local: np.ndarray, m: int) -> set[int]:
    """Pairs of round members who met before, as keys ``a * m + b`` with ``a < b``."""
    a, b = pairs(met, local)
    keep = a < b
    return set((a[keep] * m + b[keep]).tolist())


def pairs(
    tables: list[np.ndarray], index: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair ``(a, b)``, ``a != b``, of people sharing one of ``tables``.

    ``index`` maps the table entries first (e.g. global to round-local indices); people it
    maps to -1 are left out.
    """
    if not tables:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    flat = np.concatenate(tables)
    if index is not None:
        flat = index[flat]
    offsets = np.zeros(len(tables) + 1, dtype=np.int64)
    np.cumsum([t.shape[0] for t in tables], out=offsets[1:])
    src, dst = table_pairs(flat, offsets)
    return src, dst


def tables_of(spec: RoundSpec, table_of: np.ndarray) -> list[np.ndarray]:
    """The round's tables as arrays of global attendee indices, in table order."""
    order = np.argsort(table_of, kind="stable")
    bounds = np.searchsorted(table_of[order], np.arange(spec.capacities.shape[0] + 1))
    people = spec.members[order]
    return [people[bounds[t] : bounds[t + 1]] for t in range(spec.capacities.shape[0])]


def count_repeats(problem: Problem, tables: list[list[np.ndarray]]) -> int:
    """Pairs seated together more than once (a pair meeting three times counts twice)."""
    flat_tables = [t for t in problem.history if t.shape[0] > 1]
    for round_tables in tables:
        flat_tables.extend(t for t in round_tables if t.shape[0] > 1)
    if not flat_tables:
        return 0
    n = len(problem.ids)
    a, b = pairs(flat_tables)
    keep = a < b
    _, counts = np.unique(a[keep] * n + b[keep], return_counts=True)
    return int((counts - 1).sum())
