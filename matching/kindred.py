"""Kindred pairs: the similarity threshold and each attendee's kindred neighbours.

One definition for the search, the checks and the benchmarks. A pair is **kindred** when its
cosine similarity reaches the conference threshold, the 0.9 quantile of all pairwise
similarities (exact up to 3,000 attendees, estimated from a fixed-size sample of pairs above).
Nothing here is quadratic in the number of attendees beyond that: neighbours come from chunked
top-k searches, or an inverted-file search on large conferences.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "BRUTE_FORCE_MAX",
    "EXACT_THRESHOLD_MAX",
    "KINDRED_MARGIN",
    "KINDRED_QUANTILE",
    "kindred_neighbours",
    "kindred_threshold",
]

#: The default quantile of all pairwise similarities that makes a pair kindred.
KINDRED_QUANTILE = 0.9
#: Above this many attendees the kindred threshold is estimated from sampled pairs.
EXACT_THRESHOLD_MAX = 3000
#: Above this many attendees nearest neighbours come from an inverted-file search.
BRUTE_FORCE_MAX = 30000
_PAIR_SAMPLE = 4_000_000
#: Kindred candidates at least this far above the threshold are preferred (see
#: `kindred_neighbours`): a sampled threshold is off by far less.
KINDRED_MARGIN = 0.02
#: The inverted-file search draws its probed cells from this many times as many nearest ones.
_PROBE_SPREAD = 6


def kindred_threshold(
    X: np.ndarray,
    quantile: float = KINDRED_QUANTILE,
    *,
    rng: np.random.Generator | int | None = 0,
    exact_max: int = EXACT_THRESHOLD_MAX,
) -> float:
    """Similarity at or above which a pair counts as kindred: the ``quantile`` of all pairs.

    ``X`` holds unit rows (cosine similarity is a dot product). Exact over all pairs up to
    ``exact_max`` rows; beyond, estimated from four million random pairs of distinct people
    (two thousand random rows against two thousand random columns: one matrix product instead
    of gathering millions of pairs of rows, gigabytes of traffic at d = 384).

    Args:
        X: ``(n, d)`` unit rows.
        quantile: Which quantile; 0.9 is "the top decile of all pairs".
        rng: Generator or seed for the sample.
        exact_max: Largest ``n`` for the exact computation.

    Raises:
        ValueError: With a quantile outside [0, 1].

    Example:
        >>> X = np.eye(3, dtype=np.float32)
        >>> kindred_threshold(X, 0.5)
        0.0
    """
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"The 'quantile' parameter must be in [0, 1]. Got {quantile!r} instead.")
    n = X.shape[0]
    if n < 2:
        return 1.0
    if n <= exact_max:
        parts = []
        for start in range(0, n, 512):
            block = X[start : start + 512] @ X.T
            rows = np.arange(start, min(start + 512, n))[:, None]
            parts.append(block[np.arange(n)[None, :] > rows])
        sims = np.concatenate(parts)
    else:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        side = math.isqrt(_PAIR_SAMPLE)
        a = gen.integers(0, n, size=side)
        b = gen.integers(0, n, size=side)
        grid = X[a] @ X[b].T
        sims = grid[a[:, None] != b[None, :]]
    return float(np.quantile(sims, quantile))


def _pick_kindred(
    sims: np.ndarray, threshold: float, k: int, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, up to ``k`` columns at or above ``threshold``, those just above it first.

    Any kindred tablemate satisfies the rule, and the least similar ones cost the table the
    least diversity: nearest neighbours would fill every table with near-duplicates. Columns
    within ``margin`` of the threshold come last, so an estimated threshold that is slightly
    off does not turn the chosen pairs into non-kindred ones.

    Returns:
        ``(idx, ok)``: column indices per row, preferred first, and which of them qualify.
    """
    hi = np.float32(threshold + margin)
    key = np.where(sims >= hi, sims, np.float32(2.0) + (hi - sims))
    key[sims < threshold] = np.inf
    kk = min(k, sims.shape[1])
    idx = np.argpartition(key, kk - 1, axis=1)[:, :kk]
    vals = np.take_along_axis(key, idx, axis=1)
    order = np.argsort(vals, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.isfinite(
        np.take_along_axis(vals, order, axis=1)
    )


def _csr(idx: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(idx.shape[0] + 1, dtype=np.int64)
    np.cumsum(ok.sum(axis=1), out=indptr[1:])
    return indptr, idx[ok].astype(np.int32)


def kindred_neighbours(
    X: np.ndarray,
    threshold: float,
    *,
    k: int = 24,
    rng: np.random.Generator,
    brute_force_max: int = BRUTE_FORCE_MAX,
    margin: float = KINDRED_MARGIN,
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``k`` others per attendee whose similarity reaches ``threshold``.

    The candidates kept are the least similar of the qualifying ones (those at least
    ``margin`` above the threshold first): seating someone next to a kindred tablemate should
    cost the table as little of its mix of interests as possible. Brute force in row blocks
    (memory O(block * n)) up to ``brute_force_max`` attendees, then an inverted-file search:
    k-means cells, each searched against its nearest cells only.

    Returns:
        ``(indptr, indices)``: a CSR adjacency, not necessarily symmetric, rows preferred first.

    Example:
        >>> X = np.array([[1, 0], [0.9, 0.436], [0, 1]], dtype=np.float32)
        >>> indptr, idx = kindred_neighbours(X, 0.8, rng=np.random.default_rng(0))
        >>> idx[indptr[0] : indptr[1]].tolist()
        [1]
    """
    n = X.shape[0]
    if n < 2:
        return np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.int32)
    if n > brute_force_max:
        return _ivf_neighbours(X, threshold, k=k, rng=rng, margin=margin)
    block = max(1, min(n, 2**24 // n))
    parts_idx = []
    parts_ok = []
    for start in range(0, n, block):
        stop = min(start + block, n)
        sims = X[start:stop] @ X.T
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        idx, ok = _pick_kindred(sims, threshold, k, margin)
        parts_idx.append(idx)
        parts_ok.append(ok)
    return _csr(np.concatenate(parts_idx), np.concatenate(parts_ok))


def _ivf_neighbours(
    X: np.ndarray,
    threshold: float,
    *,
    k: int,
    rng: np.random.Generator,
    margin: float,
    n_probe: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import MiniBatchKMeans

    n = X.shape[0]
    n_cells = int(math.sqrt(n))
    seed = int(rng.integers(2**31 - 1))
    km = MiniBatchKMeans(n_clusters=n_cells, random_state=seed, batch_size=4096, n_init=1)
    sample = rng.choice(n, size=min(n, 50 * n_cells), replace=False)
    # scikit-learn's k-means++ seeding runs a slow upcasting path on float32 input (about a
    # minute at 100,000 attendees); on float64 it takes seconds.
    km.fit(X[sample].astype(np.float64))
    centres = km.cluster_centers_.astype(np.float32)
    cell = np.empty(n, dtype=np.int64)
    for start in range(0, n, 8192):
        cell[start : start + 8192] = np.argmax(X[start : start + 8192] @ centres.T, axis=1)
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))
    # Each cell is searched with n_probe - 1 others drawn from its nearest ``pool`` cells,
    # not just the very nearest: the kindred wanted are those just above the threshold (see
    # `_pick_kindred`), who mostly live a little further out, and spreading the probes keeps
    # someone's kindred from all being kindred of each other.
    ranked = np.argsort(-(centres @ centres.T), axis=1)
    pool = min(n_cells - 1, n_probe * _PROBE_SPREAD)
    near = np.empty((n_cells, min(n_probe, pool + 1)), dtype=np.int64)
    for c in range(n_cells):
        others = ranked[c][ranked[c] != c][:pool]
        near[c, 0] = c
        near[c, 1:] = rng.choice(others, size=near.shape[1] - 1, replace=False)
    kk = min(k, n - 1)
    idx_all = np.zeros((n, kk), dtype=np.int64)
    ok_all = np.zeros((n, kk), dtype=bool)
    for c in range(n_cells):
        mine = order[bounds[c] : bounds[c + 1]]
        if mine.size == 0:
            continue
        cand = np.concatenate([order[bounds[o] : bounds[o + 1]] for o in near[c]])
        sims = X[mine] @ X[cand].T
        sims[cand[None, :] == mine[:, None]] = -np.inf
        idx, ok = _pick_kindred(sims, threshold, kk, margin)
        width = idx.shape[1]
        idx_all[mine, :width] = cand[idx]
        ok_all[mine, :width] = ok
    return _csr(idx_all, ok_all)
