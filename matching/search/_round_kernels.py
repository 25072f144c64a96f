"""Compiled local-search kernels for one round's seating.

Everything here works on round-local integer indices (0..m-1). A round's pair relations live
in one sorted CSR structure so that a single binary search answers "are these two kindred, kept
apart, or have they met before (how often)?". Every objective term is local to the two tables a
swap touches, so a swap's cost change is O(table size * log degree + embedding dimension).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from matching.objective import (
    W_APART,
    W_COWORKER,
    W_DIVERSITY,
    W_FIRST_TIME,
    W_HOMETOWN,
    W_KINDRED,
    W_LANGUAGE,
    W_LONE,
    W_MOVE,
    W_PARTY,
    W_PARTY_SOLO,
    W_REPEAT,
    W_SOLO,
)
from matching.search._common_kernels import lone_outsider


class RoundPeople(NamedTuple):
    """The round's members, by round-local index; fixed while a round is searched."""

    g: np.ndarray  # global index of each member (int64)
    X: np.ndarray  # the problem's unit embeddings, by global index (float32)
    comp: np.ndarray  # company code, -1 for none (int32)
    party_pen: np.ndarray  # party code whose pairs count in this round, else -1 (int32)
    party: np.ndarray  # party code if the party has two or more members here, else -1 (int32)
    home: np.ndarray  # home-town code, -1 for none (int32)
    solo: np.ndarray  # came alone (int32 0/1)
    first: np.ndarray  # first time at the conference (int32 0/1)
    has_party: np.ndarray  # party >= 0 (int32 0/1)
    lang: np.ndarray  # language bit mask (uint64)
    has_kin: np.ndarray  # has a kindred neighbour in this round (bool)
    anchor: np.ndarray  # table in the previous seating when re-planning, else -1 (int64)
    fixed: np.ndarray  # may not move (bool)
    movable: np.ndarray  # indices of the members that may move (int64)


class Relations(NamedTuple):
    """Pair relations as one sorted CSR: row ``i``'s neighbours ``nbr[indptr[i]:indptr[i+1]]``
    with their flags (`KIN`, `APART`, earlier meetings from `MET_SHIFT` up)."""

    indptr: np.ndarray
    nbr: np.ndarray
    flag: np.ndarray


class Tables(NamedTuple):
    """The search state: the seating and the per-table counters kept in step with it."""

    table_of: np.ndarray  # table of each member (int64)
    members: np.ndarray  # (tables, max size): members by seat, -1 for an empty seat (int32)
    size: np.ndarray  # members per table (int32)
    pos: np.ndarray  # seat of each member at their table (int32)
    sums: np.ndarray  # (tables, d): sum of the members' embeddings (float64)
    solo_cnt: np.ndarray  # solo members per table (int32)
    first_cnt: np.ndarray  # first-timers per table (int32)
    party_cnt: np.ndarray  # party members per table (int32)
    kc: np.ndarray  # kindred tablemates of each member (int32)
    lc: np.ndarray  # tablemates sharing a language, per member (int32)


# Bits of a pair's relation flag; the count of earlier meetings sits above them.
KIN = 1
APART = 2
MET_SHIFT = 2


