"""Precomputed mode: group items so that the pairwise values inside the groups add up to the most.

This is the maximally diverse grouping problem (MDGP). Like scikit-learn's
``metric="precomputed"``, the caller supplies the pairwise matrix ``D`` (a distance, dissimilarity
or any score to be maximised within groups) and the capacity of each group; the solver returns a
group label for every item.

The solver is a memetic search in the family of Lai & Hao (2016) and Lai et al. (2021): a
population of solutions, each improved by an iterated tabu search, and children bred from two
members by inheriting whole groups in turn. The tabu search is best-improvement over one-item
moves (where the size bounds allow) and two-item swaps, scored in O(1) from a gain matrix; a bound
skips the swaps that cannot beat the best one found so far. Each round restarts from a random
perturbation of the round's result (when it is nearly as good as the best) or of the best. With
variable group sizes the starts use the size profile with the most within-group pairs, found by
dynamic programming, because the number of pairs dominates the objective and the local moves
rarely change the profile by much on their own.
"""

from __future__ import annotations

import math
import time
from numbers import Integral, Real
from os import PathLike
from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from matching import _mdgp_kernels as kernels

__all__ = ["DiversityGrouping", "load_mdgplib"]

_compiled = False
# Search settings, tuned on MDGPLIB (benchmarks/mdgplib.py). The population has _POPULATION
# members; each start or child is improved until _PATIENCE perturbation rounds in a row fail to
# improve it; a tabu search round ends after _DEPTH * n iterations without improvement. Over six
# seeds at n = 240 a patience of 10 beat 5 on the equal-size instances (RanInt +0.05%, RanReal
# +0.02%) and lost 0.05-0.07% on the variable-size ones, which stay well above IMS; one
# iterated search instead of a population lost 0.16-0.29% at n = 480 (one seed each).
_POPULATION = 10
_PATIENCE = 10
_DEPTH = 3.0
# A round's result becomes the base of the next perturbation when it is within this fraction
# of the best objective, so the search drifts across near-equal basins instead of circling one
# (always perturbing the best left it stuck after 2 of 20 seconds on RanReal_n240_ds_01).
_ACCEPT = 0.001


def _warm_up() -> None:
    """Compile (or load from the numba cache) every kernel, so no fit pays for it on the clock."""
    global _compiled
    if _compiled:
        return
    D = np.array(
        [[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 2.0], [2.0, 1.0, 0.0, 1.0], [3.0, 2.0, 1.0, 0.0]]
    )
    bounds = np.array([1, 3], dtype=np.int64)
    kernels.seed(0)
    starts = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=np.int64)
    kernels.memetic_search(
        D, starts, bounds[:1].repeat(2), bounds[1:].repeat(2), math.inf, 50, 2, 5, 1, 2, 1, 2,
        1e-12, 0.001,
    )  # fmt: skip
    _compiled = True


def _check_random_state(random_state: object) -> np.random.Generator:
    if random_state is None or isinstance(random_state, Integral | np.random.Generator):
        return np.random.default_rng(random_state)  # type: ignore[arg-type]
    raise ValueError(
        "The 'random_state' parameter must be an int, a numpy.random.Generator or None. "
        f"Got {random_state!r} instead."
    )


def _as_bounds(values: ArrayLike, name: str) -> NDArray[np.int64]:
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"The '{name}' parameter must be a non-empty 1-D sequence of ints. "
            f"Got shape {array.shape} instead."
        )
    if array.dtype.kind not in "iu" and (
        array.dtype.kind != "f" or not np.all(np.isfinite(array)) or np.any(array % 1)
    ):
        raise ValueError(
            f"The '{name}' parameter must hold whole numbers. Got {array.tolist()!r} instead."
        )
    if np.any(array < 0):
        raise ValueError(
            f"The '{name}' parameter must hold ints >= 0. Got {array.tolist()!r} instead."
        )
    return array.astype(np.int64)


