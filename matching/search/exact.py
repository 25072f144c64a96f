"""Constraint search for a seating where nobody meets anyone twice, for small conferences.

Local search removes repeated pairs well while they are few among many possible tables, but on
small, tight conferences (32 people at tables of 4 for 9 days meet 27 of their 31 peers) it
stalls a handful of repeats short. There a complete depth-first search does better: it keeps the
first round as planned, then seats attendee after attendee in every later round, never next to
someone they already sat with, a co-worker, a party member, a keep-apart partner or a tablemate
from an already published round, and backs up when an attendee has no table left. Tables of one
size and rounds with the same attendees are interchangeable, so relabellings are cut (see
`_exact_kernels`). Such a search either finds a schedule quickly or not at all, so it runs under
a node budget and a deadline; `matching.search.joint` calls it when its tabu search stalls.
The search ignores interests, so afterwards attendees' whole schedules are exchanged wherever
that seats more people next to a kindred partner: an exchange in every round at once keeps
every pair meeting at most once.

It plans only the rule "new faces every day" and the strangers rule as hard constraints, so the
caller keeps the result only if its weighted cost is lower (product.md ranks new faces above
solo balance, common ground and diversity).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from matching.search import _exact_kernels as xk

if TYPE_CHECKING:
    from matching.problem import Problem

__all__ = ["EXACT_MAX", "repeat_free"]

#: The search is tried up to this many attendees (beyond, it would not finish anyway).
EXACT_MAX = 256
#: Values tried per call of the kernel between clock checks.
_CHUNK_NODES = 2_000_000
#: Sweeps over all exchangeable pairs when recovering common ground (each stops early).
_RELABEL_SWEEPS = 20


def repeat_free(
    problem: Problem,
    table_of: list[np.ndarray],
    fixed_of: list[np.ndarray],
    *,
    max_nodes: int,
    deadline: float | None = None,
) -> list[np.ndarray] | None:
    """A seating of every round with no pair meeting twice, or None if none is found in budget.

    The search starts from the first round in ``table_of`` and every round keeps its table
    sizes; the exchanges for common ground may then move people in the first round too. Nobody
    sits with a co-worker, a member of their party, a keep-apart partner or anyone they met in
    an already published round, and nobody fixed in any round moves. Returns None at once when
    the conference is out of scope: more than `EXACT_MAX` attendees, anyone fixed (pins,
    keep-together sets, re-planning) after the first round, or a company or party larger than a
    round's number of tables.

    Args:
        problem: The compiled problem.
        table_of: Per round (aligned with ``problem.rounds``): table of each member.
        fixed_of: Per round: members who may not move.
        max_nodes: Values to try at most.
        deadline: ``time.perf_counter()`` value to give up at, or None.

    Example:
        >>> from matching.problem import Problem
        >>> from matching.types import Attendee, Round
        >>> people = [Attendee(id=str(i)) for i in range(15)]
        >>> rounds = [Round(name=f"Day {d}", table_size=3) for d in range(7)]
        >>> p = Problem.build(people, rounds, np.ones((15, 2)), rng=np.random.default_rng(0))
        >>> seats = [np.arange(15) // 3 for _ in rounds]
        >>> fixed = [np.zeros(15, dtype=bool) for _ in rounds]
        >>> plan = repeat_free(p, seats, fixed, max_nodes=10_000_000)
        >>> pairs = [(a, b) for r in range(7) for t in range(5)
        ...          for a in np.flatnonzero(plan[r] == t) for b in np.flatnonzero(plan[r] == t)
        ...          if a < b]
        >>> len(pairs) == len(set(pairs)) == 105  # Kirkman's fifteen schoolgirls
        True
    """
    n = len(problem.ids)
    n_rounds = len(problem.rounds)
    if n_rounds < 2 or n > EXACT_MAX or not _in_scope(problem, fixed_of):
        return None
    first = problem.rounds[0]
    # Attendees in the order of their first-round tables: a search that seats each first-round
    # table's people one after another finds the regular structure of a design fastest.
    where = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    where[first.members] = table_of[0]
    order = np.lexsort((np.arange(n), where))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)

    forbid = _forbidden(problem)
    n_tables = max(int(spec.capacities.shape[0]) for spec in problem.rounds)
    n_tab = np.zeros(n_rounds, dtype=np.int64)
    size = np.zeros((n_rounds, n_tables), dtype=np.int64)
    cls = np.zeros((n_rounds, n_tables), dtype=np.int64)
    maxused = np.zeros((n_rounds, n_tables), dtype=np.int64)
    # Per round: search table -> table of the plan (tables sorted by size, largest first).
    labels: list[np.ndarray] = []
    for r, spec in enumerate(problem.rounds):
        counts = np.bincount(table_of[r], minlength=spec.capacities.shape[0])
        by_size = np.argsort(-counts, kind="stable")
        labels.append(by_size)
        sizes = counts[by_size]
        n_tab[r] = sizes.shape[0]
        size[r, : sizes.shape[0]] = sizes
        starts = np.flatnonzero(np.r_[True, sizes[1:] != sizes[:-1]])
        lengths = np.diff(np.r_[starts, sizes.shape[0]])
        cls[r, : sizes.shape[0]] = np.repeat(np.arange(starts.shape[0]), lengths)
        maxused[r, : starts.shape[0]] = starts - 1
    # The first round is given: its tablemates count as met.
    seated_first = where < np.iinfo(np.int64).max
    met_first = seated_first[:, None] & (where[:, None] == where[None, :])
    np.fill_diagonal(met_first, False)
    met = _bit_sets((forbid | met_first)[np.ix_(order, order)])

    lex = np.zeros(n_rounds, dtype=np.bool_)
    for r in range(2, n_rounds):
        a, b = problem.rounds[r - 1], problem.rounds[r]
        lex[r] = np.array_equal(a.members, b.members) and np.array_equal(size[r - 1], size[r])
    seated = np.zeros((n, n_rounds), dtype=np.bool_)
    for r in range(1, n_rounds):
        seated[pos[problem.rounds[r].members], r] = True
    # One variable per (attendee, round) seated after the first, attendee-major (C order).
    var_p, var_r = (v.astype(np.int64) for v in np.nonzero(seated))
    first_var = np.diff(var_p, prepend=-1) != 0
    last_var = np.diff(var_p, append=n) != 0

    G = np.full((n_rounds, n), -1, dtype=np.int64)
    cnt = np.zeros((n_rounds, n_tables), dtype=np.int64)
    mem = np.zeros((n_rounds, n_tables, met.shape[1]), dtype=np.uint64)
    val = np.full(var_p.shape[0], -1, dtype=np.int64)
    saved_max = np.zeros(var_p.shape[0], dtype=np.int64)
    eq = np.ones(n_rounds, dtype=np.bool_)
    eqsave = np.zeros((n, n_rounds), dtype=np.bool_)
    cursor = np.zeros(1, dtype=np.int64)
    spent = 0
    while spent < max_nodes:
        chunk = min(_CHUNK_NODES, max_nodes - spent)
        status = xk.search(
            chunk, cursor, var_p, var_r, first_var, last_var, n_tab, size, cls, lex, G, cnt,
            mem, met, maxused, val, saved_max, eq, eqsave,
        )  # fmt: skip
        spent += chunk
        if status == xk.FOUND:
            break
        if status == xk.EXHAUSTED or (deadline is not None and time.perf_counter() > deadline):
            return None
    else:
        return None
    seats = np.full((n_rounds, n), -1, dtype=np.int64)
    seats[0, first.members] = table_of[0]
    for r in range(1, n_rounds):
        members = problem.rounds[r].members
        seats[r, members] = labels[r][G[r, pos[members]]]
    _more_common_ground(problem, seats, forbid, fixed_of)
    return [seats[r, spec.members] for r, spec in enumerate(problem.rounds)]


def _more_common_ground(
    problem: Problem, seats: np.ndarray, forbid: np.ndarray, fixed_of: list[np.ndarray]
) -> None:
    """Exchange attendees' whole schedules where that seats more people by a kindred partner.

    The search above ignores interests; exchanging two people in every round keeps every pair
    meeting at most once, so this recovers common ground for free. Only people seated in the
    same rounds, both solo or both not, and fixed nowhere are exchanged.
    """
    n = seats.shape[1]
    X = np.asarray(problem.X, dtype=np.float64)
    similarity = X @ X.T
    kin = similarity >= problem.threshold
    np.fill_diagonal(kin, False)
    movable = np.ones(n, dtype=bool)
    for spec, fixed in zip(problem.rounds, fixed_of, strict=True):
        movable[spec.members[fixed | (spec.fixed_table >= 0) | (spec.anchor >= 0)]] = False
    pattern = np.vstack([seats >= 0, problem.solo[None, :].astype(bool)]).T
    _, key = np.unique(pattern, axis=0, return_inverse=True)
    key = np.where(movable, key.reshape(-1), -1).astype(np.int64)
    xk.relabel(seats, kin, forbid, key, 0, _RELABEL_SWEEPS)


def _in_scope(problem: Problem, fixed_of: list[np.ndarray]) -> bool:
    for r, spec in enumerate(problem.rounds):
        if r == 0:
            continue
        if fixed_of[r].any() or (spec.anchor >= 0).any() or (spec.fixed_table >= 0).any():
            return False
        n_tables = int(spec.capacities.shape[0])
        for codes in (problem.company[spec.members], problem.party[spec.members]):
            codes = codes[codes >= 0]
            if codes.size and int(np.bincount(codes).max()) > n_tables:
                return False
    return True


def _forbidden(problem: Problem) -> np.ndarray:
    """``forbid[a, b]``: a and b may never share a table (co-workers, party, published, apart)."""
    n = len(problem.ids)
    forbid = np.zeros((n, n), dtype=bool)
    for codes in (problem.company, problem.party):
        known = codes >= 0
        forbid |= known[:, None] & (codes[:, None] == codes[None, :])
    for table in problem.history:
        forbid[np.ix_(table, table)] = True
    if problem.keep_apart.size:
        forbid[problem.keep_apart[:, 0], problem.keep_apart[:, 1]] = True
        forbid[problem.keep_apart[:, 1], problem.keep_apart[:, 0]] = True
    np.fill_diagonal(forbid, False)
    return forbid


def _bit_sets(matrix: np.ndarray) -> np.ndarray:
    """Each row of a boolean matrix as 64-bit words: bit ``q % 64`` of word ``q // 64``."""
    n = matrix.shape[1]
    padded = np.zeros((matrix.shape[0], -(-n // 64) * 64), dtype=bool)
    padded[:, :n] = matrix
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)
