"""Phase one's first seating of a round: forced and kept seats, kindred units, the rest dealt.

A round starts from a constructed seating that already does most of the work: kindred units (a
pair of kindred neighbours, sometimes with a third or fourth) dealt whole to the table least
like them, solos balanced, co-workers and party members kept apart; the round search then
polishes it. At 100,000 attendees the first seating alone gives 94% of attendees a kindred
tablemate (of 94.5% who have one at all) with tables as mixed as random ones.
"""

from __future__ import annotations

import heapq

import numpy as np

from matching.problem import Problem, RoundSpec
from matching.search.meetings import pair_set

__all__ = ["construct", "mutual_kindred"]

#: Tables looked at for a unit without co-workers or party members before the first that
#: has room is taken.
_DEAL_LOOKAHEAD = 64


def construct(
    problem: Problem,
    spec: RoundSpec,
    met: list[np.ndarray],
    anchor: np.ndarray,
    mutual: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """A first seating: forced seats, kept seats, kindred units, then the rest dealt in turn.

    ``mutual`` is `mutual_kindred` of the problem. Returns the table of each member and which
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


def mutual_kindred(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
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
    met_set = pair_set(met, local, m)
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
    table inside the band this leaves (see `_round_kernels.leaves_band`), so balance is exact from
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
