"""The seating solver: constructive start plus swap local search, round by round, then jointly.

Phase one plans the rounds in order; each round avoids pairs that met in the history or an
earlier round. A round starts from a constructed seating that already does most of the work:
kindred units (a pair of kindred neighbours, sometimes with a third or fourth) dealt whole to
the table least like them, solos balanced, co-workers and party members kept apart
(`_construct`); the swap search then polishes it. At 100,000 attendees the first seating
alone gives 94% of attendees a kindred tablemate (of 94.5% who have one at all) with tables
as mixed as random ones.

Phase two (only while pairs still meet twice) revisits every round against all the others, so
the search can trade a repeat in one round for a fresh pair in another: the "new faces every
day" rule is a property of the whole conference, not of one meal.

Per round the search state is linear in the number of attendees: table membership, one vector
sum per table (with unit vectors the within-table similarity is ``(|S|^2 - |T|) / 2``, so a
swap's diversity change is O(d)), kindred and language counters, and one sorted adjacency of
pair relations (kindred neighbours, keep-apart pairs, earlier meetings).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matching import _kernels as k
from matching.joint import joint_tabu
from matching.problem import Infeasible, Problem, RoundSpec, Weights

__all__ = ["Plan", "ProgressCallback", "solve"]

ProgressCallback = Callable[[float, str], None]

#: Annealing temperatures of phase one, in units of the objective.
_TEMP_START = 1.0
_TEMP_END = 0.01
#: Share of the time budget phase one may use when phase two is needed.
_PHASE_ONE_SHARE = 0.7
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
#: Table size at which ``Weights.diversity`` applies unscaled (see `_round_weights`).
_REFERENCE_TABLE = 10
#: A boost that raises the ratio by less than this ends the boosting for the round.
_BOOST_MIN_GAIN = 0.003
#: Swap proposals per search chunk at least: on small rounds one sweep is too short a sample
#: to conclude from its lack of improving swaps that the search has settled.
_MIN_SWEEP = 5000
#: Tables looked at for a unit without co-workers or party members before the first that
#: has room is taken.
_DEAL_LOOKAHEAD = 64
#: Up to this many attendees the joint phase is the tabu search of matching.joint.
DENSE_JOINT_MAX = 3000


@dataclass(slots=True)
class Plan:
    """A solved seating.

    Attributes:
        table_of: Per round (aligned with ``problem.rounds``): table index of each member.
        moved: Per round name: attendees seated in the previous seating (see
            `Problem.build`) whose table changed.
        repeats: Pairs seated together more often than once, counting history.
        iterations: Swap proposals evaluated.
        timed_out: Whether the time budget cut the search short.
    """

    table_of: list[np.ndarray]
    moved: dict[str, int] = field(default_factory=dict)
    repeats: int = 0
    iterations: int = 0
    timed_out: bool = False

    def tables(self, problem: Problem) -> dict[str, list[list[str]]]:
        """The seating as round name -> tables -> attendee ids."""
        out: dict[str, list[list[str]]] = {}
        for spec, table_of in zip(problem.rounds, self.table_of, strict=True):
            tables: list[list[str]] = [[] for _ in range(spec.capacities.shape[0])]
            for person, table in zip(spec.members, table_of, strict=True):
                tables[int(table)].append(problem.ids[int(person)])
            out[spec.round.name] = tables
        return out


class _RoundState:
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
        self.party = problem.party[members].astype(np.int32)
        # A party label only one seated person carries is no party in this round.
        codes, counts = np.unique(self.party[self.party >= 0], return_counts=True)
        size_of = dict(zip(codes.tolist(), counts.tolist(), strict=True))
        sizes = np.array([size_of.get(int(p), 0) for p in self.party], dtype=np.int64)
        self.party = np.where(sizes >= 2, self.party, -1).astype(np.int32)
        # At dinner a party of exactly two may stay together.
        exempt = (sizes == 2) if self.dinner else np.zeros(m, dtype=bool)
        self.party_pen = np.where(exempt, -1, self.party).astype(np.int32)
        self.home = problem.hometown[members].astype(np.int32)
        self.solo = problem.solo[members].astype(np.int32)
        self.first = problem.first_time[members].astype(np.int32)
        self.has_party = (self.party >= 0).astype(np.int32)
        self.lang = problem.languages[members].copy()
        self.anchor = anchor.astype(np.int64)
        self.fixed = fixed.astype(np.bool_)
        self.movable = np.flatnonzero(~self.fixed).astype(np.int64)
        if relations is None:
            relations = _relations(problem, spec, met, self.comp, self.party_pen)
        self.indptr, self.nbr, self.flag = relations
        kin_rows = np.repeat(np.arange(m), np.diff(self.indptr))
        self.has_kin = np.zeros(m, dtype=np.bool_)
        self.has_kin[kin_rows[(self.flag & k.KIN) != 0]] = True
        self.table_of = table_of.astype(np.int64).copy()
        self.improved = 0
        self.n_tables = spec.capacities.shape[0]
        max_cap = int(max(spec.sizes.max(initial=0), 1))
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
        ) = k.init_state(
            self.table_of, self.n_tables, max_cap, self.g, self.X, self.solo, self.first,
            self.has_party, self.lang, self.indptr, self.nbr, self.flag,
        )  # fmt: skip

    def cost(self) -> float:
        return float(
            k.total_cost(
                self.w,
                self.dinner,
                self.table_of,
                self.members,
                self.size,
                self.sums,
                self.solo_cnt,
                self.first_cnt,
                self.party_cnt,
                self.kc,
                self.lc,
                self.comp,
                self.party_pen,
                self.party,
                self.home,
                self.solo,
                self.lang,
                self.has_kin,
                self.anchor,
                self.indptr,
                self.nbr,
                self.flag,
            )
        )

    def search(self, n_iter: int, temp0: float, temp1: float, seed: int) -> float:
        """Run ``n_iter`` swap proposals; the cost change (``improved``: improving swaps made)."""
        change, improved = k.search(
            n_iter,
            temp0,
            temp1,
            seed,
            self.w,
            self.dinner,
            self.g,
            self.X,
            self.table_of,
            self.members,
            self.size,
            self.pos,
            self.sums,
            self.solo_cnt,
            self.first_cnt,
            self.party_cnt,
            self.kc,
            self.lc,
            self.comp,
            self.party_pen,
            self.party,
            self.home,
            self.solo,
            self.first,
            self.has_party,
            self.lang,
            self.has_kin,
            self.anchor,
            self.fixed,
            self.movable,
            self.indptr,
            self.nbr,
            self.flag,
        )
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
        met = self.flag >> k.MET_SHIFT
        same = self.table_of[rows] == self.table_of[self.nbr]
        total = int(met[same].sum()) // 2
        return total


def _relations(
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
    vals.append(np.full(kin.shape[0], k.KIN, dtype=np.int64))

    if spec.apart.size:
        a = local[spec.apart[:, 0]]
        b = local[spec.apart[:, 1]]
        apart = np.unique(np.concatenate([a * m + b, b * m + a]))
        keys.append(apart)
        vals.append(np.full(apart.shape[0], k.APART, dtype=np.int64))

    if met:
        a, b = _pairs(met, local)
        keys.append(a * m + b)
        vals.append(np.full(a.shape[0], 1 << k.MET_SHIFT, dtype=np.int64))

    all_keys = np.concatenate(keys)
    uniq, inverse = np.unique(all_keys, return_inverse=True)
    flag = np.bincount(inverse, weights=np.concatenate(vals), minlength=uniq.shape[0])
    rows = uniq // max(m, 1)
    indptr = np.searchsorted(rows, np.arange(m + 1)).astype(np.int64)
    return indptr, (uniq % max(m, 1)).astype(np.int64), flag.astype(np.int64)


def _construct(
    problem: Problem,
    spec: RoundSpec,
    met: list[np.ndarray],
    anchor: np.ndarray,
    mutual: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """A first seating: forced seats, kept seats, kindred units, then the rest dealt in turn.

    ``mutual`` is `_mutual_kindred` of the problem. Returns the table of each member and which
    members may not move (pins, keep-together).
    """
    members = spec.members
    m = members.shape[0]
    n_tables = spec.capacities.shape[0]
    local = np.full(len(problem.ids), -1, dtype=np.int64)
    local[members] = np.arange(m)
    table_of = spec.fixed_table.astype(np.int64).copy()
    fixed = table_of >= 0
    room = spec.sizes.astype(np.int64) - np.bincount(table_of[fixed], minlength=n_tables)
    for unit in spec.units:
        people = local[unit]
        wished = anchor[people]
        wished = wished[(wished >= 0) & (wished < n_tables)]
        choices = [int(t) for t in np.bincount(wished).argsort()[::-1]] if wished.size else []
        fits = [t for t in choices if room[t] >= people.size]
        table = fits[0] if fits else int(np.argmax(room))
        table_of[people] = table
        fixed[people] = True
        room[table] -= people.size
    for person in rng.permutation(np.flatnonzero((table_of < 0) & (anchor >= 0))):
        t = int(anchor[person])
        if t < n_tables and room[t] > 0:
            table_of[person] = t
            room[t] -= 1

    free = np.flatnonzero(table_of < 0)
    if free.size == 0:
        return table_of, fixed
    units = _kindred_units(problem, spec, free, met, local, mutual, rng)
    # Dealing co-workers (and solos) to consecutive tables spreads them evenly from the start.
    comp = problem.company[members]
    company_size = np.bincount(comp[comp >= 0]) if (comp >= 0).any() else np.zeros(1, dtype=int)
    tiebreak = rng.random(len(units))

    def key(u: int) -> tuple[int, int, int, int, float]:
        # Most solos first (the heap then balances them as in longest-processing-time
        # scheduling), larger units before smaller ones (single people fill the last gaps),
        # then the biggest companies' people in turn.
        unit = units[u]
        solos = sum(int(problem.solo[members[p]]) for p in unit)
        c = max((int(comp[p]) for p in unit), default=-1)
        size = int(company_size[c]) if c >= 0 else 0
        return (-solos, -len(unit), -size, c, tiebreak[u])

    solo = problem.solo[members].astype(np.int64)
    order = sorted(range(len(units)), key=key)
    _deal(
        [units[u] for u in order], table_of, fixed, room, solo, comp, problem.party[members],
        problem.X[members],
    )  # fmt: skip
    keep = np.zeros(m, dtype=np.int64)
    for group in units:
        keep[group] = {1: 0, 2: 2}.get(len(group), 1)
    _balance_solos(table_of, ~fixed & (anchor < 0), solo, n_tables, rng, keep)
    return table_of, fixed


def _deal(
    units: list[list[int]],
    table_of: np.ndarray,
    fixed: np.ndarray,
    room: np.ndarray,
    solo: np.ndarray,
    comp: np.ndarray,
    party: np.ndarray,
    X: np.ndarray,
) -> None:
    """Seat ``units`` in the order given, each whole at one table where it can be.

    Units with solo attendees go to a table with the fewest solos so far (a heap), so the solo
    balancing after it seldom has to split a kindred unit; the others go to one of the next
    tables in turn. Among the candidate tables (up to ``_DEAL_LOOKAHEAD``), those that already
    seat a co-worker or party member of the unit are passed over and the one whose people are
    least like the unit (smallest dot product of embedding sums, ``X`` rows of the members)
    is taken, so tables start out mixed. ``table_of`` and ``room`` are updated in place.
    """
    n_tables = room.shape[0]
    n_comp = int(comp.max(initial=-1)) + 1
    tags_at: list[set[int]] = [set() for _ in range(n_tables)]
    sums = np.zeros((n_tables, X.shape[1]), dtype=np.float32)
    for p in np.flatnonzero(fixed).tolist():
        tags_at[int(table_of[p])].update(_tags(p, comp, party, n_comp))
        sums[table_of[p]] += X[p]
    solo_at = np.bincount(table_of[fixed], weights=solo[fixed], minlength=n_tables).astype(int)
    heap = [(int(solo_at[t]), t) for t in range(n_tables) if room[t] > 0]
    heapq.heapify(heap)
    cursor = 0
    for dealt in units:
        tags = {tag for p in dealt for tag in _tags(p, comp, party, n_comp)}
        solos = int(solo[dealt].sum())
        looked: list[int] = []
        fits: list[int] = []
        if solos:
            while heap and len(looked) < _DEAL_LOOKAHEAD:
                count, t = heapq.heappop(heap)
                if room[t] <= 0:
                    continue
                if count != solo_at[t]:  # seated by the fallback below since it was pushed
                    heapq.heappush(heap, (int(solo_at[t]), t))
                    continue
                if fits and count > solo_at[fits[0]]:
                    heapq.heappush(heap, (count, t))
                    break
                looked.append(t)
                if room[t] >= len(dealt):
                    fits.append(t)
        else:
            for step in range(min(n_tables, _DEAL_LOOKAHEAD)):
                t = (cursor + step) % n_tables
                if room[t] >= len(dealt):
                    fits.append(t)
        free_of_tags = [t for t in fits if not tags & tags_at[t]]
        cands = np.array(free_of_tags or fits, dtype=np.int64)
        if cands.size == 0:
            # Nothing near had room for the whole unit: any table with the fewest solos that has.
            cands = np.flatnonzero(room >= len(dealt))
            if cands.size:
                cands = cands[solo_at[cands] == solo_at[cands].min()]
        if cands.size:
            unit_sum = X[dealt].sum(axis=0)
            target = int(cands[np.argmin(sums[cands] @ unit_sum)])
            table_of[dealt] = target
            room[target] -= len(dealt)
            solo_at[target] += solos
            tags_at[target] |= tags
            sums[target] += unit_sum
            if not solos:
                cursor = target + 1
        else:
            for p in dealt:
                t = int(np.argmax(room))
                table_of[p] = t
                room[t] -= 1
                solo_at[t] += solo[p]
                tags_at[t].update(_tags(p, comp, party, n_comp))
                sums[t] += X[p]
        for t in looked:
            heapq.heappush(heap, (int(solo_at[t]), t))


def _tags(person: int, comp: np.ndarray, party: np.ndarray, n_comp: int) -> list[int]:
    """Codes of the groups that may not share ``person``'s table: company, then party."""
    out = []
    if comp[person] >= 0:
        out.append(int(comp[person]))
    if party[person] >= 0:
        out.append(n_comp + int(party[person]))
    return out


