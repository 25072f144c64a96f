"""Compiled kernels of the joint multi-round tabu search (see `matching.search.joint`).

Global attendee indices throughout; a round's non-seated attendees have table -1. The search
state lives in arrays the caller allocates once (`init_state`), so the search can run in chunks
(the caller checks the clock between them) without losing its tabu memory.

``M[a, b]`` counts the meals ``a`` and ``b`` share, history included, and ``conf[r, i]`` how many
of ``i``'s tablemates in round ``r`` they meet more than once. Keeping ``conf`` exact makes the
conflicted attendees (the only ones worth moving) a scan of one small array.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from matching.objective import (
    W_APART,
    W_COWORKER,
    W_LONE,
    W_PARTY,
    W_PARTY_SOLO,
    W_REPEAT,
    W_SOLO,
)
from matching.search._common_kernels import lone_outsider as _lone


class Conference(NamedTuple):
    """What the joint search prices and may not change, by round and global attendee index."""

    w: np.ndarray  # soft-rule weights (`matching.objective`)
    dinner: np.ndarray  # per round: a dinner (bool)
    busy: np.ndarray  # per round: a swap can change co-worker, party or keep-apart pairs (bool)
    fixed: np.ndarray  # (rounds, n): may not move (bool)
    comp: np.ndarray  # company code, -1 for none (int64)
    party_pen: np.ndarray  # (rounds, n): party code whose pairs count, else -1 (int64)
    party: np.ndarray  # (rounds, n): party code of a party of two or more there, else -1 (int64)
    solo: np.ndarray  # came alone (int64 0/1)
    apart: np.ndarray  # (n, n) keep-apart pairs (int8), or (1, 1) zeros without any


class JointTables(NamedTuple):
    """Every round's seating and the counters kept in step with it."""

    assign: np.ndarray  # (rounds, n): table, -1 when not seated (int64)
    members: np.ndarray  # (rounds, tables, max size): members by seat, -1 empty (int64)
    size: np.ndarray  # (rounds, tables) (int64)
    pos: np.ndarray  # (rounds, n): seat at the table (int64)
    conf: np.ndarray  # (rounds, n): tablemates met more than once (int32)
    knows: np.ndarray  # (rounds, n, tables): people met at each table (int32)
    solo_cnt: np.ndarray  # (rounds, tables) (int64)
    party_cnt: np.ndarray  # (rounds, tables) (int64)
    M: np.ndarray  # (n, n): meals shared, history included (int32)


class TabuMemory(NamedTuple):
    """What the search remembers between chunks."""

    best: np.ndarray  # the best plan of all runs (like ``assign``)
    run_best: np.ndarray  # the current run's best plan
    stats: np.ndarray  # scalar state, slots ``S_*``
    pair_tabu: np.ndarray  # hashed (round, pair) -> step until which swapping it is tabu
    pen: np.ndarray  # (n, n) pair penalties at local minima (int32)


class TabuSettings(NamedTuple):
    """The search's parameters (see `search`)."""

    tenure_min: int
    tenure_span: int
    max_stable: int
    max_evals: int
    pen_step: float
    pen_cap: int
    bump_odds: float
    restart_kicks: int
    greedy_sign: int


# Slots of the scalar state vector ``stats``.
S_IT = 0  # iterations done
S_COST = 1  # weighted cost of the current plan (relative to the start)
S_BEST_COST = 2
S_REPEATS = 3  # repeated pairs of the current plan
S_BEST_REPEATS = 4
S_SINCE_BEST = 5  # iterations since the best plan improved
S_KICKS = 6  # perturbations since the current run's best plan improved
S_RUN_COST = 7  # weighted cost of the current run's best plan (since the last restart)
S_RESTARTS = 8  # greedy restarts made
N_STATS = 9


@njit(cache=True)
def add_meetings(M, assign, members, size, sign):
    """Add (sign=1) or remove (sign=-1) every round's table pairs to the counts ``M``."""
    n_rounds, n_tables = size.shape
    for r in range(n_rounds):
        for t in range(n_tables):
            for s in range(size[r, t]):
                a = members[r, t, s]
                for u in range(s + 1, size[r, t]):
                    b = members[r, t, u]
                    M[a, b] += sign
                    M[b, a] += sign


