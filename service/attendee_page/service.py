"""The attendee's own page: their profile form, their published seats, their calendar.

Privacy is by construction: what reaches a template or the calendar is built here from plain
dataclasses, and a tablemate's dataclass only ever holds the fields that tablemate allowed.
E-mail, dietary and accessibility notes of anyone are never copied into them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matching.placeholders import is_placeholder_profile
from matching.wording import MATE_GONE, NO_PROFILE, parse_why, restate, topics_used
from service.attendee_page.visits import first_visits
from service.attendees import links
from service.attendees import service as attendee_service
from service.attendees.fields import AttendeeFields
from service.audit import service as audit
from service.db import utcnow
from service.models import (
    Assignment,
    Attendee,
    AttendeeStatus,
    Conference,
    Plan,
    PlanStatus,
    PlanTable,
    Round,
)
from service.rounds.order import round_order
from service.webhooks import events as webhook_events

# What tablemates may see, besides the name (people who share a table see each other anyway).
# Everything is visible until the attendee says otherwise: the product promises tablemates a
# short profile and a home town, and an empty card would defeat the first conversation.
VISIBLE_FIELDS: tuple[str, ...] = ("affiliation", "hometown", "interests")
INTERESTS_MAX: int = next(
    rule.max_length
    for rule in AttendeeFields.model_fields["interests"].metadata
    if hasattr(rule, "max_length")
)
PROFILE_PREVIEW_CHARS = 280
MEAL_HOURS: Mapping[str, float] = {"lunch": 1.0, "dinner": 2.5}
# Where the page's first query leaves the live plan of the attendee's conference.
_LIVE_PLANS = "attendee_page.live_plans"
_CONFERENCES = "attendee_page.conferences"
# Tokens are 32 URL-safe characters; anything much longer is not one of ours.
_MAX_TOKEN_CHARS = 128


@dataclass
class ProfileForm:
    """The profile form's values as the attendee typed them (strings, so nothing is lost)."""

    interests: str = ""
    hometown: str = ""
    languages: str = ""
    solo: bool = False
    dinner: str = "no"
    show_affiliation: bool = True
    show_hometown: bool = True
    show_interests: bool = True

    def visibility(self) -> dict[str, bool]:
        return {
            "affiliation": self.show_affiliation,
            "hometown": self.show_hometown,
            "interests": self.show_interests,
        }


@dataclass(frozen=True)
class Tablemate:
    """One person at the attendee's table, as far as that person allowed."""

    name: str
    affiliation: str | None
    hometown: str | None
    profile: str | None


@dataclass(frozen=True)
class Meal:
    """One seat of the attendee in the published plan."""

    round_id: uuid.UUID
    name: str
    kind: str
    starts_at: datetime | None  # in the conference's time zone
    when: str
    location: str
    table: int
    why: str
    topics: list[str]
    tablemates: list[Tablemate] = field(default_factory=list)


