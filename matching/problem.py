"""The matching problem as arrays: attendees, rounds, constraints, history and kindred pairs.

`Problem.build` validates the input, raises `Infeasible` when a hard rule cannot hold, and
compiles everything the solver needs into integer arrays. Nothing here is quadratic in the
number of attendees: kindred neighbours come from chunked top-k searches and the kindred
threshold from a sample of pairs when the conference is large.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from matching import _kernels as k
from matching.affiliation import affiliation_key
from matching.types import Attendee, Constraints, History, Round, Seating

__all__ = [
    "Infeasible",
    "Problem",
    "RoundSpec",
    "Weights",
    "eligible",
    "kindred_neighbours",
    "kindred_threshold",
    "table_sizes",
]

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


class Infeasible(ValueError):
    """A hard rule cannot hold for this input.

    Attributes:
        rule: The rule that breaks: "capacity", "pins", "keep-apart" or "keep-together".

    Example:
        >>> raise Infeasible("capacity", "Round 'Dinner': 20 opted in, the tables hold 18.")
        Traceback (most recent call last):
        ...
        matching.problem.Infeasible: capacity: Round 'Dinner': 20 opted in, the tables hold 18.
    """

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"{rule}: {message}")


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
        w = np.zeros(k.N_WEIGHTS, dtype=np.float64)
        w[k.W_COWORKER] = self.coworker
        w[k.W_PARTY] = self.party
        w[k.W_REPEAT] = self.repeat
        w[k.W_APART] = 1e7
        w[k.W_SOLO] = self.solo_balance
        w[k.W_LONE] = self.lone_outsider
        w[k.W_PARTY_SOLO] = self.party_without_solo
        w[k.W_KINDRED] = self.kindred
        w[k.W_LANGUAGE] = self.language
        w[k.W_HOMETOWN] = self.hometown
        w[k.W_FIRST_TIME] = self.first_time
        w[k.W_DIVERSITY] = self.diversity
        w[k.W_MOVE] = self.moved
        return w


def eligible(attendee: Attendee, round_: Round) -> bool:
    """Whether an attendee is seated in a round: everyone at lunch, opted-in people at dinner.

    Example:
        >>> eligible(Attendee(id="a"), Round(name="Dinner", kind="dinner", table_size=6))
        False
    """
    return round_.kind == "lunch" or attendee.dinner


def table_sizes(
    n: int,
    round_: Round,
    *,
    demand: np.ndarray | None = None,
    prefer: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Capacities and target sizes of a round's tables for ``n`` seated attendees.

    With a table size there are ceil(n / size) tables whose sizes differ by at most one; with
    explicit capacities the people are spread as evenly as the capacities allow.

    Args:
        n: Number of attendees to seat.
        round_: The round.
        demand: Seats per table already claimed by pins and keep-together sets (lower bounds).
        prefer: Wished-for size per table (e.g. who already sits there when re-planning).

    Returns:
        ``(capacities, sizes)``, one entry per table.

    Raises:
        Infeasible: More attendees than seats, or more claimed seats than a table holds.

    Example:
        >>> table_sizes(23, Round(name="L", table_size=10))[1].tolist()
        [8, 8, 7]
    """
    if round_.capacities is not None:
        caps = np.asarray(round_.capacities, dtype=np.int64)
        if n > int(caps.sum()):
            raise Infeasible(
                "capacity",
                f"Round '{round_.name}': {n} attendees to seat but its tables hold only "
                f"{int(caps.sum())}.",
            )
        limit = caps.copy()
    else:
        size = int(round_.table_size or 0)
        n_tables = -(-n // size)
        caps = np.full(n_tables, size, dtype=np.int64)
        base, extra = divmod(n, n_tables) if n_tables else (0, 0)
        limit = np.full(n_tables, base + (1 if extra else 0), dtype=np.int64)
    n_tables = caps.shape[0]
    demand = np.zeros(n_tables, dtype=np.int64) if demand is None else demand.astype(np.int64)
    for t in np.flatnonzero(demand > limit):
        raise Infeasible(
            "pins",
            f"Round '{round_.name}': table {int(t)} must hold {int(demand[t])} pinned or "
            f"kept-together people but seats only {int(limit[t])}.",
        )
    sizes = demand.copy()
    if prefer is not None:
        sizes = np.clip(prefer.astype(np.int64), demand, limit)
    sizes = _level(sizes, demand, limit, n)
    if round_.capacities is None:
        # A wished-for layout may leave sizes two apart; even them out where claims allow.
        while n_tables and sizes.max() - sizes.min() > 1:
            big = int(np.argmax(np.where(sizes > demand, sizes, -1)))
            small = int(np.argmin(sizes))
            if sizes[big] - sizes[small] <= 1:
                break
            sizes[big] -= 1
            sizes[small] += 1
    return caps, sizes


def _level(sizes: np.ndarray, lower: np.ndarray, upper: np.ndarray, n: int) -> np.ndarray:
    """Sizes summing to ``n``: the largest cut down (or the smallest filled up) first.

    Water-filling in O(tables * log n): the same layout as moving one seat at a time from the
    fullest table (or to the emptiest, lowest index first), without the quadratic loop.
    """
    total = int(sizes.sum())
    if total == n or sizes.size == 0:
        return sizes
    if total < n:

        def fill(level: int) -> np.ndarray:
            return np.minimum(np.maximum(sizes, level), np.maximum(upper, sizes))

        lo, hi = 0, int(max(upper.max(), sizes.max()))
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if int(fill(mid).sum()) <= n:
                lo = mid
            else:
                hi = mid - 1
        out = fill(lo)
        grow = np.flatnonzero((out == lo) & (upper > lo))[: n - int(out.sum())]
        out[grow] += 1
        return out

    def cut(level: int) -> np.ndarray:
        return np.maximum(np.minimum(sizes, level), np.minimum(lower, sizes))

    lo, hi = 0, int(sizes.max())
    while lo < hi:
        mid = (lo + hi) // 2
        if int(cut(mid).sum()) >= n:
            hi = mid
        else:
            lo = mid + 1
    out = cut(lo)
    shrink = np.flatnonzero((out == lo) & (lower < lo))[: int(out.sum()) - n]
    out[shrink] -= 1
    return out


def kindred_threshold(
    X: np.ndarray,
    quantile: float,
    *,
    rng: np.random.Generator,
    exact_max: int = EXACT_THRESHOLD_MAX,
) -> float:
    """Similarity above which a pair counts as kindred: the ``quantile`` of all pairs.

    Exact for small ``n``; otherwise estimated from four million random pairs of distinct people
    (two thousand random rows against two thousand random columns).

    Example:
        >>> X = np.eye(3, dtype=np.float32)
        >>> kindred_threshold(X, 0.5, rng=np.random.default_rng(0))
        0.0
    """
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
        # A grid of random rows against random columns: one matrix product instead of
        # gathering millions of pairs of rows (gigabytes of traffic at d = 384).
        side = math.isqrt(_PAIR_SAMPLE)
        a = rng.integers(0, n, size=side)
        b = rng.integers(0, n, size=side)
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


@dataclass(slots=True)
class RoundSpec:
    """One round compiled: who is seated, table capacities and sizes, and its hard rules.

    Attributes:
        round: The round as given.
        members: Global indices of the eligible attendees, ascending.
        capacities: Seats per table.
        sizes: Target number of attendees per table (sums to ``len(members)``).
        fixed_table: Per member (aligned with ``members``): forced table or -1.
        units: Keep-together groups (global indices) that are not pinned.
        apart: Keep-apart pairs (global indices) where both are seated in this round.
        anchor: Per member: their table in the previous seating (re-planning), else -1.
    """

    round: Round
    members: np.ndarray
    capacities: np.ndarray
    sizes: np.ndarray
    fixed_table: np.ndarray
    units: list[np.ndarray]
    apart: np.ndarray
    anchor: np.ndarray


@dataclass(slots=True)
class Problem:
    """Attendees, rounds, constraints and history as arrays (see `Problem.build`).

    Codes are -1 where the attribute is not given. ``languages`` is a bit mask per attendee
    (languages beyond the 64 most common share bits, which at worst hides a rare mismatch).
    """

    ids: list[str]
    index: dict[str, int]
    X: np.ndarray
    company: np.ndarray
    party: np.ndarray
    hometown: np.ndarray
    solo: np.ndarray
    first_time: np.ndarray
    dinner: np.ndarray
    languages: np.ndarray
    rounds: list[RoundSpec]
    history: list[np.ndarray]
    threshold: float
    kin_indptr: np.ndarray
    kin_indices: np.ndarray
    keep_together: list[np.ndarray] = field(default_factory=list)
    keep_apart: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))

    @classmethod
    def build(
        cls,
        attendees: Sequence[Attendee],
        rounds: Sequence[Round],
        embeddings: np.ndarray,
        *,
        history: History = (),
        constraints: Constraints | None = None,
        kindred_quantile: float = 0.9,
        n_neighbours: int = 24,
        previous: Seating | None = None,
        rng: np.random.Generator,
    ) -> Problem:
        """Validate and compile the input.

        ``previous`` (re-planning) is an earlier seating to stay close to; ids in it that are no
        longer attendees are ignored.

        Raises:
            ValueError: Malformed input (duplicate ids, unknown ids or rounds, wrong shapes).
            Infeasible: A hard rule cannot hold.

        Example:
            >>> people = [Attendee(id=str(i)) for i in range(4)]
            >>> X = np.eye(4, dtype=np.float32)
            >>> p = Problem.build(people, [Round(name="L", table_size=2)], X,
            ...                   rng=np.random.default_rng(0))
            >>> p.rounds[0].sizes.tolist()
            [2, 2]
        """
        constraints = constraints or Constraints()
        ids = [a.id for a in attendees]
        index = {a: i for i, a in enumerate(ids)}
        if len(index) != len(ids):
            dup = next(a for a in ids if ids.count(a) > 1)
            raise ValueError(f"Attendee ids must be unique. Got '{dup}' twice.")
        X = np.asarray(embeddings, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] != len(ids):
            raise ValueError(
                f"The 'embeddings' must be a 2-d array with one row per attendee ({len(ids)}). "
                f"Got shape {X.shape} instead."
            )
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = np.ascontiguousarray(X / np.where(norms > 0, norms, 1.0), dtype=np.float32)
        names = [r.name for r in rounds]
        if len(set(names)) != len(names):
            raise ValueError(f"Round names must be unique. Got {names} instead.")
        for r in rounds:
            _check_round(r)

        company = _codes([affiliation_key(a.affiliation, a.email) for a in attendees])
        party = _codes([a.party or None for a in attendees])
        hometown = _codes([_fold(a.hometown) or None for a in attendees])
        languages = _language_masks(attendees)

        def lookup(aid: str, what: str) -> int:
            if aid not in index:
                raise ValueError(f"{what} names attendee '{aid}', who is not in the attendee list.")
            return index[aid]

        apart = np.array(
            [
                sorted((lookup(a, "A keep-apart pair"), lookup(b, "A keep-apart pair")))
                for a, b in constraints.keep_apart
            ],
            dtype=np.int64,
        ).reshape(-1, 2)
        if apart.size and (apart[:, 0] == apart[:, 1]).any():
            raise ValueError("A keep-apart pair names the same attendee twice.")
        together = _merge_groups(
            [
                [lookup(a, "A keep-together set") for a in group]
                for group in constraints.keep_together
            ],
            len(ids),
        )
        apart_set = {(int(a), int(b)) for a, b in apart}
        for group in together:
            members = sorted(int(g) for g in group)
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    if (members[x], members[y]) in apart_set:
                        raise Infeasible(
                            "keep-together",
                            f"'{ids[members[x]]}' and '{ids[members[y]]}' must sit together and "
                            "be kept apart.",
                        )
        pins_by_round: dict[str, dict[int, int]] = {r.name: {} for r in rounds}
        for pin in constraints.pins:
            person = lookup(pin.attendee_id, "A pin")
            if pin.round_name not in pins_by_round:
                raise ValueError(f"A pin names round '{pin.round_name}', which does not exist.")
            seen = pins_by_round[pin.round_name]
            if seen.get(person, pin.table) != pin.table:
                raise Infeasible(
                    "pins",
                    f"'{pin.attendee_id}' is pinned to two tables in round '{pin.round_name}'.",
                )
            seen[person] = pin.table

        is_dinner = np.array([a.dinner for a in attendees], dtype=bool)
        previous = previous or {}
        specs = []
        for r in rounds:
            before = np.full(len(ids), -1, dtype=np.int64)
            for t, table in enumerate(previous.get(r.name, ())):
                for aid in table:
                    if aid in index:
                        before[index[aid]] = t
            specs.append(
                _compile_round(r, ids, is_dinner, pins_by_round[r.name], together, apart, before)
            )
        threshold = kindred_threshold(X, kindred_quantile, rng=rng)
        kin_indptr, kin_indices = kindred_neighbours(X, threshold, k=n_neighbours, rng=rng)
        hist = [
            np.array([index[a] for a in table if a in index], dtype=np.int64) for table in history
        ]
        return cls(
            ids=ids,
            index=index,
            X=X,
            company=company,
            party=party,
            hometown=hometown,
            solo=np.array([a.solo for a in attendees], dtype=bool),
            first_time=np.array([a.first_time for a in attendees], dtype=bool),
            dinner=is_dinner,
            languages=languages,
            rounds=specs,
            history=[h for h in hist if h.size > 1],
            threshold=threshold,
            kin_indptr=kin_indptr,
            kin_indices=kin_indices,
            keep_together=together,
            keep_apart=apart,
        )


