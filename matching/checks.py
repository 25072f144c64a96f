"""Independent checks of a seating plan against the product rules.

These functions measure any :data:`~matching.types.Seating`, whoever produced it; they never
look at how a solver reached it. Everything here runs in ``O(n·d + pairs within tables)``: no
``n x n`` matrix is ever built, so a plan for 100,000 attendees is checked in seconds.

Definitions the checks use (the product rules leave these to the engine):

* **Eligible** and the planned table sizes: :mod:`matching.eligibility`.
* **Co-workers**, **parties** (and which count in a round) and home towns: :mod:`matching.codes`.
* **Unavoidable minimum** of same-group pairs in a round: each group (company or party) is spread
  as evenly as the planned capacities allow (see :func:`unavoidable_pairs`). The round minimum is
  the sum over groups, a lower bound that ignores how groups compete for the same seats.
* **Unavoidable repeats** in a round: the people of each table of one earlier meal (a round of
  the plan, or a group of non-overlapping tables of the history) who are in this round, spread as
  evenly as its capacities allow, must meet again at least :func:`meal_repeats` times; the round
  minimum is the largest such figure over the earlier meals (given how those were seated).
* **Solo spread**: max - min solo attendees per non-empty table; a table is flagged when its solo
  count lies outside ``[floor(m), ceil(m)]`` for the round mean ``m`` (this happens exactly when
  the spread exceeds one).
* **Lone outsider** (dinner): a table of three or more where all members but one belong to one
  party and that one is a solo attendee with no party.
* **Party without solo** (dinner): a table holding a party member but no solo attendee while
  another table holds two or more solo attendees, so one could have moved. The round count is
  ``min(flagged tables, spare solos)``, the number of such tables that moving spare solos fixes.
* **Kindred**: a tablemate whose cosine similarity is at least the conference threshold
  (:func:`matching.kindred.kindred_threshold`).
* **Diversity**: mean within-table cosine distance ``1 - cos``; the round ratio divides the mean
  distance over all within-table pairs by the mean distance over all pairs of eligible attendees.
* **First-timer mix**: a table of two or more with only first-timers or only veterans, counted
  only when the round has both.
* **Language isolated**: an attendee who gave languages and shares none with any tablemate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from matching.codes import (
    company_codes,
    hometown_codes,
    languages_of,
    party_codes,
    round_parties,
)
from matching.eligibility import is_eligible, table_capacities
from matching.kindred import kindred_threshold as _kindred_threshold
from matching.rule_names import RuleName
from matching.types import Attendee, Constraints, History, Round, Seating

__all__ = [
    "HardViolation",
    "PlanCheck",
    "RoundCheck",
    "TableCheck",
    "check_hard",
    "check_plan",
    "history_meals",
    "meal_repeats",
    "mean_pairwise_similarity",
    "spread_evenly",
    "unavoidable_pairs",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]

# Rows per chunk when gathering embeddings, to keep temporary arrays around 32 MB.
_CHUNK_ELEMENTS = 1 << 22


def unavoidable_pairs(group_size: int, capacities: Sequence[int]) -> int:
    """Return the fewest pairs of one group that must share a table.

    The group is spread as evenly as the capacities allow (filling level by level, which is
    optimal because pair counts grow convexly). Without binding capacities this is
    ``r·C(q+1, 2) + (T-r)·C(q, 2)`` with ``q, r = divmod(group_size, T)``.

    Args:
        group_size: Members of the group (a company or a party) to seat.
        capacities: Capacity of every table in the round.

    Returns:
        The minimum number of same-group pairs.

    Raises:
        ValueError: If the group does not fit into the tables at all.

    Example:
        >>> unavoidable_pairs(25, [10] * 10)  # 5 tables of 3 and 5 tables of 2
        20
        >>> unavoidable_pairs(4, [1, 1, 5])  # two must share the big table
        1
    """
    caps = np.asarray([c for c in capacities if c > 0], dtype=np.int64)
    if group_size <= 1:
        return 0
    if group_size > int(caps.sum()):
        raise ValueError(f"A group of {group_size} does not fit into {int(caps.sum())} seats.")
    # Smallest level L with sum(min(c, L)) >= group_size; every table holds min(c, L - 1) and
    # the remainder sits one more each at tables that still have room.
    lo, hi = 1, int(caps.max())
    while lo < hi:
        mid = (lo + hi) // 2
        if int(np.minimum(caps, mid).sum()) >= group_size:
            hi = mid
        else:
            lo = mid + 1
    base = np.minimum(caps, lo - 1)
    extra = group_size - int(base.sum())
    return int((base * (base - 1) // 2).sum()) + extra * (lo - 1)


def spread_evenly(n: int, sizes: Sequence[int]) -> list[int]:
    """``n`` people over tables of ``sizes`` as evenly as possible (the fewest pairs).

    Example:
        >>> spread_evenly(5, [4, 4, 1])
        [2, 2, 1]
    """
    out = [0] * len(sizes)
    for level in range(1, max(sizes, default=0) + 1):
        for t, size in enumerate(sizes):
            if n and size >= level:
                out[t] += 1
                n -= 1
    return out


def meal_repeats(groups: Sequence[int], capacities: Sequence[int]) -> int:
    """Return the fewest pairs who shared a table at one earlier meal and must share one again.

    ``groups`` are, per table of the earlier meal, how many of its people are in the round; the
    tables of one meal hold different pairs, so their unavoidable pairs add up (each group is
    spread as evenly as ``capacities`` allow, see :func:`unavoidable_pairs`).

    Example:
        >>> meal_repeats([10] * 6, [10] * 6)  # a second lunch of 60 at the same 6 tables of 10
        24
    """
    return sum(unavoidable_pairs(int(g), capacities) for g in groups if g > 1)


def _unit(embeddings: FloatArray) -> FloatArray:
    x = np.asarray(embeddings)
    if x.ndim != 2:
        raise ValueError(f"Embeddings must be a 2-d array. Got shape {x.shape} instead.")
    if x.dtype != np.float32:
        x = x.astype(np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit: FloatArray = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    return unit


def mean_pairwise_similarity(embeddings: FloatArray) -> float:
    """Return the mean cosine similarity over all pairs, in ``O(n·d)``.

    For unit vectors the sum over ordered pairs ``i != j`` of ``x_i·x_j`` equals
    ``||Σx||² - Σ||x||²``, so no pair is ever formed.

    Example:
        >>> round(mean_pairwise_similarity(np.eye(3)), 6)
        0.0
    """
    return _mean_pairwise_unit(_unit(embeddings))


def _mean_pairwise_unit(x: FloatArray) -> float:
    n = len(x)
    if n < 2:
        return float("nan")
    total = x.sum(axis=0, dtype=np.float64)
    self_sum = float(np.einsum("ij,ij->", x, x, dtype=np.float64))
    return (float(total @ total) - self_sum) / (n * (n - 1))


# --- hard rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HardViolation:
    """One broken hard rule.

    Args:
        rule: The broken rule.
        message: What is wrong, for an organizer (tables numbered from 1).
        round: The round's name, if the violation belongs to one.
        table: 0-based table index, if the violation belongs to one table.
        attendees: The attendee ids involved.
    """

    rule: RuleName
    message: str
    round: str | None = None
    table: int | None = None
    attendees: tuple[str, ...] = ()


def check_hard(
    attendees: Sequence[Attendee],
    rounds: Sequence[Round],
    seating: Seating,
    *,
    constraints: Constraints | None = None,
) -> list[HardViolation]:
    """Return every hard rule the seating breaks; empty when the plan is valid.

    Pins naming an attendee not eligible for the pin's round, or a round not planned, do not
    apply; keep-together sets apply in rounds where all their members are eligible (as
    :class:`~matching.types.Constraints` defines).

    Example:
        >>> people = [Attendee(id="a"), Attendee(id="b")]
        >>> lunch = Round(name="Lunch", table_size=2)
        >>> check_hard(people, [lunch], {"Lunch": [["a", "b"]]})
        []
        >>> [str(v.rule) for v in check_hard(people, [lunch], {"Lunch": [["a"]]})]
        ['unseated']
    """
    constraints = constraints or Constraints()
    by_id = {a.id: a for a in attendees}
    out: list[HardViolation] = []
    planned = {r.name for r in rounds}
    for name in seating:
        if name not in planned:
            out.append(
                HardViolation(
                    RuleName.UNKNOWN_ROUND,
                    f"The plan seats round {name!r}, which is not planned.",
                    round=name,
                )
            )
    for rnd in rounds:
        tables = seating.get(rnd.name, [])
        where: dict[str, int] = {}
        for t, members in enumerate(tables):
            for aid in members:
                att = by_id.get(aid)
                if aid in where:
                    out.append(
                        HardViolation(
                            RuleName.SEATED_TWICE,
                            f"Round {rnd.name!r}: {aid!r} is seated at table {where[aid] + 1} "
                            f"and again at table {t + 1}.",
                            rnd.name,
                            t,
                            (aid,),
                        )
                    )
                    continue
                where[aid] = t
                if att is None:
                    out.append(
                        HardViolation(
                            RuleName.UNKNOWN_ATTENDEE,
                            f"Round {rnd.name!r}: table {t + 1} seats {aid!r}, who is not a "
                            "registered attendee.",
                            rnd.name,
                            t,
                            (aid,),
                        )
                    )
                elif not is_eligible(att, rnd):
                    out.append(
                        HardViolation(
                            RuleName.INELIGIBLE,
                            f"Round {rnd.name!r}: table {t + 1} seats {aid!r}, who did not opt "
                            "in to dinner.",
                            rnd.name,
                            t,
                            (aid,),
                        )
                    )
        elig = [a.id for a in attendees if is_eligible(a, rnd)]
        for aid in elig:
            if aid not in where:
                out.append(
                    HardViolation(
                        RuleName.UNSEATED,
                        f"Round {rnd.name!r}: {aid!r} has no table.",
                        rnd.name,
                        None,
                        (aid,),
                    )
                )
        out.extend(_check_capacity(rnd, tables, len(elig)))
        out.extend(_check_constraints(rnd, where, constraints, by_id))
    return out


def _check_capacity(rnd: Round, tables: list[list[str]], n_eligible: int) -> list[HardViolation]:
    out: list[HardViolation] = []
    sizes = [len(set(m)) for m in tables]
    if rnd.capacities is not None:
        caps = list(rnd.capacities)
        for t, size in enumerate(sizes):
            cap = caps[t] if t < len(caps) else 0
            if size > cap:
                out.append(
                    HardViolation(
                        RuleName.CAPACITY,
                        f"Round {rnd.name!r}: table {t + 1} seats {size} but holds at most {cap}.",
                        rnd.name,
                        t,
                        tuple(tables[t]),
                    )
                )
        return out
    if rnd.table_size is None:
        return out
    for t, size in enumerate(sizes):
        if size > rnd.table_size:
            out.append(
                HardViolation(
                    RuleName.CAPACITY,
                    f"Round {rnd.name!r}: table {t + 1} seats {size} but the table size is "
                    f"{rnd.table_size}.",
                    rnd.name,
                    t,
                    tuple(tables[t]),
                )
            )
    used = [s for s in sizes if s > 0]
    expected = -(-n_eligible // rnd.table_size) if rnd.table_size > 0 else 0
    if n_eligible and len(used) != expected:
        out.append(
            HardViolation(
                RuleName.TABLE_COUNT,
                f"Round {rnd.name!r}: {len(used)} tables are used but {n_eligible} attendees at "
                f"tables of {rnd.table_size} need {expected}.",
                rnd.name,
            )
        )
    if used and max(used) - min(used) > 1:
        out.append(
            HardViolation(
                RuleName.SIZE_SPREAD,
                f"Round {rnd.name!r}: table sizes range from {min(used)} to {max(used)}; they "
                "may differ by at most one.",
                rnd.name,
            )
        )
    return out


def _check_constraints(
    rnd: Round, where: dict[str, int], constraints: Constraints, by_id: dict[str, Attendee]
) -> list[HardViolation]:
    out: list[HardViolation] = []

    def seated_eligible(aid: str) -> bool:
        att = by_id.get(aid)
        return att is not None and is_eligible(att, rnd)

    for pin in constraints.pins:
        if pin.round_name != rnd.name or not seated_eligible(pin.attendee_id):
            continue
        at = where.get(pin.attendee_id)
        if at != pin.table:
            place = "no table" if at is None else f"table {at + 1}"
            out.append(
                HardViolation(
                    RuleName.PIN,
                    f"Round {rnd.name!r}: {pin.attendee_id!r} is pinned to table {pin.table + 1} "
                    f"but sits at {place}.",
                    rnd.name,
                    pin.table,
                    (pin.attendee_id,),
                )
            )
    for a, b in constraints.keep_apart:
        ta, tb = where.get(a), where.get(b)
        if ta is not None and ta == tb:
            out.append(
                HardViolation(
                    RuleName.KEEP_APART,
                    f"Round {rnd.name!r}: {a!r} and {b!r} must be kept apart but share table "
                    f"{ta + 1}.",
                    rnd.name,
                    ta,
                    (a, b),
                )
            )
    for group in constraints.keep_together:
        members = tuple(group)
        if len(members) < 2 or not all(seated_eligible(m) for m in members):
            continue
        spots = {where.get(m) for m in members}
        if len(spots) > 1 or None in spots:
            out.append(
                HardViolation(
                    RuleName.KEEP_TOGETHER,
                    f"Round {rnd.name!r}: {', '.join(map(repr, members))} must sit together but "
                    "are split.",
                    rnd.name,
                    None,
                    members,
                )
            )
    return out


# --- soft rules ---------------------------------------------------------------------------


@dataclass(slots=True)
class TableCheck:
    """Soft-rule figures of one table (``index`` is 0-based, as in the seating)."""

    index: int
    members: list[str]
    capacity: int | None
    coworker_pairs: int
    party_pairs: int
    repeated_pairs: int
    solo: int
    solo_outside: bool
    lone_outsider: bool
    party_without_solo: bool
    first_timers: int
    first_timer_mix_missing: bool
    hometowns: int
    hometowns_given: int
    language_isolated: int
    kindred: int
    common_ground: float | None
    diversity: float | None


@dataclass(slots=True)
class RoundCheck:
    """Soft-rule figures of one round.

    ``seat_attendee``, ``seat_table``, ``seat_mate`` and ``seat_similarity`` are aligned per
    seat: the attendee's index in the input, the 0-based table, the index of the most similar
    tablemate (-1 when alone) and that similarity (NaN when alone).
    """

    name: str
    kind: str
    eligible: int
    seated: int
    tables: list[TableCheck]
    coworker_pairs: int
    coworker_pairs_min: int
    party_pairs: int
    party_pairs_min: int
    repeated_pairs: int
    repeated_pairs_min: int
    solo_spread: int
    solo_spread_tables: int
    lone_outsiders: int
    party_without_solo: int
    first_timer_mix: int
    first_timer_mix_min: int
    language_isolated: int
    no_kindred: int
    kindred_share: float | None
    within_distance: float | None
    random_distance: float | None
    diversity_ratio: float | None
    capacities_note: str | None
    seat_attendee: IntArray = field(repr=False)
    seat_table: IntArray = field(repr=False)
    seat_mate: IntArray = field(repr=False)
    seat_similarity: FloatArray = field(repr=False)


@dataclass(slots=True)
class PlanCheck:
    """All checks of a plan: hard violations, per-round figures and the kindred threshold."""

    hard: list[HardViolation]
    rounds: list[RoundCheck]
    kindred_threshold: float | None


@dataclass(slots=True)
class _Layout:
    """A round's tables as flat arrays; seats of one table are contiguous."""

    seats: IntArray
    table_of: IntArray
    starts: IntArray
    sizes: IntArray
    members: list[list[str]]

    @property
    def n_tables(self) -> int:
        return len(self.sizes)


