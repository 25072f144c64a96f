"""Phase one: each round seated in turn, from its constructed seating, by a swap search.

Each round avoids pairs that met in the history or an earlier round. Per round the search state
is linear in the number of attendees: table membership, one vector sum per table (with unit
vectors the within-table similarity is ``(|S|^2 - |T|) / 2``, so a swap's diversity change is
O(d)), kindred and language counters, and one sorted adjacency of pair relations (kindred
neighbours, keep-apart pairs, earlier meetings). The annealed swaps themselves run in
`matching.search._round_kernels`.
"""

from __future__ import annotations

import time

import numpy as np

from matching.codes import round_parties
from matching.objective import W_DIVERSITY
from matching.problem import Problem, RoundSpec
from matching.search import _round_kernels as rk
from matching.search.construction import construct
from matching.search.meetings import pairs
from matching.search.plan import Plan

__all__ = [
    "TEMP_END",
    "TEMP_START",
    "RoundState",
    "anneal",
    "pair_relations",
    "round_weights",
    "seat_round",
]

#: Annealing temperatures of phase one, in units of the objective.
TEMP_START = 1.0
TEMP_END = 0.01
#: Wanted mean within-table distance relative to random seating's, and how often the diversity
#: weight may double to reach it.
_DIVERSITY_TARGET = 0.965
_DIVERSITY_BOOSTS = 5
#: A boost may not take the kindred share below the lower of this and the share before it
#: (less a little noise).
_KINDRED_FLOOR = 0.95
_KINDRED_SLACK = 0.005
#: Factor by which one boost raises the diversity weight.
_BOOST = 2.0
#: Table size at which ``Weights.diversity`` applies unscaled (see `round_weights`).
_REFERENCE_TABLE = 10
#: A boost that raises the ratio by less than this ends the boosting for the round.
_BOOST_MIN_GAIN = 0.003
#: Swap proposals per search chunk at least: on small rounds one sweep is too short a sample
#: to conclude from its lack of improving swaps that the search has settled.
_MIN_SWEEP = 5000


def seed_from(rng: np.random.Generator) -> int:
    """A seed for a compiled kernel, drawn from the search's one generator."""
    return int(rng.integers(2**31 - 1))