def _mutual_kindred(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Kindred candidates both ways as a CSR ``(indptr, indices)`` over global indices.

    Kindred is mutual: someone who lists a person is a candidate for them too. Each row holds
    the person's own list first, in its order of preference.
    """
    n = len(problem.ids)
    src = np.repeat(np.arange(n), np.diff(problem.kin_indptr))
    dst = problem.kin_indices.astype(np.int64)
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    by_row = np.argsort(rows, kind="stable")
    return np.searchsorted(rows[by_row], np.arange(n + 1)), cols[by_row]


def _kindred_units(
    problem: Problem,
    spec: RoundSpec,
    free: np.ndarray,
    met: list[np.ndarray],
    local: np.ndarray,
    mutual: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> list[list[int]]:
    """The free members in units dealt to one table each: kindred pairs, some with a third.

    Pairs come from each member's kindred neighbours, members with the fewest neighbours
    first (they have the fewest chances left later). A member left without a partner joins a
    pair one of their kindred neighbours is in, so that the first seating already gives
    nearly everyone who has a kindred neighbour a kindred tablemate; the search then only has
    to keep that while it mixes the tables. No unit holds co-workers, a party or a pair that
    met before.
    """
    members = spec.members
    m = members.shape[0]
    comp = problem.company[members]
    party = problem.party[members]
    met_set = _pair_set(met, local, m)
    indptr, cols = mutual
    degree = np.diff(indptr)[members]
    order = free[np.lexsort((rng.random(free.shape[0]), degree[free]))]
    is_free = np.zeros(m, dtype=bool)
    is_free[free] = True
    unit_of = np.full(m, -1, dtype=np.int64)
    units: list[list[int]] = []

    def compatible(person: int, other: int) -> bool:
        return not (
            (comp[person] >= 0 and comp[person] == comp[other])
            or (party[person] >= 0 and party[person] == party[other])
            or min(person, other) * m + max(person, other) in met_set
        )

    def kindred(person: int) -> list[int]:
        g = members[person]
        out = local[cols[indptr[g] : indptr[g + 1]]]
        return [int(o) for o in out if o >= 0 and o != person and is_free[o]]

    for person in order.tolist():
        if unit_of[person] >= 0:
            continue
        for other in kindred(person):
            if unit_of[other] < 0 and compatible(person, other):
                unit_of[person] = unit_of[other] = len(units)
                units.append([person, other])
                break
    # Tables of ten take a unit of four; groups of six one of three.
    largest = 3 if int(spec.sizes.max(initial=0)) < 8 else 4
    for cap in range(3, largest + 1):
        for person in order.tolist():
            if unit_of[person] >= 0:
                continue
            for other in kindred(person):
                u = int(unit_of[other])
                if u >= 0 and len(units[u]) < cap and all(compatible(person, x) for x in units[u]):
                    unit_of[person] = u
                    units[u].append(person)
                    break
    for person in order.tolist():
        if unit_of[person] < 0:
            unit_of[person] = len(units)
            units.append([person])
    return units


def _balance_solos(
    table_of: np.ndarray,
    movable: np.ndarray,
    solo: np.ndarray,
    n_tables: int,
    rng: np.random.Generator,
    keep: np.ndarray | None = None,
) -> None:
    """Swap solos from the fullest tables with others from the emptiest until spread <= 1.

    Members with a higher ``keep`` move last (the construction ranks a kindred pair's members
    above a third member and above people seated alone).

    Kindred pairs dealt as one unit can put two solos at one table; the search then keeps every
    table inside the band this leaves (see `_kernels.leaves_band`), so balance is exact from
    here on. Each swap lowers the sum of squared solo counts, so this ends; it stops early only
    when pins or kept seats leave no movable solo or non-solo where one is needed.
    """
    occupied = np.bincount(table_of, minlength=n_tables) > 0
    count = np.bincount(table_of, weights=solo, minlength=n_tables).astype(np.int64)
    if not occupied.any() or int(np.ptp(count[occupied])) <= 1:
        return
    solos: list[list[int]] = [[] for _ in range(n_tables)]
    others: list[list[int]] = [[] for _ in range(n_tables)]
    people = rng.permutation(np.flatnonzero(movable))
    if keep is not None:
        # Lists are taken from the end: the least worth keeping in place go first.
        people = people[np.argsort(-keep[people], kind="stable")]
    for p in people.tolist():
        (solos if solo[p] else others)[int(table_of[p])].append(p)
    n_solos = np.array([len(x) for x in solos], dtype=np.int64)
    n_others = np.array([len(x) for x in others], dtype=np.int64)
    while True:
        give = int(np.argmax(np.where(n_solos > 0, count, -1)))
        take = int(np.argmin(np.where(n_others > 0, count, np.iinfo(np.int64).max)))
        if n_solos[give] == 0 or n_others[take] == 0 or count[give] - count[take] <= 1:
            return
        p = solos[give].pop()
        q = others[take].pop()
        table_of[p], table_of[q] = take, give
        solos[take].append(p)
        others[give].append(q)
        count[give] -= 1
        count[take] += 1
        n_solos[give] -= 1
        n_solos[take] += 1
        n_others[take] -= 1
        n_others[give] += 1


def _pair_set(met: list[np.ndarray], local: np.ndarray, m: int) -> set[int]:
    """Pairs of round members who met before, as keys ``a * m + b`` with ``a < b``."""
    a, b = _pairs(met, local)
    keep = a < b
    return set((a[keep] * m + b[keep]).tolist())


def _pairs(
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
    return k.table_pairs(flat, offsets)


def _tables_global(spec: RoundSpec, table_of: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(table_of, kind="stable")
    bounds = np.searchsorted(table_of[order], np.arange(spec.capacities.shape[0] + 1))
    people = spec.members[order]
    return [people[bounds[t] : bounds[t + 1]] for t in range(spec.capacities.shape[0])]


def _round_weights(w: np.ndarray, spec: RoundSpec) -> np.ndarray:
    """The weights for one round: diversity scaled to the round's table size.

    The diversity term sums the similarity of every pair at a table, about ``size - 1`` pairs
    per person, while a missing kindred tablemate costs the same per person at any size. So
    that small dinner groups trade diversity against kindred as tables of ten do, the diversity
    weight is scaled by ``(10 - 1) / (mean size - 1)``.
    """
    sizes = spec.sizes[spec.sizes > 0]
    mean = float(sizes.mean()) if sizes.size else float(_REFERENCE_TABLE)
    out = w.copy()
    out[k.W_DIVERSITY] *= (_REFERENCE_TABLE - 1) / max(mean - 1.0, 1.0)
    return out


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def solve(
    problem: Problem,
    *,
    weights: Weights,
    rng: np.random.Generator,
    max_iter: int = 50,
    time_budget: float | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Seat every round of ``problem``.

    Args:
        problem: The compiled problem.
        weights: Soft-rule weights.
        rng: The only source of randomness.
        max_iter: Sweeps per round and phase; one sweep proposes as many swaps as the round has
            attendees (at least 5,000), and a search ends early after a sweep with no
            improving swap. With an ample ``time_budget`` the result depends only on ``rng``.
        time_budget: Seconds for the search (the best plan found so far is returned when it
            runs out, so a cut can change the result); None for no limit.
        progress: Called with (fraction done, message).

    Returns:
        The plan.

    Raises:
        Infeasible: A hard rule still fails after the search (keep-apart sets that no table
            layout can separate).

    Example:
        >>> from matching.types import Attendee, Round
        >>> people = [Attendee(id=str(i)) for i in range(6)]
        >>> p = Problem.build(people, [Round(name="L", table_size=3)], np.eye(6),
        ...                   rng=np.random.default_rng(0))
        >>> plan = solve(p, weights=Weights(), rng=np.random.default_rng(0))
        >>> sorted(np.bincount(plan.table_of[0]).tolist())
        [3, 3]
    """
    start = time.perf_counter()
    deadline = None if time_budget is None else start + time_budget
    w = weights.as_array()
    n_rounds = len(problem.rounds)
    anchors = [spec.anchor for spec in problem.rounds]
    report = progress or (lambda fraction, message: None)
    tables: list[list[np.ndarray]] = [[] for _ in range(n_rounds)]
    for r in range(n_rounds):
        # Later rounds' earlier seating counts as met when planning the rounds before them.
        tables[r] = [
            problem.rounds[r].members[anchors[r] == t]
            for t in range(int(anchors[r].max(initial=-1)) + 1)
        ]
    table_of: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n_rounds
    fixed_of: list[np.ndarray] = [np.empty(0, dtype=bool)] * n_rounds
    w_round = [w] * n_rounds
    plan = Plan(table_of=table_of)

    def out_of_time() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    def met_for(r: int) -> list[np.ndarray]:
        # Rounds not planned yet contribute their earlier seating, or nothing.
        met = list(problem.history)
        for other in range(n_rounds):
            if other != r:
                met.extend(t for t in tables[other] if t.shape[0] > 1)
        return met

    def run(
        state: _RoundState, sweeps: int, temp0: float, temp1: float, until: float | None
    ) -> None:
        # One sweep per chunk: a sweep that makes no improving swap ends the run (the search has
        # settled; at 100,000 attendees the idle sweeps were most of the time).
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
            running += state.search(n_iter, t0, t1, _seed(rng))
            done += n_iter
            plan.iterations += n_iter
            if running < best - 1e-9:
                best = running
                best_table = state.table_of.copy()
            if until is not None and time.perf_counter() > until:
                plan.timed_out = True
                break
            if state.improved == 0:
                break
        if running > best + 1e-9:
            state.table_of[:] = best_table

    phase_one_end = None if time_budget is None else start + time_budget * _PHASE_ONE_SHARE
    mutual = _mutual_kindred(problem)
    for r, spec in enumerate(problem.rounds):
        report(r / (n_rounds + 1), f"Seating round '{spec.round.name}'")
        met = met_for(r)
        first, fixed = _construct(problem, spec, met, anchors[r], mutual, rng)
        state = _RoundState(problem, spec, first, met, anchors[r], fixed, _round_weights(w, spec))
        until = None
        if phase_one_end is not None:
            share = (phase_one_end - time.perf_counter()) / (n_rounds - r)
            until = time.perf_counter() + max(share, 0.0)
        run(state, max_iter, _TEMP_START, _TEMP_END, until)
        # The diversity weight that keeps tables as mixed as random ones depends on the data.
        # Raising it on a settled seating buys nothing (the search cannot climb out of it), so
        # each boost searches the round again from the start with double the weight and keeps
        # that seating if it is more mixed.
        ratio = state.diversity_ratio()
        for _ in range(_DIVERSITY_BOOSTS):
            if ratio >= _DIVERSITY_TARGET or plan.timed_out:
                break
            boosted_w = state.w.copy()
            boosted_w[k.W_DIVERSITY] = max(boosted_w[k.W_DIVERSITY] * _BOOST, 0.25)
            boosted = _RoundState(
                problem, spec, first, met, anchors[r], fixed, boosted_w,
                (state.indptr, state.nbr, state.flag),
            )  # fmt: skip
            run(boosted, max_iter, _TEMP_START, _TEMP_END, until)
            gain = boosted.diversity_ratio() - ratio
            kindred = state.kindred_share()
            if gain < _BOOST_MIN_GAIN:
                # The other rules hold the tables where they are: more weight buys nothing.
                break
            if boosted.kindred_share() < min(kindred, _KINDRED_FLOOR) - _KINDRED_SLACK:
                # Common ground weighs more than many perspectives (product.md's order).
                break
            state, ratio = boosted, ratio + gain
        w_round[r] = state.w
        table_of[r] = state.table_of
        fixed_of[r] = fixed
        tables[r] = _tables_global(spec, state.table_of)

    # Phase two: the rounds together, while pairs still meet twice.
    repeats = _count_repeats(problem, tables)
    if repeats > 0 and n_rounds > 1 and not out_of_time():
        report(n_rounds / (n_rounds + 1), f"Removing repeated pairs ({repeats} left)")
        if len(problem.ids) <= DENSE_JOINT_MAX:
            joint_tabu(problem, table_of, fixed_of, w, rng, max_iter, deadline, plan)
        else:
            _joint_sparse(problem, table_of, fixed_of, anchors, w_round, rng, deadline, plan)
        for r, spec in enumerate(problem.rounds):
            tables[r] = _tables_global(spec, table_of[r])
        # Polish the other rules without undoing the new faces: repeats now cost their weight.
        if w[k.W_KINDRED] > 0 or w[k.W_DIVERSITY] > 0:
            for r, spec in enumerate(problem.rounds):
                if out_of_time():
                    break
                met = met_for(r)
                state = _RoundState(
                    problem, spec, table_of[r], met, anchors[r], fixed_of[r], w_round[r]
                )
                run(state, max(max_iter // 4, 1), _TEMP_END, _TEMP_END, deadline)
                table_of[r] = state.table_of
                tables[r] = _tables_global(spec, state.table_of)
        repeats = _count_repeats(problem, tables)
    plan.repeats = repeats
    _check_hard_rules(problem, table_of)
    for r, spec in enumerate(problem.rounds):
        seated = anchors[r] >= 0
        plan.moved[spec.round.name] = int((table_of[r][seated] != anchors[r][seated]).sum())
    report(1.0, "Done")
    return plan


def _count_repeats(problem: Problem, tables: list[list[np.ndarray]]) -> int:
    """Pairs seated together more than once (a pair meeting three times counts twice)."""
    flat_tables = [t for t in problem.history if t.shape[0] > 1]
    for round_tables in tables:
        flat_tables.extend(t for t in round_tables if t.shape[0] > 1)
    if not flat_tables:
        return 0
    n = len(problem.ids)
    a, b = _pairs(flat_tables)
    keep = a < b
    _, counts = np.unique(a[keep] * n + b[keep], return_counts=True)
    return int((counts - 1).sum())


def _check_hard_rules(problem: Problem, table_of: list[np.ndarray]) -> None:
    for spec, tables in zip(problem.rounds, table_of, strict=True):
        counts = np.bincount(tables, minlength=spec.capacities.shape[0])
        if (counts > spec.capacities).any():
            raise AssertionError(f"Round '{spec.round.name}': a table exceeds its capacity.")
        where = np.full(len(problem.ids), -1, dtype=np.int64)
        where[spec.members] = tables
        for a, b in spec.apart:
            if where[a] == where[b]:
                raise Infeasible(
                    "keep-apart",
                    f"Round '{spec.round.name}': no seating found that keeps "
                    f"'{problem.ids[int(a)]}' and '{problem.ids[int(b)]}' apart "
                    f"({spec.capacities.shape[0]} tables for the keep-apart pairs given).",
                )


def _joint_sparse(
    problem: Problem,
    table_of: list[np.ndarray],
    fixed_of: list[np.ndarray],
    anchors: list[np.ndarray],
    w_round: list[np.ndarray],
    rng: np.random.Generator,
    deadline: float | None,
    plan: Plan,
) -> None:
    """Large conferences: each round re-searched against all the others, a few passes."""
    n_rounds = len(problem.rounds)
    for _ in range(3):
        for r, spec in enumerate(problem.rounds):
            if deadline is not None and time.perf_counter() > deadline:
                plan.timed_out = True
                return
            met = list(problem.history)
            for other in range(n_rounds):
                if other != r:
                    met.extend(t for t in _tables_global(problem.rounds[other], table_of[other]))
            state = _RoundState(
                problem, spec, table_of[r], met, anchors[r], fixed_of[r], w_round[r]
            )
            if state.repeats() == 0:
                continue
            m = max(state.table_of.shape[0], 1)
            state.search(20 * m, _TEMP_END, _TEMP_END, _seed(rng))
            plan.iterations += 20 * m
            table_of[r] = state.table_of
