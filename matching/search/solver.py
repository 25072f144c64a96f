"""The seating search: every round seated in turn, then the rounds searched together.

Phase one (`matching.search.rounds`) plans the rounds in order, each from a constructed first
seating (`matching.search.construction`) polished by a swap search; each round avoids pairs
that met in the history or an earlier round. Phase two (`matching.search.joint`, only while
pairs still meet twice) revisits every round against all the others, so the search can trade a
repeat in one round for a fresh pair in another: the "new faces every day" rule is a property
of the whole conference, not of one meal. A last polish searches each round again with repeats
priced, so the other rules do not lose what phase two traded.

Every phase stops by its own rule, counted in work (sweeps without an improving swap, tabu
steps, no more repeats than any plan must have), so the plan depends only on the seed and the
input. The time budget is a cap: when it cuts a phase, ``Plan.timed_out`` says so, with the
share of the planned work done and the phase it cut.
"""

from __future__ import annotations

import time

import numpy as np

from matching.checks import history_meals, meal_repeats, spread_evenly
from matching.errors import Infeasible
from matching.objective import W_DIVERSITY, W_KINDRED, Weights
from matching.problem import Problem
from matching.rule_names import RuleName
from matching.search.construction import mutual_kindred
from matching.search.joint import DENSE_JOINT_MAX, joint_sparse, joint_tabu
from matching.search.meetings import count_repeats, tables_of
from matching.search.plan import PHASE_JOINT, PHASE_POLISH, PHASE_ROUNDS, Plan, ProgressCallback
from matching.search.rounds import TEMP_END, RoundState, anneal, seat_round

__all__ = ["repeats_floor", "solve"]

#: Share of the time budget phase one may use when phase two is needed.
_PHASE_ONE_SHARE = 0.7
#: Phase two's share of the work after phase one (the polish has the rest).
_JOINT_SHARE = 0.7


class _Clock:
    """The time budget, a cap: when the search must stop, and when phase one must.

    Phase one is capped as a whole, less a reserve for the rounds after the one running (half
    an equal share each), not each round by an equal share: a share per round would cut a round
    on a slow machine whose whole search fits in the budget, and change its plan.
    """

    def __init__(self, time_budget: float | None) -> None:
        self.start = time.perf_counter()
        self.deadline = None if time_budget is None else self.start + time_budget
        self.phase_one_end = (
            None if time_budget is None else self.start + time_budget * _PHASE_ONE_SHARE
        )

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def round_cap(self, r: int, n_rounds: int) -> float | None:
        """When round ``r`` of phase one must stop: the phase's cap less the later rounds'
        reserve."""
        if self.phase_one_end is None:
            return None
        reserve = (self.phase_one_end - self.start) / (2 * n_rounds)
        return self.phase_one_end - (n_rounds - r - 1) * reserve


class _Seating:
    """Every round's seating while the search runs.

    ``tables[r]`` holds round ``r``'s tables as global indices; rounds not planned yet hold
    their earlier seating (re-planning) or nothing, so each round avoids the pairs the others
    seat.
    """

    def __init__(self, problem: Problem, w: np.ndarray) -> None:
        self.problem = problem
        n_rounds = len(problem.rounds)
        self.anchors = [spec.anchor for spec in problem.rounds]
        self.tables: list[list[np.ndarray]] = [
            [spec.members[anchor == t] for t in range(int(anchor.max(initial=-1)) + 1)]
            for spec, anchor in zip(problem.rounds, self.anchors, strict=True)
        ]
        self.table_of: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n_rounds
        self.fixed_of: list[np.ndarray] = [np.empty(0, dtype=bool)] * n_rounds
        self.w_round = [w] * n_rounds

    def met_for(self, r: int) -> list[np.ndarray]:
        """The tables whose pairs count as met when seating round ``r``."""
        met = list(self.problem.history)
        for other, tables in enumerate(self.tables):
            if other != r:
                met.extend(t for t in tables if t.shape[0] > 1)
        return met

    def set_round(self, r: int, table_of: np.ndarray) -> None:
        self.table_of[r] = table_of
        self.tables[r] = tables_of(self.problem.rounds[r], table_of)

    def repeats(self) -> int:
        return count_repeats(self.problem, self.tables)


