"""Who is seated in a round and how its tables are laid out: one definition for the search,
the checks, the feasibility findings and the service.

* **Eligible**: everyone passed in for a lunch (the caller passes registered attendees only);
  only ``dinner=True`` attendees for a dinner.
* **Table layout**: with a ``table_size`` a round gets ``ceil(n / table_size)`` tables whose
  sizes differ by at most one, the larger first; with explicit ``capacities`` the people are
  spread as evenly as the capacities allow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matching.errors import Infeasible
from matching.rule_names import RuleName
from matching.types import Attendee, Round

__all__ = [
    "check_round",
    "eligible",
    "eligible_mask",
    "is_eligible",
    "table_capacities",
    "table_sizes",
]


def is_eligible(attendee: Attendee, round_: Round) -> bool:
    """Return whether ``attendee`` is to be seated in ``round_``.

    Example:
        >>> is_eligible(Attendee(id="a"), Round(name="Dinner", kind="dinner", table_size=6))
        False
    """
    return round_.kind == "lunch" or attendee.dinner


def eligible(attendees: Sequence[Attendee], round_: Round) -> list[Attendee]:
    """Return the attendees to seat in ``round_``, in input order.

    Example:
        >>> people = [Attendee(id="a", dinner=True), Attendee(id="b")]
        >>> [a.id for a in eligible(people, Round(name="D", kind="dinner", table_size=6))]
        ['a']
    """
    return [a for a in attendees if is_eligible(a, round_)]


def eligible_mask(attendees: Sequence[Attendee], round_: Round) -> np.ndarray:
    """Per attendee, in input order: whether they are seated in ``round_``.

    Example:
        >>> people = [Attendee(id="a", dinner=True), Attendee(id="b")]
        >>> eligible_mask(people, Round(name="D", kind="dinner", table_size=6)).tolist()
        [True, False]
    """
    return np.array([is_eligible(a, round_) for a in attendees], dtype=bool).reshape(-1)


def table_capacities(round_: Round, n_eligible: int) -> list[int]:
    """Return the capacity of each table of ``round_`` for ``n_eligible`` attendees.

    With a ``table_size`` the round gets ``ceil(n / table_size)`` tables whose sizes differ by
    at most one (the larger tables first); every table is meant to be filled exactly. With
    explicit ``capacities`` those are returned as given.

    Args:
        round_: The round; exactly one of ``table_size`` and ``capacities`` must be set.
        n_eligible: How many attendees are to be seated.

    Returns:
        One capacity per table, in table order.

    Raises:
        ValueError: On an invalid table plan or when the capacities seat fewer than
            ``n_eligible``.

    Example:
        >>> table_capacities(Round(name="Lunch", table_size=10), 25)
        [9, 8, 8]
        >>> table_capacities(Round(name="Dinner", kind="dinner", capacities=(6, 8)), 12)
        [6, 8]
    """
    if isinstance(n_eligible, bool) or not isinstance(n_eligible, int) or n_eligible < 0:
        raise ValueError(
            f"The 'n_eligible' parameter must be an int >= 0. Got {n_eligible!r} instead."
        )
    size, caps = round_.table_size, round_.capacities
    if (size is None) == (caps is None):
        raise ValueError(
            f"Round {round_.name!r} must give exactly one of 'table_size' and 'capacities'. "
            f"Got table_size={size!r} and capacities={caps!r} instead."
        )
    if caps is not None:
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in caps):
            raise ValueError(
                f"The 'capacities' parameter of round {round_.name!r} must be a list of "
                f"ints >= 1. Got {list(caps)!r} instead."
            )
        if sum(caps) < n_eligible:
            raise ValueError(
                f"Round {round_.name!r} has {sum(caps)} seats but {n_eligible} attendees are "
                "eligible; add tables or raise capacities."
            )
        return list(caps)
    if isinstance(size, bool) or not isinstance(size, int) or size < 2:
        raise ValueError(
            f"The 'table_size' parameter of round {round_.name!r} must be an int >= 2. "
            f"Got {size!r} instead."
        )
    if n_eligible == 0:
        return []
    n_tables = -(-n_eligible // size)
    q, r = divmod(n_eligible, n_tables)
    return [q + 1] * r + [q] * (n_tables - r)


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
                RuleName.CAPACITY,
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
            RuleName.PINS,
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
            filled: np.ndarray = np.minimum(np.maximum(sizes, level), np.maximum(upper, sizes))
            return filled

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
        kept: np.ndarray = np.maximum(np.minimum(sizes, level), np.minimum(lower, sizes))
        return kept

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


def check_round(r: Round) -> None:
    """Validate one round's kind and table plan (scikit-learn-style messages).

    Raises:
        ValueError: On an unknown kind or an invalid table plan.
    """
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
