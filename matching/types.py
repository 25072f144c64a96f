"""Plain data the matching library works on: attendees, rounds and organizer constraints.

These are deliberately free of any web or database type so the library can be used on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

RoundKind = Literal["lunch", "dinner"]


@dataclass(frozen=True, slots=True)
class Attendee:
    """One person to be seated.

    Args:
        id: The registration system's id; unique within a conference.
        name: Display name.
        email: Used only to infer the employer when ``affiliation`` is empty.
        affiliation: Company or institution, as typed (normalised by the engine).
        interests: Free-text interest profile; may be empty.
        hometown: Where the person is from; tables mix home towns.
        languages: Languages the person speaks; empty means "not given".
        solo: Came alone.
        party: Label shared by people who came together (friends or team).
        dinner: Opted in to dinners.
        first_time: First time at this conference.

    Example:
        >>> Attendee(id="a1", name="Ada", affiliation="Analytical Engines Ltd", solo=True)
        Attendee(id='a1', name='Ada', ...)
    """

    id: str
    name: str = ""
    email: str = ""
    affiliation: str = ""
    interests: str = ""
    hometown: str = ""
    languages: tuple[str, ...] = ()
    solo: bool = False
    party: str | None = None
    dinner: bool = False
    first_time: bool = False


@dataclass(frozen=True, slots=True)
class Round:
    """One meal to plan.

    Give either ``table_size`` (tables as equal as possible, sizes differing by at most one) or
    an explicit list of ``capacities``.

    Example:
        >>> Round(name="Lunch 1", kind="lunch", table_size=10)
        Round(name='Lunch 1', kind='lunch', table_size=10, capacities=None)
        >>> Round(name="Dinner 1", kind="dinner", capacities=(6, 6, 8))
        Round(name='Dinner 1', kind='dinner', table_size=None, capacities=(6, 6, 8))
    """

    name: str
    kind: RoundKind = "lunch"
    table_size: int | None = None
    capacities: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Pin:
    """An organizer's pin: this attendee sits at this table (0-based index) in this round."""

    attendee_id: str
    round_name: str
    table: int


@dataclass(frozen=True, slots=True)
class Constraints:
    """Organizer constraints that are hard rules.

    Args:
        pins: Attendees fixed to a table in a round.
        keep_apart: Pairs of attendee ids that must never share a table.
        keep_together: Sets of attendee ids that must always share a table (an interpreter,
            a companion) in every round they are all eligible for.
    """

    pins: Sequence[Pin] = ()
    keep_apart: Sequence[tuple[str, str]] = ()
    keep_together: Sequence[Sequence[str]] = field(default_factory=tuple)


#: A plan's seating: round name -> tables (in table order) -> attendee ids at that table.
Seating = dict[str, list[list[str]]]

#: Earlier meals, e.g. rounds already published: each entry is the ids of one table's members.
History = Sequence[Sequence[str]]
