"""Erasure in plans: a person about to be erased is taken out of every plan's words and map."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Sequence

from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.orm import Session

from matching.report import Report
from matching.wording import MATE_GONE, topics_used
from service.models import Assignment, Attendee, Conference, Plan, PlanTable, Round
from service.plans.storage import stored_report


def forget_attendee(
    session: Session, *, conference: Conference, attendee: Attendee, erased_ref: str
) -> None:
    """Take a person about to be erased out of every plan's words.

    Their own why lines are emptied; their tablemates' lines about them say only that their
    closest match is no longer coming; table topics keep only words the other members use;
    every stored report loses their entry and names their seats ``erased_ref``. Seats
    themselves are left to the caller.
    """
    external_id = attendee.external_id
    mentions = or_(
        cast(Plan.report, Text).contains(json.dumps(external_id), autoescape=True),
        Plan.error.contains(repr(external_id), autoescape=True),
        Plan.id.in_(
            select(Assignment.plan_id).where(
                or_(Assignment.attendee_id == attendee.id, Assignment.mate_id == attendee.id)
            )
        ),
    )
    names = {
        r.id: r.name
        for r in session.scalars(select(Round).where(Round.conference_id == conference.id))
    }
    said = re.compile(rf"(?<!\w){re.escape(attendee.name)}(?!\w)") if attendee.name else None
    for plan in session.scalars(
        select(Plan).where(Plan.conference_id == conference.id, mentions)
    ).all():
        report = stored_report(plan)
        people = report.attendees if report is not None else {}
        tables = {
            (round_id, number)
            for round_id, number in session.execute(
                select(Assignment.round_id, Assignment.table_number).where(
                    Assignment.plan_id == plan.id, Assignment.attendee_id == attendee.id
                )
            )
        }
        at_tables = [
            and_(Assignment.round_id == r, Assignment.table_number == n) for r, n in tables
        ]
        profiles: dict[tuple[uuid.UUID, int], list[str]] = {key: [] for key in tables}
        for seat, person in session.execute(
            select(Assignment, Attendee)
            .join(Attendee, Attendee.id == Assignment.attendee_id)
            .where(
                Assignment.plan_id == plan.id,
                or_(Assignment.mate_id == attendee.id, *at_tables),
            )
        ):
            if person.id == attendee.id:
                seat.why, seat.mate_id = "", None
                continue
            profiles.setdefault((seat.round_id, seat.table_number), []).append(person.interests)
            entry = people.get(person.external_id, {}).get(names.get(seat.round_id, ""))
            if (
                seat.mate_id == attendee.id
                or (entry is not None and entry.kindred == external_id)
                or (said is not None and said.search(seat.why or ""))
            ):
                seat.why, seat.mate_id = MATE_GONE, None
        if at_tables:
            for table in session.scalars(
                select(PlanTable).where(
                    PlanTable.plan_id == plan.id,
                    or_(*(and_(PlanTable.round_id == r, PlanTable.number == n) for r, n in tables)),
                )
            ):
                table.topics = _topics_without(
                    table.topics, profiles.get((table.round_id, table.number), [])
                )
        if plan.report and report is None:
            plan.report = None  # unreadable, so it cannot be cleaned: nothing of theirs stays
        elif report is not None:
            plan.report = _report_without(
                session,
                conference=conference,
                report=report,
                external_id=external_id,
                erased_ref=erased_ref,
            ).to_dict()
        if plan.review_map and any(external_id in points for points in plan.review_map.values()):
            plan.review_map = {
                round_id: {p: xy for p, xy in points.items() if p != external_id}
                for round_id, points in plan.review_map.items()
            }
        if plan.error:
            plan.error = _without_id(plan.error, external_id, erased_ref)


def _topics_without(topics: Sequence[str] | None, profiles: Sequence[str]) -> list[str]:
    return topics_used(list(topics or []), profiles)


def _without_id(text: str, external_id: str, erased_ref: str) -> str:
    """``text`` with the quoted id (as messages quote it) replaced by ``erased_ref``."""
    for quote in (repr, json.dumps):
        text = text.replace(quote(external_id), quote(erased_ref))
    return text


def _report_without(
    session: Session,
    *,
    conference: Conference,
    report: Report,
    external_id: str,
    erased_ref: str,
) -> Report:
    """A copy of a stored report with nothing left of one person (see ``forget_attendee``)."""
    people = {
        person: {
            name: (
                dataclasses.replace(seat, kindred=None, shared_topics=(), why=MATE_GONE)
                if seat.kindred == external_id
                else seat
            )
            for name, seat in seats_of.items()
        }
        for person, seats_of in report.attendees.items()
        if person != external_id
    }
    others = {
        m
        for entry in report.rounds
        for d in entry.tables_detail
        if external_id in d.members
        for m in d.members
    } - {external_id}
    interests: dict[str, str] = {}
    if others:
        interests = {
            person: text
            for person, text in session.execute(
                select(Attendee.external_id, Attendee.interests).where(
                    Attendee.conference_id == conference.id,
                    Attendee.external_id.in_(sorted(others)),
                )
            )
        }
    rounds = tuple(
        dataclasses.replace(
            entry,
            tables_detail=tuple(
                dataclasses.replace(
                    d,
                    members=tuple(erased_ref if m == external_id else m for m in d.members),
                    topics=tuple(
                        _topics_without(
                            d.topics, [interests.get(m, "") for m in d.members if m != external_id]
                        )
                    ),
                )
                if external_id in d.members
                else d
                for d in entry.tables_detail
            ),
        )
        for entry in report.rounds
    )
    hard = tuple(
        dataclasses.replace(
            v,
            attendees=tuple(erased_ref if a == external_id else a for a in v.attendees),
            message=_without_id(v.message, external_id, erased_ref),
        )
        for v in report.hard
    )
    return dataclasses.replace(report, attendees=people, rounds=rounds, hard=hard)
