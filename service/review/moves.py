"""A re-plan you can explain: who moved, from which table to which, and why.

A plan made while another plan was live (a re-plan, or a fresh run on top of a published plan)
is compared with that plan, round by round. The reason for each change is read from what
changed between the two plans' inputs: the live plan read its attendees when its run started
(``started_at``), this one when its own run started. In that window:

* people no longer seated: cancelled, marked no-show, erased, or (dinner) no longer opted in;
* people seated now and not before: registered late (created in the window), opted in to the
  dinner, or registered again;
* people at another table, the first reason that holds: a manual edit of this plan (who, when);
  a pin; a keep-together / keep-apart rule added in the window that names them; their own change
  (a field the matcher reads, from the audit log); a seat that came free at their new table
  (someone there cancelled); a late registration now at their old table ("to make room for");
  their details changed otherwise (an import); someone moved to their old table ("to make
  room"); else the engine improved the table.

The figures are compared with that plan's report, and a drop is explained by the same changes
("Kindred share fell from 71 % to 42 %: 12 of the 40 people with a profile cancelled").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AttendeeStatus, AuditEvent, Conference, Plan, Round, RoundKind, RuleKind
from service.review import service as review
from service.review.schemas import EditRef, FigureDelta, MoveOut, MovesOut
from service.review.summary import require_seated, show
from service.rules.schemas import RuleOut

CSV_COLUMNS: Final[tuple[str, ...]] = (
    "round",
    "attendee_id",
    "name",
    "from_table",
    "to_table",
    "change",
    "reason",
    "detail",
)
#: How many people a reason names.
NAMED = 3
#: Attendee fields the matcher reads: a change to one is the person's own reason to move.
MATCHED_FIELDS = {
    "interests": "profile",
    "affiliation": "company",
    "email": "e-mail (company)",
    "party": "party",
    "solo": "coming alone",
    "first_time": "first-timer",
    "hometown": "home town",
    "languages": "languages",
    "dinner": "dinner opt-in",
}
#: Why someone no longer seated left: status -> (reason code, what they did).
_LEFT: dict[str, tuple[str, str]] = {
    AttendeeStatus.CANCELLED: ("cancelled", "cancelled"),
    AttendeeStatus.NO_SHOW: ("no-show", "was marked no-show"),
    AttendeeStatus.NEEDS_DETAILS: ("needs-details", "is waiting for registration details"),
}


class _Inputs:
    """What changed between the two plans' inputs, for the reasons."""

    def __init__(
        self,
        session: Session,
        *,
        conference: Conference,
        since: datetime,
        until: datetime,
        everyone: Mapping[str, review.Person],
    ) -> None:
        self.since, self.until = since, until
        self.fields: dict[str, set[str]] = {}
        for target, details in session.execute(
            select(AuditEvent.target_id, AuditEvent.details).where(
                AuditEvent.conference_id == conference.id,
                AuditEvent.action == "attendee.updated",
                AuditEvent.created_at > since,
                AuditEvent.created_at <= until,
            )
        ):
            changed = set((details or {}).get("fields") or []) & set(MATCHED_FIELDS)
            if target and changed:
                self.fields.setdefault(str(target), set()).update(changed)
        self.rules: list[RuleOut] = [
            r for r in review.rules(session, conference=conference) if since < r.created_at <= until
        ]
        self.by_external = everyone

    def in_window(self, moment: datetime | None) -> bool:
        return moment is not None and self.since < moment <= self.until

    def rule_for(self, person: review.Person) -> str | None:
        for rule in self.rules:
            if person.external_id not in rule.attendees:
                continue
            others = [
                self.by_external[e].name
                for e in rule.attendees
                if e != person.external_id and e in self.by_external
            ]
            note = f" (“{rule.note}”)" if rule.note else ""
            verb = (
                "keep together with" if rule.kind == RuleKind.KEEP_TOGETHER else "keep apart from"
            )
            return f"A new rule: {verb} {_joined(others)}{note}."
        return None


def _joined(listed: Sequence[str]) -> str:
    if len(listed) <= 1:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"


def _some(people: Sequence[review.Person]) -> str:
    """Up to `NAMED` names, then how many more."""
    names = [p.name for p in people[:NAMED]]
    more = len(people) - NAMED
    return _joined([*names, f"{more} more"] if more > 0 else names)


def _left_reason(person: review.Person, round_: Round) -> tuple[str, str]:
    if person.erased:
        return "erased", "Their data was erased; the seat is free."
    if person.status in _LEFT:
        code, verb = _LEFT[person.status]
        return code, f"{person.name} {verb}."
    if round_.kind == RoundKind.DINNER and not person.dinner:
        return "dinner", f"{person.name} no longer joins the dinner."
    return "left", f"{person.name} is no longer seated in {round_.name}."


def _came_reason(
    person: review.Person,
    round_: Round,
    inputs: _Inputs,
    seated_before: bool,
    conference: Conference,
) -> tuple[str, str]:
    if inputs.in_window(person.created_at):
        when = review.local_time(person.created_at, conference)
        return "late-registration", f"{person.name} registered late (at {when})."
    if round_.kind == RoundKind.DINNER and seated_before:
        return "dinner", f"{person.name} opted in to the dinner."
    return "registered-again", f"{person.name} is registered again."