class Person(Protocol):
    """What the page reads of a person at the attendee's table: an attendee row, or a `Mate`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def affiliation(self) -> str: ...
    @property
    def hometown(self) -> str: ...
    @property
    def interests(self) -> str: ...
    @property
    def visibility(self) -> dict[str, bool]: ...
    @property
    def status(self) -> str: ...
    @property
    def erased_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Mate:
    """The columns of a tablemate the page reads (never their e-mail, notes or extra answers)."""

    id: uuid.UUID
    name: str
    affiliation: str
    hometown: str
    interests: str
    visibility: dict[str, bool]
    status: str
    erased_at: datetime | None


#: The columns a `Mate` is read from, in its fields' order.
MATE_COLUMNS = (
    Attendee.id,
    Attendee.name,
    Attendee.affiliation,
    Attendee.hometown,
    Attendee.interests,
    Attendee.visibility,
    Attendee.status,
    Attendee.erased_at,
)


def find_attendee_by_token(session: Session, *, token: str) -> Attendee | None:
    """The attendee whose current private link is ``token``; None if unknown, revoked or erased.

    The same query reads the attendee's conference and its live plan, so the page that follows
    needs no further lookups for them (`published_plan` and ``session.get`` find them in the
    session).
    """
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    stmt = (
        select(Attendee, Conference, Plan.id, Plan.published_at)
        .join(Conference, Conference.id == Attendee.conference_id)
        .outerjoin(
            Plan,
            (Plan.conference_id == Attendee.conference_id) & (Plan.status == PlanStatus.PUBLISHED),
        )
        .where(Attendee.link_token_hash == links.hash_token(token), Attendee.erased_at.is_(None))
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    attendee, conference, plan_id, published_at = row
    live = LivePlan(id=plan_id, published_at=published_at) if plan_id is not None else None
    session.info.setdefault(_LIVE_PLANS, {})[conference.id] = live
    # The session holds rows only weakly; nothing else refers to the conference, so keep it
    # here for the request's ``session.get`` to find.
    session.info.setdefault(_CONFERENCES, []).append(conference)
    return attendee


def note_first_visit(attendee: Attendee) -> None:
    """Record when the attendee first opened their page: one time, nothing about the visitor.

    Later visits see the time on the row already read and note nothing; first visits are
    written a batch at a time (see `service.attendee_page.visits`), so a page view never waits
    for a write.
    """
    if attendee.link_opened_at is None:
        first_visits.note(attendee.id)


def visibility_of(attendee: Person) -> dict[str, bool]:
    """What tablemates may see of ``attendee``; fields never set count as visible."""
    stored = attendee.visibility or {}
    return {name: bool(stored.get(name, True)) for name in VISIBLE_FIELDS}


def profile_form(attendee: Attendee) -> ProfileForm:
    """The form prefilled with what the attendee has now."""
    seen = visibility_of(attendee)
    return ProfileForm(
        interests=attendee.interests,
        hometown=attendee.hometown,
        languages=", ".join(attendee.languages),
        solo=attendee.solo,
        dinner="yes" if attendee.dinner else "no",
        show_affiliation=seen["affiliation"],
        show_hometown=seen["hometown"],
        show_interests=seen["interests"],
    )


def save_profile(
    session: Session, *, conference: Conference, attendee: Attendee, form: ProfileForm
) -> list[str]:
    """Validate and store the attendee's own answers; return the names of the fields changed.

    Raises:
        attendees.service.FieldErrors: one entry per bad field; nothing is written.
    """
    fields = attendee_service.merge_fields(
        attendee,
        external_id=attendee.external_id,
        given={
            "interests": form.interests,
            "hometown": form.hometown,
            "languages": form.languages,
            "solo": form.solo,
            "dinner": form.dinner,
        },
    )
    before = {name: getattr(attendee, name) for name in attendee_service.FIELDS}
    old_visibility = visibility_of(attendee)
    actor = f"attendee:{attendee.external_id}"
    # One event for the whole form, visibility included, so the log reads as one save.
    attendee_service.apply_fields(
        session,
        conference=conference,
        existing=attendee,
        fields=fields,
        actor=actor,
        record_audit=False,
        emit_event=False,
    )
    changed = sorted(k for k, v in before.items() if getattr(attendee, k) != v)
    first = attendee.profile_written_at is None
    if first:
        attendee.profile_written_at = utcnow()
    new_visibility = form.visibility()
    if new_visibility != old_visibility or set(attendee.visibility or {}) != set(VISIBLE_FIELDS):
        # A new dict, not an in-place edit: the JSON column only notices reassignment.
        attendee.visibility = new_visibility
        if new_visibility != old_visibility:
            changed.append("visibility")
    if changed:
        audit.record(
            session,
            actor=actor,
            action="attendee.updated",
            target_type="attendee",
            target_id=attendee.external_id,
            conference_id=conference.id,
            details={"fields": changed, "source": "attendee page"},
        )
    if changed or first:
        webhook_events.profile_written(
            session, conference=conference, attendee=attendee, changed=changed, first=first
        )
    session.flush()
    return changed


def conference_zone(conference: Conference) -> ZoneInfo:
    try:
        return ZoneInfo(conference.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def human_time(moment: datetime | None, *, zone: ZoneInfo) -> str:
    """'Wednesday 14 April 2027, 12:30 CEST' in the venue's zone."""
    if moment is None:
        return "Time to be announced"
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname() or ''}".rstrip()