@njit(cache=True)
def load(assign, members, size, pos, conf, solo_cnt, party_cnt, solo, party):
    """Rebuild the per-table arrays and conflict counts from ``assign`` (``M`` already set)."""
    n_rounds, n = assign.shape
    members[:, :, :] = -1
    size[:, :] = 0
    solo_cnt[:, :] = 0
    party_cnt[:, :] = 0
    conf[:, :] = 0
    for r in range(n_rounds):
        for i in range(n):
            t = assign[r, i]
            if t < 0:
                continue
            pos[r, i] = size[r, t]
            members[r, t, size[r, t]] = i
            size[r, t] += 1
            solo_cnt[r, t] += solo[i]
            if party[r, i] >= 0:
                party_cnt[r, t] += 1


@njit(cache=True)
def count_conflicts(M, assign, members, size, conf):
    """Fill ``conf`` from ``M``; return the repeated pairs (sum of max(0, meetings - 1))."""
    n_rounds, n_tables = size.shape
    n = M.shape[0]
    conf[:, :] = 0
    for r in range(n_rounds):
        for t in range(n_tables):
            for s in range(size[r, t]):
                a = members[r, t, s]
                for u in range(s + 1, size[r, t]):
                    b = members[r, t, u]
                    if M[a, b] >= 2:
                        conf[r, a] += 1
                        conf[r, b] += 1
    repeats = 0
    for a in range(n):
        for b in range(a + 1, n):
            if M[a, b] > 1:
                repeats += M[a, b] - 1
    return repeats


@njit(cache=True)
def total_cost(
    w, dinner, assign, members, size, solo_cnt, party_cnt, M, comp, party_pen, party, solo, apart
):
    """The weighted objective the search minimises, from scratch (for checks and tests)."""
    n_rounds, n_tables = size.shape
    n = M.shape[0]
    c = 0.0
    for a in range(n):
        for b in range(a + 1, n):
            if M[a, b] > 1:
                c += w[W_REPEAT] * (M[a, b] - 1)
    for r in range(n_rounds):
        for t in range(n_tables):
            sz = size[r, t]
            for s in range(sz):
                a = members[r, t, s]
                for u in range(s + 1, sz):
                    b = members[r, t, u]
                    if comp[a] >= 0 and comp[a] == comp[b]:
                        c += w[W_COWORKER]
                    if party_pen[r, a] >= 0 and party_pen[r, a] == party_pen[r, b]:
                        c += w[W_PARTY]
                    if apart.shape[0] > 1 and apart[a, b]:
                        c += w[W_APART]
            c += w[W_SOLO] * solo_cnt[r, t] * solo_cnt[r, t]
            if dinner[r] and sz > 0:
                if party_cnt[r, t] > 0 and solo_cnt[r, t] == 0:
                    c += w[W_PARTY_SOLO]
                c += w[W_LONE] * _lone(members[r, t], sz, -1, -1, party[r], solo)
    return c


@njit(cache=True)
def plan_cost(conference, tables):
    """`total_cost` of the current plan."""
    c = conference
    t = tables
    return total_cost(
        c.w, c.dinner, t.assign, t.members, t.size, t.solo_cnt, t.party_cnt, t.M, c.comp,
        c.party_pen, c.party, c.solo, c.apart,
    )  # fmt: skip


@njit(cache=True, inline="always")
def _party_at(party_cnt, r, a_t, b_t):
    return party_cnt[r, a_t] > 0 or party_cnt[r, b_t] > 0


