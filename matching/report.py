"""The plan report: every rule measured per round and per table, and each attendee's "why".

:func:`build_report` returns plain JSON-able data (dicts, lists, str, int, float rounded to four
places, bool, None; never NaN) that the service stores as is. Its shape, version 1::

    {
      "version": 1,
      "summary": {
        "attendees": 120, "rounds": 3, "hard_violations": 0,
        "coworker_pairs": 4, "coworker_pairs_min": 4, "party_pairs": 0, "party_pairs_min": 0,
        "repeated_pairs": 0, "solo_spread_max": 1, "lone_outsiders": 0,
        "party_without_solo": 0, "language_isolated": 0, "first_timer_mix": 2,
        "first_timer_mix_min": 0, "no_kindred": 20, "kindred_share_min": 0.83,
        "diversity_ratio_min": 0.97, "kindred_threshold": 0.41, "repeated_pairs_min": 0
      },
      "search": {"cut_short": false, "progress": 1.0, "phase": null, "iterations": 130000,
                 "message": null},   # only in reports the Matcher made (None otherwise)
      "hard": [                      # at most 100 entries; summary.hard_violations has the total
        {"rule": "pin", "round": "Lunch 1", "table": 2, "attendees": ["a7"], "message": "..."}
      ],
      "rounds": [
        {
          "name": "Lunch 1", "kind": "lunch", "eligible": 120, "seated": 120, "tables": 12,
          "hard_violations": 0,
          "violations": {"coworker_pairs": 2, "party_pairs": 0, "repeated_pairs": 0,
                         "solo_spread": 0, "lone_outsiders": 0, "party_without_solo": 0,
                         "first_timer_mix": 1, "language_isolated": 0, "no_kindred": 14},
          "minimum": {"coworker_pairs": 2, "party_pairs": 0, "first_timer_mix": 0,
                      "repeated_pairs": 0},
          "solo_spread": 1, "kindred_share": 0.88, "diversity_ratio": 0.97,
          "within_distance": 0.78, "random_distance": 0.8, "hometown_mix": 0.9, "note": null,
          "tables_detail": [
            {"table": 1, "members": ["a1", "a9", ...], "size": 10, "capacity": 10,
             "violations": {"coworker_pairs": 0, "party_pairs": 0, "repeated_pairs": 0,
                            "solo_spread": 0, "lone_outsider": 0, "party_without_solo": 0,
                            "first_timer_mix": 0, "language_isolated": 0, "no_kindred": 1},
             "common_ground": 0.52, "diversity": 0.81, "kindred": 9, "hometowns": 7,
             "hometowns_given": 8, "first_timers": 3, "solo": 2,
             "topics": ["testing", "packaging", "django"]}
          ]
        }
      ],
      "attendees": {
        "a1": {"Lunch 1": {"table": 1, "kindred": "a9", "similarity": 0.61, "is_kindred": true,
                           "shared_topics": ["testing"],
                           "why": "You and Ada Lovelace both talk about testing."}}
      }
    }

Tables are numbered from 1 here ("Table 1" for humans); in a :data:`~matching.types.Seating` and
in :class:`~matching.types.Pin` they are 0-based, so ``table - 1`` indexes the seating.

Figures, as :mod:`matching.rules` defines them:

* ``common_ground``: mean over members of the similarity to their closest tablemate.
* ``diversity``: mean within-table cosine distance; ``diversity_ratio`` divides the round's mean
  within-table distance by the mean distance of random pairs (1.0 is as mixed as chance).
* ``kindred``: the closest tablemate, whether or not the similarity reaches
  ``summary.kindred_threshold`` (``is_kindred`` says); ``kindred_share`` counts attendees with a
  tablemate at or above it.
* ``hometown_mix``: mean over tables of distinct home towns per member who gave one.
* ``minimum``: the unavoidable count of a rule in that round (a lower bound, see
  :func:`matching.rules.unavoidable_pairs`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Self, cast

import numpy as np

from matching.checks import FloatArray, HardViolation, RoundCheck, TableCheck, check_plan
from matching.explain import CommonGround, why
from matching.rule_names import RuleName
from matching.types import Attendee, Constraints, History, Round, Seating

__all__ = [
    "REPORT_VERSION",
    "AttendeeRound",
    "AttendeeView",
    "HardEntry",
    "Minimum",
    "Report",
    "RoundReport",
    "RoundViolations",
    "SearchRun",
    "SeatExplanation",
    "Summary",
    "TableReport",
    "TableViolations",
    "attendee_view",
    "build_report",
    "common_ground",
    "table_view",
]

REPORT_VERSION = 1
_MAX_HARD_LISTED = 100

JSON = dict[str, Any]


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """JSON-able form of a report value: dataclasses become dicts in field order."""
    # Scalars first: an edit writes the whole report again, tens of thousands of values.
    if type(value) in _SCALARS:
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _fields_dict(obj: Any) -> JSON:
    return {name: _plain(getattr(obj, name)) for name in _field_names(type(obj))}


class _Flat:
    """A report part whose JSON form is its fields in order; a field with a default may be absent
    (reports stored before it existed) and then takes the default."""

    __slots__ = ()

    def to_dict(self) -> JSON:
        """The JSON form."""
        return _fields_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read the JSON form."""
        kept = (f for f in fields(cast(Any, cls)) if f.name in data or f.default is MISSING)
        return cls(**{f.name: data[f.name] for f in kept})