def _validate_matrix(D: ArrayLike) -> NDArray[np.float64]:
    try:
        matrix = np.array(D, dtype=np.float64, order="C")
    except (TypeError, ValueError) as error:
        raise ValueError(f"D must be a square matrix of numbers: {error}") from error
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"D must be a non-empty square matrix. Got shape {matrix.shape} instead.")
    if not np.all(np.isfinite(matrix)):
        i, j = np.argwhere(~np.isfinite(matrix))[0]
        raise ValueError(f"D must be finite. D[{i}, {j}] is {matrix[i, j]}.")
    scale = float(np.max(np.abs(matrix)))
    asymmetric = np.abs(matrix - matrix.T) > 1e-9 * max(scale, 1.0)
    if np.any(asymmetric):
        i, j = np.argwhere(asymmetric)[0]
        raise ValueError(
            f"D must be symmetric. D[{i}, {j}] = {matrix[i, j]} but D[{j}, {i}] = {matrix[j, i]}."
        )
    # An item is never paired with itself, so the diagonal does not count.
    np.fill_diagonal(matrix, 0.0)
    return matrix


def _size_profile(
    n: int,
    lower: NDArray[np.int64],
    upper: NDArray[np.int64],
    sign: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Group sizes within the bounds summing to n with the most (sign > 0) or fewest pairs.

    Ties between equally good profiles are broken at random.
    """
    m = len(lower)
    worst = np.iinfo(np.int64).min // 4
    # value[g, t]: best signed pair count of the first g groups holding t items.
    value = np.full((m + 1, n + 1), worst, dtype=np.int64)
    value[0, 0] = 0
    for g in range(m):
        for s in range(int(lower[g]), int(min(upper[g], n)) + 1):
            pairs = s * (s - 1) // 2 if sign >= 0 else -(s * (s - 1) // 2)
            candidate = value[g, : n + 1 - s] + pairs
            candidate[value[g, : n + 1 - s] == worst] = worst
            np.maximum(value[g + 1, s:], candidate, out=value[g + 1, s:])
    sizes = np.empty(m, dtype=np.int64)
    total = n
    for g in range(m - 1, -1, -1):
        options = [
            s
            for s in range(int(lower[g]), int(min(upper[g], total)) + 1)
            if value[g, total - s] != worst
            and value[g, total - s] + (s * (s - 1) // 2 if sign >= 0 else -(s * (s - 1) // 2))
            == value[g + 1, total]
        ]
        sizes[g] = options[int(rng.integers(len(options)))]
        total -= int(sizes[g])
    return sizes


def _random_assignment(sizes: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
    labels = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    rng.shuffle(labels)
    return labels


class DiversityGrouping:
    """Partition items into groups maximising the sum of pairwise values inside the groups.

    Args:
        time_limit: Wall-clock seconds the search may run, not counting one-off compilation.
        random_state: Seed or generator; fixes the result when the search stops at ``max_iter``.
        max_iter: Stop after this many tabu search iterations (or at ``time_limit``, whichever
            comes first); ``None`` for no iteration limit.

    Attributes:
        labels_: Group of each item, shape ``(n,)``.
        objective_: Sum over groups of the pairwise values inside the group.
        n_iter_: Number of tabu search iterations run.
        history_: Best objective over time, shape ``(k, 2)``: seconds since the search started
            and the best objective found by then.

    Example:
        >>> D = np.array([[0, 1, 9, 9], [1, 0, 9, 9], [9, 9, 0, 1], [9, 9, 1, 0]], dtype=float)
        >>> g = DiversityGrouping(time_limit=1.0, random_state=0, max_iter=100)
        >>> g.fit(D, sizes=[2, 2]).objective_
        18.0
        >>> bool(g.labels_[0] != g.labels_[1])
        True
    """

    labels_: NDArray[np.int64]
    objective_: float
    n_iter_: int
    history_: NDArray[np.float64]

    def __init__(
        self,
        *,
        time_limit: float = 3.0,
        random_state: int | np.random.Generator | None = None,
        max_iter: int | None = None,
    ) -> None:
        self.time_limit = time_limit
        self.random_state = random_state
        self.max_iter = max_iter

    def _validate_params(self) -> None:
        if (
            not isinstance(self.time_limit, Real)
            or isinstance(self.time_limit, bool)
            or not self.time_limit > 0
        ):
            raise ValueError(
                f"The 'time_limit' parameter must be a float > 0. Got {self.time_limit!r} instead."
            )
        if self.max_iter is not None and (
            not isinstance(self.max_iter, Integral)
            or isinstance(self.max_iter, bool)
            or self.max_iter < 1
        ):
            raise ValueError(
                f"The 'max_iter' parameter must be an int >= 1 or None. Got {self.max_iter!r} "
                "instead."
            )

    def fit(
        self,
        D: ArrayLike,
        *,
        lower: ArrayLike | None = None,
        upper: ArrayLike | None = None,
        sizes: ArrayLike | None = None,
    ) -> Self:
        """Find a grouping of the n items of ``D``.

        Give either ``sizes`` (each group's exact size) or both ``lower`` and ``upper`` (each
        group's size bounds).

        Args:
            D: Symmetric ``(n, n)`` matrix of finite pairwise values; the diagonal is ignored.
            lower: Smallest allowed size of each group.
            upper: Largest allowed size of each group.
            sizes: Exact size of each group; shorthand for ``lower = upper = sizes``.

        Returns:
            The fitted estimator.

        Raises:
            ValueError: If a parameter or input is malformed or the bounds cannot hold n items.

        Example:
            >>> rng = np.random.default_rng(0)
            >>> points = rng.random((12, 2))
            >>> D = np.linalg.norm(points[:, None] - points[None], axis=-1)
            >>> g = DiversityGrouping(random_state=0, max_iter=200)
            >>> sizes = np.bincount(g.fit(D, lower=[3, 3], upper=[9, 9]).labels_)
            >>> bool(sizes.sum() == 12 and sizes.min() >= 3)
            True
        """
        self._validate_params()
        matrix = _validate_matrix(D)
        n = matrix.shape[0]
        if sizes is not None:
            if lower is not None or upper is not None:
                raise ValueError("Give either 'sizes' or 'lower' and 'upper', not both.")
            lo = hi = _as_bounds(sizes, "sizes")
        elif lower is None or upper is None:
            raise ValueError("Give either 'sizes' or both 'lower' and 'upper'.")
        else:
            lo = _as_bounds(lower, "lower")
            hi = _as_bounds(upper, "upper")
            if lo.shape != hi.shape:
                raise ValueError(
                    "The 'lower' and 'upper' parameters must have one entry per group. "
                    f"Got {lo.size} and {hi.size} entries instead."
                )
            if np.any(lo > hi):
                g = int(np.argmax(lo > hi))
                raise ValueError(
                    f"Group {g} has lower bound {lo[g]} above its upper bound {hi[g]}."
                )
        if lo.sum() > n:
            raise ValueError(
                f"The groups cannot be filled: their lower bounds sum to {lo.sum()} but D has "
                f"only {n} items."
            )
        if hi.sum() < n:
            raise ValueError(
                f"The groups cannot hold every item: their upper bounds sum to {hi.sum()} but D "
                f"has {n} items."
            )

        rng = _check_random_state(self.random_state)
        off_diagonal = matrix.sum() / max(n * (n - 1), 1)
        start_sizes = _size_profile(n, lo, hi, 1.0 if off_diagonal >= 0 else -1.0, rng)
        labels = _random_assignment(start_sizes, rng)
        starts = np.array(
            [labels] + [_random_assignment(start_sizes, rng) for _ in range(_POPULATION - 1)]
        )
        max_iter = self.max_iter if self.max_iter is not None else np.iinfo(np.int64).max
        m = len(lo)
        # Scales tuned on MDGPLIB (benchmarks/mdgplib.py). Depth and perturbation grow with n
        # because so do the plateaus the search must cross; a tenure of about one group size
        # (n / m) beat tenures of n / 12 to n / 4, which froze too many items on large instances.
        depth = max(100, int(_DEPTH * n))
        tenure = (max(1, n // (2 * m)), max(2, 3 * n // (2 * m)))
        strength = (max(1, n // 12), max(2, n // 4))
        scale = float(np.max(np.abs(matrix)))
        tol = 1e-10 * scale * n if scale > 0 else 0.0

        if n == 1 or np.count_nonzero(hi) == 1:
            # Only one grouping is possible (up to empty groups): nothing to search.
            self.labels_ = labels
            self.objective_ = float(kernels.objective(matrix, labels))
            self.n_iter_ = 0
            self.history_ = np.array([[0.0, self.objective_]])
            return self

        _warm_up()
        kernels.seed(int(rng.integers(2**31 - 1)))
        start = time.perf_counter()
        best, objective, n_iter, times, values = kernels.memetic_search(
            matrix, starts, lo, hi, start + float(self.time_limit), int(max_iter), _PATIENCE,
            depth, *tenure, *strength, tol, _ACCEPT,
        )  # fmt: skip
        self.labels_ = best
        self.objective_ = float(objective)
        self.n_iter_ = int(n_iter)
        self.history_ = np.column_stack([times - start, values])
        return self


def load_mdgplib(
    path: str | PathLike[str],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Read an MDGPLIB instance file (``ss`` or ``ds``).

    The first line is ``n m ss|ds a_1 b_1 ... a_m b_m`` (item count, group count, then each
    group's lower and upper size bound); every further line is ``i j d_ij`` for a pair i < j.

    Args:
        path: The instance file.

    Returns:
        The symmetric ``(n, n)`` matrix and the lower and upper bound of every group.

    Raises:
        ValueError: If the file does not follow the format.

    Example:
        >>> D, lower, upper = load_mdgplib("Geo_n120_ss_01.txt")  # doctest: +SKIP
        >>> D.shape, lower[:3].tolist(), upper[:3].tolist()  # doctest: +SKIP
        ((120, 120), [12, 12, 12], [12, 12, 12])
    """
    with open(path, encoding="ascii") as handle:
        header = handle.readline().split()
        body = handle.read().split()
    if len(header) < 3 or header[2] not in ("ss", "ds"):
        raise ValueError(f"{path}, line 1: expected 'n m ss|ds a_1 b_1 ...'; got {header[:3]!r}.")
    try:
        n, m = int(header[0]), int(header[1])
        bounds = np.array([int(x) for x in header[3:]], dtype=np.int64)
    except ValueError as error:
        raise ValueError(f"{path}, line 1: {error}") from error
    if bounds.size != 2 * m:
        raise ValueError(
            f"{path}, line 1: {m} groups need {2 * m} size bounds; found {bounds.size}."
        )
    if len(body) != 3 * (n * (n - 1) // 2):
        raise ValueError(
            f"{path}: {n} items need {n * (n - 1) // 2} lines 'i j d_ij'; found {len(body) / 3:g}."
        )
    triples = np.array(body, dtype=np.float64).reshape(-1, 3)
    i = triples[:, 0].astype(np.int64)
    j = triples[:, 1].astype(np.int64)
    if np.any(i < 0) or np.any(j >= n) or np.any(i >= j):
        row = int(np.argmax((i < 0) | (j >= n) | (i >= j)))
        raise ValueError(f"{path}, line {row + 2}: expected 0 <= i < j < {n}.")
    D = np.zeros((n, n))
    D[i, j] = triples[:, 2]
    D[j, i] = triples[:, 2]
    return D, bounds[0::2].copy(), bounds[1::2].copy()
