"""Compiled kernels of the iterated tabu search for the maximally diverse grouping problem.

The search state is the assignment ``lab`` (group of each item), the group sizes and the gain
matrix ``G[i, g] = sum(D[i, j] for j in group g)``. With it every neighbour is scored in O(1):
moving item ``i`` from group ``a`` to ``b`` changes the objective by ``G[i, b] - G[i, a]``;
swapping ``i`` (in ``a``) with ``j`` (in ``b``) by
``G[i, b] - G[i, a] + G[j, a] - G[j, b] - 2 * D[i, j]``. Applying a move updates ``G`` in O(n).

A tabu step looks for the best of the O(n^2) swaps. Since ``D[i, j]`` is at least the smallest
value of row i, a swap of i with any item of group b is bounded by i's gain towards b plus the
best gain of b's items towards a; rows whose bounds fall short of the best swap so far are
skipped group by group. On uniform distances that leaves about 1% of the pairs to score (four
times as many tabu steps per second at n = 480); where the bound prunes little, the rows take a
branch-free full pass.

Everything here is private to :mod:`matching.precomputed`, which validates the inputs.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, objmode


@njit(cache=True)
def _clock() -> float:
    with objmode(t="float64"):
        t = time.perf_counter()
    return t


@njit(cache=True)
def seed(value: int) -> None:
    """Seed the generator numba keeps per thread; the search draws all its randomness there."""
    np.random.seed(value)


@njit(cache=True)
def gain_matrix(D: np.ndarray, lab: np.ndarray, m: int) -> np.ndarray:
    n = D.shape[0]
    G = np.zeros((n, m))
    for i in range(n):
        row = D[i]
        Gi = G[i]
        for j in range(n):
            Gi[lab[j]] += row[j]
    return G


@njit(cache=True)
def objective(D: np.ndarray, lab: np.ndarray) -> float:
    n = D.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            if lab[i] == lab[j]:
                total += D[i, j]
    return total


@njit(cache=True)
def _move(D: np.ndarray, G: np.ndarray, lab: np.ndarray, size: np.ndarray, i: int, b: int) -> None:
    a = lab[i]
    row = D[i]
    for k in range(D.shape[0]):
        d = row[k]
        G[k, a] -= d
        G[k, b] += d
    lab[i] = b
    size[a] -= 1
    size[b] += 1


@njit(cache=True)
def _perturb(
    D: np.ndarray,
    G: np.ndarray,
    lab: np.ndarray,
    size: np.ndarray,
    lo: np.ndarray,
    up: np.ndarray,
    strength: int,
) -> float:
    """Apply ``strength`` random feasible moves or swaps; return the change of the objective."""
    n = D.shape[0]
    m = G.shape[1]
    change = 0.0
    done = 0
    tries = 0
    while done < strength and tries < 100 * strength + 100:
        tries += 1
        i = np.random.randint(n)
        a = lab[i]
        if np.random.random() < 0.5:
            b = np.random.randint(m)
            if b != a and size[a] > lo[a] and size[b] < up[b]:
                change += G[i, b] - G[i, a]
                _move(D, G, lab, size, i, b)
                done += 1
            continue
        j = np.random.randint(n)
        b = lab[j]
        if b == a:
            continue
        change += G[i, b] - G[i, a] + G[j, a] - G[j, b] - 2.0 * D[i, j]
        _move(D, G, lab, size, i, b)
        _move(D, G, lab, size, j, a)
        done += 1
    return change


@njit(cache=True, inline="always")
def _pick(d: float, best_d: float, ties: int, tol: float) -> tuple[bool, float, int]:
    """Whether to take a neighbour scoring ``d`` (at least ``best_d - tol``), and the new best
    score and tie count: a better one is always taken, one of ``ties`` equal ones uniformly."""
    if d > best_d + tol:
        return True, d, 1
    ties += 1
    return np.random.randint(ties) == 0, best_d, ties


@njit(cache=True)
def _scan_sparse_rows(
    D: np.ndarray,
    low: np.ndarray,
    M: np.ndarray,
    MT: np.ndarray,
    top: np.ndarray,
    members: np.ndarray,
    count: np.ndarray,
    lab: np.ndarray,
    tabu: np.ndarray,
    it: int,
    floor: float,
    tol: float,
    best: tuple[float, int, int, int, int],
    dense: np.ndarray,
) -> tuple[tuple[float, int, int, int, int], int]:
    """The best swap among the rows where few groups can hold one good enough.

    No swap of ``i`` (in group a) with an item of group b scores more than
    ``M[i, b] + top[b, a] - 2 * low[i]``, so a row needs only the items of the groups where that
    bound reaches the best score so far. A row where those groups hold at least half as many
    items as there are later items is left for the branch-free full scan (listed in ``dense``),
    unless no score is known yet: the first such row gives the bound something to prune with.
    ``best`` is (score, ties, i, j, group of j) and comes back updated, with the number of
    dense rows.
    """
    n = D.shape[0]
    m = M.shape[1]
    best_d, ties, bi, bj, bb = best
    listed = 0
    for i in range(n - 1):
        a = lab[i]
        Mi = M[i]
        reach = best_d - tol + 2.0 * low[i]
        work = 0
        for b in range(m):
            if b != a and Mi[b] + top[b, a] >= reach:
                work += count[b]
                if 2 * work >= n - i:
                    break
        if work == 0:
            continue
        if 2 * work >= n - i and best_d > -np.inf:
            dense[listed] = i
            listed += 1
            continue
        row = D[i]
        MTa = MT[a]
        for b in range(m):
            mib = Mi[b]
            if b == a or mib + top[b, a] < best_d - tol + 2.0 * low[i]:
                continue
            # Members are listed in increasing order: walk down to the first j <= i.
            for t in range(count[b] - 1, -1, -1):
                j = members[b, t]
                if j <= i:
                    break
                d = mib + MTa[j] - 2.0 * row[j]
                if d < best_d - tol:
                    continue
                if (tabu[i, b] > it or tabu[j, a] > it) and d <= floor:
                    continue
                take, best_d, ties = _pick(d, best_d, ties, tol)
                if take:
                    bi, bj, bb = i, j, b
    return (best_d, ties, bi, bj, bb), listed


@njit(cache=True)
def _tabu_search(
    D: np.ndarray,
    low: np.ndarray,
    G: np.ndarray,
    lab: np.ndarray,
    size: np.ndarray,
    lo: np.ndarray,
    up: np.ndarray,
    cur: float,
    tabu: np.ndarray,
    it: int,
    depth: int,
    tenure_min: int,
    tenure_max: int,
    tol: float,
    ts_lab: np.ndarray,
    iter_end: int,
    deadline: float,
) -> tuple[float, float, int, bool]:
    """Best-improvement tabu search over one-moves and swaps.

    Stops after ``depth`` iterations without beating the best solution of this run, at iteration
    ``iter_end`` or at ``deadline``. Leaves the best solution of the run in ``ts_lab``; returns the
    current objective, the run's best objective, the iteration counter and whether the deadline
    passed.
    """
    n = D.shape[0]
    m = G.shape[1]
    ts_best = cur
    ts_lab[:] = lab
    stall = 0
    # Look at the clock about every 200k pair evaluations: often enough to end close to the
    # deadline on large instances, rarely enough to cost nothing on small ones.
    every = max(1, min(64, 200_000 // (n * n)))
    M = np.empty((n, m))
    MT = np.empty((m, n))
    buf = np.empty(n)
    top = np.empty((m, m))
    members = np.empty((m, n), dtype=np.int64)
    count = np.zeros(m, dtype=np.int64)
    dense = np.empty(n, dtype=np.int64)
    sparse = True
    while stall < depth and it < iter_end:
        if it % every == 0 and _clock() > deadline:
            return cur, ts_best, it, True
        it += 1
        best_d = -np.inf
        bi = -1
        bj = -1
        bb = -1
        ties = 0
        floor = ts_best + tol - cur
        for i in range(n):
            a = lab[i]
            if size[a] <= lo[a]:
                continue
            gia = G[i, a]
            for b in range(m):
                if b == a or size[b] >= up[b]:
                    continue
                d = G[i, b] - gia
                if d < best_d - tol:
                    continue
                if tabu[i, b] > it and d <= floor:
                    continue
                take, best_d, ties = _pick(d, best_d, ties, tol)
                if take:
                    bi, bj, bb = i, -1, b
        # M[k, g]: gain of moving k to g, with -inf at k's own group so that pairs inside one
        # group drop out of the full scan without a branch.
        for k in range(n):
            gk = G[k, lab[k]]
            for g in range(m):
                v = G[k, g] - gk
                M[k, g] = v
                MT[g, k] = v
            M[k, lab[k]] = -np.inf
        # Where the bound of _scan_sparse_rows prunes little (Euclidean distances: many swaps
        # score about the same), it costs more than it saves; it is then tried only every
        # 16th iteration.
        listed = n - 1
        if sparse or it % 16 == 0:
            top[:, :] = -np.inf
            count[:] = 0
            for k in range(n):
                g0 = lab[k]
                members[g0, count[g0]] = k
                count[g0] += 1
                tk = top[g0]
                Mk = M[k]
                for g in range(m):
                    tk[g] = max(tk[g], Mk[g])
            (best_d, ties, bi, bj, bb), listed = _scan_sparse_rows(
                D, low, M, MT, top, members, count, lab, tabu, it, floor, tol,
                (best_d, ties, bi, bj, bb), dense,
            )  # fmt: skip
            sparse = 2 * listed < n
        else:
            for r in range(listed):
                dense[r] = r
        for r in range(listed):
            i = dense[r]
            a = lab[i]
            Mi = M[i]
            MTa = MT[a]
            row = D[i]
            # A branch-free pass finds this row's best swap; most rows then need no second look.
            top_row = -np.inf
            for j in range(i + 1, n):
                v = Mi[lab[j]] + MTa[j] - 2.0 * row[j]
                buf[j] = v
                top_row = max(top_row, v)
            if top_row < best_d - tol:
                continue
            for j in range(i + 1, n):
                d = buf[j]
                if d < best_d - tol:
                    continue
                b = lab[j]
                if b == a or ((tabu[i, b] > it or tabu[j, a] > it) and d <= floor):
                    continue
                take, best_d, ties = _pick(d, best_d, ties, tol)
                if take:
                    bi, bj, bb = i, j, b
        if bi < 0:
            # Every neighbour is tabu and none aspirates; forget the tabu list.
            tabu[:, :] = 0
            stall += 1
            continue
        a = lab[bi]
        tabu[bi, a] = it + tenure_min + np.random.randint(tenure_max - tenure_min + 1)
        _move(D, G, lab, size, bi, bb)
        if bj >= 0:
            tabu[bj, bb] = it + tenure_min + np.random.randint(tenure_max - tenure_min + 1)
            _move(D, G, lab, size, bj, a)
        cur += best_d
        if cur > ts_best + tol:
            ts_best = cur
            ts_lab[:] = lab
            stall = 0
        else:
            stall += 1
    return cur, ts_best, it, False


@njit(cache=True)
def _restart(
    D: np.ndarray, lab: np.ndarray, size: np.ndarray, G: np.ndarray, source: np.ndarray
) -> None:
    """Make ``lab`` a copy of ``source`` and rebuild the sizes and the gain matrix for it."""
    n = D.shape[0]
    lab[:] = source
    size[:] = 0
    for i in range(n):
        size[lab[i]] += 1
    G[:, :] = gain_matrix(D, lab, G.shape[1])


@njit(cache=True)
def _iterated_search(
    D: np.ndarray,
    low: np.ndarray,
    lab: np.ndarray,
    lo: np.ndarray,
    up: np.ndarray,
    deadline: float,
    it: int,
    iter_end: int,
    patience: int,
    depth: int,
    tenure_min: int,
    tenure_max: int,
    strength_min: int,
    strength_max: int,
    tol: float,
    accept: float,
    best_lab: np.ndarray,
    record: float,
    hist_t: list[float],
    hist_f: list[float],
) -> tuple[float, int, bool]:
    """Iterated tabu search from the feasible assignment ``lab``.

    Each round runs a tabu search, then perturbs a random number of items of the round's best
    solution when it is within ``accept`` (relative) of the best found, else of the best found;
    accepting slightly worse solutions keeps the search from circling one basin. Stops after
    ``patience`` rounds without improving the best, at iteration ``iter_end`` or at
    ``deadline``. Leaves the best assignment in ``best_lab``; returns its objective, the
    iteration counter and whether the deadline passed. Each time the best beats ``record`` (the
    best of the whole search) the time and objective are appended to ``hist_t`` and ``hist_f``.
    """
    n = D.shape[0]
    m = lo.shape[0]
    size = np.zeros(m, dtype=np.int64)
    G = np.empty((n, m))
    _restart(D, lab, size, G, lab.copy())
    cur = objective(D, lab)
    best = cur
    best_lab[:] = lab
    ts_lab = lab.copy()
    tabu = np.zeros((n, m), dtype=np.int64)
    fails = 0
    out = False
    while fails < patience and it < iter_end:
        cur, ts_best, it, out = _tabu_search(
            D, low, G, lab, size, lo, up, cur, tabu, it, depth, tenure_min, tenure_max, tol,
            ts_lab, iter_end, deadline,
        )  # fmt: skip
        if ts_best > best + tol:
            best = ts_best
            best_lab[:] = ts_lab
            fails = 0
            if best > record + tol:
                record = best
                hist_t.append(_clock())
                hist_f.append(best)
        else:
            fails += 1
        if out:
            break
        if ts_best >= best - accept * abs(best):
            _restart(D, lab, size, G, ts_lab)
            cur = ts_best
        else:
            _restart(D, lab, size, G, best_lab)
            cur = best
        tabu[:, :] = 0
        strength = strength_min + np.random.randint(strength_max - strength_min + 1)
        cur += _perturb(D, G, lab, size, lo, up, strength)
    return best, it, out


@njit(cache=True)
def _crossover(
    D: np.ndarray, first: np.ndarray, second: np.ndarray, lo: np.ndarray, up: np.ndarray
) -> np.ndarray:
    """A feasible child that inherits whole groups from two parents, taken in turn.

    At each step the parent whose turn it is gives its group (among the group indices still
    open, so that each group keeps its own size bounds) holding the most items not yet placed.
    Items left over go, one by one in random order, to the open slot where they add the most,
    groups below their lower bound first when the remaining items are needed there.
    """
    n = D.shape[0]
    m = lo.shape[0]
    parents = np.empty((2, n), dtype=np.int64)
    parents[0] = first
    parents[1] = second
    child = np.full(n, -1, dtype=np.int64)
    count = np.zeros((2, m), dtype=np.int64)
    for i in range(n):
        count[0, first[i]] += 1
        count[1, second[i]] += 1
    size = np.zeros(m, dtype=np.int64)
    open_group = np.ones(m, dtype=np.bool_)
    committed = 0  # sum over filled groups of max(size, lower bound)
    lower_open = 0
    for g in range(m):
        lower_open += lo[g]
    turn = np.random.randint(2)
    order = np.random.permutation(n)
    for _ in range(m):
        p = parents[turn]
        g = -1
        most = -1
        ties = 0
        for h in range(m):
            if not open_group[h]:
                continue
            c = count[turn, h]
            if c > most:
                most = c
                g = h
                ties = 1
            elif c == most:
                ties += 1
                if np.random.randint(ties) == 0:
                    g = h
        cap = min(up[g], n - committed - (lower_open - lo[g]))
        for i in order:
            if size[g] >= cap:
                break
            if child[i] < 0 and p[i] == g:
                child[i] = g
                size[g] += 1
                count[0, first[i]] -= 1
                count[1, second[i]] -= 1
        open_group[g] = False
        committed += max(size[g], lo[g])
        lower_open -= lo[g]
        turn = 1 - turn
    G = np.zeros((n, m))
    for i in range(n):
        if child[i] >= 0:
            row = D[i]
            g = child[i]
            for k in range(n):
                G[k, g] += row[k]
    deficit = 0
    remaining = 0
    for g in range(m):
        deficit += max(0, lo[g] - size[g])
    for i in range(n):
        if child[i] < 0:
            remaining += 1
    for i in order:
        if child[i] >= 0:
            continue
        must = deficit >= remaining
        g = -1
        top = -np.inf
        for h in range(m):
            if size[h] >= up[h] or (must and size[h] >= lo[h]):
                continue
            if G[i, h] > top:
                top = G[i, h]
                g = h
        if size[g] < lo[g]:
            deficit -= 1
        child[i] = g
        size[g] += 1
        remaining -= 1
        row = D[i]
        for k in range(n):
            G[k, g] += row[k]
    return child


@njit(cache=True)
def memetic_search(
    D: np.ndarray,
    starts: np.ndarray,
    lo: np.ndarray,
    up: np.ndarray,
    deadline: float,
    max_iter: int,
    patience: int,
    depth: int,
    tenure_min: int,
    tenure_max: int,
    strength_min: int,
    strength_max: int,
    tol: float,
    accept: float,
) -> tuple[np.ndarray, float, int, np.ndarray, np.ndarray]:
    """Population search: improve each start, then breed children of two members until the budget.

    Every solution (start or child) is improved by :func:`_iterated_search`; a child replaces the
    worst member when it is better and its objective differs from every member's (a cheap guard
    against a population of copies). With one start the search is a plain iterated tabu search
    that runs until the budget. Returns the best assignment, its objective, the number of tabu
    iterations, and the time and objective of each improvement of the best.
    """
    size_pop, n = starts.shape
    pop = np.empty((size_pop, n), dtype=np.int64)
    fit = np.full(size_pop, -np.inf)
    child_best = np.empty(n, dtype=np.int64)
    best_lab = starts[0].copy()
    best = objective(D, best_lab)
    hist_t = [_clock()]
    hist_f = [best]
    low = np.empty(n)
    for i in range(n):
        low[i] = np.inf
        for j in range(n):
            if j != i and D[i, j] < low[i]:
                low[i] = D[i, j]
    it = 0
    filled = 0
    out = False
    rounds = patience if size_pop > 1 else np.iinfo(np.int64).max
    while not out and it < max_iter:
        if filled < size_pop:
            lab = starts[filled].copy()
        else:
            a = np.random.randint(size_pop)
            b = np.random.randint(size_pop - 1)
            if b >= a:
                b += 1
            lab = _crossover(D, pop[a], pop[b], lo, up)
        value, it, out = _iterated_search(
            D, low, lab, lo, up, deadline, it, max_iter, rounds, depth, tenure_min, tenure_max,
            strength_min, strength_max, tol, accept, child_best, best, hist_t, hist_f,
        )  # fmt: skip
        if value > best + tol or filled == 0:
            best = max(best, value)
            best_lab[:] = child_best
        if filled < size_pop:
            pop[filled] = child_best
            fit[filled] = value
            filled += 1
            continue
        worst = np.argmin(fit)
        if value > fit[worst] + tol and np.min(np.abs(fit - value)) > tol:
            pop[worst] = child_best
            fit[worst] = value
    return best_lab, objective(D, best_lab), it, np.array(hist_t), np.array(hist_f)