def _layout(tables: Sequence[Sequence[str]], pos: dict[str, int]) -> _Layout:
    # Unknown ids and repeated seats are hard violations; soft figures count each known
    # attendee once, at the first table that names them.
    seen: set[str] = set()
    flat: list[int] = []
    sizes: list[int] = []
    members: list[list[str]] = []
    for table in tables:
        kept = [aid for aid in table if aid in pos and aid not in seen]
        seen.update(kept)
        flat.extend(pos[aid] for aid in kept)
        sizes.append(len(kept))
        members.append(kept)
    size_arr = np.asarray(sizes, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(size_arr)[:-1]]).astype(np.int64)
    return _Layout(
        seats=np.asarray(flat, dtype=np.int64),
        table_of=np.repeat(np.arange(len(sizes), dtype=np.int64), size_arr),
        starts=starts,
        sizes=size_arr,
        members=members,
    )


def _sorted_unique(values: IntArray) -> IntArray:
    # np.unique without counts takes a hash path in numpy 2.x that is ~40x slower on int64.
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _group_pairs(layout: _Layout, codes: IntArray) -> tuple[IntArray, IntArray]:
    """Per table: same-code pairs and the largest same-code count (codes < 0 never match)."""
    key = codes[layout.seats]
    mask = key >= 0
    pairs = np.zeros(layout.n_tables, dtype=np.int64)
    largest = np.zeros(layout.n_tables, dtype=np.int64)
    if not mask.any():
        return pairs, largest
    width = int(key.max()) + 1
    combo, counts = np.unique(layout.table_of[mask] * width + key[mask], return_counts=True)
    tables = combo // width
    pairs += np.bincount(
        tables, weights=counts * (counts - 1) // 2, minlength=layout.n_tables
    ).astype(np.int64)
    np.maximum.at(largest, tables, counts)
    return pairs, largest