@dataclass(frozen=True, slots=True)
class Summary(_Flat):
    """The plan's totals over all rounds (``*_min`` are the unavoidable minimums)."""

    attendees: int
    rounds: int
    hard_violations: int
    coworker_pairs: int
    coworker_pairs_min: int
    party_pairs: int
    party_pairs_min: int
    repeated_pairs: int
    solo_spread_max: int
    lone_outsiders: int
    party_without_solo: int
    language_isolated: int
    first_timer_mix: int
    first_timer_mix_min: int
    no_kindred: int
    kindred_share_min: float | None
    diversity_ratio_min: float | None
    kindred_threshold: float | None
    #: None in reports stored before the repeats minimum was measured.
    repeated_pairs_min: int | None = None


@dataclass(frozen=True, slots=True)
class HardEntry:
    """One broken hard rule (``table`` numbered from 1)."""

    rule: RuleName
    round: str | None
    table: int | None
    attendees: tuple[str, ...]
    message: str

    def to_dict(self) -> JSON:
        """The JSON form (version 1 spells rule names with underscores: ``keep_apart``)."""
        return {
            "rule": self.rule.value.replace("-", "_"),
            "round": self.round,
            "table": self.table,
            "attendees": list(self.attendees),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HardEntry:
        """Read the JSON form."""
        return cls(
            rule=RuleName(str(data["rule"]).replace("_", "-")),
            round=data["round"],
            table=data["table"],
            attendees=tuple(data["attendees"]),
            message=data["message"],
        )


@dataclass(frozen=True, slots=True)
class TableViolations(_Flat):
    """Soft-rule counts at one table (flags are 0 or 1)."""

    coworker_pairs: int
    party_pairs: int
    repeated_pairs: int
    solo_spread: int
    lone_outsider: int
    party_without_solo: int
    first_timer_mix: int
    language_isolated: int
    no_kindred: int


@dataclass(frozen=True, slots=True)
class RoundViolations(_Flat):
    """Soft-rule counts in one round."""

    coworker_pairs: int
    party_pairs: int
    repeated_pairs: int
    solo_spread: int
    lone_outsiders: int
    party_without_solo: int
    first_timer_mix: int
    language_isolated: int
    no_kindred: int


@dataclass(frozen=True, slots=True)
class Minimum(_Flat):
    """The unavoidable counts of a round (lower bounds)."""

    coworker_pairs: int
    party_pairs: int
    first_timer_mix: int
    #: None in reports stored before the repeats minimum was measured.
    repeated_pairs: int | None = None


@dataclass(frozen=True, slots=True)
class TableReport:
    """One table of a round (``table`` numbered from 1)."""

    table: int
    members: tuple[str, ...]
    size: int
    capacity: int | None
    violations: TableViolations
    common_ground: float | None
    diversity: float | None
    kindred: int
    hometowns: int
    hometowns_given: int
    first_timers: int
    solo: int
    topics: tuple[str, ...]

    def to_dict(self) -> JSON:
        """The JSON form."""
        return _fields_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableReport:
        """Read the JSON form."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["members"] = tuple(values["members"])
        values["topics"] = tuple(values["topics"])
        values["violations"] = TableViolations.from_dict(values["violations"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class RoundReport:
    """One round: its counts, figures and tables.

    ``carried`` marks a round copied from the published plan into a re-plan's report; it is
    written to JSON only when set.
    """

    name: str
    kind: str
    eligible: int
    seated: int
    tables: int
    hard_violations: int
    violations: RoundViolations
    minimum: Minimum
    solo_spread: int
    kindred_share: float | None
    diversity_ratio: float | None
    within_distance: float | None
    random_distance: float | None
    hometown_mix: float | None
    note: str | None
    tables_detail: tuple[TableReport, ...]
    carried: bool = False

    def to_dict(self) -> JSON:
        """The JSON form."""
        data = _fields_dict(self)
        if not self.carried:
            del data["carried"]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoundReport:
        """Read the JSON form."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name != "carried"}
        values["violations"] = RoundViolations.from_dict(values["violations"])
        values["minimum"] = Minimum.from_dict(values["minimum"])
        values["tables_detail"] = tuple(TableReport.from_dict(t) for t in values["tables_detail"])
        return cls(**values, carried=bool(data.get("carried", False)))

    def table(self, number: int) -> TableReport:
        """Return the table numbered ``number`` (from 1).

        Raises:
            KeyError: If the round has no such table.
        """
        detail = self.tables_detail
        if 1 <= number <= len(detail) and detail[number - 1].table == number:
            return detail[number - 1]
        raise KeyError(f"Round {self.name!r} has no table {number}.")


@dataclass(frozen=True, slots=True)
class SeatExplanation:
    """One attendee in one round: their table (from 1), closest tablemate and why."""

    table: int
    kindred: str | None
    similarity: float | None
    is_kindred: bool
    shared_topics: tuple[str, ...]
    why: str

    def to_dict(self) -> JSON:
        """The JSON form."""
        return _fields_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeatExplanation:
        """Read the JSON form."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["shared_topics"] = tuple(values["shared_topics"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SearchRun:
    """How the search ended: by its own stopping rule (counted in work, so the plan depends
    only on the seed and the input), or cut short by the time budget.

    Attributes:
        cut_short: Whether the time budget stopped the search before its own rule did.
        progress: Share of the search's planned work done, 0 to 1 (1.0 when not cut).
        phase: Where the budget cut it: ``"seating each round"``, ``"removing repeated pairs"``
            or ``"polishing"``; None when not cut.
        iterations: Moves the search evaluated.
    """

    cut_short: bool
    progress: float
    phase: str | None
    iterations: int

    @property
    def message(self) -> str | None:
        """A sentence for the organizer when the search was cut short, else None."""
        if not self.cut_short:
            return None
        share = math.floor(100 * self.progress)
        return (
            f"The search was stopped by the time budget after {share} % of its planned work, "
            f"while {self.phase}; a larger time budget may give a better plan."
        )

    def to_dict(self) -> JSON:
        """The JSON form (with the message)."""
        return {**_fields_dict(self), "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchRun:
        """Read the JSON form."""
        return cls(
            cut_short=bool(data["cut_short"]),
            progress=float(data["progress"]),
            phase=data["phase"],
            iterations=int(data["iterations"]),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """The plan report (its JSON form is in the module docstring).

    ``attendees`` maps attendee id -> round name -> :class:`SeatExplanation`.

    Example:
        >>> people = [Attendee(id="a", interests="rust"), Attendee(id="b", interests="rust")]
        >>> report = build_report(
        ...     people, [Round(name="Lunch", table_size=2)], {"Lunch": [["a", "b"]]}, np.eye(2)
        ... )
        >>> Report.from_dict(report.to_dict()) == report
        True
    """

    summary: Summary
    hard: tuple[HardEntry, ...]
    rounds: tuple[RoundReport, ...]
    attendees: dict[str, dict[str, SeatExplanation]] = field(default_factory=dict)
    version: int = REPORT_VERSION
    #: How the search ended (set by `matching.Matcher`; None for a report of any seating).
    search: SearchRun | None = None

    def to_dict(self) -> JSON:
        """The JSON form, as stored and served."""
        out: JSON = {} if self.search is None else {"search": self.search.to_dict()}
        return {
            "version": self.version,
            "summary": self.summary.to_dict(),
            **out,
            "hard": [v.to_dict() for v in self.hard],
            "rounds": [r.to_dict() for r in self.rounds],
            "attendees": {
                person: {name: seat.to_dict() for name, seat in seats.items()}
                for person, seats in self.attendees.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Read the JSON form (a stored plan's report).

        Raises:
            KeyError: If a field is missing.
            ValueError: If a rule name is unknown.
        """
        return cls(
            version=int(data["version"]),
            summary=Summary.from_dict(data["summary"]),
            search=SearchRun.from_dict(data["search"]) if data.get("search") else None,
            hard=tuple(HardEntry.from_dict(v) for v in data["hard"]),
            rounds=tuple(RoundReport.from_dict(r) for r in data["rounds"]),
            attendees={
                person: {name: SeatExplanation.from_dict(seat) for name, seat in seats.items()}
                for person, seats in data["attendees"].items()
            },
        )

    def round(self, name: str) -> RoundReport:
        """Return the round called ``name``.

        Raises:
            KeyError: If the report has no such round.
        """
        for entry in self.rounds:
            if entry.name == name:
                return entry
        raise KeyError(f"The report has no round {name!r}.")


@dataclass(frozen=True, slots=True)
class AttendeeRound:
    """What one attendee may see of one round."""

    round: str
    kind: str
    table: int
    tablemates: tuple[str, ...]
    topics: tuple[str, ...]
    kindred: str | None
    similarity: float | None
    shared_topics: tuple[str, ...]
    why: str


@dataclass(frozen=True, slots=True)
class AttendeeView:
    """What one attendee may see of a plan: per round their table, tablemates and why."""

    attendee: str
    rounds: tuple[AttendeeRound, ...]


def _num(value: float | None, places: int = 4) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return round(float(value), places) + 0.0  # no "-0.0" in the JSON


def _min(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _hard_entry(v: HardViolation) -> HardEntry:
    return HardEntry(
        rule=v.rule,
        round=v.round,
        table=None if v.table is None else v.table + 1,
        attendees=tuple(v.attendees),
        message=v.message,
    )


def _table_report(t: TableCheck, topics: Sequence[str]) -> TableReport:
    size = len(t.members)
    return TableReport(
        table=t.index + 1,
        members=tuple(t.members),
        size=size,
        capacity=t.capacity,
        violations=TableViolations(
            coworker_pairs=t.coworker_pairs,
            party_pairs=t.party_pairs,
            repeated_pairs=t.repeated_pairs,
            solo_spread=int(t.solo_outside),
            lone_outsider=int(t.lone_outsider),
            party_without_solo=int(t.party_without_solo),
            first_timer_mix=int(t.first_timer_mix_missing),
            language_isolated=t.language_isolated,
            no_kindred=size - t.kindred,
        ),
        common_ground=_num(t.common_ground),
        diversity=_num(t.diversity),
        kindred=t.kindred,
        hometowns=t.hometowns,
        hometowns_given=t.hometowns_given,
        first_timers=t.first_timers,
        solo=t.solo,
        topics=tuple(topics),
    )


def _round_report(rc: RoundCheck, n_hard: int, topics: Sequence[Sequence[str]]) -> RoundReport:
    mixes = [t.hometowns / t.hometowns_given for t in rc.tables if t.hometowns_given]
    return RoundReport(
        name=rc.name,
        kind=rc.kind,
        eligible=rc.eligible,
        seated=rc.seated,
        tables=sum(1 for t in rc.tables if t.members),
        hard_violations=n_hard,
        violations=RoundViolations(
            coworker_pairs=rc.coworker_pairs,
            party_pairs=rc.party_pairs,
            repeated_pairs=rc.repeated_pairs,
            solo_spread=rc.solo_spread_tables,
            lone_outsiders=rc.lone_outsiders,
            party_without_solo=rc.party_without_solo,
            first_timer_mix=rc.first_timer_mix,
            language_isolated=rc.language_isolated,
            no_kindred=rc.no_kindred,
        ),
        minimum=Minimum(
            coworker_pairs=rc.coworker_pairs_min,
            party_pairs=rc.party_pairs_min,
            first_timer_mix=rc.first_timer_mix_min,
            repeated_pairs=rc.repeated_pairs_min,
        ),
        solo_spread=rc.solo_spread,
        kindred_share=_num(rc.kindred_share),
        diversity_ratio=_num(rc.diversity_ratio),
        within_distance=_num(rc.within_distance),
        random_distance=_num(rc.random_distance),
        hometown_mix=_num(sum(mixes) / len(mixes)) if mixes else None,
        note=rc.capacities_note,
        tables_detail=tuple(
            _table_report(t, words) for t, words in zip(rc.tables, topics, strict=True)
        ),
    )


def _explain_round(
    rc: RoundCheck,
    ground: CommonGround,
    attendees: Sequence[Attendee],
    pos: dict[str, int],
    threshold: float | None,
    out: dict[str, dict[str, SeatExplanation]],
    only: Collection[int] | None = None,
) -> list[list[str]]:
    """Topics per table and each seat's explanation into ``out``; with ``only`` (table
    indices from 0) the other tables get no topics and their seats no explanation."""
    wanted = None if only is None else set(only)
    tables = [
        [pos[m] for m in t.members] if wanted is None or t.index in wanted else []
        for t in rc.tables
    ]
    topics = ground.table_topics(tables)
    keep = (
        np.arange(len(rc.seat_attendee))
        if wanted is None
        else np.flatnonzero(np.isin(rc.seat_table, sorted(wanted)))
    )
    seats = rc.seat_attendee
    mates = rc.seat_mate
    paired = keep[mates[keep] >= 0]
    shared_of: dict[int, list[str]] = dict(
        zip(paired.tolist(), ground.shared_topics(seats[paired], mates[paired]), strict=True)
    )
    # Attendees with a profile and nothing in common with their closest mate hear what that
    # mate talks about instead.
    lonely = [s for s in paired.tolist() if not shared_of[s] and ground.has_profile(int(seats[s]))]
    mate_topics_of = dict(zip(lonely, ground.own_topics(mates[lonely]), strict=True))
    # Plain lists: this loop runs once per seat, so numpy scalar access would dominate.
    sims = np.round(rc.seat_similarity, 4).tolist()
    table_no = (rc.seat_table + 1).tolist()
    kindred = (rc.seat_similarity >= threshold).tolist() if threshold is not None else None
    seat_rows, seat_mates = seats.tolist(), mates.tolist()
    for s in keep.tolist():
        i, mate = seat_rows[s], seat_mates[s]
        alone = mate < 0
        shared = shared_of.get(s, [])
        out[attendees[i].id][rc.name] = SeatExplanation(
            table=table_no[s],
            kindred=None if alone else attendees[mate].id,
            similarity=None if alone else sims[s] + 0.0,
            is_kindred=bool(not alone and kindred is not None and kindred[s]),
            shared_topics=tuple(shared),
            why=why(
                has_profile=ground.has_profile(i),
                mate=None if alone else attendees[mate].name,
                shared=shared,
                mate_topics=mate_topics_of.get(s, ()),
            ),
        )
    return topics


def common_ground(attendees: Sequence[Attendee]) -> CommonGround:
    """Fit the text model that names topics and why lines on the attendees' profiles.

    :func:`build_report` fits exactly this; a caller that reports on the same attendees again
    (edits of a plan) may keep the result and pass it as ``ground=``. The fit reads only each
    attendee's ``name`` and ``interests``, in order.

    Example:
        >>> people = [Attendee(id="a", interests="rust"), Attendee(id="b", interests="rust")]
        >>> common_ground(people).shared_topics([0], [1])
        [['rust']]
    """
    return CommonGround().fit([a.interests for a in attendees], names=[a.name for a in attendees])


def _explain_indices(
    explain: Mapping[str, Collection[int]], rounds: Sequence[RoundCheck]
) -> dict[str, set[int]]:
    """``explain`` as table indices from 0, checked against the plan."""
    sizes = {rc.name: len(rc.tables) for rc in rounds}
    indices: dict[str, set[int]] = {}
    for name, numbers in explain.items():
        if name not in sizes:
            raise ValueError(
                f"The 'explain' parameter names round {name!r}, which the plan does not have."
            )
        bad = [n for n in numbers if isinstance(n, bool) or not 1 <= n <= sizes[name]]
        if bad:
            raise ValueError(
                f"The 'explain' parameter must give table numbers from 1 to {sizes[name]} for "
                f"round {name!r}. Got {bad[0]!r} instead."
            )
        indices[name] = {n - 1 for n in numbers}
    return indices


def build_report(
    attendees: Sequence[Attendee],
    rounds: Sequence[Round],
    seating: Seating,
    embeddings: FloatArray,
    *,
    history: History = (),
    constraints: Constraints | None = None,
    kindred_threshold: float | None = None,
    ground: CommonGround | None = None,
    explain: Mapping[str, Collection[int]] | None = None,
) -> Report:
    """Measure a plan and explain it (the JSON form, ``Report.to_dict()``, is in the module
    docstring).

    Every figure is always measured in full. Naming topics is the slow part, so a caller that
    already holds the explanations of most tables (an edit of a stored plan) passes ``explain``
    and the fitted ``ground`` to name only what changed.

    Args:
        attendees: Registered attendees; row ``i`` of ``embeddings`` is ``attendees[i]``.
        rounds: The rounds in chronological order.
        seating: The plan.
        embeddings: Profile embeddings, ``(n, d)``.
        history: Tables of earlier meals; meeting again counts as a repeated pair.
        constraints: Organizer pins, keep-apart and keep-together.
        kindred_threshold: Similarity that makes a tablemate kindred; the 0.9 quantile of all
            pairs when None.
        ground: ``common_ground(attendees)`` fitted earlier on these same attendees in this
            order (the fit only reads names and interests); fitted here when None.
        explain: Round name -> table numbers (from 1) to explain. Other tables of those
            rounds, and every table of rounds not named, get no topics and their people no
            entry in ``Report.attendees``; None explains every table.

    Returns:
        The report.

    Raises:
        ValueError: If ``ground`` was fitted on another number of attendees, or ``explain``
            names a round or table the plan does not have.

    Example:
        >>> people = [
        ...     Attendee(id="a", name="Ada", interests="pytest and packaging"),
        ...     Attendee(id="b", name="Bob", interests="packaging wheels"),
        ... ]
        >>> report = build_report(
        ...     people, [Round(name="Lunch", table_size=2)], {"Lunch": [["a", "b"]]}, np.eye(2)
        ... )
        >>> report.attendees["a"]["Lunch"].why
        'You and Bob both talk about packaging.'
    """
    check = check_plan(
        attendees,
        rounds,
        seating,
        embeddings,
        history=history,
        constraints=constraints,
        kindred_threshold=kindred_threshold,
    )
    threshold = check.kindred_threshold
    if ground is None:
        ground = common_ground(attendees)
    elif ground.matrix_.shape[0] != len(attendees):
        raise ValueError(
            f"The 'ground' parameter must be fitted on the {len(attendees)} attendees. Got one "
            f"fitted on {ground.matrix_.shape[0]} instead."
        )
    only = None if explain is None else _explain_indices(explain, check.rounds)
    pos = {a.id: i for i, a in enumerate(attendees)}
    per_attendee: dict[str, dict[str, SeatExplanation]] = {a.id: {} for a in attendees}
    hard_by_round: dict[str | None, int] = {}
    for v in check.hard:
        hard_by_round[v.round] = hard_by_round.get(v.round, 0) + 1
    round_reports = tuple(
        _round_report(
            rc,
            hard_by_round.get(rc.name, 0),
            _explain_round(
                rc,
                ground,
                attendees,
                pos,
                threshold,
                per_attendee,
                None if only is None else only.get(rc.name, ()),
            ),
        )
        for rc in check.rounds
    )
    summary = Summary(
        attendees=len(attendees),
        rounds=len(rounds),
        hard_violations=len(check.hard),
        coworker_pairs=sum(rc.coworker_pairs for rc in check.rounds),
        coworker_pairs_min=sum(rc.coworker_pairs_min for rc in check.rounds),
        party_pairs=sum(rc.party_pairs for rc in check.rounds),
        party_pairs_min=sum(rc.party_pairs_min for rc in check.rounds),
        repeated_pairs=sum(rc.repeated_pairs for rc in check.rounds),
        solo_spread_max=max((rc.solo_spread for rc in check.rounds), default=0),
        lone_outsiders=sum(rc.lone_outsiders for rc in check.rounds),
        party_without_solo=sum(rc.party_without_solo for rc in check.rounds),
        language_isolated=sum(rc.language_isolated for rc in check.rounds),
        first_timer_mix=sum(rc.first_timer_mix for rc in check.rounds),
        first_timer_mix_min=sum(rc.first_timer_mix_min for rc in check.rounds),
        no_kindred=sum(rc.no_kindred for rc in check.rounds),
        kindred_share_min=_num(_min([rc.kindred_share for rc in check.rounds])),
        diversity_ratio_min=_num(_min([rc.diversity_ratio for rc in check.rounds])),
        kindred_threshold=_num(threshold),
        repeated_pairs_min=sum(rc.repeated_pairs_min for rc in check.rounds),
    )
    return Report(
        summary=summary,
        hard=tuple(_hard_entry(v) for v in check.hard[:_MAX_HARD_LISTED]),
        rounds=round_reports,
        attendees=per_attendee,
    )


def table_view(report: Report, round_name: str, table: int) -> TableReport:
    """Return one table's detail from a report (``table`` numbered from 1).

    Raises:
        KeyError: If the round or table is not in the report.
    """
    return report.round(round_name).table(table)


def attendee_view(report: Report, attendee_id: str) -> AttendeeView:
    """Return what one attendee may see: per round their table, tablemates, topics and why.

    Tablemates are ids (the service adds names and short profiles it is allowed to show); no
    other attendee's figures are included.

    Raises:
        KeyError: If the attendee is not part of the report.

    Example:
        >>> people = [
        ...     Attendee(id="a", name="Ada", interests="rust"),
        ...     Attendee(id="b", name="Bob", interests="rust"),
        ... ]
        >>> report = build_report(
        ...     people, [Round(name="Lunch", table_size=2)], {"Lunch": [["a", "b"]]}, np.eye(2)
        ... )
        >>> view = attendee_view(report, "a")
        >>> view.rounds[0].tablemates, view.rounds[0].why
        (('b',), 'You and Bob both talk about rust.')
    """
    mine = report.attendees[attendee_id]
    rounds = []
    for rnd in report.rounds:
        seat = mine.get(rnd.name)
        if seat is None:
            continue
        table = rnd.table(seat.table)
        rounds.append(
            AttendeeRound(
                round=rnd.name,
                kind=rnd.kind,
                table=seat.table,
                tablemates=tuple(m for m in table.members if m != attendee_id),
                topics=table.topics,
                kindred=seat.kindred,
                similarity=seat.similarity,
                shared_topics=seat.shared_topics,
                why=seat.why,
            )
        )
    return AttendeeView(attendee=attendee_id, rounds=tuple(rounds))