def _moved_reason(
    person: review.Person,
    *,
    round_: Round,
    before: int,
    after: int,
    edits: Sequence[EditRef],
    pinned: bool,
    inputs: _Inputs,
    left_at: Mapping[int, list[review.Person]],
    late_at: Mapping[int, list[review.Person]],
    arrived_at: Mapping[int, list[review.Person]],
) -> tuple[str, str]:
    edit = review.last_edit_of(edits, round_name=round_.name, external_id=person.external_id)
    if edit is not None:
        return "edit", f"{edit.message[0].upper()}{edit.message[1:]}."
    if pinned:
        return "pin", f"Pinned to table {after}."
    rule = inputs.rule_for(person)
    if rule is not None:
        return "rule", rule
    own = inputs.fields.get(person.external_id)
    if own:
        what = ", ".join(sorted(MATCHED_FIELDS[f] for f in own))
        return "own-change", f"{person.name} changed their {what}."
    if left_at.get(after):
        gone = left_at[after]
        did = "cancelled" if all(p.status == AttendeeStatus.CANCELLED for p in gone) else "left"
        return "cancellation", f"A seat came free at table {after}: {_some(gone)} {did}."
    if late_at.get(before):
        who = _some(late_at[before])
        return (
            "late-registration",
            f"To make room at table {before} for {who}, who registered late.",
        )
    if inputs.in_window(person.updated_at):
        return "own-change", f"{person.name}'s registration details changed."
    others = [p for p in arrived_at.get(before, []) if p.id != person.id]
    if others:
        who = _some(others)
        return "make-room", f"To make room at table {before} for {who}."
    return "improve", f"To improve table {after}: the engine found a better mix."


def figure_deltas(
    before: review.Figures | None,
    after: review.Figures | None,
    *,
    left: Sequence[review.Person],
    late: Sequence[review.Person],
    base_people: Sequence[review.Person],
    rules_added: int = 0,
    changed: int = 0,
) -> list[FigureDelta]:
    """Each figure of the two reports, with an explanation where the re-plan made it worse.

    Args:
        left: People seated in the earlier plan who are no longer coming.
        late: People who registered after the earlier plan was made and are seated now.
        base_people: Everyone seated in the earlier plan.
        rules_added: Rules added in between.
        changed: People who changed a field the matcher reads in between.
    """
    with_profile = [p for p in base_people if p.has_profile]
    cancelled_profile = [p for p in left if p.has_profile]
    late_blank = [p for p in late if not p.has_profile]
    general = []
    if left:
        general.append(f"{review.plural(len(left), 'person', 'people')} no longer coming")
    if late:
        general.append(f"{review.plural(len(late), 'late registration')}")
    if rules_added:
        general.append(f"{review.plural(rules_added, 'new rule')}")
    if changed:
        general.append(
            f"{review.plural(changed, 'person', 'people')} changed what the matcher reads"
        )
    out = []
    for key, label, better in review.FIGURES:
        b = before.value(key) if before is not None else None
        a = after.value(key) if after is not None else None
        worse = (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and (a > b + 1e-9 if better == "lower" else a < b - 1e-9)
        )
        explanation = None
        if worse:
            verb = "rose" if better == "lower" else "fell"
            head = f"{label} {verb} from {show(key, b)} to {show(key, a)}"
            causes = []
            if key in ("kindred_share_min", "no_kindred"):
                if cancelled_profile:
                    causes.append(
                        f"{len(cancelled_profile)} of the {len(with_profile)} people with a "
                        "profile cancelled"
                    )
                if late_blank:
                    causes.append(
                        f"{review.plural(len(late_blank), 'person', 'people')} without a profile "
                        "registered late"
                    )
            minimum = review.MINIMA.get(key, "")
            low = before.value(minimum) if before is not None else None
            high = after.value(minimum) if after is not None else None
            if isinstance(low, int) and isinstance(high, int) and high > low:
                causes.append(f"the unavoidable minimum rose from {low} to {high}")
            if key == "coworker_pairs":
                companies: dict[str, list[str]] = {}
                for p in late:
                    if p.company is not None:
                        companies.setdefault(p.affiliation or p.company, []).append(p.name)
                crowded = [f"{len(v)} from {k}" for k, v in companies.items()]
                if crowded:
                    causes.append(f"late registrations: {', '.join(crowded)}")
            if not causes:
                causes = general or ["nothing in the input changed: the search found another plan"]
            explanation = f"{head}: {'; '.join(causes)}."
        out.append(
            FigureDelta(
                figure=key,
                label=label,
                better=better,  # type: ignore[arg-type]
                before=b if isinstance(b, int | float) else None,
                after=a if isinstance(a, int | float) else None,
                worse=bool(worse),
                explanation=explanation,
            )
        )
    return out