def _check_round(r: Round) -> None:
    if r.kind not in ("lunch", "dinner"):
        raise ValueError(
            f"The 'kind' of round '{r.name}' must be 'lunch' or 'dinner'. Got {r.kind!r}."
        )
    if (r.table_size is None) == (r.capacities is None):
        raise ValueError(f"Round '{r.name}' needs exactly one of 'table_size' and 'capacities'.")
    if r.table_size is not None and (
        not isinstance(r.table_size, int) or isinstance(r.table_size, bool) or r.table_size < 2
    ):
        raise ValueError(
            f"The 'table_size' parameter must be an int >= 2. Got {r.table_size!r} instead."
        )
    if r.capacities is not None and (
        len(r.capacities) == 0
        or any(not isinstance(c, int) or isinstance(c, bool) or c < 1 for c in r.capacities)
    ):
        raise ValueError(
            "The 'capacities' parameter must be a non-empty list of ints >= 1. "
            f"Got {r.capacities!r} instead."
        )


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _codes(keys: Sequence[str | None]) -> np.ndarray:
    table: dict[str, int] = {}
    out = np.full(len(keys), -1, dtype=np.int32)
    for i, key in enumerate(keys):
        if key:
            out[i] = table.setdefault(key, len(table))
    return out


def _language_masks(attendees: Sequence[Attendee]) -> np.ndarray:
    counts: dict[str, int] = {}
    folded = [{_fold(lang) for lang in a.languages if lang.strip()} for a in attendees]
    for langs in folded:
        for lang in langs:
            counts[lang] = counts.get(lang, 0) + 1
    ranked = sorted(counts, key=lambda s: (-counts[s], s))
    bit = {lang: i % 64 for i, lang in enumerate(ranked)}
    out = np.zeros(len(attendees), dtype=np.uint64)
    for i, langs in enumerate(folded):
        mask = 0
        for lang in langs:
            mask |= 1 << bit[lang]
        out[i] = mask
    return out


