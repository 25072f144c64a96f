"""Instant checks of a matching input, before anything is embedded or searched.

`check_feasibility` answers from counts alone (no embeddings, no solver) in ``O(n + rules +
rounds² · tables)``: a conference of 2,000 people is checked in milliseconds. It finds what
`Problem.build` would refuse once the profiles are embedded (too few seats, a keep-together set
no table can hold, more people to keep apart than a round has tables, pins to tables that do
not exist) and what is odd without being impossible (an empty dinner, repeated pairs that no
seating can avoid, dinners asked of a file that says nothing about dinners).

Errors are sound: each one means no seating keeps every hard rule. They are not complete: a
rare mix of rules can still be refused by the engine later (the search is exact only where a
rule names few people).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matching.checks import meal_repeats, spread_evenly
from matching.eligibility import is_eligible, table_sizes
from matching.types import Attendee, Constraints, Round

__all__ = ["Feasibility", "Finding", "check_feasibility", "unavoidable_repeats"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the checks found.

    Attributes:
        rule: What it is about: ``capacity``, ``keep-together``, ``keep-apart``, ``pins``
            (errors); ``empty-dinner``, ``repeats``, ``dinner-column`` (warnings).
        message: A sentence for the organizer, naming the round and people by name.
        round: The round's name, or None when it concerns no single round.
        attendees: Ids of the people involved, in input order.
        minimum: For ``repeats``: the fewest repeated pairs any seating has.
    """

    rule: str
    message: str
    round: str | None = None
    attendees: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class Feasibility:
    """The result of `check_feasibility`: errors block a plan, warnings do not."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing blocks the plan."""
        return not self.errors