def _table_pairs(layout: _Layout) -> tuple[IntArray, IntArray, IntArray]:
    """All within-table pairs as (low index, high index, table), grouped by table size."""
    lows, highs, tabs = [], [], []
    for k in np.unique(layout.sizes):
        if k < 2:
            continue
        tids = np.flatnonzero(layout.sizes == k)
        att = layout.seats[layout.starts[tids][:, None] + np.arange(k)]
        a, b = np.triu_indices(int(k), k=1)
        left, right = att[:, a].ravel(), att[:, b].ravel()
        lows.append(np.minimum(left, right))
        highs.append(np.maximum(left, right))
        tabs.append(np.repeat(tids, len(a)))
    if not lows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(lows), np.concatenate(highs), np.concatenate(tabs)


def _table_similarities(layout: _Layout, x: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Per seat the most similar tablemate and that similarity; per table the pair-sim sum.

    The pair sum comes from the table's vector sum, ``(||S||² - sum ||x||²) / 2``, so it costs
    ``O(k·d)`` per table; the closest mate needs the table's small ``k x k`` Gram matrix.
    """
    mate = np.full(len(layout.seats), -1, dtype=np.int64)
    sim = np.full(len(layout.seats), np.nan)
    pair_sum = np.zeros(layout.n_tables)
    d = max(1, x.shape[1])
    for k in np.unique(layout.sizes):
        if k < 2:
            continue
        tids = np.flatnonzero(layout.sizes == k)
        seat_idx = layout.starts[tids][:, None] + np.arange(k)
        step = max(1, _CHUNK_ELEMENTS // (int(k) * d))
        diag = np.arange(k)
        for s in range(0, len(tids), step):
            rows = seat_idx[s : s + step]
            att = layout.seats[rows]
            vecs = x[att]
            total = vecs.sum(axis=1, dtype=np.float64)
            self_sq = np.einsum("tkd,tkd->t", vecs, vecs, dtype=np.float64)
            pair_sum[tids[s : s + step]] = (np.einsum("td,td->t", total, total) - self_sq) / 2
            gram = vecs @ vecs.transpose(0, 2, 1)
            gram[:, diag, diag] = -np.inf
            best = gram.argmax(axis=2)
            sim[rows] = np.take_along_axis(gram, best[..., None], axis=2)[..., 0]
            mate[rows] = np.take_along_axis(att, best, axis=1)
    return mate, sim, pair_sum


@dataclass(slots=True)
class _People:
    ids: list[str]
    pos: dict[str, int]
    company: IntArray
    party: IntArray
    solo: NDArray[np.bool_]
    first_time: NDArray[np.bool_]
    hometown: IntArray
    lang_ptr: IntArray
    lang_codes: IntArray


def _people(attendees: Sequence[Attendee]) -> _People:
    langs: dict[str, int] = {}
    ptr = [0]
    lang_codes: list[int] = []
    for a in attendees:
        lang_codes.extend(sorted(langs.setdefault(lang, len(langs)) for lang in languages_of(a)))
        ptr.append(len(lang_codes))
    return _People(
        ids=[a.id for a in attendees],
        pos={a.id: i for i, a in enumerate(attendees)},
        company=company_codes(attendees),
        party=party_codes(attendees),
        solo=np.asarray([a.solo for a in attendees], dtype=bool),
        first_time=np.asarray([a.first_time for a in attendees], dtype=bool),
        hometown=hometown_codes(attendees),
        lang_ptr=np.asarray(ptr, dtype=np.int64),
        lang_codes=np.asarray(lang_codes, dtype=np.int64),
    )


def _language_isolated(layout: _Layout, people: _People) -> NDArray[np.bool_]:
    counts = np.diff(people.lang_ptr)[layout.seats]
    total = int(counts.sum())
    isolated = np.zeros(len(layout.seats), dtype=bool)
    if total == 0:
        return isolated
    seat_rep = np.repeat(np.arange(len(layout.seats)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    lang = people.lang_codes[np.repeat(people.lang_ptr[layout.seats], counts) + offsets]
    width = int(people.lang_codes.max()) + 1
    _, inverse, per_combo = np.unique(
        layout.table_of[seat_rep] * width + lang, return_inverse=True, return_counts=True
    )
    shared = np.bincount(seat_rep, weights=per_combo[inverse] >= 2, minlength=len(layout.seats))
    sizes = layout.sizes[layout.table_of]
    found: NDArray[np.bool_] = (counts > 0) & (shared == 0) & (sizes >= 2)
    return found


def _check_round(
    rnd: Round,
    layout: _Layout,
    people: _People,
    x: FloatArray,
    elig_idx: IntArray,
    repeated: IntArray,
    earlier: Sequence[Sequence[IntArray]],
    threshold: float | None,
) -> RoundCheck:
    n_tables = layout.n_tables
    sizes = layout.sizes
    seats = layout.seats
    tab = layout.table_of
    dinner = rnd.kind == "dinner"

    party, counted_party = round_parties(people.party, dinner=dinner, seated=elig_idx)

    coworker, _ = _group_pairs(layout, people.company)
    party_pairs, _ = _group_pairs(layout, counted_party)
    _, largest_party = _group_pairs(layout, party)

    try:
        caps = table_capacities(rnd, len(elig_idx))
        note = None
    except ValueError as exc:
        caps = [int(s) for s in sizes if s > 0] or [1]
        note = f"Minima use the seated table sizes: {exc}"
    coworker_min = _round_minimum(people.company[elig_idx], caps)
    party_min = _round_minimum(counted_party[elig_idx], caps)
    here = np.zeros(len(people.solo), dtype=bool)
    here[elig_idx] = True
    repeated_min = max(
        (meal_repeats([int(here[t].sum()) for t in meal], caps) for meal in earlier), default=0
    )

    solo_seat = people.solo[seats]
    solo = np.bincount(tab, weights=solo_seat, minlength=n_tables).astype(np.int64)
    used = sizes > 0
    n_used = int(used.sum())
    solo_spread = int(solo[used].max() - solo[used].min()) if n_used else 0
    mean_solo = solo[used].sum() / n_used if n_used else 0.0
    solo_outside = used & ((solo < math.floor(mean_solo)) | (solo > math.ceil(mean_solo)))

    lone = np.zeros(n_tables, dtype=bool)
    without_solo = np.zeros(n_tables, dtype=bool)
    party_without = 0
    if dinner:
        free_solo = np.bincount(tab, weights=solo_seat & (party[seats] < 0), minlength=n_tables)
        lone = (sizes >= 3) & (largest_party == sizes - 1) & (free_solo == 1)
        has_party = np.bincount(tab, weights=party[seats] >= 0, minlength=n_tables) > 0
        spare = int(np.maximum(solo - 1, 0).sum())
        if spare:
            without_solo = has_party & (solo == 0)
            party_without = min(int(without_solo.sum()), spare)

    first = np.bincount(tab, weights=people.first_time[seats], minlength=n_tables).astype(np.int64)
    n_first = int(first.sum())
    n_veteran = len(seats) - n_first
    both = n_first > 0 and n_veteran > 0
    multi = sizes >= 2
    mix_missing = (
        multi & ((first == 0) | (first == sizes)) if both else np.zeros(n_tables, dtype=bool)
    )
    n_multi = int(multi.sum())
    mix_min = min(n_multi, max(0, n_multi - n_first) + max(0, n_multi - n_veteran)) if both else 0

    town = people.hometown[seats]
    given = np.bincount(tab, weights=town >= 0, minlength=n_tables).astype(np.int64)
    towns = np.zeros(n_tables, dtype=np.int64)
    if (town >= 0).any():
        width = int(town.max()) + 1
        combo = _sorted_unique(tab[town >= 0] * width + town[town >= 0])
        towns = np.bincount(combo // width, minlength=n_tables).astype(np.int64)

    isolated_seat = _language_isolated(layout, people)
    isolated = np.bincount(tab, weights=isolated_seat, minlength=n_tables).astype(np.int64)

    mate, sim, pair_sim = _table_similarities(layout, x)
    has_mate = mate >= 0
    kindred_seat = (
        has_mate & (sim >= threshold) if threshold is not None else np.zeros(len(seats), dtype=bool)
    )
    kindred = np.bincount(tab, weights=kindred_seat, minlength=n_tables).astype(np.int64)
    sim_sum = np.bincount(tab[has_mate], weights=sim[has_mate], minlength=n_tables)
    mates = np.bincount(tab[has_mate], minlength=n_tables)
    common = np.divide(sim_sum, mates, out=np.full(n_tables, np.nan), where=mates > 0)

    n_pairs = sizes * (sizes - 1) // 2
    diversity = np.divide(
        n_pairs - pair_sim, n_pairs, out=np.full(n_tables, np.nan), where=n_pairs > 0
    )
    total_pairs = int(n_pairs.sum())
    within = 1.0 - float(pair_sim.sum()) / total_pairs if total_pairs else None
    random_sim = _mean_pairwise_unit(x[elig_idx])
    random = None if math.isnan(random_sim) else 1.0 - random_sim
    # Identical profiles leave no spread to compare against.
    ratio = within / random if within is not None and random is not None and random > 1e-9 else None

    tables = [
        TableCheck(
            index=t,
            members=layout.members[t],
            capacity=caps[t] if rnd.capacities is not None and t < len(caps) else rnd.table_size,
            coworker_pairs=int(coworker[t]),
            party_pairs=int(party_pairs[t]),
            repeated_pairs=int(repeated[t]),
            solo=int(solo[t]),
            solo_outside=bool(solo_outside[t]),
            lone_outsider=bool(lone[t]),
            party_without_solo=bool(without_solo[t]),
            first_timers=int(first[t]),
            first_timer_mix_missing=bool(mix_missing[t]),
            hometowns=int(towns[t]),
            hometowns_given=int(given[t]),
            language_isolated=int(isolated[t]),
            kindred=int(kindred[t]),
            common_ground=None if math.isnan(common[t]) else float(common[t]),
            diversity=None if math.isnan(diversity[t]) else float(diversity[t]),
        )
        for t in range(n_tables)
    ]
    return RoundCheck(
        name=rnd.name,
        kind=rnd.kind,
        eligible=len(elig_idx),
        seated=len(seats),
        tables=tables,
        coworker_pairs=int(coworker.sum()),
        coworker_pairs_min=coworker_min,
        party_pairs=int(party_pairs.sum()),
        party_pairs_min=party_min,
        repeated_pairs=int(repeated.sum()),
        repeated_pairs_min=repeated_min,
        solo_spread=solo_spread,
        solo_spread_tables=int(solo_outside.sum()),
        lone_outsiders=int(lone.sum()),
        party_without_solo=party_without,
        first_timer_mix=int(mix_missing.sum()),
        first_timer_mix_min=mix_min,
        language_isolated=int(isolated.sum()),
        no_kindred=int(len(seats) - kindred_seat.sum()) if threshold is not None else 0,
        kindred_share=float(kindred_seat.mean()) if threshold is not None and len(seats) else None,
        within_distance=within,
        random_distance=random,
        diversity_ratio=ratio,
        capacities_note=note,
        seat_attendee=seats,
        seat_table=tab,
        seat_mate=mate,
        seat_similarity=sim,
    )


def _round_minimum(codes: IntArray, caps: Sequence[int]) -> int:
    counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, dtype=np.int64)
    n_tables = sum(1 for c in caps if c > 0)
    total = 0
    for size in counts[counts > n_tables]:
        try:
            total += unavoidable_pairs(int(size), caps)
        except ValueError:
            total += unavoidable_pairs(int(size), [int(size)])
    return total


def _tables(layout: _Layout) -> list[IntArray]:
    return [layout.seats[a : a + b] for a, b in zip(layout.starts, layout.sizes, strict=False)]


def history_meals(tables: Sequence[IntArray]) -> list[list[IntArray]]:
    """The history's tables in groups of tables that share nobody, first fit in order: each
    group holds different pairs, like one meal (the history does not say which meal a table
    was), so :func:`meal_repeats` applies to it."""
    meals: list[list[IntArray]] = []
    seated: list[set[int]] = []
    for table in tables:
        people = set(table.tolist())
        for meal, taken in zip(meals, seated, strict=True):
            if not people & taken:
                meal.append(table)
                taken |= people
                break
        else:
            meals.append([table])
            seated.append(people)
    return meals


def check_plan(
    attendees: Sequence[Attendee],
    rounds: Sequence[Round],
    seating: Seating,
    embeddings: FloatArray,
    *,
    history: History = (),
    constraints: Constraints | None = None,
    kindred_threshold: float | None = None,
) -> PlanCheck:
    """Measure a seating against every hard and soft rule.

    Args:
        attendees: Registered attendees; row ``i`` of ``embeddings`` belongs to ``attendees[i]``.
        rounds: The rounds, in chronological order (repeated pairs are attributed to the later
            meeting).
        seating: The plan to check.
        embeddings: Profile embeddings, ``(n, d)``; normalised here, so any scale works.
        history: Tables of earlier meals (e.g. published rounds); pairs met there count as
            repeated when they meet again in this plan.
        constraints: Organizer pins, keep-apart pairs and keep-together sets.
        kindred_threshold: Similarity that makes a tablemate kindred; computed from
            ``embeddings`` with :func:`kindred_threshold` when None.

    Returns:
        The hard violations and per-round, per-table figures.

    Example:
        >>> people = [Attendee(id=i, affiliation="ACME") for i in "abcd"]
        >>> lunch = Round(name="Lunch", table_size=2)
        >>> check = check_plan(people, [lunch], {"Lunch": [["a", "b"], ["c", "d"]]}, np.eye(4))
        >>> check.rounds[0].coworker_pairs, check.rounds[0].coworker_pairs_min
        (2, 2)
    """
    x = _unit(embeddings)
    if len(x) != len(attendees):
        raise ValueError(
            f"Embeddings must have one row per attendee: got {len(x)} rows for "
            f"{len(attendees)} attendees."
        )
    people = _people(attendees)
    threshold = kindred_threshold
    if threshold is None and len(attendees) >= 2:
        threshold = _kindred_threshold(x)
    hard = check_hard(attendees, rounds, seating, constraints=constraints)

    history_layout = _layout(list(history), people.pos)
    n = max(1, len(attendees))
    lo, hi, _ = _table_pairs(history_layout)
    seen = _sorted_unique(lo * n + hi)
    meals = history_meals(_tables(history_layout))
    checks = []
    for rnd in rounds:
        layout = _layout(seating.get(rnd.name, []), people.pos)
        lo, hi, tabs = _table_pairs(layout)
        code = lo * n + hi
        at = np.minimum(np.searchsorted(seen, code), max(len(seen) - 1, 0))
        again = seen[at] == code if len(seen) else np.zeros(len(code), dtype=bool)
        repeated = np.bincount(tabs[again], minlength=layout.n_tables).astype(np.int64)
        seen = _sorted_unique(np.concatenate([seen, code]))
        elig_idx = np.asarray(
            [i for i, a in enumerate(attendees) if is_eligible(a, rnd)], dtype=np.int64
        )
        checks.append(_check_round(rnd, layout, people, x, elig_idx, repeated, meals, threshold))
        meals.append(_tables(layout))
    return PlanCheck(hard=hard, rounds=checks, kindred_threshold=threshold)