def _merge_groups(groups: list[list[int]], n: int) -> list[np.ndarray]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    touched: set[int] = set()
    for group in groups:
        touched.update(group)
        for other in group[1:]:
            parent[find(other)] = find(group[0])
    merged: dict[int, list[int]] = {}
    for x in sorted(touched):
        merged.setdefault(find(x), []).append(x)
    return [np.array(g, dtype=np.int64) for g in merged.values() if len(g) > 1]


def _compile_round(
    r: Round,
    ids: list[str],
    is_dinner: np.ndarray,
    pins: dict[int, int],
    together: list[np.ndarray],
    apart: np.ndarray,
    before: np.ndarray,
) -> RoundSpec:
    members = np.flatnonzero(is_dinner) if r.kind == "dinner" else np.arange(len(ids))
    seated = np.zeros(len(ids), dtype=bool)
    seated[members] = True
    for person in pins:
        if not seated[person]:
            raise Infeasible(
                "pins",
                f"'{ids[person]}' is pinned in dinner round '{r.name}' but did not opt in to "
                "dinner.",
            )
    n = members.size
    n_tables = len(r.capacities) if r.capacities is not None else -(-n // int(r.table_size or 1))
    for person, table in pins.items():
        if not 0 <= table < n_tables:
            raise Infeasible(
                "pins",
                f"'{ids[person]}' is pinned to table {table} in round '{r.name}', which has "
                f"{n_tables} tables (numbered from 0).",
            )
    forced = dict(pins)
    units: list[np.ndarray] = []
    for group in together:
        if not seated[group].all():
            continue
        tables = {forced[int(p)] for p in group if int(p) in forced}
        if len(tables) > 1:
            names = ", ".join(f"'{ids[int(p)]}'" for p in group)
            raise Infeasible(
                "keep-together",
                f"{names} must sit together but are pinned to different tables in round "
                f"'{r.name}'.",
            )
        if tables:
            table = tables.pop()
            for p in group:
                forced[int(p)] = table
        else:
            units.append(group)
    for a, b in apart:
        if a in forced and forced.get(int(b)) == forced[int(a)]:
            raise Infeasible(
                "keep-apart",
                f"'{ids[int(a)]}' and '{ids[int(b)]}' must be kept apart but are pinned to table "
                f"{forced[int(a)]} in round '{r.name}'.",
            )
    demand = np.zeros(n_tables, dtype=np.int64)
    for table in forced.values():
        demand[table] += 1
    claimed = demand.copy()
    if r.capacities is not None and n_tables:
        # Unequal tables: claim seats for each keep-together set at the table with the most
        # free seats first, or spreading everyone evenly can leave no table room for the set.
        free = np.asarray(r.capacities, dtype=np.int64) - demand
        for group in sorted(units, key=len, reverse=True):
            best = int(np.argmax(free))
            if free[best] >= len(group):
                free[best] -= len(group)
                claimed[best] += len(group)
    anchor = before[members]
    kept = anchor[(anchor >= 0) & (anchor < n_tables)]
    prefer = np.bincount(kept, minlength=n_tables) if kept.size else None
    caps, sizes = table_sizes(n, r, demand=claimed, prefer=prefer)
    room = sizes - demand
    for group in sorted(units, key=len, reverse=True):
        best = int(np.argmax(room)) if room.size else -1
        if best < 0 or room[best] < len(group):
            names = ", ".join(f"'{ids[int(p)]}'" for p in group)
            raise Infeasible(
                "keep-together",
                f"{names} must sit together in round '{r.name}' but no table has "
                f"{len(group)} free seats.",
            )
        room[best] -= len(group)
    fixed_table = np.full(n, -1, dtype=np.int64)
    position = {int(p): i for i, p in enumerate(members)}
    for person, table in forced.items():
        fixed_table[position[person]] = table
    both = seated[apart[:, 0]] & seated[apart[:, 1]] if apart.size else np.zeros(0, dtype=bool)
    return RoundSpec(
        round=r,
        members=members,
        capacities=caps,
        sizes=sizes,
        fixed_table=fixed_table,
        units=units,
        apart=apart[both],
        anchor=anchor,
    )
