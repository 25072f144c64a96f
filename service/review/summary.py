"""The publish summary: a plan against the engine's own result, before it goes live.

What manual edits made worse (and who made them), what the organizer's own keep-together rules
force (reported as such and taken out of the plan's co-worker, party and repeated pairs), rounds
that are empty, under-filled or out of date, people without a profile, and the instant checks.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.types import Pin
from service.errors import Conflict
from service.models import (
    AttendeeStatus,
    Conference,
    Plan,
    PlanStatus,
    PlanTable,
    Round,
    RoundKind,
    RuleKind,
)
from service.review import service as review
from service.review.schemas import (
    EditRef,
    FigureOut,
    ForcedOut,
    PairOut,
    PersonRef,
    ProfileGap,
    RoundFill,
    SummaryOut,
    Warning,
    WorseOut,
)
from service.rounds import service as round_service
from service.rules.schemas import RuleOut

#: Plans that have tables to review.
SEATED_STATUSES = (PlanStatus.READY, PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED)
#: How many pairs or edits a message names before it says "and N more".
NAMED_IN_MESSAGE = 3
PAIR_PROBLEMS = {
    "coworker_pairs": "coworker-pair",
    "party_pairs": "party-pair",
    "repeated_pairs": "repeated-pair",
}


@dataclass(frozen=True, slots=True)
class Pair:
    """Two people sharing a table that a soft rule counts against the plan."""

    figure: str  # coworker_pairs, party_pairs or repeated_pairs
    round: Round
    table: int
    a: review.Person
    b: review.Person
    met_at: str | None = None  # repeated pairs: the earlier round


def require_seated(plan: Plan) -> None:
    """Raise Conflict unless the plan has tables (ready, published or superseded)."""
    if plan.status not in SEATED_STATUSES:
        raise Conflict(
            f"Plan '{plan.name or plan.id}' is {plan.status}: it has no tables to review yet "
            "(a failed plan never will; poll the plan until it is ready)."
        )


def pct(value: float | None) -> str:
    return "unknown" if value is None else f"{round(value * 100)} %"


def show(figure: str, value: float | None) -> str:
    if value is None:
        return "unknown"
    if figure == "kindred_share_min":
        return pct(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _worse(better: str, engine: float | None, now: float | None) -> bool:
    if engine is None or now is None:
        return False
    return now > engine + 1e-9 if better == "lower" else now < engine - 1e-9


def _pairs(
    rounds: Sequence[Round],
    planned: set[uuid.UUID],
    seats: review.Seats,
    everyone: Mapping[str, review.Person],
) -> list[Pair]:
    """Every co-worker, party and repeated pair at a table of the planned rounds.

    Rounds the plan carries over from the published plan count as meals already held: pairs
    met there are repeats when they meet again, as the engine counts them. Pairs are keyed by
    small integers, so 2,000 people in four rounds take milliseconds.
    """
    index = {external_id: k for k, external_id in enumerate(everyone)}
    people = list(everyone.values())
    width = len(people) + 1
    order = [r for r in rounds if r.id not in planned] + [r for r in rounds if r.id in planned]
    seen: dict[int, str] = {}
    found: list[Pair] = []
    for round_ in order:
        tables = seats.at(round_.id)
        party_size: dict[str, int] = {}
        for members in tables.values():
            for m in members:
                party = everyone[m].party if m in everyone else None
                if party:
                    party_size[party] = party_size.get(party, 0) + 1
        met: list[int] = []
        for table, members in sorted(tables.items()):
            ks = sorted(index[m] for m in members if m in index)
            keys = [i * width + j for i, j in itertools.combinations(ks, 2)]
            met += keys
            if round_.id not in planned:
                continue
            for i, j in itertools.combinations(ks, 2):
                a, b = people[i], people[j]
                if a.company is not None and a.company == b.company:
                    found.append(Pair("coworker_pairs", round_, table, *_by_name(a, b)))
                # At dinner a party of two may sit together (product rule, soft rule 1).
                pair_of_two = (
                    round_.kind == RoundKind.DINNER and party_size.get(a.party or "", 0) == 2
                )
                if a.party is not None and a.party == b.party and not pair_of_two:
                    found.append(Pair("party_pairs", round_, table, *_by_name(a, b)))
            for key in keys:
                if key in seen:
                    a, b = people[key // width], people[key % width]
                    found.append(
                        Pair("repeated_pairs", round_, table, *_by_name(a, b), met_at=seen[key])
                    )
        for key in met:
            seen.setdefault(key, round_.name)
    return found


def _by_name(a: review.Person, b: review.Person) -> tuple[review.Person, review.Person]:
    return (a, b) if (a.name, a.external_id) <= (b.name, b.external_id) else (b, a)


def _forced(
    pairs: Sequence[Pair], rules: Sequence[RuleOut], by_external: Mapping[str, review.Person]
) -> tuple[list[ForcedOut], set[Pair]]:
    """The pairs a keep-together rule forces, as findings and as the set to leave uncounted."""
    groups = []
    for rule in (r for r in rules if r.kind == RuleKind.KEEP_TOGETHER):
        members = {by_external[e].id for e in rule.attendees if e in by_external}
        groups.append((rule, members))
    out: list[ForcedOut] = []
    forced: set[Pair] = set()
    for pair in pairs:
        for rule, members in groups:
            if pair.a.id in members and pair.b.id in members:
                forced.add(pair)
                why = f" (“{rule.note}”)" if rule.note else ""
                problem = PAIR_PROBLEMS[pair.figure]
                what = {
                    "coworker-pair": f"work at {pair.a.affiliation or 'one company'}",
                    "party-pair": "came together",
                    "repeated-pair": f"met before at {pair.met_at}",
                }[problem]
                out.append(
                    ForcedOut(
                        problem=problem,  # type: ignore[arg-type]
                        rule_id=rule.id,
                        note=rule.note,
                        round=pair.round.name,
                        table=pair.table,
                        people=[pair.a.ref(), pair.b.ref()],
                        message=f"{pair.a.name} and {pair.b.name} {what} and share table "
                        f"{pair.table} at {pair.round.name}: your keep-together rule{why} "
                        "seats them together, so it is not counted against the plan.",
                    )
                )
                break
    return out, forced


def _pair_out(pair: Pair, edits: Sequence[EditRef]) -> PairOut:
    """The pair with the manual edit that seated them together, if one did.

    After the later of the two people's last edits in the round neither moved again, so that
    edit brought one of them to the table where the other already sat.
    """
    last = [
        e
        for e in (
            review.last_edit_of(edits, round_name=pair.round.name, external_id=p.external_id)
            for p in (pair.a, pair.b)
        )
        if e is not None
    ]
    edit = max(last, key=lambda e: e.at) if last else None
    if pair.figure == "coworker_pairs":
        what = f"{pair.a.name} and {pair.b.name} ({pair.a.affiliation or 'one company'}) now share"
    elif pair.figure == "party_pairs":
        what = f"{pair.a.name} and {pair.b.name} (party {pair.a.party}) now share"
    else:
        what = f"{pair.a.name} and {pair.b.name} (met at {pair.met_at}) share"
    message = f"{what} table {pair.table} at {pair.round.name}"
    if edit is not None:
        message += f", {edit.message}"
    return PairOut(
        round=pair.round.name,
        table=pair.table,
        people=[pair.a.ref(), pair.b.ref()],
        company=pair.a.affiliation or None if pair.figure == "coworker_pairs" else None,
        edit=edit,
        message=message,
    )


def _listed(messages: Sequence[str]) -> str:
    shown = "; ".join(messages[:NAMED_IN_MESSAGE])
    more = len(messages) - NAMED_IN_MESSAGE
    return f"{shown}; and {more} more" if more > 0 else shown


def _worse_entries(
    figures: Sequence[FigureOut],
    *,
    engine: review.Figures | None,
    report: review.Figures | None,
    pairs: Sequence[Pair],
    forced: set[Pair],
    edits: Sequence[EditRef],
) -> list[WorseOut]:
    out = []
    for fig in figures:
        if not fig.worse:
            continue
        head = f"{fig.label} {show(fig.figure, fig.engine)} → {show(fig.figure, fig.now)}"
        if fig.figure in PAIR_PROBLEMS:
            made = [
                _pair_out(p, edits) for p in pairs if p.figure == fig.figure and p not in forced
            ]
            made = [p for p in made if p.edit is not None]
            used = {id(p.edit) for p in made}
            out.append(
                WorseOut(
                    figure=fig.figure,
                    label=fig.label,
                    engine=fig.engine,
                    now=fig.now,
                    message=f"{head}: {_listed([p.message for p in made])}"
                    if made
                    else f"{head} after {review.plural(len(edits), 'manual edit')}",
                    pairs=made,
                    edits=[e for e in edits if id(e) in used],
                )
            )
            continue
        before = engine.by_round(fig.figure) if engine is not None else {}
        after = report.by_round(fig.figure) if report is not None else {}
        rounds = [
            name for name, value in after.items() if _worse(fig.better, before.get(name), value)
        ]
        touched = [e for e in edits if e.round in rounds] or list(edits)
        where = f" at {', '.join(rounds)}" if rounds else ""
        lines = [f"{review.names(e.people)} {e.message}" for e in touched]
        out.append(
            WorseOut(
                figure=fig.figure,
                label=fig.label,
                engine=fig.engine,
                now=fig.now,
                message=f"{head}{where} after manual edits: {_listed(lines)}"
                if lines
                else f"{head}{where}",
                edits=touched,
            )
        )
    return out


def _fill(
    session: Session,
    *,
    plan: Plan,
    rounds: Sequence[Round],
    seats: review.Seats,
    everyone: Mapping[str, review.Person],
    planned: set[uuid.UUID],
) -> list[RoundFill]:
    capacities: dict[uuid.UUID, dict[int, int]] = {}
    for round_id, number, capacity in session.execute(
        select(PlanTable.round_id, PlanTable.number, PlanTable.capacity).where(
            PlanTable.plan_id == plan.id
        )
    ):
        capacities.setdefault(round_id, {})[number] = capacity
    registered = [
        p for p in everyone.values() if p.status == AttendeeStatus.REGISTERED and not p.erased
    ]
    out = []
    for round_ in rounds:
        tables = seats.at(round_.id)
        caps = capacities.get(round_.id, {})
        seated = sum(len(m) for m in tables.values())
        total = sum(caps.values())
        dinner = round_.kind == RoundKind.DINNER
        if round_.id not in planned and round_.id not in capacities:
            out.append(
                RoundFill(
                    round=round_.name,
                    round_id=round_.id,
                    kind=round_.kind,
                    status="not-planned",
                    seated=0,
                    seats=0,
                    message=f"{round_.name} is not in this plan (it was added after the plan was "
                    "made): start a new plan or a re-plan to seat it.",
                )
            )
            continue
        if seated == 0:
            why = "nobody has opted in to the dinner" if dinner else "nobody is registered"
            out.append(
                RoundFill(
                    round=round_.name,
                    round_id=round_.id,
                    kind=round_.kind,
                    status="empty",
                    seated=0,
                    seats=total,
                    message=f"{round_.name} is empty: {why}; it is published with no tables.",
                )
            )
            continue
        sparse = [
            n
            for n, cap in sorted(caps.items())
            if (size := len(tables.get(n, []))) > 0 and (size * 2 < cap or size == 1)
        ]
        here = set(seats.tables.get(round_.id, {}))
        missing = sorted(
            (p for p in registered if p.external_id not in here and (p.dinner or not dinner)),
            key=lambda p: p.name,
        )
        gone = sorted(
            (
                everyone[a]
                for a in here
                if a in everyone and everyone[a].status != AttendeeStatus.REGISTERED
            ),
            key=lambda p: p.name,
        )
        if not (sparse or missing or gone):
            continue
        parts = []
        if sparse:
            parts.append(
                ", ".join(
                    f"table {n} has {len(tables.get(n, []))} of {caps[n]} seats filled"
                    for n in sparse
                )
            )
        if missing:
            parts.append(
                f"{review.plural(len(missing), 'person', 'people')} registered"
                f"{' for the dinner' if dinner else ''} but not seated "
                f"({_names_short(p.ref() for p in missing)}): re-plan to seat them"
            )
        if gone:
            parts.append(
                f"{review.plural(len(gone), 'seated person', 'seated people')} no longer "
                f"coming ({_names_short(p.ref() for p in gone)})"
            )
        out.append(
            RoundFill(
                round=round_.name,
                round_id=round_.id,
                kind=round_.kind,
                status="under-filled" if sparse else "out-of-date",
                seated=seated,
                seats=total,
                tables=sparse,
                missing=[p.ref() for p in missing],
                gone=[p.ref() for p in gone],
                message=f"{round_.name}: {'; '.join(parts)}.",
            )
        )
    return out


def _names_short(refs: Iterable[PersonRef], limit: int = 5) -> str:
    listed = list(refs)
    if len(listed) <= limit:
        return review.names(listed)
    return f"{', '.join(r.name for r in listed[:limit])} and {len(listed) - limit} more"


def publish_summary(
    session: Session, *, conference: Conference, plan: Plan, viewer: str
) -> SummaryOut:
    """The summary the organizer confirms when publishing ``plan``.

    Args:
        viewer: The audit actor of the caller: their own edits read "by you".

    Raises:
        Conflict: the plan has no tables yet (queued, running or failed).
    """
    from service.plans import storage as plan_storage

    require_seated(plan)
    everyone = review.people(session, conference=conference)
    by_external = everyone
    rounds = review.rounds(session, conference=conference)
    seats = review.seats(session, plan_id=plan.id)
    planned = set(plan_storage.planned_round_ids(plan)) or set(seats.tables)
    report = review.figures_of(session, plan_id=plan.id, rounds=len(rounds))
    edits = review.plan_edits(
        session, conference=conference, plan=plan, by_external=by_external, viewer=viewer
    )
    moves = [e for e in edits if e.op in ("move", "swap")]
    stored = (plan.params or {}).get(review.ENGINE_KEY)
    # Unedited, the plan is the engine's own result; edited, only what was kept can tell.
    engine = review.Figures.from_dict(stored) if isinstance(stored, Mapping) else None
    if engine is None and not moves:
        engine = report

    pairs = _pairs(rounds, planned, seats, everyone)
    rules = review.rules(session, conference=conference)
    forced_out, forced = _forced(pairs, rules, by_external)
    forced_by_figure = {f: sum(1 for p in forced if p.figure == f) for f in PAIR_PROBLEMS}

    figures = []
    for key, label, better in review.FIGURES:
        taken = forced_by_figure.get(key, 0)

        def value(source: review.Figures | None, key: str = key, taken: int = taken) -> Any:
            raw = source.value(key) if source is not None else None
            return raw - taken if isinstance(raw, int) else raw

        figure_now, figure_engine = value(report), value(engine)
        minimum = report.value(review.MINIMA[key]) if report and key in review.MINIMA else None
        figures.append(
            FigureOut(
                figure=key,
                label=label,
                better=better,  # type: ignore[arg-type]
                engine=figure_engine,
                now=figure_now,
                forced=taken,
                minimum=minimum,
                worse=_worse(better, figure_engine, figure_now),
            )
        )
    worse = _worse_entries(
        figures, engine=engine, report=report, pairs=pairs, forced=forced, edits=edits
    )
    fills = _fill(
        session, plan=plan, rounds=rounds, seats=seats, everyone=everyone, planned=planned
    )

    seated_ids = {a for r in planned for a in seats.tables.get(r, {})}
    blank = sorted(
        (
            everyone[a]
            for a in seated_ids
            if a in everyone
            and everyone[a].status == AttendeeStatus.REGISTERED
            and not everyone[a].erased
            if not everyone[a].has_profile
        ),
        key=lambda p: p.name,
    )
    without = ProfileGap(count=len(blank), people=[p.ref() for p in blank])

    planned_rounds = [r for r in rounds if r.id in planned]
    names = {r.id: r.name for r in planned_rounds}
    pins = [
        Pin(attendee_id=a, round_name=names[r], table=seats.tables[r][a] - 1)
        for r, a in seats.pinned
        if r in names and a in everyone and everyone[a].status == AttendeeStatus.REGISTERED
    ]
    checks = round_service.check_rounds(
        session, conference=conference, rounds=planned_rounds, pins=pins
    )
    warnings = [
        Warning(
            **round_service.check_out(f).model_dump(),
            people=[
                by_external[i].ref()
                if i in by_external
                else PersonRef(external_id=i, name=review.FORMER_ATTENDEE)
                for i in f.attendees
            ],
        )
        for f in [*checks.errors, *checks.warnings]
    ]

    messages = [w.message for w in worse]
    if engine is None and moves:
        messages.append(
            f"This plan has {review.plural(len(moves), 'manual edit')} and the engine's own "
            "figures were not kept for it, so what the edits changed cannot be compared."
        )
    messages += [f.message for f in fills]
    if blank:
        messages.append(
            f"{review.plural(len(blank), 'seated person has', 'seated people have')} no "
            f"profile: {_names_short(p.ref() for p in blank)}."
        )
    messages += [f.message for f in forced_out]
    messages += [w.detail for w in warnings]
    return SummaryOut(
        plan_id=plan.id,
        name=plan.name,
        status=PlanStatus(plan.status),
        version=plan.version,
        engine_kept=engine is not None,
        edits=edits,
        figures=figures,
        worse=worse,
        forced=forced_out,
        rounds=fills,
        without_profile=without,
        warnings=warnings,
        messages=messages,
    )