@njit(cache=True, inline="always")
def swap_delta(r, i, j, conference, tables):
    """(weighted cost change, repeated-pair change, keep-apart change) of swapping i and j.

    The repeat term is O(1) from ``knows`` and ``conf``; co-worker, party and keep-apart terms
    cost a pass over both tables, made only in rounds where they can arise (``busy``).
    """
    w = conference.w
    dinner = conference.dinner
    busy = conference.busy
    comp = conference.comp
    party_pen = conference.party_pen
    party = conference.party
    solo = conference.solo
    apart = conference.apart
    assign = tables.assign
    members = tables.members
    size = tables.size
    conf = tables.conf
    knows = tables.knows
    solo_cnt = tables.solo_cnt
    party_cnt = tables.party_cnt
    M = tables.M
    a_t = assign[r, i]
    b_t = assign[r, j]
    met_ij = 1 if M[i, j] >= 1 else 0
    rep = knows[r, j, a_t] - met_ij - conf[r, i] + knows[r, i, b_t] - met_ij - conf[r, j]
    cw = 0
    pp = 0
    ap = 0
    if busy[r]:
        has_apart = apart.shape[0] > 1
        ci = comp[i]
        cj = comp[j]
        pi = party_pen[r, i]
        pj = party_pen[r, j]
        for s in range(size[r, a_t]):
            k = members[r, a_t, s]
            if k == i:
                continue
            ck = comp[k]
            if ck >= 0:
                cw += (1 if cj == ck else 0) - (1 if ci == ck else 0)
            pk = party_pen[r, k]
            if pk >= 0:
                pp += (1 if pj == pk else 0) - (1 if pi == pk else 0)
            if has_apart:
                ap += apart[j, k] - apart[i, k]
        for s in range(size[r, b_t]):
            k = members[r, b_t, s]
            if k == j:
                continue
            ck = comp[k]
            if ck >= 0:
                cw += (1 if ci == ck else 0) - (1 if cj == ck else 0)
            pk = party_pen[r, k]
            if pk >= 0:
                pp += (1 if pi == pk else 0) - (1 if pj == pk else 0)
            if has_apart:
                ap += apart[i, k] - apart[j, k]
    d = w[W_REPEAT] * rep + w[W_COWORKER] * cw + w[W_PARTY] * pp + w[W_APART] * ap
    ds = solo[i] - solo[j]
    if ds != 0:
        sa = solo_cnt[r, a_t]
        sb = solo_cnt[r, b_t]
        d += w[W_SOLO] * ((sa - ds) ** 2 - sa**2 + (sb + ds) ** 2 - sb**2)
    if dinner[r]:
        hi = 1 if party[r, i] >= 0 else 0
        hj = 1 if party[r, j] >= 0 else 0
        dp = hi - hj
        if dp != 0 or ds != 0:
            sa = solo_cnt[r, a_t]
            sb = solo_cnt[r, b_t]
            pa = party_cnt[r, a_t]
            pb = party_cnt[r, b_t]
            before = (1 if pa > 0 and sa == 0 else 0) + (1 if pb > 0 and sb == 0 else 0)
            after = (1 if pa - dp > 0 and sa - ds == 0 else 0) + (
                1 if pb + dp > 0 and sb + ds == 0 else 0
            )
            d += w[W_PARTY_SOLO] * (after - before)
        if w[W_LONE] > 0 and (hi + hj > 0 or _party_at(party_cnt, r, a_t, b_t)):
            lo = (
                _lone(members[r, a_t], size[r, a_t], i, j, party[r], solo)
                + _lone(members[r, b_t], size[r, b_t], j, i, party[r], solo)
                - _lone(members[r, a_t], size[r, a_t], -1, -1, party[r], solo)
                - _lone(members[r, b_t], size[r, b_t], -1, -1, party[r], solo)
            )
            d += w[W_LONE] * lo
    return d, rep, ap


@njit(cache=True)
def _meet(M, conf, knows, assign, r, x, y, step):
    """Change the count of pair (x, y) by ``step``; fix ``knows`` everywhere and ``conf`` in
    rounds other than ``r`` (the caller handles round ``r``'s conflicts)."""
    before = M[x, y]
    M[x, y] += step
    M[y, x] += step
    after = M[x, y]
    if (before >= 1) != (after >= 1):
        dk = 1 if after >= 1 else -1
        for q in range(assign.shape[0]):
            tx = assign[q, x]
            ty = assign[q, y]
            if tx >= 0 and ty >= 0:
                knows[q, x, ty] += dk
                knows[q, y, tx] += dk
    if (before >= 2) == (after >= 2):
        return
    dc = 1 if after >= 2 else -1
    for q in range(assign.shape[0]):
        if q != r and assign[q, x] >= 0 and assign[q, x] == assign[q, y]:
            conf[q, x] += dc
            conf[q, y] += dc


