"""Seating rules: create, list, delete, and hand them to the matcher as constraints."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from matching.types import Constraints, Pin
from service.audit import service as audit
from service.errors import Conflict, Invalid, NotFound
from service.models import (
    Attendee,
    AttendeeStatus,
    Conference,
    Round,
    RoundKind,
    RuleKind,
    SeatingRule,
    SeatingRuleMember,
)
from service.rounds.order import round_order
from service.rules.schemas import RuleIn, RuleOut


def rule_out(rule: SeatingRule, external_ids: dict[uuid.UUID, str]) -> RuleOut:
    return RuleOut(
        id=rule.id,
        kind=rule.kind,  # type: ignore[arg-type]
        attendees=[external_ids[m.attendee_id] for m in rule.members],
        note=rule.note,
        created_at=rule.created_at,
    )


def list_rules(session: Session, *, conference: Conference) -> list[RuleOut]:
    """Every rule of the conference, oldest first, with its attendees' external ids."""
    rules = session.scalars(
        select(SeatingRule)
        .where(SeatingRule.conference_id == conference.id)
        .options(selectinload(SeatingRule.members))
        .order_by(SeatingRule.created_at, SeatingRule.id)
    ).all()
    ids = {m.attendee_id for r in rules for m in r.members}
    rows = session.execute(select(Attendee.id, Attendee.external_id).where(Attendee.id.in_(ids)))
    external = {attendee_id: external_id for attendee_id, external_id in rows}
    return [rule_out(r, external) for r in rules]


def create_rule(session: Session, *, conference: Conference, data: RuleIn, actor: str) -> RuleOut:
    """Add a rule after checking its attendees exist and it contradicts no other rule.

    Raises:
        Invalid: an attendee is unknown, erased or named twice (the pointer names which).
        Conflict: a keep-apart pair that a keep-together rule joins, or the other way round;
            or a rule no round can hold as the rounds stand (more people to keep together
            than a table seats, more to keep apart than a round has tables).
    """
    people: list[Attendee] = []
    for index, external_id in enumerate(data.attendees):
        pointer = f"#/body/attendees/{index}"
        if external_id in data.attendees[:index]:
            raise Invalid(
                f"'{external_id}' is named twice.",
                errors=[{"pointer": pointer, "detail": "named twice"}],
            )
        person = session.scalar(
            select(Attendee).where(
                Attendee.conference_id == conference.id,
                Attendee.external_id == external_id,
                Attendee.erased_at.is_(None),
            )
        )
        if person is None:
            raise Invalid(
                f"There is no attendee '{external_id}' in this conference.",
                errors=[{"pointer": pointer, "detail": "unknown attendee"}],
            )
        people.append(person)
    _check_contradictions(session, conference=conference, kind=data.kind, people=people)
    _check_fits(session, conference=conference, kind=data.kind, people=people)
    rule = SeatingRule(conference_id=conference.id, kind=data.kind, note=data.note)
    rule.members = [SeatingRuleMember(attendee_id=p.id, position=i) for i, p in enumerate(people)]
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rule.created",
        target_type="seating_rule",
        target_id=rule.id,
        conference_id=conference.id,
        details={"kind": data.kind, "attendees": list(data.attendees)},
    )
    return rule_out(rule, {p.id: p.external_id for p in people})


def _check_contradictions(
    session: Session, *, conference: Conference, kind: str, people: list[Attendee]
) -> None:
    ids = {p.id for p in people}
    names = {p.id: p.external_id for p in people}
    others = session.scalars(
        select(SeatingRule)
        .where(SeatingRule.conference_id == conference.id, SeatingRule.kind != kind)
        .options(selectinload(SeatingRule.members))
    ).all()
    for other in others:
        shared = [m.attendee_id for m in other.members if m.attendee_id in ids]
        if len(shared) >= 2:
            a, b = (names[x] for x in shared[:2])
            wanted = "apart" if kind == RuleKind.KEEP_APART else "together"
            raise Conflict(
                f"'{a}' and '{b}' cannot be kept {wanted}: rule {other.id} keeps them "
                f"{'together' if wanted == 'apart' else 'apart'}. Delete that rule first."
            )


