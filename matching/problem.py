"""The matching problem as arrays: attendees, rounds, constraints, history and kindred pairs.

`Problem.build` validates the input, raises `Infeasible` when a hard rule cannot hold, and
compiles everything the solver needs into integer arrays. Nothing here is quadratic in the
number of attendees: kindred neighbours come from chunked top-k searches and the kindred
threshold from a sample of pairs when the conference is large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.codes import company_codes, hometown_codes, language_masks, party_codes
from matching.eligibility import check_round, eligible_mask, table_sizes
from matching.errors import Infeasible
from matching.kindred import kindred_neighbours, kindred_threshold
from matching.rule_names import RuleName
from matching.types import Attendee, Constraints, History, Round, Seating

__all__ = ["Problem", "RoundSpec"]


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
            check_round(r)

        company = company_codes(attendees).astype(np.int32)
        party = party_codes(attendees).astype(np.int32)
        hometown = hometown_codes(attendees).astype(np.int32)
        languages = language_masks(attendees)

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
                            RuleName.KEEP_TOGETHER,
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
                    RuleName.PINS,
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
                _compile_round(
                    r,
                    ids,
                    eligible_mask(attendees, r),
                    pins_by_round[r.name],
                    together,
                    apart,
                    before,
                )
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
    is_seated: np.ndarray,
    pins: dict[int, int],
    together: list[np.ndarray],
    apart: np.ndarray,
    before: np.ndarray,
) -> RoundSpec:
    members = np.flatnonzero(is_seated)
    seated = np.zeros(len(ids), dtype=bool)
    seated[members] = True
    for person in pins:
        if not seated[person]:
            raise Infeasible(
                RuleName.PINS,
                f"'{ids[person]}' is pinned in dinner round '{r.name}' but did not opt in to "
                "dinner.",
            )
    n = members.size
    n_tables = len(r.capacities) if r.capacities is not None else -(-n // int(r.table_size or 1))
    for person, table in pins.items():
        if not 0 <= table < n_tables:
            raise Infeasible(
                RuleName.PINS,
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
                RuleName.KEEP_TOGETHER,
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
                RuleName.KEEP_APART,
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
                RuleName.KEEP_TOGETHER,
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