def shorten(text: str, *, limit: int = PROFILE_PREVIEW_CHARS) -> str:
    """Cut ``text`` at a word boundary so it fits in ``limit`` characters, ending with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;.-") + "…"


def tablemate(person: Person) -> Tablemate:
    """What the attendee at ``person``'s table may see of ``person``."""
    seen = visibility_of(person)
    return Tablemate(
        name=person.name,
        affiliation=person.affiliation if seen["affiliation"] and person.affiliation else None,
        hometown=person.hometown if seen["hometown"] and person.hometown else None,
        profile=shorten(person.interests) if seen["interests"] and person.interests else None,
    )


def private_why(line: str, *, mate: Person | None, members: Sequence[Person]) -> str:
    """The seat's why line as the reader may see it today.

    The tablemate it is about is named as they are called now; the words are left out when
    that tablemate hides their profile ("You and Ruth both talk about packaging" tells the
    reader a word of Ruth's profile), and the line says only that they are not coming when
    they were erased or cancelled. ``mate`` is that tablemate when the seat knows them;
    otherwise (plans published before seats knew) the words stay only when nobody at the
    table hides their profile.

    Args:
        line: The stored line.
        mate: The tablemate the line is about, if the seat knows them.
        members: Everyone else seated at the table, erased and cancelled people included.
    """
    parsed = parse_why(line)
    if parsed is None:
        return line
    if mate is not None:
        if mate.erased_at is not None or mate.status == AttendeeStatus.CANCELLED:
            return MATE_GONE
        return restate(parsed, mate=mate.name, quote=visibility_of(mate)["interests"])
    present = [p for p in members if p.erased_at is None]
    if len(present) < len(members) and parsed.mate not in {p.name for p in present}:
        return MATE_GONE
    quote = len(present) == len(members) and all(visibility_of(p)["interests"] for p in present)
    return restate(parsed, mate=parsed.mate, quote=quote)


def visible_topics(
    topics: Sequence[str], *, reader: Person, members: Sequence[Person]
) -> list[str]:
    """The table's topics, less any word only a hidden or erased profile at the table holds."""
    if all(p.erased_at is None and visibility_of(p)["interests"] for p in members):
        return list(topics)
    shown = [reader.interests] + [
        p.interests for p in members if p.erased_at is None and visibility_of(p)["interests"]
    ]
    return topics_used(topics, shown)


@dataclass(frozen=True)
class LivePlan:
    """What the page needs of the published plan: not its report, which is megabytes at 2,000."""

    id: uuid.UUID
    published_at: datetime | None


def published_plan(session: Session, *, conference: Conference) -> LivePlan | None:
    """The conference's live plan: as read with the attendee, or read now."""
    known: dict[uuid.UUID, LivePlan | None] = session.info.get(_LIVE_PLANS, {})
    if conference.id in known:
        return known[conference.id]
    row = session.execute(
        select(Plan.id, Plan.published_at).where(
            Plan.conference_id == conference.id, Plan.status == PlanStatus.PUBLISHED
        )
    ).first()
    return LivePlan(id=row.id, published_at=row.published_at) if row is not None else None