class RoundState:
    """Arrays of one round's search, built for a given set of earlier meetings."""

    def __init__(
        self,
        problem: Problem,
        spec: RoundSpec,
        table_of: np.ndarray,
        met: list[np.ndarray],
        anchor: np.ndarray,
        fixed: np.ndarray,
        w: np.ndarray,
        relations: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """``relations``: the pair relations of another state of this round with the same
        ``met`` (read-only), instead of building them again."""
        self.spec = spec
        self.w = w
        members = spec.members
        m = members.shape[0]
        self.dinner = spec.round.kind == "dinner"
        self.g = members.astype(np.int64)
        self.X = problem.X
        self.comp = problem.company[members].astype(np.int32)
        party, counted = round_parties(problem.party[members], dinner=self.dinner)
        self.party = party.astype(np.int32)
        self.party_pen = counted.astype(np.int32)
        self.home = problem.hometown[members].astype(np.int32)
        self.solo = problem.solo[members].astype(np.int32)
        self.first = problem.first_time[members].astype(np.int32)
        self.has_party = (self.party >= 0).astype(np.int32)
        self.lang = problem.languages[members].copy()
        self.anchor = anchor.astype(np.int64)
        self.fixed = fixed.astype(np.bool_)
        self.movable = np.flatnonzero(~self.fixed).astype(np.int64)
        if relations is None:
            relations = pair_relations(problem, spec, met, self.comp, self.party_pen)
        self.indptr, self.nbr, self.flag = relations
        kin_rows = np.repeat(np.arange(m), np.diff(self.indptr))
        self.has_kin = np.zeros(m, dtype=np.bool_)
        self.has_kin[kin_rows[(self.flag & rk.KIN) != 0]] = True
        self.table_of = table_of.astype(np.int64).copy()
        self.improved = 0
        self.n_tables = spec.capacities.shape[0]
        max_cap = int(max(spec.sizes.max(initial=0), 1))
        self.people = rk.RoundPeople(
            g=self.g, X=self.X, comp=self.comp, party_pen=self.party_pen, party=self.party,
            home=self.home, solo=self.solo, first=self.first, has_party=self.has_party,
            lang=self.lang, has_kin=self.has_kin, anchor=self.anchor, fixed=self.fixed,
            movable=self.movable,
        )  # fmt: skip
        self.relations = rk.Relations(self.indptr, self.nbr, self.flag)
        (
            self.members,
            self.size,
            self.pos,
            self.sums,
            self.solo_cnt,
            self.first_cnt,
            self.party_cnt,
            self.kc,
            self.lc,
        ) = rk.init_state(self.table_of, self.n_tables, max_cap, self.people, self.relations)
        self.tables = rk.Tables(
            self.table_of, self.members, self.size, self.pos, self.sums, self.solo_cnt,
            self.first_cnt, self.party_cnt, self.kc, self.lc,
        )  # fmt: skip

    def cost(self) -> float:
        return float(rk.total_cost(self.w, self.dinner, self.people, self.relations, self.tables))

    def search(self, n_iter: int, temp0: float, temp1: float, seed: int) -> float:
        """Run ``n_iter`` swap proposals; the cost change (``improved``: improving swaps made)."""
        change, improved = rk.search(
            n_iter, temp0, temp1, seed, self.w, self.dinner, self.people, self.relations,
            self.tables,
        )  # fmt: skip
        self.improved = int(improved)
        return float(change)

    def diversity_ratio(self) -> float:
        """Mean within-table cosine distance over the round's mean pairwise distance.

        Both are exact and O(m d): with unit vectors the similarities summed over all pairs of a
        set are ``(|sum|^2 - size) / 2``.
        """
        sizes = self.size.astype(np.float64)
        pairs = float((sizes * (sizes - 1) / 2).sum())
        m = float(sizes.sum())
        if pairs == 0 or m < 2:
            return 1.0
        within = float(((self.sums**2).sum(axis=1) - sizes).sum() / 2) / pairs
        total = self.sums.sum(axis=0)
        mean = (float(total @ total) - m) / (m * (m - 1))
        return (1.0 - within) / max(1.0 - mean, 1e-12)

    def kindred_share(self) -> float:
        """Share of the round's attendees with a kindred tablemate."""
        m = self.table_of.shape[0]
        return float((self.kc > 0).sum()) / m if m else 1.0

    def repeats(self) -> int:
        """Pairs at this round's tables that met before (each earlier meeting counts)."""
        total = 0
        rows = np.repeat(np.arange(self.table_of.shape[0]), np.diff(self.indptr))
        met = self.flag >> rk.MET_SHIFT
        same = self.table_of[rows] == self.table_of[self.nbr]
        total = int(met[same].sum()) // 2
        return total


def pair_relations(
    problem: Problem,
    spec: RoundSpec,
    met: list[np.ndarray],
    comp: np.ndarray,
    party_pen: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One sorted CSR of pair flags: kindred bit, keep-apart bit, earlier meetings above them."""
    n = len(problem.ids)
    members = spec.members
    m = members.shape[0]
    local = np.full(n, -1, dtype=np.int64)
    local[members] = np.arange(m)
    keys: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    lengths = np.diff(problem.kin_indptr)
    src = local[np.repeat(np.arange(n), lengths)]
    dst = local[problem.kin_indices]
    ok = (src >= 0) & (dst >= 0)
    src, dst = src[ok], dst[ok]
    # Co-workers and party members never sit together, so they cannot be each other's kindred.
    useful = ~(
        ((comp[src] >= 0) & (comp[src] == comp[dst]))
        | ((party_pen[src] >= 0) & (party_pen[src] == party_pen[dst]))
    )
    src, dst = src[useful], dst[useful]
    kin = np.unique(np.concatenate([src * m + dst, dst * m + src]))
    keys.append(kin)
    vals.append(np.full(kin.shape[0], rk.KIN, dtype=np.int64))

    if spec.apart.size:
        a = local[spec.apart[:, 0]]
        b = local[spec.apart[:, 1]]
        apart = np.unique(np.concatenate([a * m + b, b * m + a]))
        keys.append(apart)
        vals.append(np.full(apart.shape[0], rk.APART, dtype=np.int64))

    if met:
        a, b = pairs(met, local)
        keys.append(a * m + b)
        vals.append(np.full(a.shape[0], 1 << rk.MET_SHIFT, dtype=np.int64))

    all_keys = np.concatenate(keys)
    uniq, inverse = np.unique(all_keys, return_inverse=True)
    flag = np.bincount(inverse, weights=np.concatenate(vals), minlength=uniq.shape[0])
    rows = uniq // max(m, 1)
    indptr = np.searchsorted(rows, np.arange(m + 1)).astype(np.int64)
    return indptr, (uniq % max(m, 1)).astype(np.int64), flag.astype(np.int64)


def anneal(
    state: RoundState,
    sweeps: int,
    temp0: float,
    temp1: float,
    until: float | None,
    rng: np.random.Generator,
    plan: Plan,
) -> float:
    """Search ``state`` for up to ``sweeps`` sweeps, cooling from ``temp0`` to ``temp1``.

    One sweep per chunk: a sweep that makes no improving swap ends the run (the search has
    settled; at 100,000 attendees the idle sweeps were most of the time). The best seating
    seen is kept. ``until`` is a ``time.perf_counter()`` value that cuts the run
    (``plan.stop()``); ``plan.iterations`` counts the swaps proposed.

    Returns:
        The share of the run's work done: 1.0 unless ``until`` cut it.
    """
    m = state.table_of.shape[0]
    chunk = max(m, _MIN_SWEEP)
    total = sweeps * chunk
    done = 0
    best = 0.0
    running = 0.0
    best_table = state.table_of.copy()
    while done < total:
        n_iter = min(chunk, total - done)
        frac0, frac1 = done / total, (done + n_iter) / total
        t0 = temp0 * (temp1 / temp0) ** frac0 if temp0 > 0 else 0.0
        t1 = temp0 * (temp1 / temp0) ** frac1 if temp0 > 0 else 0.0
        running += state.search(n_iter, t0, t1, seed_from(rng))
        done += n_iter
        plan.iterations += n_iter
        if running < best - 1e-9:
            best = running
            best_table = state.table_of.copy()
        if state.improved == 0:
            break
        if until is not None and time.perf_counter() > until and done < total:
            plan.stop()
            break
    if running > best + 1e-9:
        state.table_of[:] = best_table
    return 1.0 if done >= total or state.improved == 0 else done / total


def seat_round(
    problem: Problem,
    spec: RoundSpec,
    met: list[np.ndarray],
    anchor: np.ndarray,
    mutual: tuple[np.ndarray, np.ndarray],
    w: np.ndarray,
    *,
    max_iter: int,
    until: float | None,
    rng: np.random.Generator,
    plan: Plan,
    share: float = 1.0,
) -> tuple[RoundState, np.ndarray]:
    """Seat one round: construct a first seating, search it, then raise diversity if needed.

    The diversity weight that keeps tables as mixed as random ones depends on the data.
    Raising it on a settled seating buys nothing (the search cannot climb out of it), so each
    boost searches the round again from the start with double the weight and keeps that
    seating if it is more mixed.

    ``plan.progress`` grows by ``share`` times the share of the first search done (the
    boosts are extra work, done only when needed).

    Returns:
        The final search state and which members may not move (pins, keep-together).
    """
    first, fixed = construct(problem, spec, met, anchor, mutual, rng)
    state = RoundState(problem, spec, first, met, anchor, fixed, round_weights(w, spec))
    plan.progress += share * anneal(state, max_iter, TEMP_START, TEMP_END, until, rng, plan)
    ratio = state.diversity_ratio()
    for _ in range(_DIVERSITY_BOOSTS):
        if ratio >= _DIVERSITY_TARGET or plan.timed_out:
            break
        boosted_w = state.w.copy()
        boosted_w[W_DIVERSITY] = max(boosted_w[W_DIVERSITY] * _BOOST, 0.25)
        boosted = RoundState(
            problem, spec, first, met, anchor, fixed, boosted_w,
            (state.indptr, state.nbr, state.flag),
        )  # fmt: skip
        anneal(boosted, max_iter, TEMP_START, TEMP_END, until, rng, plan)
        gain = boosted.diversity_ratio() - ratio
        kindred = state.kindred_share()
        if gain < _BOOST_MIN_GAIN:
            # The other rules hold the tables where they are: more weight buys nothing.
            break
        if boosted.kindred_share() < min(kindred, _KINDRED_FLOOR) - _KINDRED_SLACK:
            # Common ground weighs more than many perspectives (product.md's order).
            break
        state, ratio = boosted, ratio + gain
    return state, fixed


def round_weights(w: np.ndarray, spec: RoundSpec) -> np.ndarray:
    """The weights for one round: diversity scaled to the round's table size.

    The diversity term sums the similarity of every pair at a table, about ``size - 1`` pairs
    per person, while a missing kindred tablemate costs the same per person at any size. So
    that small dinner groups trade diversity against kindred as tables of ten do, the diversity
    weight is scaled by ``(10 - 1) / (mean size - 1)``.
    """
    sizes = spec.sizes[spec.sizes > 0]
    mean = float(sizes.mean()) if sizes.size else float(_REFERENCE_TABLE)
    out = w.copy()
    out[W_DIVERSITY] *= (_REFERENCE_TABLE - 1) / max(mean - 1.0, 1.0)
    return out