def _label(person: Attendee | None, aid: str) -> str:
    return f"{person.name} ({aid})" if person is not None and person.name.strip() else aid


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _people(ids: Sequence[str], by_id: dict[str, Attendee]) -> str:
    names = [_label(by_id.get(a), a) for a in ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _groups(pairs: Sequence[Sequence[str]]) -> list[list[str]]:
    """Union of overlapping sets (keep-together sets that share a person are one set)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order: list[str] = []
    for group in pairs:
        for person in group:
            if person not in parent:
                order.append(person)
            find(person)
        for other in group[1:]:
            parent[find(other)] = find(group[0])
    merged: dict[str, list[str]] = {}
    for person in order:
        merged.setdefault(find(person), []).append(person)
    return [g for g in merged.values() if len(g) > 1]


def _apart_clique(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """A large set of people who must all sit at different tables (greedy, so a lower bound).

    Keep-apart rules name sets whose every pair is kept apart; growing a clique greedily from
    each person finds such a set exactly and is linear in the pairs for the usual rules.
    """
    mates: dict[str, set[str]] = {}
    for a, b in pairs:
        mates.setdefault(a, set()).add(b)
        mates.setdefault(b, set()).add(a)
    best: list[str] = []
    for start in sorted(mates, key=lambda p: -len(mates[p])):
        if len(mates[start]) + 1 <= len(best):
            break
        clique = [start]
        common = set(mates[start])
        for other in sorted(common, key=lambda p: -len(mates[p])):
            if other in common:
                clique.append(other)
                common &= mates[other]
        if len(clique) > len(best):
            best = clique
    return best


def _sizes(round_: Round, n: int) -> list[int]:
    """The people per table the engine plans for ``n`` (as even as the capacities allow)."""
    return [int(s) for s in table_sizes(n, round_)[1]] if n else []


def unavoidable_repeats(
    earlier: Round, n_earlier: int, later: Round, n_later: int, *, nested: bool
) -> int:
    """The fewest pairs who shared a table in ``earlier`` and must share one again in ``later``.

    Each earlier table's people form a group that the later round spreads as evenly as its
    tables allow (`matching.rules.unavoidable_pairs`). When ``later`` seats only some of the
    earlier round's people (a dinner after a lunch: ``nested=False``), those are assumed spread
    as evenly as possible over the earlier tables, which keeps the figure a lower bound.

    Example:
        >>> lunch = Round(name="L", table_size=10)
        >>> unavoidable_repeats(lunch, 60, lunch, 60, nested=True)
        24
    """
    if n_earlier < 2 or n_later < 2:
        return 0
    before = _sizes(earlier, n_earlier)
    groups = before if nested else spread_evenly(min(n_later, n_earlier), before)
    return meal_repeats(groups, _sizes(later, n_later))


def check_feasibility(
    attendees: Sequence[Attendee],
    rounds: Sequence[Round],
    constraints: Constraints | None = None,
    *,
    dinner_given: bool = True,
) -> Feasibility:
    """Check that some seating keeps every hard rule, from counts alone.

    Args:
        attendees: The people to seat (registered ones); a dinner seats those who opted in.
        rounds: The rounds to plan, in the order they are held.
        constraints: Pins, keep-apart pairs and keep-together sets.
        dinner_given: False when the input said nothing about dinners (a file without a dinner
            column): dinner rounds then get a warning.

    Returns:
        Errors (no seating can keep the rules) and warnings (it can, but something is odd).

    Example:
        >>> people = [Attendee(id=str(i)) for i in range(5)]
        >>> result = check_feasibility(people, [Round(name="L", capacities=(2, 2))])
        >>> [(f.rule, f.round) for f in result.errors]
        [('capacity', 'L')]
    """
    constraints = constraints or Constraints()
    by_id = {a.id: a for a in attendees}
    errors: list[Finding] = []
    warnings: list[Finding] = []
    unknown = sorted(
        {
            *(p.attendee_id for p in constraints.pins),
            *(x for pair in constraints.keep_apart for x in pair),
            *(x for g in constraints.keep_together for x in g),
        }
        - by_id.keys()
    )
    for aid in unknown:
        errors.append(
            Finding("pins", f"A rule or pin names '{aid}', who is not an attendee.", None, (aid,))
        )
    together = _groups([[a for a in g if a in by_id] for g in constraints.keep_together])
    group_of = {a: i for i, g in enumerate(together) for a in g}
    for a, b in constraints.keep_apart:
        if a in group_of and group_of.get(b) == group_of[a]:
            errors.append(
                Finding(
                    "keep-together",
                    f"{_people([a, b], by_id)} must sit together and be kept apart.",
                    None,
                    (a, b),
                )
            )
    round_names = {r.name for r in rounds}
    for pin in constraints.pins:
        if pin.round_name not in round_names:
            errors.append(
                Finding(
                    "pins",
                    f"{_people([pin.attendee_id], by_id)} is pinned in round "
                    f"'{pin.round_name}', which is not planned.",
                    pin.round_name,
                    (pin.attendee_id,),
                )
            )

    counts: list[int] = []
    for r in rounds:
        here = {a.id for a in attendees if is_eligible(a, r)}
        n = len(here)
        counts.append(n)
        if r.kind == "dinner" and not dinner_given:
            warnings.append(
                Finding(
                    "dinner-column",
                    f"Round '{r.name}' is a dinner but the attendee file has no 'dinner' column, "
                    "so nobody counts as opted in.",
                    r.name,
                )
            )
        elif r.kind == "dinner" and n == 0:
            warnings.append(
                Finding(
                    "empty-dinner",
                    f"Dinner '{r.name}' has nobody to seat: no registered attendee opted in.",
                    r.name,
                )
            )
        if r.capacities is not None:
            seats = sum(r.capacities)
            if n > seats:
                who = "people opted in to this dinner" if r.kind == "dinner" else "people to seat"
                errors.append(
                    Finding(
                        "capacity",
                        f"Round '{r.name}' seats {seats} at {len(r.capacities)} tables but "
                        f"there are {n} {who}; add {n - seats} seats.",
                        r.name,
                    )
                )
                continue
            limits = list(r.capacities)
        else:
            size = int(r.table_size or 1)
            n_tables = -(-n // size)
            limits = [-(-n // n_tables)] * n_tables if n_tables else []
        errors.extend(_round_rules(r, here, limits, together, constraints, by_id))
    for later, r in enumerate(rounds):
        best, source = 0, ""
        for earlier in range(later):
            p = rounds[earlier]
            if counts[earlier] > sum(p.capacities or [counts[earlier]]):
                continue
            if counts[later] > sum(r.capacities or [counts[later]]):
                continue
            nested = p.kind == "dinner" or r.kind == "lunch" or counts[later] == counts[earlier]
            low = unavoidable_repeats(p, counts[earlier], r, counts[later], nested=nested)
            if low > best:
                best, source = low, p.name
        if best:
            tables = len(_sizes(r, counts[later]))
            warnings.append(
                Finding(
                    "repeats",
                    f"Round '{r.name}' is too small for everyone to meet new people: with "
                    f"{_count(tables, 'table')} for {counts[later]} people, at least "
                    f"{_count(best, 'pair')} who sat together in '{source}' must share a table "
                    "again.",
                    r.name,
                    minimum=best,
                )
            )
    return Feasibility(errors=errors, warnings=warnings)


def _round_rules(
    r: Round,
    here: set[str],
    limits: list[int],
    together: list[list[str]],
    constraints: Constraints,
    by_id: dict[str, Attendee],
) -> list[Finding]:
    """The rules of one round against its tables (``limits``: the most each table seats)."""
    out: list[Finding] = []
    n_tables = len(limits)
    biggest = max(limits, default=0)
    for group in together:
        if set(group) <= here and len(group) > biggest:
            out.append(
                Finding(
                    "keep-together",
                    f"{_people(group, by_id)} must sit together in round '{r.name}', but its "
                    f"tables seat at most {biggest}.",
                    r.name,
                    tuple(group),
                )
            )
    clique = _apart_clique([(a, b) for a, b in constraints.keep_apart if a in here and b in here])
    order = {a: i for i, a in enumerate(by_id)}
    clique.sort(key=order.__getitem__)
    if len(clique) > n_tables:
        out.append(
            Finding(
                "keep-apart",
                f"{_people(clique, by_id)} must all sit at different tables in round "
                f"'{r.name}', but it has only {_count(n_tables, 'table')}.",
                r.name,
                tuple(clique),
            )
        )
    forced: dict[str, int] = {}
    for pin in constraints.pins:
        if pin.round_name != r.name or pin.attendee_id not in by_id:
            continue
        who = _people([pin.attendee_id], by_id)
        if pin.attendee_id not in here:
            out.append(
                Finding(
                    "pins",
                    f"{who} is pinned in dinner '{r.name}' but did not opt in to dinner.",
                    r.name,
                    (pin.attendee_id,),
                )
            )
        elif not 0 <= pin.table < n_tables:
            out.append(
                Finding(
                    "pins",
                    f"{who} is pinned to table {pin.table + 1} in round '{r.name}', which has "
                    f"only {_count(n_tables, 'table')}.",
                    r.name,
                    (pin.attendee_id,),
                )
            )
        elif forced.setdefault(pin.attendee_id, pin.table) != pin.table:
            out.append(
                Finding(
                    "pins",
                    f"{who} is pinned to two tables in round '{r.name}'.",
                    r.name,
                    (pin.attendee_id,),
                )
            )
    claimed = [0] * n_tables
    for group in together:
        if not set(group) <= here:
            continue
        tables = sorted({forced[a] for a in group if a in forced})
        if len(tables) > 1:
            out.append(
                Finding(
                    "keep-together",
                    f"{_people(group, by_id)} must sit together but are pinned to different "
                    f"tables in round '{r.name}'.",
                    r.name,
                    tuple(group),
                )
            )
        elif tables:
            for a in group:
                forced.setdefault(a, tables[0])
    for table in forced.values():
        claimed[table] += 1
    for t, (need, limit) in enumerate(zip(claimed, limits, strict=True)):
        if need > limit:
            people = [a for a, at in forced.items() if at == t]
            out.append(
                Finding(
                    "pins",
                    f"Table {t + 1} of round '{r.name}' seats {limit} but {need} people are "
                    f"pinned to it or kept together with someone pinned there: "
                    f"{_people(people, by_id)}.",
                    r.name,
                    tuple(people),
                )
            )
    for a, b in constraints.keep_apart:
        if a in forced and forced.get(b) == forced[a]:
            out.append(
                Finding(
                    "keep-apart",
                    f"{_people([a, b], by_id)} must be kept apart but are both pinned to table "
                    f"{forced[a] + 1} in round '{r.name}'.",
                    r.name,
                    (a, b),
                )
            )
    return out