def seated_meals(
    session: Session, *, conference: Conference, attendee: Attendee, plan: LivePlan
) -> list[Meal]:
    """The attendee's seats in ``plan`` (the published one), in time order."""
    # Only the attendee's own seats and tables are read: the page costs the same at 200 or
    # 20,000 people. Each seat comes with its round and its table's topics in one query.
    rows = session.execute(
        select(Round, Assignment, PlanTable.topics)
        .join(Round, Round.id == Assignment.round_id)
        .outerjoin(
            PlanTable,
            (PlanTable.plan_id == Assignment.plan_id)
            & (PlanTable.round_id == Assignment.round_id)
            & (PlanTable.number == Assignment.table_number),
        )
        .where(Assignment.plan_id == plan.id, Assignment.attendee_id == attendee.id)
        .order_by(*round_order())
    ).all()
    if not rows:
        return []
    mine = [(rnd, seat) for rnd, seat, _ in rows]
    topics = {(rnd.id, seat.table_number): list(words or []) for rnd, seat, words in rows}
    tables = set(topics)
    others: dict[tuple[uuid.UUID, int], list[Tablemate]] = {key: [] for key in tables}
    members: dict[tuple[uuid.UUID, int], list[Mate]] = {key: [] for key in tables}
    stmt = (
        select(Assignment.round_id, Assignment.table_number, *MATE_COLUMNS)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(
            # plan_id inside each branch lets the database look each table up in its index.
            or_(
                *(
                    (Assignment.plan_id == plan.id)
                    & (Assignment.round_id == r)
                    & (Assignment.table_number == n)
                    for r, n in tables
                )
            ),
            Assignment.attendee_id != attendee.id,
        )
        .order_by(Attendee.name)
    )
    for round_id, number, *columns in session.execute(stmt):
        person = Mate(*columns)
        if (round_id, number) in others:
            members[(round_id, number)].append(person)
            # Erased and cancelled people will not be at the table.
            if person.erased_at is None and person.status != AttendeeStatus.CANCELLED:
                others[(round_id, number)].append(tablemate(person))
    zone = conference_zone(conference)
    # Someone who has no profile (now) is invited to write one, whatever line was stored.
    blank = is_placeholder_profile(attendee.interests)
    return [
        Meal(
            round_id=rnd.id,
            name=rnd.name,
            kind=rnd.kind,
            starts_at=rnd.starts_at.astimezone(zone) if rnd.starts_at else None,
            when=human_time(rnd.starts_at, zone=zone),
            location=rnd.location,
            table=seat.table_number,
            why=NO_PROFILE
            if blank and seat.why
            else private_why(
                seat.why,
                mate=next(
                    (p for p in members[(rnd.id, seat.table_number)] if p.id == seat.mate_id), None
                ),
                members=members[(rnd.id, seat.table_number)],
            ),
            topics=visible_topics(
                topics.get((rnd.id, seat.table_number), []),
                reader=attendee,
                members=members[(rnd.id, seat.table_number)],
            ),
            tablemates=others[(rnd.id, seat.table_number)],
        )
        for rnd, seat in mine
    ]


def calendar(
    *, conference: Conference, attendee: Attendee, meals: Sequence[Meal], stamp: datetime | None
) -> bytes:
    """An iCalendar file with one event per seated meal that has a time.

    Event ids are stable per meal and attendee, so importing the file again after a re-plan
    updates the events instead of adding copies.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Hallway//Attendee meals//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{conference.name}: my tables")
    for meal in meals:
        if meal.starts_at is None:
            continue
        event = icalendar.Event()
        event.add("uid", f"{meal.round_id}-{attendee.id}@hallway")
        event.add("dtstamp", stamp or utcnow())
        event.add("summary", f"{meal.name} — table {meal.table}")
        # UTC times need no VTIMEZONE block; calendars show them in the reader's zone.
        start = meal.starts_at.astimezone(UTC)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(hours=MEAL_HOURS.get(meal.kind, 1.0)))
        if meal.location:
            event.add("location", meal.location)
        lines = [f"Table {meal.table}."]
        if meal.tablemates:
            lines.append("At your table: " + ", ".join(p.name for p in meal.tablemates) + ".")
        if meal.topics:
            lines.append("Common ground: " + ", ".join(meal.topics) + ".")
        if meal.why:
            lines.append(meal.why)
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical()
