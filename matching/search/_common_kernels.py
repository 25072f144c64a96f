"""Compiled helpers shared by the round search and the joint search."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def lone_outsider(members, sz, out, inn, party, solo):
    """1 if the table (with ``out`` replaced by ``inn``) is one party plus a lone solo."""
    if sz < 3:
        return 0
    for s in range(sz):
        a = members[s]
        if a == out:
            a = inn
        p = party[a]
        if p < 0:
            continue
        same = 0
        outsider = -1
        for t in range(sz):
            b = members[t]
            if b == out:
                b = inn
            if party[b] == p:
                same += 1
            else:
                outsider = b
        if same == sz - 1 and outsider >= 0:
            return 1 if solo[outsider] else 0
        # Only one party can hold sz - 1 seats, so the first party seen decides.
        return 0
    return 0


@njit(cache=True)
def table_pairs(flat, offsets):
    """All ordered pairs (a, b), a != b, of people sharing a table; -1 entries are skipped."""
    total = 0
    for t in range(offsets.shape[0] - 1):
        s = 0
        for e in range(offsets[t], offsets[t + 1]):
            if flat[e] >= 0:
                s += 1
        total += s * (s - 1)
    src = np.empty(total, dtype=np.int64)
    dst = np.empty(total, dtype=np.int64)
    n = 0
    for t in range(offsets.shape[0] - 1):
        for e in range(offsets[t], offsets[t + 1]):
            a = flat[e]
            if a < 0:
                continue
            for f in range(offsets[t], offsets[t + 1]):
                b = flat[f]
                if b < 0 or f == e:
                    continue
                src[n] = a
                dst[n] = b
                n += 1
    return src, dst