@njit(cache=True)
def count_knows(M, assign, knows):
    """Fill ``knows[r, x, t]``: people at table t of round r whom x has met at least once."""
    n_rounds, n = assign.shape
    knows[:, :, :] = 0
    for r in range(n_rounds):
        for x in range(n):
            if assign[r, x] < 0:
                continue
            for y in range(n):
                t = assign[r, y]
                if t >= 0 and y != x and M[x, y] >= 1:
                    knows[r, x, t] += 1


@njit(cache=True)
def apply_swap(r, i, j, conference, tables):
    """Swap i and j in round r and bring every counter up to date."""
    solo = conference.solo
    party = conference.party
    assign = tables.assign
    members = tables.members
    size = tables.size
    pos = tables.pos
    conf = tables.conf
    knows = tables.knows
    solo_cnt = tables.solo_cnt
    party_cnt = tables.party_cnt
    M = tables.M
    a_t = assign[r, i]
    b_t = assign[r, j]
    # Leave: i from a_t, j from b_t.
    for s in range(size[r, a_t]):
        k = members[r, a_t, s]
        if k != i:
            if M[i, k] >= 2:
                conf[r, i] -= 1
                conf[r, k] -= 1
            _meet(M, conf, knows, assign, r, i, k, -1)
    for s in range(size[r, b_t]):
        k = members[r, b_t, s]
        if k != j:
            if M[j, k] >= 2:
                conf[r, j] -= 1
                conf[r, k] -= 1
            _meet(M, conf, knows, assign, r, j, k, -1)
    n = assign.shape[1]
    for x in range(n):
        if assign[r, x] < 0:
            continue
        ki = 1 if M[x, i] >= 1 else 0
        kj = 1 if M[x, j] >= 1 else 0
        knows[r, x, a_t] += kj - ki
        knows[r, x, b_t] += ki - kj
    pi = pos[r, i]
    pj = pos[r, j]
    members[r, a_t, pi] = j
    members[r, b_t, pj] = i
    pos[r, i] = pj
    pos[r, j] = pi
    assign[r, i] = b_t
    assign[r, j] = a_t
    ds = solo[i] - solo[j]
    solo_cnt[r, a_t] -= ds
    solo_cnt[r, b_t] += ds
    dp = (1 if party[r, i] >= 0 else 0) - (1 if party[r, j] >= 0 else 0)
    party_cnt[r, a_t] -= dp
    party_cnt[r, b_t] += dp
    # Join: j at a_t, i at b_t.
    for s in range(size[r, a_t]):
        k = members[r, a_t, s]
        if k != j:
            _meet(M, conf, knows, assign, r, j, k, 1)
            if M[j, k] >= 2:
                conf[r, j] += 1
                conf[r, k] += 1
    for s in range(size[r, b_t]):
        k = members[r, b_t, s]
        if k != i:
            _meet(M, conf, knows, assign, r, i, k, 1)
            if M[i, k] >= 2:
                conf[r, i] += 1
                conf[r, k] += 1