@njit(cache=True)
def pair_flags(a, b, indptr, nbr, flag):
    lo = indptr[a]
    hi = indptr[a + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        v = nbr[mid]
        if v < b:
            lo = mid + 1
        elif v > b:
            hi = mid
        else:
            return flag[mid]
    return 0


@njit(cache=True, inline="always")
def gather(i, a_t, b_t, out_a, out_b, table_of, size, pos, indptr, nbr, flag):
    """Flags of i with every member of tables a_t and b_t, by seat: one scan of i's row.

    Scanning the (short, contiguous) row beats a binary search per tablemate: those searches
    jump around memory and dominate the swap cost on large rounds.
    """
    for s in range(size[a_t]):
        out_a[s] = 0
    for s in range(size[b_t]):
        out_b[s] = 0
    for e in range(indptr[i], indptr[i + 1]):
        other = nbr[e]
        t = table_of[other]
        if t == a_t:
            out_a[pos[other]] = flag[e]
        elif t == b_t:
            out_b[pos[other]] = flag[e]


@njit(cache=True, inline="always")
def pair_cost(a, b, f, comp, party_pen, home, w):
    c = 0.0
    if comp[a] >= 0 and comp[a] == comp[b]:
        c += w[W_COWORKER]
    if party_pen[a] >= 0 and party_pen[a] == party_pen[b]:
        c += w[W_PARTY]
    if home[a] >= 0 and home[a] == home[b]:
        c += w[W_HOMETOWN]
    c += w[W_REPEAT] * (f >> MET_SHIFT)
    if f & APART:
        c += w[W_APART]
    return c


@njit(cache=True)
def init_state(table_of, n_tables, max_cap, people, rel):
    g = people.g
    X = people.X
    solo = people.solo
    first = people.first
    has_party = people.has_party
    lang = people.lang
    indptr = rel.indptr
    nbr = rel.nbr
    flag = rel.flag
    m = table_of.shape[0]
    d = X.shape[1]
    members = np.full((n_tables, max_cap), -1, dtype=np.int32)
    size = np.zeros(n_tables, dtype=np.int32)
    pos = np.zeros(m, dtype=np.int32)
    sums = np.zeros((n_tables, d), dtype=np.float64)
    solo_cnt = np.zeros(n_tables, dtype=np.int32)
    first_cnt = np.zeros(n_tables, dtype=np.int32)
    party_cnt = np.zeros(n_tables, dtype=np.int32)
    for i in range(m):
        t = table_of[i]
        pos[i] = size[t]
        members[t, size[t]] = i
        size[t] += 1
        x = X[g[i]]
        for k in range(d):
            sums[t, k] += x[k]
        solo_cnt[t] += solo[i]
        first_cnt[t] += first[i]
        party_cnt[t] += has_party[i]
    kc = np.zeros(m, dtype=np.int32)
    lc = np.zeros(m, dtype=np.int32)
    for t in range(n_tables):
        for s in range(size[t]):
            a = members[t, s]
            for u in range(s + 1, size[t]):
                b = members[t, u]
                f = pair_flags(a, b, indptr, nbr, flag)
                if f & KIN:
                    kc[a] += 1
                    kc[b] += 1
                if (lang[a] & lang[b]) != 0:
                    lc[a] += 1
                    lc[b] += 1
    return members, size, pos, sums, solo_cnt, first_cnt, party_cnt, kc, lc


@njit(cache=True)
def total_cost(w, dinner, people, rel, tables):
    comp = people.comp
    party_pen = people.party_pen
    party = people.party
    home = people.home
    solo = people.solo
    lang = people.lang
    has_kin = people.has_kin
    anchor = people.anchor
    indptr = rel.indptr
    nbr = rel.nbr
    flag = rel.flag
    table_of = tables.table_of
    members = tables.members
    size = tables.size
    sums = tables.sums
    solo_cnt = tables.solo_cnt
    first_cnt = tables.first_cnt
    party_cnt = tables.party_cnt
    kc = tables.kc
    lc = tables.lc
    c = 0.0
    n_tables = size.shape[0]
    for t in range(n_tables):
        sz = size[t]
        for s in range(sz):
            a = members[t, s]
            for u in range(s + 1, sz):
                b = members[t, u]
                c += pair_cost(a, b, pair_flags(a, b, indptr, nbr, flag), comp, party_pen, home, w)
        c += w[W_SOLO] * solo_cnt[t] * solo_cnt[t]
        c += w[W_FIRST_TIME] * first_cnt[t] * first_cnt[t]
        norm = 0.0
        for k in range(sums.shape[1]):
            norm += sums[t, k] * sums[t, k]
        c += w[W_DIVERSITY] * norm
        if dinner:
            if party_cnt[t] > 0 and solo_cnt[t] == 0:
                c += w[W_PARTY_SOLO]
            c += w[W_LONE] * lone_outsider(members[t], sz, -1, -1, party, solo)
    for i in range(table_of.shape[0]):
        if has_kin[i] and kc[i] == 0:
            c += w[W_KINDRED]
        if lang[i] != 0 and lc[i] == 0:
            c += w[W_LANGUAGE]
        if anchor[i] >= 0 and table_of[i] != anchor[i]:
            c += w[W_MOVE]
    return c


@njit(cache=True, inline="always")
def _side_delta(d, t, out, into, f_out, f_in, w, people, tables):
    """Add to ``d`` what table ``t``'s members' pairs cost more once ``into`` takes the seat of
    ``out`` (``f_out`` / ``f_in``: each member's flags with them, as `gather` fills them).

    Returns ``d`` and the kindred and same-language tablemates ``into`` has there.
    """
    comp = people.comp
    party_pen = people.party_pen
    home = people.home
    has_kin = people.has_kin
    lang = people.lang
    members = tables.members
    size = tables.size
    kc = tables.kc
    lc = tables.lc
    w_kin = w[W_KINDRED]
    w_lang = w[W_LANGUAGE]
    kin_into = 0
    lang_into = 0
    for s in range(size[t]):
        k = members[t, s]
        if k == out:
            continue
        fo = f_out[s]
        fn = f_in[s]
        d += pair_cost(k, into, fn, comp, party_pen, home, w) - pair_cost(
            k, out, fo, comp, party_pen, home, w
        )
        dk = (fn & KIN) - (fo & KIN)
        kin_into += fn & KIN
        if dk != 0 and has_kin[k]:
            if kc[k] == 0:
                d -= w_kin
            elif kc[k] + dk == 0:
                d += w_kin
        so = 1 if (lang[k] & lang[out]) != 0 else 0
        sn = 1 if (lang[k] & lang[into]) != 0 else 0
        lang_into += sn
        if so != sn and lang[k] != 0:
            if lc[k] == 0:
                d -= w_lang
            elif lc[k] + sn - so == 0:
                d += w_lang
    return d, kin_into, lang_into


@njit(cache=True, inline="always")
def _side_apply(t, out, into, f_out, f_in, people, tables):
    """Update table ``t``'s members' kindred and language counts for ``into`` taking the seat
    of ``out``; returns the counts ``into`` has there."""
    lang = people.lang
    members = tables.members
    size = tables.size
    kc = tables.kc
    lc = tables.lc
    kin_into = 0
    lang_into = 0
    for s in range(size[t]):
        k = members[t, s]
        if k == out:
            continue
        fo = f_out[s]
        fn = f_in[s]
        kc[k] += (fn & KIN) - (fo & KIN)
        kin_into += fn & KIN
        so = 1 if (lang[k] & lang[out]) != 0 else 0
        sn = 1 if (lang[k] & lang[into]) != 0 else 0
        lc[k] += sn - so
        lang_into += sn
    return kin_into, lang_into


@njit(cache=True, inline="always")
def swap_delta(i, j, w, dinner, buf, people, rel, tables):
    g = people.g
    X = people.X
    party = people.party
    solo = people.solo
    first = people.first
    has_party = people.has_party
    lang = people.lang
    has_kin = people.has_kin
    anchor = people.anchor
    indptr = rel.indptr
    nbr = rel.nbr
    flag = rel.flag
    table_of = tables.table_of
    members = tables.members
    size = tables.size
    pos = tables.pos
    sums = tables.sums
    solo_cnt = tables.solo_cnt
    first_cnt = tables.first_cnt
    party_cnt = tables.party_cnt
    kc = tables.kc
    lc = tables.lc
    a_t = table_of[i]
    b_t = table_of[j]
    gather(i, a_t, b_t, buf[0], buf[1], table_of, size, pos, indptr, nbr, flag)
    gather(j, a_t, b_t, buf[2], buf[3], table_of, size, pos, indptr, nbr, flag)
    w_kin = w[W_KINDRED]
    w_lang = w[W_LANGUAGE]
    # Table A loses i and gains j; table B loses j and gains i.
    d, kc_j, lc_j = _side_delta(0.0, a_t, i, j, buf[0], buf[2], w, people, tables)
    d, kc_i, lc_i = _side_delta(d, b_t, j, i, buf[3], buf[1], w, people, tables)
    if has_kin[i]:
        d += w_kin * ((1 if kc_i == 0 else 0) - (1 if kc[i] == 0 else 0))
    if has_kin[j]:
        d += w_kin * ((1 if kc_j == 0 else 0) - (1 if kc[j] == 0 else 0))
    if lang[i] != 0:
        d += w_lang * ((1 if lc_i == 0 else 0) - (1 if lc[i] == 0 else 0))
    if lang[j] != 0:
        d += w_lang * ((1 if lc_j == 0 else 0) - (1 if lc[j] == 0 else 0))
    ds = solo[i] - solo[j]
    if ds != 0:
        sa = solo_cnt[a_t]
        sb = solo_cnt[b_t]
        d += w[W_SOLO] * ((sa - ds) ** 2 - sa**2 + (sb + ds) ** 2 - sb**2)
    df = first[i] - first[j]
    if df != 0:
        fa = first_cnt[a_t]
        fb = first_cnt[b_t]
        d += w[W_FIRST_TIME] * ((fa - df) ** 2 - fa**2 + (fb + df) ** 2 - fb**2)
    if dinner:
        sa_new = solo_cnt[a_t] - ds
        sb_new = solo_cnt[b_t] + ds
        dp = has_party[i] - has_party[j]
        pa_new = party_cnt[a_t] - dp
        pb_new = party_cnt[b_t] + dp
        before = (1 if party_cnt[a_t] > 0 and solo_cnt[a_t] == 0 else 0) + (
            1 if party_cnt[b_t] > 0 and solo_cnt[b_t] == 0 else 0
        )
        after = (1 if pa_new > 0 and sa_new == 0 else 0) + (1 if pb_new > 0 and sb_new == 0 else 0)
        d += w[W_PARTY_SOLO] * (after - before)
        if w[W_LONE] > 0:
            lo = (
                lone_outsider(members[a_t], size[a_t], i, j, party, solo)
                + lone_outsider(members[b_t], size[b_t], j, i, party, solo)
                - lone_outsider(members[a_t], size[a_t], -1, -1, party, solo)
                - lone_outsider(members[b_t], size[b_t], -1, -1, party, solo)
            )
            d += w[W_LONE] * lo
    if w[W_DIVERSITY] != 0.0:
        xi = X[g[i]]
        xj = X[g[j]]
        dot = 0.0
        sq = 0.0
        for k in range(xi.shape[0]):
            diff = xj[k] - xi[k]
            dot += (sums[a_t, k] - sums[b_t, k]) * diff
            sq += diff * diff
        d += w[W_DIVERSITY] * (2.0 * dot + 2.0 * sq)
    if anchor[i] >= 0:
        d += w[W_MOVE] * ((1 if anchor[i] != b_t else 0) - (1 if anchor[i] != a_t else 0))
    if anchor[j] >= 0:
        d += w[W_MOVE] * ((1 if anchor[j] != a_t else 0) - (1 if anchor[j] != b_t else 0))
    return d


@njit(cache=True, inline="always")
def apply_swap(i, j, buf, people, rel, tables):
    g = people.g
    X = people.X
    solo = people.solo
    first = people.first
    has_party = people.has_party
    indptr = rel.indptr
    nbr = rel.nbr
    flag = rel.flag
    table_of = tables.table_of
    members = tables.members
    size = tables.size
    pos = tables.pos
    sums = tables.sums
    solo_cnt = tables.solo_cnt
    first_cnt = tables.first_cnt
    party_cnt = tables.party_cnt
    kc = tables.kc
    lc = tables.lc
    a_t = table_of[i]
    b_t = table_of[j]
    gather(i, a_t, b_t, buf[0], buf[1], table_of, size, pos, indptr, nbr, flag)
    gather(j, a_t, b_t, buf[2], buf[3], table_of, size, pos, indptr, nbr, flag)
    kc_j, lc_j = _side_apply(a_t, i, j, buf[0], buf[2], people, tables)
    kc_i, lc_i = _side_apply(b_t, j, i, buf[3], buf[1], people, tables)
    kc[i] = kc_i
    kc[j] = kc_j
    lc[i] = lc_i
    lc[j] = lc_j
    xi = X[g[i]]
    xj = X[g[j]]
    for k in range(xi.shape[0]):
        diff = np.float64(xj[k]) - np.float64(xi[k])
        sums[a_t, k] += diff
        sums[b_t, k] -= diff
    ds = solo[i] - solo[j]
    solo_cnt[a_t] -= ds
    solo_cnt[b_t] += ds
    df = first[i] - first[j]
    first_cnt[a_t] -= df
    first_cnt[b_t] += df
    dp = has_party[i] - has_party[j]
    party_cnt[a_t] -= dp
    party_cnt[b_t] += dp
    pi = pos[i]
    pj = pos[j]
    members[a_t, pi] = j
    members[b_t, pj] = i
    pos[i] = pj
    pos[j] = pi
    table_of[i] = b_t
    table_of[j] = a_t


@njit(cache=True, inline="always")
def _apart_at(i, indptr, nbr, flag, table_of):
    """Whether ``i`` shares a table with someone they must be kept apart from."""
    for e in range(indptr[i], indptr[i + 1]):
        if flag[e] & APART and table_of[nbr[e]] == table_of[i]:
            return True
    return False


@njit(cache=True, inline="always")
def band_gap(count, lo, hi):
    """How far a table's solo count lies outside the band [lo, hi] (0 inside it)."""
    if count < lo:
        return lo - count
    if count > hi:
        return count - hi
    return 0


@njit(cache=True, inline="always")
def solo_band(solo_cnt, size):
    """The band [floor(mean), ceil(mean)] of solos per occupied table: inside it, spread <= 1."""
    total = 0
    n_tables = 0
    for t in range(solo_cnt.shape[0]):
        if size[t] > 0:
            total += solo_cnt[t]
            n_tables += 1
    n_tables = max(n_tables, 1)
    lo = total // n_tables
    return lo, lo + (1 if total % n_tables != 0 else 0)


@njit(cache=True, inline="always")
def leaves_band(ds, a_t, b_t, solo_cnt, lo, hi):
    """Whether moving ``ds`` solos from table a_t to b_t takes either table further out of band.

    Tables inside the band stay inside; tables outside may only come closer. Once every table
    is in the band (the constructive start sees to that) solo spread stays at most one.
    """
    if ds == 0:
        return False
    sa = solo_cnt[a_t]
    sb = solo_cnt[b_t]
    return band_gap(sa - ds, lo, hi) > band_gap(sa, lo, hi) or band_gap(sb + ds, lo, hi) > band_gap(
        sb, lo, hi
    )


@njit(cache=True)
def troubled(w, people, rel, tables):
    """Movable attendees with a broken rule at their table: where the search looks first."""
    comp = people.comp
    party_pen = people.party_pen
    lang = people.lang
    has_kin = people.has_kin
    anchor = people.anchor
    fixed = people.fixed
    indptr = rel.indptr
    nbr = rel.nbr
    flag = rel.flag
    table_of = tables.table_of
    members = tables.members
    size = tables.size
    kc = tables.kc
    lc = tables.lc
    m = table_of.shape[0]
    out = np.empty(m, dtype=np.int32)
    n = 0
    for i in range(m):
        if fixed[i]:
            continue
        bad = (has_kin[i] and kc[i] == 0 and w[W_KINDRED] > 0) or (
            lang[i] != 0 and lc[i] == 0 and w[W_LANGUAGE] > 0
        )
        if anchor[i] >= 0 and anchor[i] != table_of[i]:
            bad = True
        if not bad:
            t = table_of[i]
            for s in range(size[t]):
                k = members[t, s]
                if k == i:
                    continue
                if comp[i] >= 0 and comp[i] == comp[k] and w[W_COWORKER] > 0:
                    bad = True
                    break
                if party_pen[i] >= 0 and party_pen[i] == party_pen[k] and w[W_PARTY] > 0:
                    bad = True
                    break
        if not bad:
            for e in range(indptr[i], indptr[i + 1]):
                f = flag[e]
                if table_of[nbr[e]] == table_of[i] and (
                    (f & APART) or ((f >> MET_SHIFT) > 0 and w[W_REPEAT] > 0)
                ):
                    bad = True
                    break
        if bad:
            out[n] = i
            n += 1
    return out[:n]


@njit(cache=True)
def search(n_iter, temp0, temp1, seed, w, dinner, people, rel, tables):
    """Swap search with an annealing temperature falling from temp0 to temp1.

    Half of the proposals start from an attendee with a broken rule; a kindred-less attendee is
    proposed a seat next to one of their kindred neighbours. While solo balance has a weight,
    no swap takes a table's solo count further out of the band [floor(mean), ceil(mean)],
    except one that parts a keep-apart pair (a hard rule).

    Returns:
        ``(cost change, accepted improving swaps)``.
    """
    solo = people.solo
    has_kin = people.has_kin
    fixed = people.fixed
    movable = people.movable
    indptr = rel.indptr
    nbr = rel.nbr
    flag = rel.flag
    table_of = tables.table_of
    members = tables.members
    size = tables.size
    solo_cnt = tables.solo_cnt
    kc = tables.kc
    np.random.seed(seed)
    n_mov = movable.shape[0]
    if n_mov < 2 or size.shape[0] < 2:
        return 0.0, 0
    keep_band = w[W_SOLO] > 0
    band_lo, band_hi = solo_band(solo_cnt, size)
    has_apart = False
    for e in range(flag.shape[0]):
        if flag[e] & APART:
            has_apart = True
            break
    improved = 0
    refresh = max(1000, n_mov)
    buf = np.zeros((4, members.shape[1]), dtype=np.int64)
    bad = troubled(w, people, rel, tables)
    total = 0.0
    ratio = temp1 / temp0 if temp0 > 0 else 0.0
    temp = temp0
    for it in range(n_iter):
        if temp0 > 0 and (it & 255) == 0:
            temp = temp0 * ratio ** (it / n_iter)
        if bad.shape[0] > 0 and np.random.random() < 0.5:
            i = bad[np.random.randint(bad.shape[0])]
        else:
            i = movable[np.random.randint(n_mov)]
        a_t = table_of[i]
        j = -1
        if has_kin[i] and kc[i] == 0 and np.random.random() < 0.6:
            lo = indptr[i]
            hi = indptr[i + 1]
            e = lo + np.random.randint(hi - lo)
            if flag[e] & KIN:
                t = table_of[nbr[e]]
                if t != a_t:
                    j = members[t, np.random.randint(size[t])]
                    if j == nbr[e]:
                        j = -1
        if j < 0:
            j = movable[np.random.randint(n_mov)]
        if fixed[j] or table_of[j] == a_t:
            continue
        out_of_band = keep_band and leaves_band(
            solo[i] - solo[j], a_t, table_of[j], solo_cnt, band_lo, band_hi
        )
        if out_of_band and not (
            has_apart
            and (
                _apart_at(i, indptr, nbr, flag, table_of)
                or _apart_at(j, indptr, nbr, flag, table_of)
            )
        ):
            continue
        d = swap_delta(i, j, w, dinner, buf, people, rel, tables)
        if out_of_band and d > -0.5 * w[W_APART]:
            # Solo balance yields only to a hard rule: the swap must part a keep-apart pair.
            continue
        if d <= 0.0 or (temp > 0 and np.random.random() < np.exp(-d / temp)):
            apply_swap(i, j, buf, people, rel, tables)
            total += d
            if d < -1e-9:
                improved += 1
        if (it + 1) % refresh == 0:
            bad = troubled(w, people, rel, tables)
    return total, improved