def _check_fits(
    session: Session, *, conference: Conference, kind: str, people: list[Attendee]
) -> None:
    """Refuse now a rule that the conference's rounds, as they stand, can never hold.

    A keep-together rule binds in a round only where all its people are seated (a dinner seats
    those who opted in); a keep-apart rule binds those of its people a round seats.
    """
    rounds = session.scalars(
        select(Round).where(Round.conference_id == conference.id).order_by(*round_order())
    ).all()
    registered = [p for p in people if p.status == AttendeeStatus.REGISTERED]
    seated_now = {"lunch": 0, "dinner": 0}
    if kind == RuleKind.KEEP_APART:
        total, diners = session.execute(
            select(func.count(), func.count().filter(Attendee.dinner.is_(True))).where(
                Attendee.conference_id == conference.id,
                Attendee.status == AttendeeStatus.REGISTERED,
                Attendee.erased_at.is_(None),
            )
        ).one()
        seated_now = {"lunch": total, "dinner": diners}
    for row in rounds:
        dinner = row.kind == RoundKind.DINNER
        seated = [p for p in registered if p.dinner or not dinner]
        if kind == RuleKind.KEEP_TOGETHER:
            seats = row.table_size or max(row.capacities or [0])
            if len(seated) == len(registered) and len(seated) > seats:
                raise Conflict(
                    f"{len(seated)} people cannot share a table in round '{row.name}': its "
                    f"tables seat at most {seats}."
                )
            continue
        if row.capacities is not None:
            n_tables = len(row.capacities)
        else:
            n_seated = seated_now["dinner" if dinner else "lunch"]
            n_tables = -(-n_seated // (row.table_size or 1))
        if len(seated) > n_tables:
            raise Conflict(
                f"{len(seated)} people cannot all sit at different tables in round "
                f"'{row.name}': it has {n_tables} tables for the attendees registered now."
            )


def delete_rule(
    session: Session, *, conference: Conference, rule_id: uuid.UUID, actor: str
) -> None:
    rule = session.get(SeatingRule, rule_id)
    if rule is None or rule.conference_id != conference.id:
        raise NotFound(f"There is no seating rule {rule_id} in this conference.")
    session.delete(rule)
    audit.record(
        session,
        actor=actor,
        action="rule.deleted",
        target_type="seating_rule",
        target_id=rule_id,
        conference_id=conference.id,
        details={"kind": rule.kind},
    )


def forget_attendee(session: Session, *, attendee: Attendee) -> None:
    """Take an erased attendee out of every rule; rules left with one person go."""
    rule_ids = session.scalars(
        select(SeatingRuleMember.rule_id).where(SeatingRuleMember.attendee_id == attendee.id)
    ).all()
    if not rule_ids:
        return
    session.execute(delete(SeatingRuleMember).where(SeatingRuleMember.attendee_id == attendee.id))
    lonely = session.scalars(
        select(SeatingRuleMember.rule_id)
        .where(SeatingRuleMember.rule_id.in_(rule_ids))
        .group_by(SeatingRuleMember.rule_id)
        .having(func.count() >= 2)
    ).all()
    session.execute(delete(SeatingRule).where(SeatingRule.id.in_(set(rule_ids) - set(lonely))))


def constraints(
    session: Session, *, conference_id: uuid.UUID, pins: list[Pin] | tuple[Pin, ...] = ()
) -> Constraints:
    """The conference's rules (and ``pins``) as the matcher's constraints, by external id.

    Keep-apart sets become every pair of the set. Attendees who are not registered (cancelled,
    no-show, erased) are left out: they are seated nowhere.
    """
    rows = session.execute(
        select(SeatingRule.id, SeatingRule.kind, Attendee.external_id)
        .join(SeatingRuleMember, SeatingRuleMember.rule_id == SeatingRule.id)
        .join(Attendee, Attendee.id == SeatingRuleMember.attendee_id)
        .where(
            SeatingRule.conference_id == conference_id,
            Attendee.status == AttendeeStatus.REGISTERED,
            Attendee.erased_at.is_(None),
        )
        .order_by(SeatingRule.created_at, SeatingRule.id, SeatingRuleMember.position)
    ).all()
    groups: dict[uuid.UUID, tuple[str, list[str]]] = {}
    for rule_id, kind, external_id in rows:
        groups.setdefault(rule_id, (kind, []))[1].append(external_id)
    apart: list[tuple[str, str]] = []
    together: list[list[str]] = []
    for kind, people in groups.values():
        if len(people) < 2:
            continue
        if kind == RuleKind.KEEP_APART:
            apart.extend(itertools.combinations(people, 2))
        else:
            together.append(people)
    return Constraints(pins=tuple(pins), keep_apart=apart, keep_together=together)