@njit(cache=True)
def search(n_iter, seed, conference, tables, memory, settings):
    """Run ``n_iter`` tabu steps (fewer if no repeated pair is left); state carries over.

    Each step looks at the attendees who meet a tablemate again (all of them, or a random
    share when that would mean more than ``max_evals`` swap evaluations), tries swapping each
    with everyone at another table of that round, and makes the best swap that is not tabu
    (a tabu swap only when it beats the best plan: aspiration). The same two attendees may not
    be swapped again in that round for a random tenure (hashed into ``pair_tabu``). With
    ``pen_step`` > 0, pairs still meeting again at a local minimum (and, with odds
    ``bump_odds``, on a plateau) gain a penalty (up to ``pen_cap``) that steers the choice of
    move, not the cost kept for the best plan. After ``max_stable`` steps without a new
    best plan the search goes back to the best plan and kicks it with a few random swaps,
    more the longer it stays stuck. With ``restart_kicks`` > 0, after that many kicks without
    a new best the search starts a new run from a fresh greedy plan (`greedy_restart`, every
    round in random order) and kicks go back to that run's best (``run_best``) from then on;
    ``best`` keeps the best plan of all runs. Costs are absolute (`total_cost`).
    """
    w = conference.w
    dinner = conference.dinner
    fixed = conference.fixed
    comp = conference.comp
    party_pen = conference.party_pen
    party = conference.party
    solo = conference.solo
    apart = conference.apart
    assign = tables.assign
    members = tables.members
    size = tables.size
    pos = tables.pos
    conf = tables.conf
    knows = tables.knows
    solo_cnt = tables.solo_cnt
    party_cnt = tables.party_cnt
    M = tables.M
    best = memory.best
    run_best = memory.run_best
    stats = memory.stats
    pair_tabu = memory.pair_tabu
    pen = memory.pen
    tenure_min = settings.tenure_min
    tenure_span = settings.tenure_span
    max_stable = settings.max_stable
    max_evals = settings.max_evals
    pen_step = settings.pen_step
    pen_cap = settings.pen_cap
    bump_odds = settings.bump_odds
    restart_kicks = settings.restart_kicks
    greedy_sign = settings.greedy_sign
    np.random.seed(seed)
    n_rounds, n = assign.shape
    n_tables = size.shape[1]
    cand_r = np.empty(n_rounds * n, dtype=np.int64)
    cand_i = np.empty(n_rounds * n, dtype=np.int64)
    seated = np.zeros(n_rounds, dtype=np.int64)
    for r in range(n_rounds):
        for t in range(n_tables):
            seated[r] += size[r, t]
    w_pen = w[W_REPEAT] * pen_step
    it = int(stats[S_IT])
    cost = stats[S_COST]
    best_cost = stats[S_BEST_COST]
    repeats = int(stats[S_REPEATS])
    since_best = int(stats[S_SINCE_BEST])
    kicks = int(stats[S_KICKS])
    run_cost = stats[S_RUN_COST]
    for _ in range(n_iter):
        if repeats == 0:
            break
        it += 1
        n_cand = 0
        work = 0
        for r in range(n_rounds):
            for i in range(n):
                if conf[r, i] > 0 and not fixed[r, i]:
                    cand_r[n_cand] = r
                    cand_i[n_cand] = i
                    n_cand += 1
                    work += seated[r]
        if n_cand == 0:
            break
        # Too many candidates for one step: look at a random share of them.
        keep = n_cand
        if work > max_evals:
            keep = max(1, n_cand * max_evals // work)
            for c in range(keep):
                e = c + np.random.randint(n_cand - c)
                cand_r[c], cand_r[e] = cand_r[e], cand_r[c]
                cand_i[c], cand_i[e] = cand_i[e], cand_i[c]
        best_d = 1e300
        best_g = 1e300
        best_rep = 0
        best_r = -1
        best_i = -1
        best_j = -1
        ties = 0
        for c in range(keep):
            r = cand_r[c]
            i = cand_i[c]
            a_t = assign[r, i]
            for t in range(n_tables):
                if t == a_t:
                    continue
                for s in range(size[r, t]):
                    j = members[r, t, s]
                    if fixed[r, j]:
                        continue
                    d, rep, ap = swap_delta(r, i, j, conference, tables)
                    if ap > 0:
                        continue
                    g = d
                    if pen_step > 0.0:
                        b_t = assign[r, j]
                        extra = 0
                        for u in range(size[r, a_t]):
                            k = members[r, a_t, u]
                            if k != i:
                                if M[j, k] >= 1:
                                    extra += pen[j, k]
                                if M[i, k] >= 2:
                                    extra -= pen[i, k]
                        for u in range(size[r, b_t]):
                            k = members[r, b_t, u]
                            if k != j:
                                if M[i, k] >= 1:
                                    extra += pen[i, k]
                                if M[j, k] >= 2:
                                    extra -= pen[j, k]
                        g += w_pen * extra
                    lo = min(i, j)
                    hi = max(i, j)
                    is_tabu = pair_tabu[((r * n + lo) * n + hi) % pair_tabu.shape[0]] > it
                    if is_tabu and cost + d >= best_cost - 1e-9:
                        continue
                    if g < best_g - 1e-9:
                        best_g = g
                        best_d = d
                        best_rep = rep
                        best_r = r
                        best_i = i
                        best_j = j
                        ties = 1
                    elif g <= best_g + 1e-9:
                        ties += 1
                        if np.random.randint(ties) == 0:
                            best_d = d
                            best_rep = rep
                            best_r = r
                            best_i = i
                            best_j = j
        if best_j >= 0:
            r = best_r
            apply_swap(r, best_i, best_j, conference, tables)
            cost += best_d
            repeats += best_rep
            # Two draws whose values are not used: they keep a seed's plans what they were.
            np.random.randint(tenure_span)
            np.random.randint(tenure_span)
            lo = min(best_i, best_j)
            hi = max(best_i, best_j)
            pair_tabu[((r * n + lo) * n + hi) % pair_tabu.shape[0]] = (
                it + tenure_min + np.random.randint(tenure_span)
            )
        if pen_step > 0.0 and (best_g > 1e-9 or np.random.random() < bump_odds):
            # A local minimum: pairs that still meet again weigh more from now on.
            for r in range(n_rounds):
                for t in range(n_tables):
                    for u in range(size[r, t]):
                        x = members[r, t, u]
                        if conf[r, x] == 0:
                            continue
                        for v in range(u + 1, size[r, t]):
                            y = members[r, t, v]
                            if M[x, y] >= 2 and pen[x, y] < pen_cap:
                                pen[x, y] += 1
                                pen[y, x] += 1
        if cost < best_cost - 1e-9:
            best_cost = cost
            stats[S_BEST_REPEATS] = repeats
            best[:, :] = assign
        if cost < run_cost - 1e-9:
            run_cost = cost
            run_best[:, :] = assign
            since_best = 0
            kicks = 0
            continue
        since_best += 1
        if since_best < max_stable:
            continue
        if restart_kicks > 0 and kicks >= restart_kicks:
            # This run is spent: a new one from a fresh greedy plan.
            greedy_restart(
                np.random.permutation(n_rounds), M, assign, fixed, size, comp, party_pen, apart,
                w, greedy_sign,
            )  # fmt: skip
            load(assign, members, size, pos, conf, solo_cnt, party_cnt, solo, party)
            repeats = count_conflicts(M, assign, members, size, conf)
            count_knows(M, assign, knows)
            cost = total_cost(
                w, dinner, assign, members, size, solo_cnt, party_cnt, M, comp, party_pen, party,
                solo, apart,
            )  # fmt: skip
            run_cost = cost
            run_best[:, :] = assign
            if cost < best_cost - 1e-9:
                best_cost = cost
                stats[S_BEST_REPEATS] = repeats
                best[:, :] = assign
            stats[S_RESTARTS] += 1
            kicks = 0
            since_best = 0
            pair_tabu[:] = 0
            pen[:, :] = 0
            continue
        # Stuck: back to the run's best plan, then a kick that grows while it stays stuck.
        add_meetings(M, assign, members, size, -1)
        assign[:, :] = run_best
        load(assign, members, size, pos, conf, solo_cnt, party_cnt, solo, party)
        add_meetings(M, assign, members, size, 1)
        repeats = count_conflicts(M, assign, members, size, conf)
        count_knows(M, assign, knows)
        cost = run_cost
        kicks += 1
        n_kick = 1 + min(kicks, 8) + np.random.randint(3)
        if restart_kicks > 0:
            np.random.random()  # drawn, not used: it keeps a seed's plans what they were
        done = 0
        for _ in range(50 * n_kick):
            if done >= n_kick:
                break
            r = np.random.randint(n_rounds)
            i = np.random.randint(n)
            j = np.random.randint(n)
            if assign[r, i] < 0 or assign[r, j] < 0 or assign[r, i] == assign[r, j]:
                continue
            if fixed[r, i] or fixed[r, j]:
                continue
            d, rep, ap = swap_delta(r, i, j, conference, tables)
            if ap > 0:
                continue
            apply_swap(r, i, j, conference, tables)
            cost += d
            repeats += rep
            done += 1
        pair_tabu[:] = 0
        if pen_step > 0.0:
            for x in range(n):
                for y in range(n):
                    pen[x, y] //= 2
        since_best = 0
    stats[S_IT] = it
    stats[S_COST] = cost
    stats[S_BEST_COST] = best_cost
    stats[S_REPEATS] = repeats
    stats[S_SINCE_BEST] = since_best
    stats[S_KICKS] = kicks
    stats[S_RUN_COST] = run_cost
    return repeats


@njit(cache=True)
def _seat_cost(M, comp, party_pen, apart, w, r, x, grp, n_grp):
    """(cost, blocked) of seating ``x`` with ``grp[:n_grp]``: repeats and priced pairs, and
    whether a keep-apart pair would sit together."""
    has_apart = apart.shape[0] > 1
    c = 0.0
    for u in range(n_grp):
        k = grp[u]
        if has_apart and apart[x, k]:
            return 0.0, True
        if M[x, k] >= 1:
            c += w[W_REPEAT]
        if comp[x] >= 0 and comp[x] == comp[k]:
            c += w[W_COWORKER]
        if party_pen[r, x] >= 0 and party_pen[r, x] == party_pen[r, k]:
            c += w[W_PARTY]
    return c, False


@njit(cache=True)
def greedy_round(r, M, assign, fixed, size, comp, party_pen, apart, w, sign, new):
    """Reseat round ``r``'s movable attendees two at a time (Triska and Musliu's greedy).

    ``M`` holds the meetings of the other rounds only. Table by table (tables with fixed
    attendees first, the rest in random order), the open seats are filled with the pair of
    still unseated attendees that adds the least cost (new repeats, co-worker and party pairs)
    and, among those, whose *freedom* is highest (``sign`` = 1) or lowest (-1): the number of
    seated attendees neither of them has met, i.e. how many partners the pair keeps for later
    rounds. A last odd seat takes one attendee the same way. Table sizes, fixed attendees and
    keep-apart pairs hold. Writes the tables to ``new`` (movable attendees only) and returns
    False, with ``assign`` untouched, when keep-apart pairs leave no way to fill a seat.
    """
    n = assign.shape[1]
    n_tables = size.shape[1]
    free = np.empty(n, dtype=np.int64)
    seated = np.empty(n, dtype=np.int64)
    n_free = 0
    n_seated = 0
    n_fix = np.zeros(n_tables, dtype=np.int64)
    for i in range(n):
        t = assign[r, i]
        if t < 0:
            continue
        seated[n_seated] = i
        n_seated += 1
        if fixed[r, i]:
            n_fix[t] += 1
        else:
            free[n_free] = i
            n_free += 1
    if n_free == 0:
        return False
    # Freedom of single attendees and of pairs, from the other rounds' meetings.
    free1 = np.zeros(n_free, dtype=np.int64)
    free2 = np.zeros((n_free, n_free), dtype=np.int64)
    for a in range(n_free):
        x = free[a]
        for q in range(n_seated):
            z = seated[q]
            if z != x and M[x, z] == 0:
                free1[a] += 1
    for a in range(n_free):
        x = free[a]
        for b in range(a + 1, n_free):
            y = free[b]
            f = 0
            for q in range(n_seated):
                z = seated[q]
                if z != x and z != y and M[x, z] == 0 and M[y, z] == 0:
                    f += 1
            free2[a, b] = f
            free2[b, a] = f
    order = np.empty(n_tables, dtype=np.int64)
    key = np.empty(n_tables, dtype=np.float64)
    for t in range(n_tables):
        order[t] = t
        key[t] = -float(n_fix[t]) * n_tables - np.random.random()
    order = order[np.argsort(key)]
    placed = np.zeros(n_free, dtype=np.bool_)
    grp = np.empty(n, dtype=np.int64)
    pc = np.zeros(n_free, dtype=np.float64)
    ok = np.zeros(n_free, dtype=np.bool_)
    for o in range(n_tables):
        t = order[o]
        open_seats = size[r, t] - n_fix[t]
        if open_seats <= 0:
            continue
        n_grp = 0
        for q in range(n_seated):
            z = seated[q]
            if fixed[r, z] and assign[r, z] == t:
                grp[n_grp] = z
                n_grp += 1
        while open_seats > 0:
            for a in range(n_free):
                ok[a] = False
                if not placed[a]:
                    c, blocked = _seat_cost(M, comp, party_pen, apart, w, r, free[a], grp, n_grp)
                    pc[a] = c
                    ok[a] = not blocked
            best_a = -1
            best_b = -1
            best_c = 1e300
            best_f = 0
            ties = 0
            if open_seats >= 2:
                for a in range(n_free):
                    if not ok[a]:
                        continue
                    x = free[a]
                    for b in range(a + 1, n_free):
                        if not ok[b]:
                            continue
                        y = free[b]
                        cxy, blocked = _seat_cost(M, comp, party_pen, apart, w, r, x, free[b:], 1)
                        if blocked:
                            continue
                        c = pc[a] + pc[b] + cxy
                        f = sign * free2[a, b]
                        if c < best_c - 1e-9 or (c <= best_c + 1e-9 and f > best_f):
                            best_c = c
                            best_f = f
                            best_a = a
                            best_b = b
                            ties = 1
                        elif c <= best_c + 1e-9 and f == best_f:
                            ties += 1
                            if np.random.randint(ties) == 0:
                                best_a = a
                                best_b = b
            if best_a < 0:
                for a in range(n_free):
                    if not ok[a]:
                        continue
                    c = pc[a]
                    f = sign * free1[a]
                    if c < best_c - 1e-9 or (c <= best_c + 1e-9 and f > best_f):
                        best_c = c
                        best_f = f
                        best_a = a
                        ties = 1
                    elif c <= best_c + 1e-9 and f == best_f:
                        ties += 1
                        if np.random.randint(ties) == 0:
                            best_a = a
            if best_a < 0:
                return False
            for a in (best_a, best_b):
                if a >= 0:
                    placed[a] = True
                    new[free[a]] = t
                    grp[n_grp] = free[a]
                    n_grp += 1
                    open_seats -= 1
    return True


@njit(cache=True)
def round_meetings(M, assign, r, sign):
    """Add (sign=1) or remove (sign=-1) round ``r``'s table pairs to the counts ``M``."""
    n = assign.shape[1]
    for x in range(n):
        t = assign[r, x]
        if t < 0:
            continue
        for y in range(x + 1, n):
            if assign[r, y] == t:
                M[x, y] += sign
                M[y, x] += sign


@njit(cache=True)
def greedy_restart(rounds, M, assign, fixed, size, comp, party_pen, apart, w, sign):
    """Reseat the rounds listed in ``rounds`` one after another with `greedy_round`, each
    against the meetings of every round not listed and of those already reseated. ``M`` is
    kept up to date; the caller rebuilds the per-table arrays."""
    n = assign.shape[1]
    for q in range(rounds.shape[0]):
        round_meetings(M, assign, rounds[q], -1)
    new = np.empty(n, dtype=np.int64)
    for q in range(rounds.shape[0]):
        r = rounds[q]
        new[:] = -1
        if greedy_round(r, M, assign, fixed, size, comp, party_pen, apart, w, sign, new):
            for i in range(n):
                if new[i] >= 0:
                    assign[r, i] = new[i]
        round_meetings(M, assign, r, 1)


@njit(cache=True)
def greedy_start(seed, M, assign, fixed, size, comp, party_pen, apart, w, sign):
    """`greedy_restart` of every round in random order, with numba's generator seeded."""
    np.random.seed(seed)
    greedy_restart(
        np.random.permutation(assign.shape[0]), M, assign, fixed, size, comp, party_pen, apart,
        w, sign,
    )  # fmt: skip
