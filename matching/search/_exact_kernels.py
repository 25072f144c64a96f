"""Compiled depth-first search of `matching.exact`: seat attendee after attendee, every round.

The variables are (attendee, round) pairs in attendee-major order: an attendee is seated in all
their rounds before the next attendee is looked at. Each attendee's tablemates are a bit set
(``met``, one 64-bit word per 64 attendees) holding everyone they already sat with or may never
sit with, so "may join this table" is a few AND operations against the table's bit set.

Symmetry is cut two ways: tables of the same size in a round are interchangeable, so an attendee
may open at most the next unused table of a size class (value precedence); and rounds with the
same attendees and table sizes are interchangeable, so their rows are kept in increasing
lexicographic order. Both only remove schedules that are relabellings of ones still searched.

The search state lives in caller-owned arrays, so it runs in chunks of a node budget and resumes
where it stopped (the caller checks the clock between chunks).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Return codes of `search`.
FOUND = 1
EXHAUSTED = 0
BUDGET = -1


@njit(cache=True)
def _lowest_bit(x):
    """Index of the lowest set bit of a non-zero uint64."""
    i = 0
    one = np.uint64(1)
    while not (x & one):
        x >>= one
        i += 1
    return i


@njit(cache=True)
def _link(met, mem_row, p, sign):
    """Mark (sign > 0) or unmark ``p`` as having met everyone in the bit set ``mem_row``."""
    one = np.uint64(1)
    word = p >> 6
    bit = one << np.uint64(p & 63)
    for j in range(mem_row.shape[0]):
        others = mem_row[j]
        if sign > 0:
            met[p, j] |= others
        else:
            met[p, j] &= ~others
        x = others
        while x:
            q = j * 64 + _lowest_bit(x)
            if sign > 0:
                met[q, word] |= bit
            else:
                met[q, word] &= ~bit
            x &= x - one


@njit(cache=True)
def search(
    budget, cursor, var_p, var_r, first, last, n_tab, size, cls, lex, G, cnt, mem, met,
    maxused, val, saved_max, eq, eqsave,
):  # fmt: skip
    """Advance the depth-first search by at most ``budget`` tried values.

    Args:
        budget: Values to try before returning `BUDGET`.
        cursor: One-element array: the variable the search is at (0 to start); kept between
            calls.
        var_p, var_r: Per variable: attendee position and round.
        first, last: Per variable: whether it is the attendee's first / last round.
        n_tab: Tables per round. ``size[r, t]``: attendees table ``t`` of round ``r`` takes;
            tables of one size are consecutive and share the class ``cls[r, t]``.
        lex: Per round: interchangeable with the round before (rows kept in increasing order).
        G: ``G[r, p]``: table of attendee ``p`` in round ``r`` (-1 while unset).
        cnt, mem: Per round and table: attendees seated and their bit set.
        met: Per attendee: bit set of those they may not sit with again.
        maxused: Per round and size class: the highest table opened so far.
        val, saved_max: Per variable: its table (-1 when unset) and the class's ``maxused``
            before it was set.
        eq: Per round: whether its row equals the previous round's on the attendees so far.
        eqsave: Per attendee: ``eq`` when the search reached their first round.

    Returns:
        `FOUND` (every variable set, ``G`` holds the schedule), `EXHAUSTED` (no schedule) or
        `BUDGET`.
    """
    one = np.uint64(1)
    nw = met.shape[1]
    n_vars = var_p.shape[0]
    n_rounds = G.shape[0]
    k = cursor[0]
    nodes = 0
    while True:
        if k >= n_vars:
            cursor[0] = k
            return FOUND
        if k < 0:
            cursor[0] = k
            return EXHAUSTED
        p = var_p[k]
        r = var_r[k]
        t0 = val[k]
        if t0 < 0 and first[k]:
            eqsave[p, :] = eq
        if t0 >= 0:
            mem[r, t0, p >> 6] &= ~(one << np.uint64(p & 63))
            cnt[r, t0] -= 1
            _link(met, mem[r, t0], p, -1)
            maxused[r, cls[r, t0]] = saved_max[k]
            G[r, p] = -1
        lo = t0 + 1
        if lex[r] and eq[r] and lo < G[r - 1, p]:
            lo = G[r - 1, p]
        found = -1
        for t in range(lo, n_tab[r]):
            nodes += 1
            if t > maxused[r, cls[r, t]] + 1 or cnt[r, t] >= size[r, t]:
                continue
            clash = False
            for j in range(nw):
                if met[p, j] & mem[r, t, j]:
                    clash = True
                    break
            if not clash:
                found = t
                break
        if found < 0:
            val[k] = -1
            if first[k] and k > 0:
                eq[:] = eqsave[var_p[k - 1], :]
            k -= 1
        else:
            val[k] = found
            c = cls[r, found]
            saved_max[k] = maxused[r, c]
            if found > maxused[r, c]:
                maxused[r, c] = found
            _link(met, mem[r, found], p, 1)
            mem[r, found, p >> 6] |= one << np.uint64(p & 63)
            cnt[r, found] += 1
            G[r, p] = found
            if last[k]:
                for rr in range(1, n_rounds):
                    if lex[rr] and eq[rr] and G[rr - 1, p] != G[rr, p]:
                        eq[rr] = False
            k += 1
        if nodes >= budget:
            cursor[0] = k
            return BUDGET


@njit(cache=True)
def _kindred_at(kin, members, count, out, into):
    """Attendees at a table with a kindred tablemate, with ``out`` replaced by ``into``."""
    total = 0
    for x in range(count):
        a = members[x]
        if a == out:
            a = into
        for y in range(count):
            if x == y:
                continue
            b = members[y]
            if b == out:
                b = into
            if kin[a, b]:
                total += 1
                break
    return total


@njit(cache=True)
def relabel(G, kin, forbid, key, seed, max_sweeps):
    """Swap attendees' whole schedules while that gives more people a kindred tablemate.

    Exchanging two attendees in every round at once maps pairs to pairs, so nobody meets
    anyone twice afterwards either; only attendees with the same ``key`` (>= 0: same rounds,
    same solo flag, nothing fixed) are exchanged, and never so that someone sits with a
    ``forbid`` partner. First improvement over the pairs in random order, until a sweep finds
    none or after ``max_sweeps``. ``G[r, i]`` (table, -1 when not seated) is updated in place;
    returns the number of swaps made.
    """
    np.random.seed(seed)
    n_rounds, n = G.shape
    n_tables = 0
    for r in range(n_rounds):
        for i in range(n):
            if G[r, i] + 1 > n_tables:
                n_tables = G[r, i] + 1
    cap = 1
    count = np.zeros((n_rounds, n_tables), dtype=np.int64)
    for r in range(n_rounds):
        for i in range(n):
            if G[r, i] >= 0:
                count[r, G[r, i]] += 1
                if count[r, G[r, i]] > cap:
                    cap = count[r, G[r, i]]
    members = np.full((n_rounds, n_tables, cap), -1, dtype=np.int64)
    slot = np.zeros((n_rounds, n), dtype=np.int64)
    count[:, :] = 0
    for r in range(n_rounds):
        for i in range(n):
            t = G[r, i]
            if t >= 0:
                members[r, t, count[r, t]] = i
                slot[r, i] = count[r, t]
                count[r, t] += 1
    pairs_a = np.empty(n * (n - 1) // 2, dtype=np.int64)
    pairs_b = np.empty(n * (n - 1) // 2, dtype=np.int64)
    m = 0
    for a in range(n):
        if key[a] < 0:
            continue
        for b in range(a + 1, n):
            if key[b] == key[a]:
                pairs_a[m] = a
                pairs_b[m] = b
                m += 1
    swaps = 0
    for _ in range(max_sweeps):
        improved = False
        for idx in np.random.permutation(m):
            a = pairs_a[idx]
            b = pairs_b[idx]
            gain = 0
            allowed = True
            for r in range(n_rounds):
                ta = G[r, a]
                tb = G[r, b]
                if ta < 0 or ta == tb:
                    continue
                for x in range(count[r, tb]):
                    q = members[r, tb, x]
                    if q != b and forbid[a, q]:
                        allowed = False
                for x in range(count[r, ta]):
                    q = members[r, ta, x]
                    if q != a and forbid[b, q]:
                        allowed = False
                if not allowed:
                    break
                gain += _kindred_at(kin, members[r, ta], count[r, ta], a, b)
                gain += _kindred_at(kin, members[r, tb], count[r, tb], b, a)
                gain -= _kindred_at(kin, members[r, ta], count[r, ta], -1, -1)
                gain -= _kindred_at(kin, members[r, tb], count[r, tb], -1, -1)
            if not allowed or gain <= 0:
                continue
            for r in range(n_rounds):
                ta = G[r, a]
                tb = G[r, b]
                if ta < 0 or ta == tb:
                    continue
                sa = slot[r, a]
                sb = slot[r, b]
                members[r, ta, sa] = b
                members[r, tb, sb] = a
                slot[r, a] = sb
                slot[r, b] = sa
                G[r, a] = tb
                G[r, b] = ta
            swaps += 1
            improved = True
        if not improved:
            break
    return swaps