def plan_moves(session: Session, *, conference: Conference, plan: Plan, viewer: str) -> MovesOut:
    """Who ``plan`` seats elsewhere than the plan live when it was made, and why.

    Raises:
        Conflict: the plan has no tables yet (queued, running or failed).
    """
    from service.plans import storage as plan_storage

    require_seated(plan)
    _, base_id = plan_storage.built_on(plan)
    base = session.get(Plan, base_id) if base_id is not None else None
    if base is None or base.conference_id != conference.id:
        return MovesOut(
            plan_id=plan.id,
            based_on_id=None,
            moved=0,
            seated=0,
            unseated=0,
            reasons={},
            moves=[],
            figures=[],
        )
    everyone = review.people(session, conference=conference)
    by_external = everyone
    now = review.seats(session, plan_id=plan.id)
    then = review.seats(session, plan_id=base.id)
    planned = set(plan_storage.planned_round_ids(plan)) or (set(now.tables) | set(then.tables))
    every_round = review.rounds(session, conference=conference)
    rounds = [r for r in every_round if r.id in planned]
    since = base.started_at or base.created_at
    until = plan.started_at or plan.created_at
    inputs = _Inputs(session, conference=conference, since=since, until=until, everyone=everyone)
    edits = review.plan_edits(
        session, conference=conference, plan=plan, by_external=by_external, viewer=viewer
    )
    seated_before = {a for tables in then.tables.values() for a in tables}
    moves: list[MoveOut] = []
    left_people: dict[str, review.Person] = {}
    came_people: dict[str, review.Person] = {}
    for round_ in rounds:
        b = then.tables.get(round_.id, {})
        a = now.tables.get(round_.id, {})
        left_at: dict[int, list[review.Person]] = {}
        late_at: dict[int, list[review.Person]] = {}
        arrived_at: dict[int, list[review.Person]] = {}
        entries: list[tuple[review.Person, int | None, int | None, str, str, str]] = []
        for who in b.keys() - a.keys():
            person = everyone[who]
            left_at.setdefault(b[who], []).append(person)
            left_people[who] = person
            code, detail = _left_reason(person, round_)
            entries.append((person, b[who], None, "unseated", code, detail))
        for who in a.keys() - b.keys():
            person = everyone[who]
            came_people[who] = person
            code, detail = _came_reason(person, round_, inputs, who in seated_before, conference)
            if code == "late-registration":
                late_at.setdefault(a[who], []).append(person)
            arrived_at.setdefault(a[who], []).append(person)
            entries.append((person, None, a[who], "seated", code, detail))
        moved = [who for who in a.keys() & b.keys() if a[who] != b[who]]
        for who in moved:
            arrived_at.setdefault(a[who], []).append(everyone[who])
        for who in moved:
            person = everyone[who]
            code, detail = _moved_reason(
                person,
                round_=round_,
                before=b[who],
                after=a[who],
                edits=edits,
                pinned=(round_.id, who) in now.pinned,
                inputs=inputs,
                left_at=left_at,
                late_at=late_at,
                arrived_at=arrived_at,
            )
            entries.append((person, b[who], a[who], "moved", code, detail))
        order = {"moved": 0, "seated": 1, "unseated": 2}
        entries.sort(key=lambda e: (order[e[3]], e[0].name, e[0].external_id))
        moves += [
            # Built from rows already checked: one per moved seat, thousands in a large re-plan.
            MoveOut.model_construct(
                round=round_.name,
                round_id=round_.id,
                attendee=person.ref(),
                from_table=before,
                to_table=after,
                change=change,
                reason=code,
                detail=detail,
            )
            for person, before, after, change, code, detail in entries
        ]
    reasons: dict[str, int] = {}
    for move in moves:
        reasons[move.reason] = reasons.get(move.reason, 0) + 1
    base_people = [everyone[a] for a in seated_before if a in everyone]
    return MovesOut(
        plan_id=plan.id,
        based_on_id=base.id,
        based_on_name=base.name,
        moved=sum(1 for m in moves if m.change == "moved"),
        seated=sum(1 for m in moves if m.change == "seated"),
        unseated=sum(1 for m in moves if m.change == "unseated"),
        reasons=reasons,
        moves=moves,
        figures=figure_deltas(
            review.figures_of(session, plan_id=base.id, rounds=len(every_round)),
            review.figures_of(session, plan_id=plan.id, rounds=len(every_round)),
            left=[
                p for p in left_people.values() if p.status != AttendeeStatus.REGISTERED or p.erased
            ],
            late=[p for p in came_people.values() if inputs.in_window(p.created_at)],
            base_people=base_people,
            rules_added=len(inputs.rules),
            changed=len(inputs.fields),
        ),
    )


def csv_rows(result: MovesOut) -> Iterator[dict[str, Any]]:
    """The moves as export rows (see `CSV_COLUMNS`)."""
    for move in result.moves:
        yield {
            "round": move.round,
            "attendee_id": move.attendee.external_id,
            "name": move.attendee.name,
            "from_table": move.from_table,
            "to_table": move.to_table,
            "change": move.change,
            "reason": move.reason,
            "detail": move.detail,
        }