def solve(
    problem: Problem,
    *,
    weights: Weights,
    rng: np.random.Generator,
    max_iter: int = 50,
    time_budget: float | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Seat every round of ``problem``.

    Args:
        problem: The compiled problem.
        weights: Soft-rule weights.
        rng: The only source of randomness.
        max_iter: Sweeps per round and phase; one sweep proposes as many swaps as the round has
            attendees (at least 5,000), and a search ends early after a sweep with no
            improving swap. With an ample ``time_budget`` the result depends only on ``rng``.
        time_budget: A cap in seconds on the search (the best plan found so far is returned
            when it runs out, so a cut can change the result; ``Plan.timed_out``,
            ``progress`` and ``cut_phase`` say so); None for no limit.
        progress: Called with (fraction done, message).

    Returns:
        The plan.

    Raises:
        Infeasible: A hard rule still fails after the search (keep-apart sets that no table
            layout can separate).

    Example:
        >>> from matching.types import Attendee, Round
        >>> people = [Attendee(id=str(i)) for i in range(6)]
        >>> p = Problem.build(people, [Round(name="L", table_size=3)], np.eye(6),
        ...                   rng=np.random.default_rng(0))
        >>> plan = solve(p, weights=Weights(), rng=np.random.default_rng(0))
        >>> sorted(np.bincount(plan.table_of[0]).tolist())
        [3, 3]
    """
    clock = _Clock(time_budget)
    report = progress or _silent
    w = weights.as_array()
    seating = _Seating(problem, w)
    plan = Plan(table_of=seating.table_of)
    _seat_each_round(problem, seating, w, rng, max_iter, clock, plan, report)
    # Given the rounds as phase one seated them (a dinner's bound depends on how its people
    # sat at lunch): the report's minimum, by the same rule.
    plan.repeats_floor = repeats_floor(problem, seating.tables)
    repeats = seating.repeats()
    n_rounds = len(problem.rounds)
    planned = float(n_rounds)  # units of work: one per round, one for phase two and polish
    if repeats > plan.repeats_floor and n_rounds > 1:
        planned += 1.0
        plan.phase = PHASE_JOINT
        if clock.out_of_time():
            plan.stop()
        else:
            report(n_rounds / (n_rounds + 1), f"Removing repeated pairs ({repeats} left)")
            done = _seat_rounds_together(problem, seating, w, rng, max_iter, clock, plan)
            plan.progress += _JOINT_SHARE * done
            if w[W_KINDRED] > 0 or w[W_DIVERSITY] > 0:
                plan.phase = PHASE_POLISH
                done = _polish(problem, seating, rng, max_iter, clock, plan)
            plan.progress += (1.0 - _JOINT_SHARE) * done
            repeats = seating.repeats()
    plan.progress = min(plan.progress / planned, 1.0) if plan.timed_out else 1.0
    plan.repeats = repeats
    _check_hard_rules(problem, seating.table_of)
    plan.moved = _moved(problem, seating)
    report(1.0, "Done")
    return plan


def _silent(fraction: float, message: str) -> None:
    return None


def _seat_each_round(
    problem: Problem,
    seating: _Seating,
    w: np.ndarray,
    rng: np.random.Generator,
    max_iter: int,
    clock: _Clock,
    plan: Plan,
    report: ProgressCallback,
) -> None:
    """Phase one: the rounds in order, each avoiding the pairs the others seat."""
    n_rounds = len(problem.rounds)
    mutual = mutual_kindred(problem)
    plan.phase = PHASE_ROUNDS
    for r, spec in enumerate(problem.rounds):
        report(r / (n_rounds + 1), f"Seating round '{spec.round.name}'")
        state, fixed = seat_round(
            problem,
            spec,
            seating.met_for(r),
            seating.anchors[r],
            mutual,
            w,
            max_iter=max_iter,
            until=clock.round_cap(r, n_rounds),
            rng=rng,
            plan=plan,
        )
        seating.w_round[r] = state.w
        seating.fixed_of[r] = fixed
        seating.set_round(r, state.table_of)


def _seat_rounds_together(
    problem: Problem,
    seating: _Seating,
    w: np.ndarray,
    rng: np.random.Generator,
    max_iter: int,
    clock: _Clock,
    plan: Plan,
) -> float:
    """Phase two: trade repeats between rounds (``seating.table_of`` is updated in place).

    Returns:
        The share of its work done (1.0 unless the time budget cut it).
    """
    table_of = seating.table_of
    if len(problem.ids) <= DENSE_JOINT_MAX:
        done = joint_tabu(
            problem, table_of, seating.fixed_of, w, rng, max_iter, clock.deadline, plan,
            plan.repeats_floor,
        )  # fmt: skip
    else:
        done = joint_sparse(
            problem, table_of, seating.fixed_of, seating.anchors, seating.w_round, rng,
            clock.deadline, plan,
        )  # fmt: skip
    for r in range(len(problem.rounds)):
        seating.set_round(r, table_of[r])
    return done


def _polish(
    problem: Problem,
    seating: _Seating,
    rng: np.random.Generator,
    max_iter: int,
    clock: _Clock,
    plan: Plan,
) -> float:
    """Search each round again, cold, with repeats priced: the other rules regain ground
    without undoing the new faces (a round whose search seats more pairs again than before
    keeps its seating: new faces rank above common ground and diversity).

    Returns:
        The share of its work done (1.0 unless the time budget cut it).
    """
    n_rounds = len(problem.rounds)
    done = 0.0
    for r, spec in enumerate(problem.rounds):
        if clock.out_of_time():
            plan.stop()
            break
        state = RoundState(
            problem,
            spec,
            seating.table_of[r],
            seating.met_for(r),
            seating.anchors[r],
            seating.fixed_of[r],
            seating.w_round[r],
        )
        before, kept = seating.repeats(), seating.table_of[r]
        done += anneal(state, max(max_iter // 4, 1), TEMP_END, TEMP_END, clock.deadline, rng, plan)
        seating.set_round(r, state.table_of)
        # The swap search prices a pair by its earlier meetings, so it may seat three pairs who
        # met once to part one who met twice: more repeated pairs, as the report counts them.
        if seating.repeats() > before:
            seating.set_round(r, kept)
    return done / max(n_rounds, 1)


def repeats_floor(problem: Problem, tables: list[list[np.ndarray]] | None = None) -> int:
    """The fewest repeated pairs a plan of ``problem`` has, as `count_repeats` counts them.

    Those the history already holds, plus per round the most that one earlier meal forces
    (`matching.checks.meal_repeats`, as the report's minimum): a group of non-overlapping
    history tables, or an earlier round, its tables as in ``tables`` (per round, global
    indices) or, when None, whatever they are: the people it shares with this round spread as
    evenly as its tables allow, which any seating of it forces at least. A lower bound: the
    search stops removing repeats there.

    Example:
        >>> from matching.types import Attendee, Round
        >>> people = [Attendee(id=str(i)) for i in range(60)]
        >>> lunches = [Round(name=f"L{d}", table_size=10) for d in range(3)]
        >>> p = Problem.build(people, lunches, np.eye(60), rng=np.random.default_rng(0))
        >>> repeats_floor(p)  # 4 pairs at each of 6 tables in each later lunch
        48
    """
    floor = count_repeats(problem, [])
    meals = history_meals(problem.history)
    for r, spec in enumerate(problem.rounds):
        caps = spec.capacities.tolist()
        here = np.zeros(len(problem.ids), dtype=bool)
        here[spec.members] = True
        best = max(
            (meal_repeats([int(here[t].sum()) for t in meal], caps) for meal in meals), default=0
        )
        for p, earlier in enumerate(problem.rounds[:r]):
            if tables is not None:
                groups = [int(here[t].sum()) for t in tables[p]]
            else:
                shared = int(here[earlier.members].sum())
                sizes = earlier.sizes.tolist()
                full = shared == earlier.members.size
                groups = sizes if full else spread_evenly(shared, sizes)
            best = max(best, meal_repeats(groups, caps))
        floor += best
    return floor


def _moved(problem: Problem, seating: _Seating) -> dict[str, int]:
    """Per round: already-seated attendees (re-planning) whose table changed."""
    moved = {}
    for spec, anchor, table_of in zip(
        problem.rounds, seating.anchors, seating.table_of, strict=True
    ):
        seated = anchor >= 0
        moved[spec.round.name] = int((table_of[seated] != anchor[seated]).sum())
    return moved


def _check_hard_rules(problem: Problem, table_of: list[np.ndarray]) -> None:
    """Raise when the search could not keep a hard rule (only keep-apart can fail here)."""
    for spec, tables in zip(problem.rounds, table_of, strict=True):
        counts = np.bincount(tables, minlength=spec.capacities.shape[0])
        if (counts > spec.capacities).any():
            raise AssertionError(f"Round '{spec.round.name}': a table exceeds its capacity.")
        where = np.full(len(problem.ids), -1, dtype=np.int64)
        where[spec.members] = tables
        for a, b in spec.apart:
            if where[a] == where[b]:
                raise Infeasible(
                    RuleName.KEEP_APART,
                    f"Round '{spec.round.name}': no seating found that keeps "
                    f"'{problem.ids[int(a)]}' and '{problem.ids[int(b)]}' apart "
                    f"({spec.capacities.shape[0]} tables for the keep-apart pairs given).",
                )
