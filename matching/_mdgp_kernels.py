"""Compiled kernels of the iterated tabu search for the maximally diverse grouping problem.

The search state is the assignment ``lab`` (group of each item), the group sizes and the gain
matrix ``G[i, g] = sum(D[i, j] for j in group g)``. With it every neighbour is scored in O(1):
moving item ``i`` from group ``a`` to ``b`` changes the objective by ``G[i, b] - G[i, a]``;
swapping ``i`` (in ``a``) with ``j`` (in ``b``) by
``G[i, b] - G[i, a] + G[j, a] - G[j, b] - 2 * D[i, j]``. Applying a move updates ``G`` in O(n).

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


@njit(cache=True)
def _tabu_search(
    D: np.ndarray,
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
) -> tuple[float, float, int]:
    """Best-improvement tabu search over one-moves and swaps.

    Stops after ``depth`` iterations without beating the best solution of this run, at iteration
    ``iter_end`` or at ``deadline``. Leaves the best solution of the run in ``ts_lab``; returns the
    current objective, the run's best objective and the iteration counter.
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
    while stall < depth and it < iter_end:
        if it % every == 0 and _clock() > deadline:
            break
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
                if d > best_d + tol:
                    best_d = d
                    ties = 1
                    bi = i
                    bj = -1
                    bb = b
                else:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        bi = i
                        bj = -1
                        bb = b
        # M[k, g]: gain of moving k to g, with -inf at k's own group so that pairs inside one
        # group drop out of the swap scan without a branch.
        for k in range(n):
            gk = G[k, lab[k]]
            for g in range(m):
                M[k, g] = G[k, g] - gk
                MT[g, k] = M[k, g]
            M[k, lab[k]] = -np.inf
        for i in range(n - 1):
            a = lab[i]
            Mi = M[i]
            MTa = MT[a]
            row = D[i]
            # A branch-free pass finds this row's best swap; most rows then need no second look.
            top = -np.inf
            for j in range(i + 1, n):
                v = Mi[lab[j]] + MTa[j] - 2.0 * row[j]
                buf[j] = v
                top = max(top, v)
            if top < best_d - tol:
                continue
            for j in range(i + 1, n):
                d = buf[j]
                if d < best_d - tol:
                    continue
                b = lab[j]
                if (tabu[i, b] > it or tabu[j, a] > it) and d <= floor:
                    continue
                if d > best_d + tol:
                    best_d = d
                    ties = 1
                    bi = i
                    bj = j
                    bb = b
                else:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        bi = i
                        bj = j
                        bb = b
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
    return cur, ts_best, it


@njit(cache=True)
def iterated_tabu_search(
    D: np.ndarray,
    lab: np.ndarray,
    m: int,
    lo: np.ndarray,
    up: np.ndarray,
    deadline: float,
    max_iter: int,
    depth: int,
    tenure_min: int,
    tenure_max: int,
    strength_min: int,
    strength_max: int,
    tol: float,
) -> tuple[np.ndarray, float, int, np.ndarray, np.ndarray]:
    """Tabu search, then random perturbation of the best solution, until the budget runs out.

    ``lab`` is a feasible starting assignment. Returns the best assignment, its objective, the
    number of tabu iterations, and the time and objective of each improvement of the best.
    """
    n = D.shape[0]
    size = np.zeros(m, dtype=np.int64)
    for i in range(n):
        size[lab[i]] += 1
    G = gain_matrix(D, lab, m)
    cur = objective(D, lab)
    best = cur
    best_lab = lab.copy()
    ts_lab = lab.copy()
    tabu = np.zeros((n, m), dtype=np.int64)
    hist_t = [_clock()]
    hist_f = [best]
    it = 0
    while it < max_iter and _clock() < deadline:
        cur, ts_best, it = _tabu_search(
            D, G, lab, size, lo, up, cur, tabu, it, depth, tenure_min, tenure_max, tol,
            ts_lab, max_iter, deadline,
        )  # fmt: skip
        if ts_best > best + tol:
            best = ts_best
            best_lab[:] = ts_lab
            hist_t.append(_clock())
            hist_f.append(best)
        # Restart from the best solution found so far, shaken by a random number of changes.
        lab[:] = best_lab
        size[:] = 0
        for i in range(n):
            size[lab[i]] += 1
        G = gain_matrix(D, lab, m)
        cur = best
        tabu[:, :] = 0
        strength = strength_min + np.random.randint(strength_max - strength_min + 1)
        cur += _perturb(D, G, lab, size, lo, up, strength)
    return best_lab, objective(D, best_lab), it, np.array(hist_t), np.array(hist_f)
